#!/usr/bin/env bash
# Real ACME clients from Debian (lego, certbot) against `pkictl serve` over https, with http-01
# validated for real over loopback; chains judged by openssl.
source "$(dirname "$0")/lib.sh"
command -v lego >/dev/null && command -v certbot >/dev/null && command -v pebble-challtestsrv >/dev/null || fail "lego, certbot and pebble are needed (scripts/deps.sh installs them)"

make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
start_server pkictl.toml
export LEGO_CA_CERTIFICATES=$WORK/root/root.crt REQUESTS_CA_BUNDLE=$WORK/root/root.crt

# --- lego, EC account key (its default), EC and RSA certificate keys.
expect_rc 0 lego_run --domains web.test.internal run
verify_chain lego/certificates/web.test.internal.crt lego/certificates/web.test.internal.issuer.crt DNS:web.test.internal
expect_rc 0 lego_run --key-type rsa2048 --domains rsa.test.internal --domains alt.test.internal run
verify_chain lego/certificates/rsa.test.internal.crt lego/certificates/rsa.test.internal.issuer.crt DNS:alt.test.internal
# lego 4.9 sends IP addresses as "dns" identifiers: refused as malformed, with a pointer to RFC 8738.
expect_rc 1 lego_run --domains 127.0.0.1 run
expect_grep 'use an identifier of type' err
# Renew (forced) and revoke.
serial_before=$(openssl x509 -in lego/certificates/web.test.internal.crt -noout -serial)
expect_rc 0 lego_run --domains web.test.internal renew --days 100000 --no-random-sleep
serial_after=$(openssl x509 -in lego/certificates/web.test.internal.crt -noout -serial)
[ "$serial_before" != "$serial_after" ] || fail "lego renew did not get a new certificate"; ok
expect_rc 0 lego_run --domains web.test.internal revoke
expect_grep 'certificate revoked' "$WORK/serve.log"
# A name outside the allowed identifiers is refused with rejectedIdentifier.
expect_rc 1 lego_run --domains evil.example.com run
expect_grep 'rejectedIdentifier' err

# --- certbot: RSA account key (its default), ECDSA and RSA certificates, renew, revoke.
expect_rc 0 certbot_run certonly --standalone --http-01-port "$HTTP01_PORT" --http-01-address 127.0.0.1 -d cb.test.internal --key-type ecdsa
live=cb/config/live/cb.test.internal
verify_chain $live/cert.pem $live/chain.pem DNS:cb.test.internal
expect_rc 0 certbot_run certonly --standalone --http-01-port "$HTTP01_PORT" --http-01-address 127.0.0.1 -d cbrsa.test.internal --key-type rsa --cert-name cbrsa
verify_chain cb/config/live/cbrsa/cert.pem cb/config/live/cbrsa/chain.pem DNS:cbrsa.test.internal
serial_before=$(openssl x509 -in $live/cert.pem -noout -serial)
expect_rc 0 certbot_run renew --force-renewal --no-random-sleep-on-renew --cert-name cb.test.internal --standalone --http-01-port "$HTTP01_PORT" --http-01-address 127.0.0.1
serial_after=$(openssl x509 -in $live/cert.pem -noout -serial)
[ "$serial_before" != "$serial_after" ] || fail "certbot renew did not get a new certificate"; ok
expect_rc 0 certbot_run revoke --cert-path $live/cert.pem --reason keycompromise --no-delete-after-revoke

# --- Restart: state survives; the same lego account orders again.
stop_server
start_server pkictl.toml
expect_rc 0 lego_run --domains again.test.internal run
verify_chain lego/certificates/again.test.internal.crt lego/certificates/again.test.internal.issuer.crt DNS:again.test.internal
[ "$(ls lego/accounts/*/ops@test.internal/ | wc -l)" -ge 1 ] || fail "lego account missing"; ok
sqlite3 data/pkictl.db "SELECT COUNT(*) FROM accounts" >accounts.count
[ "$(cat accounts.count)" -eq 2 ] || fail "expected 2 accounts (lego, certbot), got $(cat accounts.count)"; ok
[ "$(sqlite3 data/pkictl.db "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NOT NULL")" -eq 2 ] || fail "expected 2 revoked certificates"; ok
finish
