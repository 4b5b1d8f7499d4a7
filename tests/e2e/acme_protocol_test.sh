#!/usr/bin/env bash
# RFC 8555 error paths and idempotency, driven by josepy/acme (Debian's python3-acme) against pkictl serve.
source "$(dirname "$0")/lib.sh"
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
timeout 300 /usr/bin/python3 "$HERE/acme_protocol.py" "$DIRECTORY" "$WORK/root/root.crt" "$HTTP01_PORT" || fail "protocol checks failed (server log: $WORK/serve.log)"
ok
finish
