#!/usr/bin/env bash
# `pkictl acme` against our own server (every challenge type; renew, revoke, rollover, update,
# deactivate) and against Pebble, an independent ACME server (http-01, tls-alpn-01, dns-01,
# renewal, revocation), with its 5 % nonce rejection left on to exercise badNonce retries.
source "$(dirname "$0")/lib.sh"
command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null || fail "pebble is needed (scripts/deps.sh installs it)"

make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port); TLS_PORT=$(free_port)
write_config pkictl.toml  # with tlsalpn01_port = TLS_PORT
echo "retries = 0" >>pkictl.toml   # a failed validation is final at once (the answer below says so)
start_server pkictl.toml
export PKICTL_PASSPHRASE='client passphrase'
cat >dns-hook <<SH
#!/bin/sh
# add|remove NAME VALUE, into pebble-challtestsrv
case "\$1" in
  add) curl -sf -X POST -d "{\"host\":\"\$2.\",\"value\":\"\$3\"}" \$DNS_MGMT/set-txt ;;
  remove) curl -sf -X POST -d "{\"host\":\"\$2.\"}" \$DNS_MGMT/clear-txt ;;
esac
SH
chmod +x dns-hook
export DNS_MGMT
ACME_TIMEOUT=120 ACME_STATE=ours

# --- Account.
expect_rc 0 acme register --directory "$DIRECTORY" --contact mailto:ops@test.internal --agree-tos
[ "$(stat -c %a ours/account.key)" = 600 ] || fail "account key is not 0600"; ok
expect_grep 'ENCRYPTED PRIVATE KEY' ours/account.key
expect_rc 1 acme register --directory "$DIRECTORY"
one_line_error
expect_rc 0 acme --json account show
expect_grep '"status": "valid"' "$WORK/out"

# --- Bootstrap by fingerprint instead of --ca-bundle: the issuing CA the server presents, or the
# root it publishes; a fingerprint that matches nothing is refused.
sha() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
expect_rc 0 timeout 60 "$PKICTL" acme --state pinned register --directory "$DIRECTORY" --ca-fingerprint "$(sha issuing/intermediate.crt)"
expect_rc 0 timeout 60 "$PKICTL" acme --state pinned account show
expect_rc 0 timeout 60 "$PKICTL" acme --state pinned-root register --directory "$DIRECTORY" --ca-fingerprint "$(sha root/root.crt)"
expect_rc 1 timeout 60 "$PKICTL" acme --state pinned-bad register --directory "$DIRECTORY" --ca-fingerprint "$(printf 'ab%.0s' {1..32})"
one_line_error
expect_grep 'refusing to trust it' "$WORK/err"

# --- Every challenge type; key 0600; the chain verifies; progress names each identifier.
expect_rc 0 acme issue --identifier dns:h1.test.internal --identifier h2.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" \
  --key-out h.key --cert-out h.crt --chain-out h.chain
[ "$(stat -c %a h.key)" = 600 ] || fail "certificate key is not 0600"; ok
verify_chain h.crt h.chain DNS:h2.test.internal
expect_grep 'dns:h2.test.internal: valid' "$WORK/err"
mkdir -p webroot
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory webroot "$(( HTTP01_PORT ))" >/dev/null 2>&1 &
WEB=$!
sleep 0.5
expect_rc 0 acme issue --identifier dns:w.test.internal --webroot webroot --key-out w.key --cert-out w.crt --chain-out w.chain
kill $WEB; wait $WEB 2>/dev/null || true
verify_chain w.crt w.chain DNS:w.test.internal
[ -z "$(ls webroot/.well-known/acme-challenge)" ] || fail "webroot tokens were not cleaned up"; ok
expect_rc 0 acme issue --identifier dns:t.test.internal --identifier ip:127.0.0.1 --challenge tls-alpn-01 --tls-listen "127.0.0.1:$TLS_PORT" \
  --key-out t.key --cert-out t.crt --chain-out t.chain --lifetime 2h
verify_chain t.crt t.chain 'IP Address:127.0.0.1'
# An order of IP addresses only (the CSR has an empty subject), and a challenge type not offered for it.
expect_rc 0 acme issue --identifier ip:127.0.0.1 --identifier ip:::1 --http-listen "[::]:$HTTP01_PORT" --key-out ip.key --cert-out ip.crt --chain-out ip.chain
verify_chain ip.crt ip.chain 'IP Address:0:0:0:0:0:0:0:1'
expect_rc 1 acme issue --identifier ip:127.0.0.9 --challenge dns-01 --dns-hook true --key-out ipd.key --cert-out ipd.crt
expect_grep 'does not offer dns-01 for it \(offered: http-01, tls-alpn-01\)' "$WORK/err"
expect_rc 0 acme issue --identifier '*.d.test.internal' --challenge dns-01 --dns-hook "$WORK/dns-hook" --dns-wait 1s \
  --key-out d.key --cert-out d.crt --chain-out d.chain --deploy-hook 'echo "$PKICTL_NAME" >>deployed'
verify_chain d.crt d.chain 'DNS:*.d.test.internal'
expect_grep '^wildcard.d.test.internal$' deployed

