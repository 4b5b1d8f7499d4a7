#!/usr/bin/env bash
# Caddy (Debian's caddy 2.6, whose ACME client is acmez, not x/crypto/acme) serving HTTPS with
# certificates it obtains from `pkictl serve` on its own, all at once: a name by
# http-01 only, a name and an IPv4 and an IPv6 address by tls-alpn-01 only (each answered by
# Caddy's own listeners; Caddy 2.6 names an address as a dNSName in its challenge certificate,
# tolerated). acmez fetches every Link rel="up" of a chain with POST-as-GET and appends it to the
# chain; a chain that already holds its issuer must therefore name none. Judged by openssl and curl.
source "$(dirname "$0")/lib.sh"
# scripts/deps.sh unpacks the package into the cache instead of installing it: installing starts a
# caddy service on port 80.
CADDY_DIR=$TEST_CACHE/caddy
CADDY=${PKICTL_CADDY:-$CADDY_DIR/usr/bin/caddy}
[ -x "$CADDY" ] || CADDY=$(command -v caddy) || fail "caddy is needed (scripts/deps.sh unpacks Debian's caddy package into $CADDY_DIR)"

make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port); TLS_PORT=$(free_port)
write_config pkictl.toml  # with tlsalpn01_port = TLS_PORT
start_server pkictl.toml

issuer() {  # a site's ACME issuer: pkictl, with one challenge type switched off (or none)
  printf 'tls {\n\t\tissuer acme {\n\t\t\tdir %s\n\t\t\ttrusted_roots %s\n\t\t\temail ops@example.org\n\t\t\t%s\n\t\t}\n\t}\n' \
    "$DIRECTORY" "$WORK/root/root.crt" "$1"
}
cat >Caddyfile <<CF
{
	admin off
	http_port $HTTP01_PORT
	https_port $TLS_PORT
	skip_install_trust
	storage file_system $WORK/caddy
	default_sni http.test.internal
}
http.test.internal {
	$(issuer disable_tlsalpn_challenge)
	respond "by http-01"
}
alpn.test.internal {
	$(issuer disable_http_challenge)
	respond "by tls-alpn-01"
}
127.0.0.1 {
	$(issuer disable_http_challenge)
	respond "by ip"
}
[::1] {
	$(issuer disable_http_challenge)
	respond "by ipv6"
}
CF
# Caddy keeps its state under HOME/XDG dirs: all of it in the work dir.
HOME=$WORK XDG_DATA_HOME=$WORK/xdg XDG_CONFIG_HOME=$WORK/xdg timeout 120 "$CADDY" run --config Caddyfile --adapter caddyfile >caddy.log 2>&1 &
cleanup_hooks+=("kill $! 2>/dev/null")
certs=$WORK/caddy/certificates
for ((i = 0; i < 300; i++)); do
  [ "$(grep -c 'certificate obtained successfully' caddy.log || true)" -ge 4 ] && break
  grep -q '"level":"error"' caddy.log && break
  sleep 0.1
done
expect_no_grep '"level":"error"' caddy.log
[ "$(grep -c 'certificate obtained successfully' caddy.log || true)" -eq 4 ] || { cat caddy.log; fail "caddy did not obtain its 4 certificates in 30 s"; }
ok

for name in http.test.internal alpn.test.internal 127.0.0.1 ::1; do
  crt=$(find "$certs" -name "${name//:/-}.crt" | head -1)  # Caddy stores ::1 as --1
  [ -n "$crt" ] || fail "caddy stored no certificate for $name"
  # The stored chain is the leaf and its issuer, once each (no rel="up" appended a second copy).
  [ "$(grep -c 'BEGIN CERTIFICATE' "$crt")" -eq 2 ] || { cat "$crt"; fail "the chain caddy stored for $name is not leaf + intermediate"; }
  case $name in
    *.test.internal) verify_fullchain "$crt" "DNS:$name" ;;
    127.0.0.1) verify_fullchain "$crt" "IP Address:127.0.0.1" ;;
    ::1) verify_fullchain "$crt" "IP Address:0:0:0:0:0:0:0:1" ;;
  esac
done

# Caddy serves them: curl trusts only the dev root.
expect_https() {  # HOST BODY: a name resolves to 127.0.0.1, an address is used as it is
  local resolve=() got
  [[ $1 == *.test.internal ]] && resolve=(--resolve "$1:$TLS_PORT:127.0.0.1")
  got=$(curl -sS -g --max-time 10 --cacert root/root.crt "${resolve[@]}" "https://$1:$TLS_PORT/") || fail "https://$1 through caddy failed"
  [ "$got" = "$2" ] || fail "https://$1 answered '$got', not '$2'"
  ok
}
expect_https http.test.internal "by http-01"
expect_https alpn.test.internal "by tls-alpn-01"
expect_https 127.0.0.1 "by ip"
expect_https "[::1]" "by ipv6"
# The server validated each name the way Caddy was told to (each issuer block registers an account
# of its own, all four at once).
expect_grep '"identifier":"dns:http.test.internal".*"msg":"validation attempt".*"type":"http-01","valid":true' serve.log
expect_grep '"identifier":"dns:alpn.test.internal".*"msg":"validation attempt".*"type":"tls-alpn-01","valid":true' serve.log
for ip in 127.0.0.1 ::1; do
  expect_grep "\"identifier\":\"ip:$ip\".*\"msg\":\"validation attempt\".*\"type\":\"tls-alpn-01\",\"valid\":true" serve.log
done
[ "$(grep -c '"msg":"account created"' serve.log)" -eq 4 ] || fail "caddy did not register 4 accounts"
ok
expect_no_grep '"status":(4|5)[0-9][0-9].*"path":"/ca/' serve.log
finish
