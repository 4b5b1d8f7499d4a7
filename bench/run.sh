#!/usr/bin/env bash
# Starts a throw-away PKI and `pkictl serve`, then runs pkictl-bench (our own ACME client library)
# against it. Usage: bench/run.sh [N] [C]   (build first: scripts/build.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PKICTL=${PKICTL:-$root/build/pkictl}
# Flush what earlier runs left dirty first: run back to back without this, a third of the C=32
# runs had p99 outliers of 275-850 ms (the previous run's files still being written back); with
# it, none in 28 interleaved C=32 runs (max p99 212 ms).
sync
source "$root/tests/e2e/lib.sh"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
start_server pkictl.toml
"$(dirname "$PKICTL")/pkictl-bench" "$DIRECTORY" "$WORK/root/root.crt" "$HTTP01_PORT" "$SERVER_PID" "${1:-200}" "${2:-8}"
