#!/usr/bin/env bash
# Apache httpd's mod_md (Debian's apache2-bin: the ACME client built into Apache, C on libcurl)
# manages two domains against `pkictl serve` on its own: one by tls-alpn-01 (mod_md's preference
# once acme-tls/1 is enabled) and one restricted to http-01, both answered by Apache's own
# listeners. After a graceful restart Apache serves the certificates, judged by openssl; mod_md
# also asks for ACME Renewal Information (RFC 9773).
source "$(dirname "$0")/lib.sh"
APACHE=${PKICTL_APACHE:-/usr/sbin/apache2}
MODULES=/usr/lib/apache2/modules
[ -x "$APACHE" ] && [ -f "$MODULES/mod_md.so" ] || fail "Apache with mod_md is needed (scripts/deps.sh installs apache2-bin)"

make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port); TLS_PORT=$(free_port)
write_config pkictl.toml  # with tlsalpn01_port = TLS_PORT
start_server pkictl.toml

mkdir -p httpd/logs md
cp root/root.crt httpd/root.crt
user=""
if [ "$(id -u)" -eq 0 ]; then
  # Apache refuses to serve as root: its children (mod_md's watchdog among them) run as nobody.
  user=$'User nobody\nGroup nogroup'
  chmod 755 "$WORK"
  chown -R nobody:nogroup md httpd
fi
cat >httpd/httpd.conf <<CONF
ServerRoot $WORK/httpd
ServerName localhost
PidFile $WORK/httpd/httpd.pid
ErrorLog $WORK/httpd/logs/error.log
LogLevel md:debug
Mutex file:$WORK/httpd default
DefaultRuntimeDir $WORK/httpd
Listen 127.0.0.1:$HTTP01_PORT
Listen 127.0.0.1:$TLS_PORT
LoadModule mpm_event_module $MODULES/mod_mpm_event.so
LoadModule authz_core_module $MODULES/mod_authz_core.so
LoadModule ssl_module $MODULES/mod_ssl.so
LoadModule md_module $MODULES/mod_md.so
$user
MDCertificateAuthority $DIRECTORY
MDCACertificateFile $WORK/httpd/root.crt
MDCertificateAgreement accepted
MDContactEmail ops@test.internal
MDStoreDir $WORK/md
MDPortMap 80:$HTTP01_PORT 443:$TLS_PORT
Protocols http/1.1 acme-tls/1
MDomain alpn-md.test.internal alt-alpn-md.test.internal
<MDomain http-md.test.internal>
  MDCAChallenges http-01
</MDomain>
<VirtualHost 127.0.0.1:$TLS_PORT>
  ServerName alpn-md.test.internal
  ServerAlias alt-alpn-md.test.internal
  SSLEngine on
</VirtualHost>
<VirtualHost 127.0.0.1:$TLS_PORT>
  ServerName http-md.test.internal
  SSLEngine on
</VirtualHost>
CONF
httpd() { "$APACHE" -f "$WORK/httpd/httpd.conf" -k "$1"; }
expect_rc 0 httpd start
cleanup_hooks+=("$APACHE -f $WORK/httpd/httpd.conf -k stop")
log=httpd/logs/error.log
for ((i = 0; i < 300; i++)); do
  [ "$(grep -c 'has been setup and changes will be activated' $log || true)" -ge 2 ] && break
  sleep 0.1
done
[ "$(grep -c 'has been setup and changes will be activated' $log || true)" -eq 2 ] || { grep -E 'md:(warn|error|notice)' $log; fail "mod_md did not set up both domains in 30 s"; }
ok
expect_no_grep 'md:error' $log

# A graceful restart activates the certificates; Apache serves each with its chain.
expect_rc 0 httpd graceful
served() { echo | openssl s_client -connect "127.0.0.1:$TLS_PORT" -servername "$1" -CAfile root/root.crt -verify_return_error -showcerts 2>/dev/null; }
for name in alpn-md.test.internal http-md.test.internal; do
  for ((i = 0; i < 50; i++)); do served $name | grep -q "subject=CN = $name" && break; sleep 0.1; done
  served $name >tls-$name.txt || fail "Apache's TLS for $name does not verify against the dev root"
  verify_fullchain tls-$name.txt "DNS:$name"
done
grep -qF 'DNS:alt-alpn-md.test.internal' <(openssl x509 -in tls-alpn-md.test.internal.txt -noout -ext subjectAltName) || fail "alt-alpn-md.test.internal is missing"
ok

# Each domain was validated the way it was configured; mod_md asked for renewal information.
for name in alpn-md.test.internal alt-alpn-md.test.internal; do
  expect_grep "\"identifier\":\"dns:$name\".*\"msg\":\"validation attempt\".*\"type\":\"tls-alpn-01\",\"valid\":true" serve.log
done
expect_grep '"identifier":"dns:http-md.test.internal".*"msg":"validation attempt".*"type":"http-01","valid":true' serve.log
expect_grep '"method":"GET".*"path":"/acme/renewal-info/[^"]+".*"status":200' serve.log
expect_no_grep '"status":5[0-9][0-9]' serve.log
finish
