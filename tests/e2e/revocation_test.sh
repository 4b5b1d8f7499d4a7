#!/usr/bin/env bash
# Revocation and renewal information: certbot revokes, the CRL at the certificate's distribution
# point lists it and `openssl verify -crl_check` rejects it; `pkictl cert revoke` ends in the same
# CRL; a compromised key revokes every certificate with it and is refused afterwards; ARI windows,
# "replaces", and the published roots.
source "$(dirname "$0")/lib.sh"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port); PUBLISH_PORT=$(free_port)
write_config pkictl.toml
# CRLs and the issuer certificate are named and served over plain HTTP (server.publish_url and
# publish_listen): fetching them over TLS from the server they vouch for would go in a circle.
sed -i "/^tls_hostnames/a publish_listen = [\"127.0.0.1:$PUBLISH_PORT\"]\npublish_url = \"http://127.0.0.1:$PUBLISH_PORT\"" pkictl.toml
start_server pkictl.toml
export REQUESTS_CA_BUNDLE=$WORK/root/root.crt LEGO_CA_CERTIFICATES=$WORK/root/root.crt PKICTL_PASSPHRASE=rev
BASE=${DIRECTORY%/acme/directory}
fetch() { curl -sf --cacert root/root.crt "$@"; }
crl_of() { # LEAF OUT.pem: fetch the CRL named by the certificate's distribution point
  local url; url=$(openssl x509 -in "$1" -noout -ext crlDistributionPoints | sed -n 's/.*URI://p' | tr -d ' ')
  [ -n "$url" ] || fail "$1 has no CRL distribution point"
  fetch -o "$2.der" "$url" || fail "cannot fetch $url"
  openssl crl -inform DER -in "$2.der" -out "$2"
}

# --- certbot revokes; the CRL lists it; openssl rejects it.
expect_rc 0 certbot_run certonly --standalone --http-01-port "$HTTP01_PORT" --http-01-address 127.0.0.1 -d crl.test.internal
live=cb/config/live/crl.test.internal
crl_of $live/cert.pem crl0.pem
cdp=$(openssl x509 -in $live/cert.pem -noout -ext crlDistributionPoints | sed -n 's/.*URI://p' | tr -d ' ')
case $cdp in "http://127.0.0.1:$PUBLISH_PORT/crl/"*.crl) ok ;; *) fail "the CRL distribution point is $cdp, not under publish_url" ;; esac
issuer_url=$(openssl x509 -in $live/cert.pem -noout -ext authorityInfoAccess | sed -n 's/.*CA Issuers - URI://p' | tr -d ' ')
case $issuer_url in "http://127.0.0.1:$PUBLISH_PORT/ca/certs/"*.crt) ok ;; *) fail "caIssuers is $issuer_url, not under publish_url" ;; esac
curl -sf -o issuer.der "$issuer_url" || fail "cannot fetch $issuer_url"
openssl x509 -inform DER -in issuer.der -noout -subject | grep -q 'E2E Issuing CA' || fail "caIssuers does not serve the issuing CA"; ok
# The ACME listener serves the CRL too; the publication listener serves nothing else.
fetch -o crl0b.der "$BASE${cdp#http://127.0.0.1:$PUBLISH_PORT}" && cmp -s crl0b.der crl0.pem.der || fail "the ACME listener serves another CRL"; ok
[ "$(curl -s -o pub.json -w '%{http_code}' "http://127.0.0.1:$PUBLISH_PORT/acme/directory")" = 404 ] || fail "the publication listener served ACME"
expect_grep 'serves CRLs and CA certificates only' pub.json
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$cdp")" = 405 ] || fail "the publication listener took a POST"; ok
openssl verify -crl_check -CAfile root/root.crt -untrusted $live/chain.pem -CRLfile crl0.pem $live/cert.pem >/dev/null \
  || fail "a good certificate does not verify against its CRL"
ok
expect_rc 0 certbot_run revoke --cert-path $live/cert.pem --reason superseded --no-delete-after-revoke
crl_of $live/cert.pem crl1.pem
openssl crl -in crl1.pem -noout -text >crl1.txt
expect_grep 'Superseded' crl1.txt
expect_grep 'CRL Number:' crl1.txt
expect_grep 'X509v3 Authority Key Identifier' crl1.txt
set +e; openssl verify -crl_check -CAfile root/root.crt -untrusted $live/chain.pem -CRLfile crl1.pem $live/cert.pem >verify.txt 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "openssl accepted a revoked certificate"; ok
expect_grep 'certificate revoked' verify.txt

