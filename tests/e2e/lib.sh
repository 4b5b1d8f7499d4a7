# Shared helpers for the end-to-end tests: a temp dir, assertions that say what failed.
set -euo pipefail
: "${PKICTL:?PKICTL must point at the pkictl binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
E2E_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/pkictl-e2e-XXXXXX)
# What scripts/deps.sh keeps outside the checkout (npm clients, caddy, Go's build cache).
TEST_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/pkictl-tests
cleanup_hooks=()
on_exit() {
  local rc=$?
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
  release_ports || true
  if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "e2e: failed; work dir kept at $WORK" >&2; fi
}
trap on_exit EXIT
cd "$WORK"
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }
# expect_rc WANT CMD...: run CMD, capture stdout/stderr in $WORK/out and $WORK/err, check the exit code.
expect_rc() {
  local want=$1; shift
  set +e; "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { echo "--- stdout"; cat "$WORK/out"; echo "--- stderr"; cat "$WORK/err"; fail "exit $rc, want $want: $*"; }
  ok
}
expect_grep() { grep -qE -- "$1" "$2" || { echo "--- $2:"; cat "$2"; fail "no match for /$1/ in $2"; }; ok; }
expect_no_grep() { ! grep -qE -- "$1" "$2" || { cat "$2"; fail "unexpected /$1/ in $2"; }; ok; }
one_line_error() {
  [ "$(wc -l <"$WORK/err")" -eq 1 ] || { cat "$WORK/err"; fail "want exactly one line on stderr"; }
  expect_grep '^pkictl: ' "$WORK/err"
}
finish() { echo "$(basename "$0"): $checks checks passed"; }
# free_port: a loopback port (TCP and UDP) reserved for this test until it exits (see free_port.py).
free_port() { /usr/bin/python3 "$E2E_LIB/free_port.py" "$$"; }
release_ports() { grep -lx "$$" /tmp/pkictl-e2e-ports/*/owner 2>/dev/null | xargs -r -n1 dirname | xargs -r rm -rf; }
# wait_for FILE REGEX SECONDS: wait until FILE has a line matching REGEX.
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "--- $1:"; cat "$1" 2>/dev/null; fail "timed out waiting for /$2/ in $1"
}
# A test PKI made with the CLI: root/, issuing/, pass.
make_pki() {
  echo 'e2e passphrase' >pass; chmod 600 pass
  "$PKICTL" root init --subject "CN=E2E Root,O=pkictl tests" --key-type ec-p256 --validity 2y --out root --passphrase-file pass >/dev/null
  "$PKICTL" intermediate csr --subject "CN=E2E Issuing CA,O=pkictl tests" --out issuing --passphrase-file pass >/dev/null
  "$PKICTL" intermediate sign --root root --csr issuing/intermediate.csr --out issuing/intermediate.crt --validity 1y \
    --passphrase-file pass >/dev/null
}
# start_dns: a DNS server on loopback answering 127.0.0.1 for every name (Debian's pebble-challtestsrv).
# DNS_MGMT is its management URL (dns_set_txt, dns_clear_txt, dns_set_cname, dns_add_a below).
# start_dns [LOG]: pass another log name to start a second, independent server.
start_dns() {
  local log=${1:-dns.log}
  DNS_PORT=$(free_port); DNS_MGMT="http://127.0.0.1:$(free_port)"
  pebble-challtestsrv -dns01 "127.0.0.1:$DNS_PORT" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "${DNS_MGMT#http://}" -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$WORK/$log" 2>&1 &
  cleanup_hooks+=("kill $!")
  wait_for "$WORK/$log" 'Starting challenge servers|DNS' 10 || true
}
dns_post() { curl -sf -X POST -d "$2" "$DNS_MGMT/$1" >/dev/null || fail "challtestsrv $1 $2 failed"; }
dns_set_txt() { dns_post set-txt "{\"host\":\"$1.\",\"value\":\"$2\"}"; }
dns_clear_txt() { dns_post clear-txt "{\"host\":\"$1.\"}"; }
dns_set_cname() { dns_post set-cname "{\"host\":\"$1.\",\"target\":\"$2.\"}"; }
dns_add_a() { dns_post add-a "{\"host\":\"$1.\",\"addresses\":[\"$2\"]}"; }
# write_config FILE: a server configuration for the test PKI. Uses ACME_PORT, HTTP01_PORT, DNS_PORT,
# and TLS_PORT (as tlsalpn01_port) when it is set.
write_config() {
  cat >"$1" <<TOML
data_dir = "data"
[server]
listen = ["127.0.0.1:$ACME_PORT"]
external_url = "https://localhost:$ACME_PORT"
tls_hostnames = ["localhost"]
[ca]
cert = "issuing/intermediate.crt"
key = "issuing/intermediate.key"
passphrase_file = "pass"
root = "root/root.crt"
default_lifetime = "48h"
max_lifetime = "30d"
[acme]
allowed_identifiers = ["*.test.internal", "ip:127.0.0.0/8", "ip:::1/128"]
[validation]
http01_port = $HTTP01_PORT
${TLS_PORT:+tlsalpn01_port = $TLS_PORT}
resolvers = ["127.0.0.1:$DNS_PORT"]
allow_private = ["127.0.0.0/8", "::1/128"]
timeout = "5s"
TOML
}
# lego and certbot against the test server, answering http-01 on HTTP01_PORT themselves (trust
# the dev root through LEGO_CA_CERTIFICATES and REQUESTS_CA_BUNDLE); lego keeps its state in
# "lego", or in DIR when the first arguments are --path DIR.
lego_run() {
  local path=lego
  if [ "${1:-}" = --path ]; then path=$2; shift 2; fi
  timeout 120 lego --server "$DIRECTORY" --accept-tos --email ops@test.internal --http --http.port "127.0.0.1:$HTTP01_PORT" --path "$path" "$@"
}
certbot_run() {
  timeout 120 certbot "$@" --server "$DIRECTORY" --config-dir cb/config --work-dir cb/work --logs-dir cb/logs -n \
    --agree-tos -m ops@test.internal --no-eff-email
}
# build_xacme: the Go x/crypto/acme driver (tests/e2e/go/xacme.go) as $WORK/xacme, from Debian's
# packaged sources in GOPATH mode (no module download); the build cache outlives the test.
build_xacme() {
  command -v go >/dev/null || fail "go is needed (scripts/deps.sh installs golang-go)"
  local gosrc=/usr/share/gocode
  [ -f "$gosrc/src/golang.org/x/crypto/acme/acme.go" ] || fail "golang.org/x/crypto/acme is needed in $gosrc (scripts/deps.sh installs golang-golang-x-crypto-dev)"
  GO111MODULE=off GOPATH=$gosrc GOFLAGS= GOCACHE=$TEST_CACHE/go-build expect_rc 0 go build -o "$WORK/xacme" "$E2E_LIB/go/xacme.go"
}
# acme ARGS…: pkictl's own ACME client against the test server, state in ACME_STATE (default
# "st"), bounded by ACME_TIMEOUT seconds (default 60).
acme() { timeout "${ACME_TIMEOUT:-60}" "$PKICTL" acme --state "${ACME_STATE:-st}" --ca-bundle root/root.crt "$@"; }

# add_metrics_listener CONFIG: a /metrics listener on a fresh port (METRICS_PORT).
add_metrics_listener() {
  METRICS_PORT=$(free_port)
  sed -i "/^tls_hostnames/a metrics_listen = [\"127.0.0.1:$METRICS_PORT\"]" "$1"
}
# start_server CONFIG: runs pkictl serve in the background until the test ends.
start_server() {
  # A restart must not find the previous server's line: the new process truncates the file only
  # once it runs, and wait_for could read the old content first.
  rm -f "$WORK/serve.out"
  "$PKICTL" serve --config "$1" >"$WORK/serve.out" 2>>"$WORK/serve.log" &
  SERVER_PID=$!
  cleanup_hooks+=("kill $SERVER_PID 2>/dev/null")
  wait_for "$WORK/serve.out" '^ACME directory: ' 20
  DIRECTORY=$(sed -n 's/^ACME directory: //p' "$WORK/serve.out")
  [ -n "$DIRECTORY" ] || fail "the server printed no directory URL"
}
# verify_chain LEAF CHAIN SAN: openssl verifies LEAF up to the test root and finds SAN in it.
verify_chain() {
  openssl verify -CAfile "$WORK/root/root.crt" -untrusted "$2" -purpose sslserver "$1" >/dev/null || fail "chain of $1 does not verify"
  grep -qF "$3" <(openssl x509 -in "$1" -noout -ext subjectAltName) || fail "$1 lacks SAN $3"
  ok
}
# verify_fullchain FILE SAN: FILE holds a leaf and, after it, its chain (a full-chain PEM, or the
# output of openssl s_client -showcerts); the leaf must verify through the chain and name SAN.
verify_fullchain() {
  openssl x509 -in "$1" -out "$1.leaf.pem" || fail "$1 holds no certificate"
  awk 'n>=1{print} /^-----END CERTIFICATE-----$/{n++}' "$1" >"$1.chain.pem"
  verify_chain "$1.leaf.pem" "$1.chain.pem" "$2"
}
# stop_server: SIGTERM, and the server must exit 0 (a crash while shutting down fails the test).
stop_server() {
  kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" 2>/dev/null || rc=$?
  [ "$rc" -eq 0 ] || fail "pkictl serve exited $rc on SIGTERM"
}
# ceremony_inputs LABEL: what the ceremony plans take as input, made with the passphrase file
# "pass": CSRs for an issuing CA (issuing/) and an old one (old/), and a second root (next/).
ceremony_inputs() {
  "$PKICTL" intermediate csr --subject "CN=$1 Issuing CA,O=pkictl tests" --out issuing --passphrase-file pass >/dev/null
  "$PKICTL" intermediate csr --subject "CN=$1 Old CA,O=pkictl tests" --out old --passphrase-file pass >/dev/null
  "$PKICTL" root init --subject "CN=Next Root,O=pkictl tests" --out next --passphrase-file pass >/dev/null
}

# ceremony_ca_steps: the [[step]]s a ceremony runs once its root (root/) exists, for file and token
# keys alike: a name-constrained issuing CA (issuing/), a second one (old/), a cross-certificate of
# next/root.crt. The CSRs and next/ must exist.
ceremony_ca_steps() {
  cat <<'TOML'

[[step]]
action = "intermediate_sign"
root = "root"
csr = "issuing/intermediate.csr"
out = "issuing/intermediate.crt"
validity = "2y"
path_len = 0
permit_dns = [".corp.internal"]

[[step]]
action = "intermediate_sign"
root = "root"
csr = "old/intermediate.csr"
out = "old/intermediate.crt"
validity = "1y"

[[step]]
action = "cross_sign"
root = "root"
subject = "next/root.crt"
out = "next-by-root.crt"
validity = "2y"
TOML
}
# ceremony_revocation_plan FILE: a second ceremony that revokes old/intermediate.crt and issues
# the root CRL (root.crl.pem); its transcript is transcript2.jsonl.
ceremony_revocation_plan() {
  cat >"$1" <<TOML
[ceremony]
name = "Revoke old issuing CA"
operators = ["Alice"]
transcript = "transcript2.jsonl"
sign_with = "root"
[[step]]
action = "revoke_intermediate"
root = "root"
serial = "$(openssl x509 -in old/intermediate.crt -noout -serial | cut -d= -f2)"
reason = "superseded"
[[step]]
action = "root_crl"
root = "root"
out = "root.crl.pem"
next_update = "30d"
TOML
}
# check_ceremony_pki: openssl's view of what those ceremonies made: CRL checking passes the live
# issuing CA (with its name constraints) and reports the revoked one; the cross-certificate chains.
check_ceremony_pki() {
  openssl verify -crl_check -CAfile root/root.crt -CRLfile root.crl.pem issuing/intermediate.crt >/dev/null || fail "the issuing CA fails -crl_check"
  grep -q 'certificate revoked' <(openssl verify -crl_check -CAfile root/root.crt -CRLfile root.crl.pem old/intermediate.crt 2>&1) \
    || fail "the revoked intermediate still verifies"
  grep -q 'DNS:.corp.internal' <(openssl x509 -in issuing/intermediate.crt -noout -ext nameConstraints) || fail "name constraints missing"
  openssl verify -CAfile root/root.crt next-by-root.crt >/dev/null || fail "the cross-certificate does not verify"
  ok
}
