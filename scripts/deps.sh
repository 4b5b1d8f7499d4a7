#!/usr/bin/env bash
# Installs everything pkictl needs to build, run and test, from Debian 12 packages.
# Idempotent: packages already present are not fetched again. Recommends are not installed, so a
# package a test needs only through a Recommends (lacme-accountd and its RSA module for lacme, LWP's
# https for lacme) is listed itself.
set -euo pipefail
pkgs=(build-essential cmake ninja-build ccache pkg-config git openssl ca-certificates
      libssl-dev libcli11-dev libtomlplusplus-dev libsqlitecpp-dev libsqlite3-dev
      libcurl4-openssl-dev libc-ares-dev libidn2-dev libgfshare-dev libp11-dev libp11-kit-dev softhsm2 libjemalloc-dev libboost-dev libboost-system-dev libgtest-dev nlohmann-json3-dev
      sqlite3 curl certbot lego pebble uacme dehydrated acme-tiny ruby-acme-client acmetool lacme lacme-accountd libcrypt-openssl-rsa-perl liblwp-protocol-https-perl apache2-bin nodejs golang-go golang-golang-x-crypto-dev zsh fish man-db systemd
      python3-jsonschema python3-yaml python3-prometheus-client default-jre-headless)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/pkictl-tests  # what the tests need outside the checkout
missing=()
# npm comes with some nodejs builds (NodeSource's); Debian's nodejs needs the npm package.
command -v npm >/dev/null || pkgs+=(npm)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The npm ACME clients of the end-to-end tests, exactly as tests/e2e/node/package-lock.json pins
# them, outside the checkout; installed again only when the lock changes.
root=$(cd "$(dirname "$0")/.." && pwd)
node_dir=$cache/node
if ! cmp -s "$root/tests/e2e/node/package-lock.json" "$node_dir/package-lock.json" || [ ! -d "$node_dir/node_modules" ]; then
  echo "deps: installing the npm test clients into $node_dir" >&2
  mkdir -p "$node_dir"
  cp "$root/tests/e2e/node/package.json" "$root/tests/e2e/node/package-lock.json" "$node_dir/"
  npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error >/dev/null
fi

# Caddy for tests/e2e/caddy_test.sh: Debian's package unpacked, not installed (installing it starts
# a caddy service on port 80). Unpacked again only when the archive has another version.
caddy_dir=$cache/caddy
caddy_candidate() { apt-cache policy caddy 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '^(none)$' || true; }
caddy_want=$(caddy_candidate)
if [ ! -x "$caddy_dir/usr/bin/caddy" ] || { [ -n "$caddy_want" ] && [ "$caddy_want" != "$(cat "$caddy_dir/version" 2>/dev/null)" ]; }; then
  [ -n "$caddy_want" ] || { $SUDO apt-get update -qq; caddy_want=$(caddy_candidate); }
  echo "deps: unpacking caddy $caddy_want into $caddy_dir" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT  # also when a step fails
  (cd "$tmp" && apt-get -o APT::Sandbox::User=root download -qq "caddy=$caddy_want" >/dev/null)  # no _apt sandbox: it cannot write to $tmp
  rm -rf "$caddy_dir" && mkdir -p "$caddy_dir"
  dpkg-deb -x "$tmp"/caddy_*.deb "$caddy_dir"
  echo "$caddy_want" >"$caddy_dir/version"
fi