# --- pkictl cert revoke (offline, while the server runs) ends in the same CRL.
expect_rc 0 lego_run --domains cli.test.internal run
serial=$(openssl x509 -in lego/certificates/cli.test.internal.crt -noout -serial | cut -d= -f2)
expect_rc 0 "$PKICTL" cert revoke --config pkictl.toml --serial "$serial" --reason cessationOfOperation
expect_rc 1 "$PKICTL" cert revoke --config pkictl.toml --serial "$serial"
one_line_error
expect_grep 'already revoked' "$WORK/err"
expect_rc 2 "$PKICTL" cert revoke --config pkictl.toml --serial "$serial" --key-compromised
crl_of lego/certificates/cli.test.internal.crt crl2.pem
openssl crl -in crl2.pem -noout -text >crl2.txt
expect_grep "$(echo "$serial" | tr a-f A-F)" crl2.txt
expect_grep 'Cessation Of Operation' crl2.txt

# --- Key compromise: two certificates with one key; both revoked; the key is refused afterwards.
openssl ecparam -name prime256v1 -genkey -noout -out shared.key 2>/dev/null
openssl req -new -key shared.key -subj /CN=k1.test.internal -addext subjectAltName=DNS:k1.test.internal -out k1.csr 2>/dev/null
openssl req -new -key shared.key -subj /CN=k2.test.internal -addext subjectAltName=DNS:k2.test.internal -out k2.csr 2>/dev/null
expect_rc 0 lego_run --csr k1.csr run
expect_rc 0 lego_run --csr k2.csr run
expect_rc 0 "$PKICTL" cert revoke --config pkictl.toml --key-compromised --public-key lego/certificates/k1.test.internal.crt
expect_grep 'key blocked for all future issuance \(2 certificates revoked\)' "$WORK/out"
crl_of lego/certificates/k2.test.internal.crt crl3.pem
openssl crl -in crl3.pem -noout -text >crl3.txt
[ "$(grep -c 'Key Compromise' crl3.txt)" -eq 2 ] || fail "the CRL does not list both certificates of the compromised key"; ok
openssl req -new -key shared.key -subj /CN=k3.test.internal -addext subjectAltName=DNS:k3.test.internal -out k3.csr 2>/dev/null
expect_rc 1 lego_run --csr k3.csr run
expect_grep 'badPublicKey' "$WORK/err"
expect_grep 'revoked as compromised' "$WORK/err"

# --- ARI: windows inside the lifetime; "replaces" recorded and single-use; revocation makes it due.
ACME_TIMEOUT=120
expect_rc 0 acme register --directory "$DIRECTORY"
expect_rc 0 acme issue --identifier dns:ari.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out ari.key --cert-out ari.crt
expect_rc 0 acme renew
expect_grep 'not due \(ARI window ' "$WORK/err"
grep -q '"renewalInfo"' <(fetch "$DIRECTORY") || fail "no renewalInfo in the directory"; ok
aki=$(openssl x509 -in ari.crt -noout -ext authorityKeyIdentifier | sed -n 's/^ *\([0-9A-F:]*\)$/\1/p' | tr -d ':\n')
ser=$(openssl x509 -in ari.crt -noout -serial | cut -d= -f2)
b64u() { xxd -r -p | base64 | tr '+/' '-_' | tr -d '=\n'; }
certid="$(echo "$aki" | b64u).$(echo "$ser" | b64u)"
fetch "$BASE/acme/renewal-info/$certid" >ri.json
/usr/bin/python3 - "$WORK/ari.crt" ri.json <<'PY' || fail "the ARI window is not inside the certificate's renewal period"
import json, subprocess, sys
from datetime import datetime, timezone
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00"))
w = json.load(open(sys.argv[2]))["suggestedWindow"]
dates = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout", "-startdate", "-enddate"], capture_output=True, text=True).stdout
nb, na = [datetime.strptime(l.split("=", 1)[1].strip(), "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc) for l in dates.splitlines()]
assert nb < t(w["start"]) < t(w["end"]) < na, (nb, w, na)
PY
ok
expect_rc 0 acme renew --force
[ "$(sqlite3 data/pkictl.db "SELECT COUNT(*) FROM orders WHERE replaces='$certid'")" = 1 ] || fail "the renewal did not record replaces=$certid"; ok
expect_rc 0 acme revoke --cert ari.crt
ser2=$(openssl x509 -in ari.crt -noout -serial | cut -d= -f2)
certid2="$(echo "$aki" | b64u).$(echo "$ser2" | b64u)"
fetch "$BASE/acme/renewal-info/$certid2" >ri2.json
/usr/bin/python3 -c '
import json, sys
from datetime import datetime, timezone
w = json.load(open("ri2.json"))["suggestedWindow"]
assert datetime.fromisoformat(w["end"].replace("Z", "+00:00")) <= datetime.now(timezone.utc), w' || fail "a revoked certificate is not due now"
ok

# --- Published roots and index.
fetch "$BASE/roots.pem" >roots.pem
cmp -s <(openssl x509 -in roots.pem -outform DER) <(openssl x509 -in root/root.crt -outform DER) || fail "/roots.pem is not the root"; ok
fetch "$BASE/ca/index.json" >index.json
expect_grep "$(openssl x509 -in root/root.crt -outform DER | sha256sum | cut -d' ' -f1)" index.json
finish
