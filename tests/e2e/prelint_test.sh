#!/usr/bin/env bash
# Pre-issuance lint through ACME: an issuing CA whose name constraints permit only
# .payments.test.internal, a policy that (wrongly) allows every *.test.internal name. Validation
# succeeds, but the lint run on the exact to-be-signed certificate refuses it before the issuing
# key signs: the order becomes invalid with the lint named, nothing is stored, and the refusal is
# logged and counted.
source "$(dirname "$0")/lib.sh"
echo 'e2e passphrase' >pass; chmod 600 pass
"$PKICTL" root init --subject "CN=E2E Root,O=pkictl tests" --key-type ec-p256 --validity 2y --out root --passphrase-file pass >/dev/null
"$PKICTL" intermediate csr --subject "CN=E2E Constrained CA,O=pkictl tests" --out issuing --passphrase-file pass >/dev/null
"$PKICTL" intermediate sign --root root --csr issuing/intermediate.csr --out issuing/intermediate.crt --validity 1y \
  --permit-dns .payments.test.internal --permit-dns localhost --passphrase-file pass >/dev/null
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
add_metrics_listener pkictl.toml
start_server pkictl.toml
export PKICTL_PASSPHRASE=client
expect_rc 0 acme register --directory "$DIRECTORY"
expect_rc 0 acme issue --identifier dns:ok.payments.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out a.key --cert-out a.crt --chain-out a.chain
expect_rc 1 acme issue --identifier dns:web.search.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out b.key --cert-out b.crt
expect_grep 'serverInternal' "$WORK/err"
expect_grep 'pre-issuance lint refused the certificate: name-constraints' "$WORK/err"
[ ! -e b.crt ] && [ ! -e b.key ] || fail "a refused issuance left files behind"; ok
[ "$(sqlite3 data/pkictl.db "SELECT count(*) FROM certificates WHERE order_id IN (SELECT id FROM orders WHERE status='invalid')")" = 0 ] \
  || fail "a refused certificate was stored"; ok
expect_grep 'name-constraints.*"msg":"issuance failed"' "$WORK/serve.log"
grep -q 'pkictl_lint_failures_total{lint="name-constraints"} 1' <(curl -sf "http://127.0.0.1:$METRICS_PORT/metrics") || fail "lint failures are not counted"; ok
finish
