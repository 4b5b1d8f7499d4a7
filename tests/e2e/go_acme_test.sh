#!/usr/bin/env bash
# Go's golang.org/x/crypto/acme (Debian's golang-golang-x-crypto-dev), the library cert-manager's
# ACME client is forked from, against `pkictl serve`: http-01 for a name and an IP address,
# tls-alpn-01 answered by Go's TLS server with the library's challenge certificate, idempotent
# finalize, download, problem types, revocation by account and by certificate key, key rollover,
# deactivation, with EC and RSA accounts; and autocert, serving HTTPS with a certificate it obtains
# on the first handshake. tests/e2e/go/xacme.go is the driver.
source "$(dirname "$0")/lib.sh"
build_xacme

make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port); TLS_PORT=$(free_port)
write_config pkictl.toml  # with tlsalpn01_port = TLS_PORT
start_server pkictl.toml

for kt in ec rsa; do
  expect_rc 0 timeout 120 "$WORK/xacme" "$DIRECTORY" root/root.crt "127.0.0.1:$HTTP01_PORT" "127.0.0.1:$TLS_PORT" go-$kt $kt "$WORK"
  cp out go-$kt.out
  for line in 'account status=valid' 'account found again' \
    "authorization go-$kt-http.test.internal http-01 valid" "authorization go-$kt-alpn.test.internal tls-alpn-01 valid" \
    'authorization 127.0.0.1 http-01 valid' 'order ready' \
    "issued cn=go-$kt-alpn.test.internal dns=go-$kt-alpn.test.internal,go-$kt-http.test.internal ip=\[127.0.0.1\]" \
    'downloaded again, 0 alternate chains' 'refused order: urn:ietf:params:acme:error:rejectedIdentifier' \
    'finalize again: same certificate=true' 'contact mailto:new@test.internal' 'second order ready' \
    'revoke again: <nil>' 'revoked both' 'key rolled over' \
    'after deactivation: urn:ietf:params:acme:error:unauthorized'; do
    expect_grep "^$line\$" go-$kt.out
  done
  verify_fullchain go-$kt.pem DNS:go-$kt-alpn.test.internal
done

# autocert: a Go HTTPS server whose certificate pkictl issues on its first handshake (tls-alpn-01
# answered on that same listener), as Go services that embed autocert do.
expect_rc 0 timeout 120 "$WORK/xacme" autocert "$DIRECTORY" root/root.crt "127.0.0.1:$TLS_PORT" web.test.internal "$WORK"
expect_grep '^autocert served web.test.internal issued by E2E Issuing CA$' out
verify_fullchain autocert.pem DNS:web.test.internal

# Each second revocation was answered alreadyRevoked (which the library turns into success).
[ "$(grep -c '"path":"/acme/revoke-cert".*"problem":"alreadyRevoked"' "$WORK/serve.log")" -eq 2 ] || fail "want 2 alreadyRevoked answers in the log"; ok
[ "$(sqlite3 data/pkictl.db "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NOT NULL")" -eq 4 ] || fail "expected 4 revoked certificates"; ok
expect_no_grep '"level":"error"' "$WORK/serve.log"
finish
