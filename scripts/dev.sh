#!/usr/bin/env bash
# The main job: install dependencies, build, and bring up pkictl on a ready development PKI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
data=${PKICTL_DEV_DATA:-dev-pki}
if build/pkictl serve --help >/dev/null 2>&1; then
  exec build/pkictl serve --dev --data "$data" "$@"
fi
# Until the ACME server exists: a demo root and issuing CA, made as an operator would.
mkdir -p "$data"
[ -f "$data/passphrase" ] || { umask 077; head -c 24 /dev/urandom | base64 >"$data/passphrase"; }
[ -f "$data/root/root.crt" ] || build/pkictl root init --subject "CN=pkictl Dev Root CA,O=pkictl dev" \
  --validity 10y --out "$data/root" --passphrase-file "$data/passphrase"
[ -f "$data/issuing/intermediate.key" ] || build/pkictl intermediate csr --subject "CN=pkictl Dev Issuing CA,O=pkictl dev" \
  --out "$data/issuing" --passphrase-file "$data/passphrase"
[ -f "$data/issuing/intermediate.crt" ] || build/pkictl intermediate sign --root "$data/root" \
  --csr "$data/issuing/intermediate.csr" --out "$data/issuing/intermediate.crt" --validity 5y --passphrase-file "$data/passphrase"
build/pkictl cert inspect "$data/issuing/intermediate.crt"
build/pkictl cert verify --chain "$data/issuing/intermediate.crt" --roots "$data/root/root.crt"
