#!/usr/bin/env bash
# dns-01, tls-alpn-01, IP identifiers, wildcards, dns-account-01 and dns-persist-01 against a real
# DNS server on loopback (pebble-challtestsrv), with real clients where Debian has them: lego
# (exec DNS provider, --tls), certbot (manual DNS hooks), uacme (IPv4 and IPv6 identifiers).
source "$(dirname "$0")/lib.sh"
for tool in lego certbot uacme pebble-challtestsrv; do command -v $tool >/dev/null || fail "$tool is needed (scripts/deps.sh installs it)"; done

make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port); TLS_PORT=$(free_port)
write_config pkictl.toml
cat >>pkictl.toml <<TOML
retries = 1
retry_backoff = "1s"
issuer_domain_names = ["ca.test.internal"]
TOML
start_server pkictl.toml
export LEGO_CA_CERTIFICATES=$WORK/root/root.crt REQUESTS_CA_BUNDLE=$WORK/root/root.crt

# --- lego dns-01 through its exec provider, a wildcard among the names.
cat >lego-dns-hook <<SH
#!/bin/sh
# lego exec provider: present|cleanup FQDN VALUE
case "\$1" in
  present) curl -sf -X POST -d "{\"host\":\"\$2\",\"value\":\"\$3\"}" $DNS_MGMT/set-txt ;;
  cleanup) curl -sf -X POST -d "{\"host\":\"\$2\"}" $DNS_MGMT/clear-txt ;;
esac
SH
chmod +x lego-dns-hook
lego_run() { timeout 120 lego --server "$DIRECTORY" --accept-tos --email ops@test.internal --path lego "$@"; }
export EXEC_PATH=./lego-dns-hook EXEC_PROPAGATION_TIMEOUT=20 EXEC_POLLING_INTERVAL=1 EXEC_SEQUENCE_INTERVAL=1
expect_rc 0 lego_run --dns exec --dns.resolvers "127.0.0.1:$DNS_PORT" --dns.disable-cp \
  --domains dns.test.internal --domains '*.wild.test.internal' run
verify_chain lego/certificates/dns.test.internal.crt lego/certificates/dns.test.internal.issuer.crt 'DNS:*.wild.test.internal'
expect_grep '"type":"dns-01".*"valid":true' "$WORK/serve.log"

# --- lego tls-alpn-01.
expect_rc 0 lego_run --tls --tls.port "127.0.0.1:$TLS_PORT" --domains tls.test.internal run
verify_chain lego/certificates/tls.test.internal.crt lego/certificates/tls.test.internal.issuer.crt DNS:tls.test.internal
expect_grep '"type":"tls-alpn-01".*"valid":true' "$WORK/serve.log"

# --- certbot dns-01 with manual hooks.
cat >certbot-auth <<SH
#!/bin/sh
curl -sf -X POST -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\",\"value\":\"\$CERTBOT_VALIDATION\"}" $DNS_MGMT/set-txt
SH
cat >certbot-cleanup <<SH
#!/bin/sh
curl -sf -X POST -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\"}" $DNS_MGMT/clear-txt
SH
chmod +x certbot-auth certbot-cleanup
expect_rc 0 timeout 120 certbot certonly --manual --preferred-challenges dns --manual-auth-hook ./certbot-auth \
  --manual-cleanup-hook ./certbot-cleanup -d cbdns.test.internal -d '*.cbwild.test.internal' --server "$DIRECTORY" \
  --config-dir cb/config --work-dir cb/work --logs-dir cb/logs -n --agree-tos -m ops@test.internal --no-eff-email
verify_chain cb/config/live/cbdns.test.internal/cert.pem cb/config/live/cbdns.test.internal/chain.pem 'DNS:*.cbwild.test.internal'