# --- Renew: nothing is due; forced renewal replaces, runs the hook; a failure keeps the old file.
expect_rc 0 acme renew
expect_grep 'not due' "$WORK/err"
serial=$(openssl x509 -in d.crt -noout -serial)
expect_rc 0 acme renew --name wildcard.d.test.internal --force
[ "$serial" != "$(openssl x509 -in d.crt -noout -serial)" ] || fail "renewal did not replace d.crt"; ok
[ "$(wc -l <deployed)" = 2 ] || fail "the deploy hook did not run on renewal"; ok
cp h.crt h.before
stop_server   # the server is gone: retries with backoff, bounded by --timeout, then a clear failure
expect_rc 1 acme --timeout 3s renew --name h1.test.internal --force
expect_grep 'h1.test.internal: renewal failed, the previous certificates? stays? in place' "$WORK/err"
cmp -s h.crt h.before || fail "a failed renewal changed h.crt"; ok
start_server pkictl.toml

# --- Revoke, key rollover, contact update, deactivation. Reasons 7 (unassigned) and 8
# (removeFromCRL, delta CRLs only) are usage errors.
for r in 7 8; do
  expect_rc 2 acme revoke --cert w.crt --reason $r
  expect_grep "reason $r is not a revocation reason code" "$WORK/err"
done
expect_rc 0 acme revoke --cert w.crt --reason 4
expect_grep 'certificate revoked' "$WORK/serve.log"
expect_rc 0 acme account rollover --key-type ec-p384
expect_rc 0 acme --json account update --contact mailto:new@test.internal
expect_grep 'mailto:new@test.internal' "$WORK/out"
expect_rc 0 acme issue --identifier dns:after.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out a.key --cert-out a.crt
# A validation that fails quickly: the challenge's answer already says invalid, and the client
# stops there with the server's reason (its solver listens where the server does not look).
expect_rc 1 acme issue --identifier dns:refused.test.internal --http-listen "127.0.0.1:$(free_port)" --key-out r.key --cert-out r.crt
expect_grep 'dns:refused.test.internal: http-01 failed: fetching http://refused.test.internal:[0-9]+/.well-known/acme-challenge/[^ ]*: Failed to connect to [0-9a-f.:]+ port [0-9]+' "$WORK/err"
! grep -q 'refused.test.internal: waiting for the server to validate' "$WORK/err" "$WORK/out" || fail "the client polled after an invalid answer"; ok
[ ! -e r.key ] || fail "a failed issuance wrote a key"; ok
expect_rc 0 acme account deactivate
expect_rc 1 acme issue --identifier dns:x.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out x.key --cert-out x.crt
expect_grep 'deactivated' "$WORK/err"
[ ! -e x.key ] || fail "a failed issuance wrote a key"; ok

# --- Pebble: an ACME server we did not write.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pebble.key -out pebble.crt -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
P_PORT=$(free_port); P_MGMT=$(free_port); P_HTTP=$(free_port); P_TLS=$(free_port)
cat >pebble.json <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$P_PORT", "managementListenAddress": "127.0.0.1:$P_MGMT",
  "certificate": "pebble.crt", "privateKey": "pebble.key", "httpPort": $P_HTTP, "tlsPort": $P_TLS,
  "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
PEBBLE_VA_NOSLEEP=1 pebble -config pebble.json -dnsserver "127.0.0.1:$DNS_PORT" >"$WORK/pebble.log" 2>&1 &
cleanup_hooks+=("kill $!")
wait_for "$WORK/pebble.log" 'ACME directory available' 20
peb() { timeout 120 "$PKICTL" acme --state theirs --ca-bundle pebble.crt "$@"; }
expect_rc 0 peb register --directory "https://127.0.0.1:$P_PORT/dir" --agree-tos --contact mailto:ops@test.internal
expect_rc 0 timeout 60 "$PKICTL" acme --state theirs-pinned register --directory "https://127.0.0.1:$P_PORT/dir" --agree-tos \
  --ca-fingerprint "$(sha pebble.crt)"
expect_rc 0 timeout 60 "$PKICTL" acme --state theirs-pinned account show
expect_rc 0 peb issue --identifier dns:p1.test.internal --http-listen "127.0.0.1:$P_HTTP" --key-out p1.key --cert-out p1.crt
expect_rc 0 peb issue --identifier dns:p2.test.internal --challenge tls-alpn-01 --tls-listen "127.0.0.1:$P_TLS" --key-out p2.key --cert-out p2.crt
expect_rc 0 peb issue --identifier dns:p3.test.internal --identifier '*.p3.test.internal' --challenge dns-01 --dns-hook "$WORK/dns-hook" \
  --dns-wait 1s --key-out p3.key --cert-out p3.crt
grep -qF 'DNS:*.p3.test.internal' <(openssl x509 -in p3.crt -noout -ext subjectAltName) || fail "pebble wildcard SAN missing"; ok
serial=$(openssl x509 -in p1.crt -noout -serial)
expect_rc 0 peb renew --name p1.test.internal --force
[ "$serial" != "$(openssl x509 -in p1.crt -noout -serial)" ] || fail "pebble renewal did not replace p1.crt"; ok
expect_rc 0 peb revoke --cert p2.crt --reason 1
finish
