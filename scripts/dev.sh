#!/usr/bin/env bash
# The main job: install dependencies, build, and run pkictl on a ready development PKI in ./dev-pki.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec build/pkictl serve --dev --data "${PKICTL_DEV_DATA:-dev-pki}" "$@"