# --- A second server: plain HTTP (as behind a TLS-terminating proxy), two DNS servers that must
# agree (require_all). uacme (GnuTLS, system trust only) uses it for IPv4 and IPv6 identifiers.
MGMT_1=$DNS_MGMT; DNS_1=$DNS_PORT
start_dns dns2.log
MGMT_2=$DNS_MGMT; DNS_2=$DNS_PORT; DNS_MGMT=$MGMT_1
PLAIN_PORT=$(free_port); WEB_PORT=$(free_port)
sed -e "s/^listen = .*/listen = [\"127.0.0.1:$PLAIN_PORT\"]/" -e "s|^external_url = .*|external_url = \"http://127.0.0.1:$PLAIN_PORT\"\nplain_http = true|" \
    -e 's/^data_dir = .*/data_dir = "data2"/' -e "s/^http01_port = .*/http01_port = $WEB_PORT/" \
    -e "s/^resolvers = .*/resolvers = [\"127.0.0.1:$DNS_1\", \"127.0.0.1:$DNS_2\"]\nrequire_all = true/" pkictl.toml >plain.toml
"$PKICTL" serve --config plain.toml >"$WORK/plain.out" 2>>"$WORK/plain.log" &
cleanup_hooks+=("kill $! 2>/dev/null")
wait_for "$WORK/plain.out" '^ACME directory: ' 20
PLAIN=$(sed -n 's/^ACME directory: //p' "$WORK/plain.out")
mkdir -p webroot/.well-known/acme-challenge
/usr/bin/python3 -m http.server --bind :: --directory webroot "$WEB_PORT" >"$WORK/web.log" 2>&1 &
cleanup_hooks+=("kill $!")
wait_for "$WORK/web.log" 'Serving HTTP' 10
cat >uacme-hook <<SH
#!/bin/sh
# uacme hook: METHOD TYPE IDENT TOKEN AUTH; only http-01 is accepted.
[ "\$2" = http-01 ] || exit 1
case "\$1" in
  begin) printf '%s' "\$5" >"$WORK/webroot/.well-known/acme-challenge/\$4" ;;
  *) rm -f "$WORK/webroot/.well-known/acme-challenge/\$4" ;;
esac
SH
chmod +x uacme-hook
expect_rc 0 timeout 60 uacme -y -c uacme -a "$PLAIN" new ops@test.internal
expect_rc 0 timeout 120 uacme -y -c uacme -a "$PLAIN" -h ./uacme-hook issue 127.0.0.1 ::1
openssl x509 -in uacme/127.0.0.1/cert.pem -noout -ext subjectAltName >san.txt
expect_grep 'IP Address:127.0.0.1' san.txt
expect_grep 'IP Address:0:0:0:0:0:0:0:1' san.txt

# --- What no Debian client speaks, and every negative path.
timeout 300 /usr/bin/python3 "$HERE/challenges.py" "$DIRECTORY" "$WORK/root/root.crt" "$MGMT_1" "$TLS_PORT" "$PLAIN" "$MGMT_2" \
  || fail "challenge checks failed (server log: $WORK/serve.log)"
ok
expect_grep '"validation retry scheduled"' "$WORK/serve.log"

# --- A validation interrupted by a stop is resumed at the next start (never stuck "processing").
stop_server
cid=$(sqlite3 data/pkictl.db "SELECT c.id FROM challenges c JOIN authzs a ON a.id = c.authz_id
  WHERE c.type = 'http-01' AND c.status = 'pending' AND a.status = 'pending' LIMIT 1")
[ -n "$cid" ] || fail "no pending challenge left to interrupt"
sqlite3 data/pkictl.db "UPDATE challenges SET status = 'processing' WHERE id = '$cid'"
start_server pkictl.toml
wait_for "$WORK/serve.log" '"interrupted validations resumed"' 10
for _ in $(seq 50); do
  [ "$(sqlite3 data/pkictl.db "SELECT status FROM challenges WHERE id = '$cid'")" != processing ] && break
  sleep 0.2
done
[ "$(sqlite3 data/pkictl.db "SELECT status FROM challenges WHERE id = '$cid'")" != processing ] || fail "the interrupted validation was not resumed"
ok
finish
