#!/usr/bin/env bash
# Installs everything pkictl needs to build, run and test, from Debian 12 packages.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
pkgs=(build-essential cmake ninja-build ccache pkg-config git openssl ca-certificates
      libssl-dev libcli11-dev libtomlplusplus-dev libsqlitecpp-dev libsqlite3-dev
      libcurl4-openssl-dev libc-ares-dev libidn2-dev libgfshare-dev libp11-dev libp11-kit-dev softhsm2 libjemalloc-dev libboost-dev libboost-system-dev libgtest-dev nlohmann-json3-dev
      sqlite3 curl certbot lego pebble uacme zsh fish man-db systemd
      python3-jsonschema python3-yaml python3-prometheus-client default-jre-headless)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
