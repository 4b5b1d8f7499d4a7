#!/usr/bin/env bash
# The one test command: install dependencies, build, run every test (unit + end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@"
