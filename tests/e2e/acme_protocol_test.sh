#!/usr/bin/env bash
# RFC 8555 error paths and idempotency, driven by josepy/acme (Debian's python3-acme) against pkictl
# serve; then lego and certbot choose the alternate chain through a cross-signed issuing CA; nonces
# across a graceful restart and a kill (tests/e2e/nonce_restart.py); then order and authorization
# expiry (tests/e2e/expiry.py) with 3-second lifetimes.
source "$(dirname "$0")/lib.sh"
command -v lego >/dev/null && command -v certbot >/dev/null || fail "lego and certbot are needed (scripts/deps.sh installs them)"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
# A second root cross-signs the issuing CA: certificates then have an alternate chain.
"$PKICTL" root init --subject "CN=E2E Cross Root,O=pkictl tests" --key-type ec-p256 --validity 2y --out cross-root --passphrase-file pass >/dev/null
"$PKICTL" intermediate sign --root cross-root --csr issuing/intermediate.csr --out issuing/cross.crt --validity 1y --passphrase-file pass >/dev/null
write_config pkictl.toml
sed '/^max_lifetime = /a alternate_chains = ["root/root.crt"]' pkictl.toml >bad-alt.toml
expect_rc 1 timeout 20 "$PKICTL" serve --config bad-alt.toml
expect_grep "alternate chain must start with a certificate for the issuing CA" "$WORK/err"
sed -i '/^max_lifetime = /a alternate_chains = ["issuing/cross.crt"]' pkictl.toml
start_server pkictl.toml
# A client that sends "Expect: 100-continue" hears 100 and sends its body at once (curl would
# otherwise wait its 10 s expect timeout): the answer is the problem for the (bad) JWS.
head -c 3000 /dev/zero | tr '\0' a >big-body
curl -s -o expect.out -w '%{http_code} %{time_total}\n' --expect100-timeout 10 --cacert root/root.crt -H 'Expect: 100-continue' \
  -H 'Content-Type: application/jose+json' --data-binary @big-body "${DIRECTORY%/directory}/new-order" >expect.txt
read -r code secs <expect.txt
[ "$code" = 400 ] && grep -q malformed expect.out || fail "Expect: 100-continue: got $code: $(cat expect.out)"
awk -v s="$secs" 'BEGIN { exit !(s < 5) }' || fail "Expect: 100-continue: the body waited ${secs}s for a 100 that never came"
ok
timeout 300 /usr/bin/python3 "$HERE/acme_protocol.py" "$DIRECTORY" "$WORK/root/root.crt" "$HTTP01_PORT" "$WORK/data/pkictl.db" || fail "protocol checks failed (server log: $WORK/serve.log)"
ok
# lego and certbot pick the alternate chain by the name of the root it leads to.
export LEGO_CA_CERTIFICATES=$WORK/root/root.crt REQUESTS_CA_BUNDLE=$WORK/root/root.crt
expect_rc 0 lego_run --domains lego-cross.test.internal run --preferred-chain "E2E Cross Root"
expect_rc 0 certbot_run certonly --standalone --http-01-port "$HTTP01_PORT" --http-01-address 127.0.0.1 -d cb-cross.test.internal \
  --preferred-chain "E2E Cross Root"
for pair in "lego/certificates/lego-cross.test.internal.crt lego/certificates/lego-cross.test.internal.issuer.crt" \
  "cb/config/live/cb-cross.test.internal/cert.pem cb/config/live/cb-cross.test.internal/chain.pem"; do
  set -- $pair
  openssl x509 -in "$2" -noout -issuer | grep -q 'CN *= *E2E Cross Root' || fail "$2 is not the chain to the cross root"
  openssl verify -CAfile cross-root/root.crt -untrusted "$2" "$1" >/dev/null || fail "$1 does not verify through the cross root"
  ok
done
# The request log line is written as the answer goes out: the slow challenge's line counts the
# second it was held ("ms"), apart from the handler's own time ("handler_ms").
/usr/bin/python3 - "$WORK/serve.log" <<'PY' || fail "no request line shows the held challenge answer's wait"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
held = [l for l in lines if l.get("msg") == "request" and "/acme/chall/" in l["path"] and l["ms"] >= 900 and l["handler_ms"] < 900]
sys.exit(0 if held else 1)
PY
ok
# Again with handlers on a worker pool ([server] workers): requests, and the refresh of a held
# challenge answer, run there and resume on the I/O threads. Across this restart, nonces hold: the
# stop saves their state (0600), the start takes it (the file is gone once it serves).
nonce_restart() { timeout 60 /usr/bin/python3 "$HERE/nonce_restart.py" "$1" "$DIRECTORY" "$WORK/root/root.crt" nonce-restart.json || fail "nonce_restart.py $1 failed"; ok; }
nonce_restart before
stop_server
[ "$(stat -c %a data/nonces.state)" = 600 ] || fail "the saved nonce state is not 0600"; ok
sed -i '/^\[server\]/a workers = 2' pkictl.toml
start_server pkictl.toml
[ ! -e data/nonces.state ] || fail "the nonce state was left behind after the start"; ok
expect_grep 'nonces issued before the restart are accepted' "$WORK/serve.log"
nonce_restart after
timeout 300 /usr/bin/python3 "$HERE/acme_protocol.py" "$DIRECTORY" "$WORK/root/root.crt" "$HTTP01_PORT" "$WORK/data/pkictl.db" ||
  fail "protocol checks failed with [server] workers = 2 (server log: $WORK/serve.log)"
ok
# Expiry: orders and authorizations that live 3 s. Killed, not stopped: no nonce state is saved,
# and the nonces of the killed process get badNonce.
nonce_restart before
kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
[ ! -e data/nonces.state ] || fail "a killed server left a nonce state"; ok
# A state file that is not one (truncated, another version) is not imported: the start warns,
# removes it, and serves with fresh nonces.
printf 'pkictl-nonces-1\ntruncated' >data/nonces.state
sed -i 's/^\[acme\]$/[acme]\norder_lifetime = "3s"\nauthz_lifetime = "3s"/' pkictl.toml
start_server pkictl.toml
expect_grep 'the saved nonce state is malformed or over an hour old' "$WORK/serve.log"
[ ! -e data/nonces.state ] || fail "a malformed nonce state was left behind"; ok
nonce_restart killed
timeout 60 /usr/bin/python3 "$HERE/expiry.py" "$DIRECTORY" "$WORK/root/root.crt" "$HTTP01_PORT" || fail "expiry checks failed (server log: $WORK/serve.log)"
ok
finish
