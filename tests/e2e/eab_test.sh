#!/usr/bin/env bash
# External Account Binding: with externalAccountRequired, certbot, lego, Go's x/crypto/acme and
# pkictl's own client register only with a key from `pkictl eab create`; single-use, revoked,
# wrong-MAC and unknown keys are refused with the reason; accounts keep the key's binding; the
# database holds no usable HMAC key.
source "$(dirname "$0")/lib.sh"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
sed -i 's/^\[acme\]$/[acme]\nexternal_account_required = true/' pkictl.toml
start_server pkictl.toml
export REQUESTS_CA_BUNDLE=$WORK/root/root.crt LEGO_CA_CERTIFICATES=$WORK/root/root.crt PKICTL_PASSPHRASE=client
eab() { "$PKICTL" eab "$@" --config pkictl.toml; }
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
fetch() { curl -sf --cacert root/root.crt "$@"; }
grep -q '"externalAccountRequired":true' <(fetch "$DIRECTORY") || fail "the directory does not say externalAccountRequired"; ok

expect_rc 0 eab create --binding payments --single-use --json; cp "$WORK/out" k1.json
expect_rc 0 eab create --binding platform --expires 1d --json; cp "$WORK/out" k2.json
expect_rc 0 eab create --binding lab --json; cp "$WORK/out" k3.json
K1=$(field k1.json kid); H1=$(field k1.json hmac_key); K2=$(field k2.json kid); H2=$(field k2.json hmac_key); K3=$(field k3.json kid); H3=$(field k3.json hmac_key)

# Without EAB: certbot reads the directory and stops; the server itself refuses with the RFC type.
expect_rc 1 certbot_run register
expect_grep 'requires external account binding' "$WORK/err"
expect_rc 1 timeout 60 "$PKICTL" acme --state st0 --ca-bundle root/root.crt register --directory "$DIRECTORY"
expect_grep 'externalAccountRequired.*pkictl eab create' "$WORK/err"
# certbot with the single-use key.
expect_rc 0 certbot_run certonly --standalone --http-01-port "$HTTP01_PORT" --http-01-address 127.0.0.1 -d eab.test.internal \
  --eab-kid "$K1" --eab-hmac-key="$H1"
verify_chain cb/config/live/eab.test.internal/cert.pem cb/config/live/eab.test.internal/chain.pem DNS:eab.test.internal
# lego with the multi-use key, twice (two accounts); then the spent single-use key is refused.
expect_rc 0 lego_run --path lego1 --eab --kid "$K2" --hmac="$H2" --domains lego1.test.internal run
expect_rc 0 lego_run --path lego2 --eab --kid "$K2" --hmac="$H2" --domains lego2.test.internal run
expect_rc 1 lego_run --path lego3 --eab --kid "$K1" --hmac="$H1" --domains lego3.test.internal run
expect_grep 'single-use and is spent' "$WORK/err"
# A wrong MAC and an unknown key id.
expect_rc 1 lego_run --path lego4 --eab --kid "$K3" --hmac="$H2" --domains lego4.test.internal run
expect_grep 'MAC does not verify' "$WORK/err"
expect_rc 1 lego_run --path lego5 --eab --kid kid-nosuch --hmac="$H2" --domains lego5.test.internal run
expect_grep 'unknown EAB key id' "$WORK/err"
# An expired key.
expect_rc 0 eab create --binding lab --expires 1s --json; cp "$WORK/out" k4.json
sleep 2
expect_rc 1 lego_run --path lego6 --eab --kid "$(field k4.json kid)" --hmac="$(field k4.json hmac_key)" --domains lego6.test.internal run
expect_grep 'expired' "$WORK/err"
# Go's x/crypto/acme (cert-manager's EAB path): refused without a binding, registered with one.
build_xacme
expect_rc 0 timeout 60 "$WORK/xacme" eab "$DIRECTORY" root/root.crt "$K2" "$H2"
for line in 'directory externalAccountRequired=true' 'without a binding: urn:ietf:params:acme:error:externalAccountRequired' \
  'with the binding: account status=valid'; do
  expect_grep "^$line\$" out
done
# pkictl's own client, then revocation of that key stops further accounts.
printf '%s\n' "$H3" >h3.txt
expect_rc 0 timeout 60 "$PKICTL" acme --state st --ca-bundle root/root.crt register --directory "$DIRECTORY" --eab-kid "$K3" --eab-hmac-key-file h3.txt
expect_rc 0 eab revoke "$K3"
expect_rc 1 timeout 60 "$PKICTL" acme --state st2 --ca-bundle root/root.crt register --directory "$DIRECTORY" --eab-kid "$K3" --eab-hmac-key-file h3.txt
expect_grep 'was revoked' "$WORK/err"
expect_rc 1 eab revoke "$K3"
one_line_error

# Bookkeeping: states, uses, bindings on the accounts; no HMAC key in the database in the clear.
expect_rc 0 eab list --json
/usr/bin/python3 - "$WORK/out" "$K1" "$K2" "$K3" <<'PY' || fail "eab list is wrong"
import json, sys
keys = {k["kid"]: k for k in json.load(open(sys.argv[1]))}
assert keys[sys.argv[2]]["state"] == "spent" and keys[sys.argv[2]]["uses"] == 1, keys
assert keys[sys.argv[3]]["state"] == "usable" and keys[sys.argv[3]]["uses"] == 3, keys
assert keys[sys.argv[4]]["state"] == "revoked", keys
PY
ok
[ "$(sqlite3 data/pkictl.db "SELECT group_concat(binding, ',') FROM (SELECT binding FROM accounts ORDER BY binding)")" = "lab,payments,platform,platform,platform" ] \
  || fail "accounts are not bound to their keys' bindings"; ok
/usr/bin/python3 - data/pkictl.db "$H1" "$H2" "$H3" <<'PY' || fail "an HMAC key is stored in the clear"
import base64, sqlite3, sys
blobs = b"".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT sealed_hmac FROM eab_keys"))
for h in sys.argv[2:]:
    raw = base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))
    assert raw not in blobs and h.encode() not in blobs
PY
ok
# Every refused registration is in the audit trail with its reason.
"$PKICTL" audit query --config pkictl.toml --type account.refused --format json >refused.jsonl || fail "audit query"
for why in 'single-use and is spent' 'MAC does not verify' 'unknown EAB key id' 'expired' 'was revoked' 'requires External Account Binding'; do
  grep -q "$why" refused.jsonl || { cat refused.jsonl; fail "no account.refused event says '$why'"; }
done
ok
finish
