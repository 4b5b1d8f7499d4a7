#!/usr/bin/env bash
# RFC 8555 error paths and idempotency, driven by josepy/acme (Debian's python3-acme) against pkictl serve.
source "$(dirname "$0")/lib.sh"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
start_server pkictl.toml
timeout 300 /usr/bin/python3 "$HERE/acme_protocol.py" "$DIRECTORY" "$WORK/root/root.crt" "$HTTP01_PORT" || fail "protocol checks failed (server log: $WORK/serve.log)"
ok
finish
