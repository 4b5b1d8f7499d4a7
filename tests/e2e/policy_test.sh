#!/usr/bin/env bash
# Issuance policy end to end: `pkictl policy lint` as a CI gate (text, JSON, SARIF, exit codes),
# `pkictl policy test` traces; a server with two EAB bindings whose name spaces are disjoint: lego
# obtains what its binding allows and is refused the other team's names with the rule named; a
# clientAuth-only profile chosen through newOrder's "profile" passes `openssl verify -purpose
# sslclient` and fails sslserver; a server refuses to start with a policy that has errors; SIGHUP
# with a broken policy keeps the running one, with a fixed one applies it.
source "$(dirname "$0")/lib.sh"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
sed -i 's/^allowed_identifiers = .*$/policy = "policy.toml"\nexternal_account_required = true/' pkictl.toml
cat >policy.toml <<'TOML'
# Two teams, disjoint name spaces.
[profiles.server]
description = "TLS server certificates"
ext_key_usage = ["serverAuth"]
default_lifetime = "24h"
max_lifetime = "7d"

[profiles.client]
description = "mTLS client certificates"
ext_key_usage = ["clientAuth"]
max_lifetime = "12h"
keep_cn = false
policy_oids = ["1.3.6.1.4.1.55555.1.2"]

[bindings.payments]
allow = ["dns:*.payments.test.internal", "ip:127.0.0.1"]
deny = ["dns:admin.payments.test.internal"]
profiles = ["server", "client"]
default_profile = "server"
challenges = ["http-01"]

[bindings.search]
allow = ["dns:*.search.test.internal"]
profiles = ["server"]

[bindings.lab]
allow = ["dns:*.lab.test.internal"]
profiles = ["server"]

# Named ACME endpoints: an open one for lab devices, an EAB-only one for the teams.
[directories.lab]
description = "lab devices"
bindings = ["lab"]
default_binding = "lab"

[directories.prod]
bindings = ["payments", "search"]
external_account_required = true
TOML

# --- Lint: clean, warnings, errors; the exit codes a CI gate needs.
expect_rc 0 "$PKICTL" policy lint policy.toml --config pkictl.toml
expect_grep '0 error\(s\), 0 warning\(s\)' "$WORK/err"
cat >warn.toml <<'TOML'
[profiles.both]
ext_key_usage = ["serverAuth", "clientAuth"]
[bindings.a]
allow = ["dns:*"]
TOML
expect_rc 0 "$PKICTL" policy lint warn.toml
expect_grep '^warn.toml:2: warning\[mixed-eku\]: .*\(fix: ' "$WORK/out"
expect_grep '^warn.toml:4: warning\[broad-pattern\]' "$WORK/out"
expect_rc 1 "$PKICTL" policy lint --strict warn.toml
cat >bad.toml <<'TOML'
[profiles.p]
ext_key_usage = ["serverAuth"]
max_lifetime = "400d"
[bindings.a]
allow = ["dns:a*.corp"]
profiles = ["q"]
TOML
expect_rc 2 "$PKICTL" policy lint bad.toml --config pkictl.toml
expect_grep '^bad.toml:3: error\[lifetime-exceeds-ca\]' "$WORK/out"
expect_grep '^bad.toml:5: error\[bad-pattern\]' "$WORK/out"
expect_grep 'error\[unknown-profile\]' "$WORK/out"
expect_rc 2 "$PKICTL" policy lint --format sarif bad.toml
/usr/bin/python3 - "$WORK/out" <<'PY' || fail "SARIF output is wrong"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == "2.1.0"
res = s["runs"][0]["results"]
assert {r["ruleId"] for r in res} >= {"bad-pattern", "unknown-profile"}, res
assert all(r["level"] in ("error", "warning") for r in res)
assert any(r["locations"][0]["physicalLocation"]["region"]["startLine"] == 5 for r in res)
PY
ok
expect_rc 2 "$PKICTL" policy lint --format json bad.toml
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d and all(x["severity"] in ("error","warning") for x in d)' "$WORK/out" || fail "JSON lint output"
ok

# --- Dry-run decisions with the trace.
expect_rc 0 "$PKICTL" policy test --policy policy.toml --binding payments --identifier dns:api.payments.test.internal
expect_grep '^allow dns:api.payments.test.internal .*policy.toml:16 bindings.payments.allow' "$WORK/out"
expect_rc 1 "$PKICTL" policy test --policy policy.toml --binding payments --identifier dns:admin.payments.test.internal
expect_grep 'deny .*bindings.payments.deny' "$WORK/out"
expect_grep 'denies win over allows' "$WORK/out"
expect_rc 1 "$PKICTL" policy test --policy policy.toml --binding search --profile client --identifier dns:a.search.test.internal --json
expect_grep '"profile_refused": "binding search may not use profile' "$WORK/out"

# --- A server refuses a policy with errors, with the file and line.
cp pkictl.toml bad-server.toml
sed -i 's/^policy = .*/policy = "bad.toml"/' bad-server.toml
expect_rc 1 timeout 20 "$PKICTL" serve --config bad-server.toml
expect_grep 'policy does not lint clean.*bad.toml:5' "$WORK/err"

# --- Two teams through lego with EAB.
start_server pkictl.toml
export LEGO_CA_CERTIFICATES=$WORK/root/root.crt PKICTL_PASSPHRASE=client
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
curl -sf --cacert root/root.crt "$DIRECTORY" >dir.json || fail "directory"
/usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["meta"]["profiles"]; assert p=={"client":"mTLS client certificates","server":"TLS server certificates"}, p' dir.json \
  || fail "meta.profiles"; ok
expect_rc 1 "$PKICTL" eab create --config pkictl.toml --binding payment --json
expect_grep 'binding payment is not a binding of .*policy.toml \(it has: lab, payments, search\)' "$WORK/err"
one_line_error
expect_rc 0 "$PKICTL" eab create --config pkictl.toml --binding payments --json; cp "$WORK/out" pay.json
expect_rc 0 "$PKICTL" eab create --config pkictl.toml --binding search --json; cp "$WORK/out" search.json
expect_rc 0 lego_run --path pay --eab --kid "$(field pay.json kid)" --hmac="$(field pay.json hmac_key)" --domains api.payments.test.internal run
verify_chain pay/certificates/api.payments.test.internal.crt pay/certificates/api.payments.test.internal.issuer.crt DNS:api.payments.test.internal
grep -q 'TLS Web Server Authentication' <(openssl x509 -in pay/certificates/api.payments.test.internal.crt -noout -ext extendedKeyUsage) || fail "server EKU"
grep -q 'Client' <(openssl x509 -in pay/certificates/api.payments.test.internal.crt -noout -ext extendedKeyUsage) && fail "the server profile must not carry clientAuth"
ok
expect_rc 1 lego_run --path pay --eab --kid "$(field pay.json kid)" --hmac="$(field pay.json hmac_key)" --domains web.search.test.internal run
expect_grep 'rejectedIdentifier' "$WORK/err"
expect_grep 'refused for binding payments by no allow of binding payments covers dns:web.search.test.internal' "$WORK/err"
expect_rc 1 lego_run --path pay --eab --kid "$(field pay.json kid)" --hmac="$(field pay.json hmac_key)" --domains admin.payments.test.internal run
expect_grep 'policy.toml:17 bindings.payments.deny' "$WORK/err"
expect_rc 0 lego_run --path search --eab --kid "$(field search.json kid)" --hmac="$(field search.json hmac_key)" --domains web.search.test.internal run
expect_rc 1 lego_run --path search --eab --kid "$(field search.json kid)" --hmac="$(field search.json hmac_key)" --domains pay.payments.test.internal run
expect_grep 'refused for binding search' "$WORK/err"

# --- A clientAuth-only profile through pkictl's own client (newOrder "profile").
printf '%s\n' "$(field pay.json hmac_key)" >pay.hmac
expect_rc 0 "$PKICTL" eab create --config pkictl.toml --binding payments --json; cp "$WORK/out" pay2.json
printf '%s\n' "$(field pay2.json hmac_key)" >pay2.hmac
expect_rc 0 acme register --directory "$DIRECTORY" --eab-kid "$(field pay2.json kid)" --eab-hmac-key-file pay2.hmac
expect_rc 0 acme issue --identifier dns:worker.payments.test.internal --profile client --http-listen "127.0.0.1:$HTTP01_PORT" \
  --key-out c.key --cert-out c.crt --chain-out c.chain
openssl verify -CAfile root/root.crt -untrusted c.chain -purpose sslclient c.crt >/dev/null || fail "the client certificate is not valid for sslclient"; ok
openssl verify -CAfile root/root.crt -untrusted c.chain -purpose sslserver c.crt >/dev/null 2>&1 && fail "a clientAuth-only certificate verified for sslserver"; ok
grep -q 'CN' <(openssl x509 -in c.crt -noout -subject) && fail "keep_cn = false must leave the subject empty"; ok
grep -q '1.3.6.1.4.1.55555.1.2' <(openssl x509 -in c.crt -noout -text) || fail "the profile's policy OID is missing"; ok
life=$(( $(date -d "$(openssl x509 -in c.crt -noout -enddate | cut -d= -f2)" +%s) - $(date -d "$(openssl x509 -in c.crt -noout -startdate | cut -d= -f2)" +%s) ))
[ "$life" -le $((12 * 3600 + 60)) ] || fail "the client profile's 12h maximum was not applied ($life s)"; ok
# The same lints the server ran before signing, from the command line.
expect_rc 0 "$PKICTL" cert lint c.crt --issuer issuing/intermediate.crt --policy policy.toml --binding payments --profile client
expect_grep 'c.crt: clean' "$WORK/out"
expect_rc 2 "$PKICTL" cert lint c.crt --policy policy.toml --binding search --profile server
expect_grep 'error\[eku-mismatch\]' "$WORK/out"
expect_grep 'error\[san-unauthorised\]: DNS:worker.payments.test.internal is not authorised: refused by no allow of binding search' "$WORK/out"
expect_rc 2 "$PKICTL" cert lint c.crt --issuer root/root.crt --json
/usr/bin/python3 -c 'import json,sys; ids={f["id"] for f in json.load(open(sys.argv[1]))["findings"]}; assert {"issuer-name-mismatch","signature"} <= ids, ids' "$WORK/out" \
  || fail "cert lint --json against the wrong issuer"; ok
expect_rc 1 acme issue --identifier dns:w2.payments.test.internal --profile nosuch --http-listen "127.0.0.1:$HTTP01_PORT" --key-out d.key --cert-out d.crt
expect_grep 'invalidProfile' "$WORK/err"
expect_grep 'unknown profile "nosuch"' "$WORK/err"
# --- Named directories: /acme/lab/ is open (accounts get binding lab), /acme/prod/ needs EAB.
LAB=${DIRECTORY%/directory}/lab/directory; PROD=${DIRECTORY%/directory}/prod/directory
curl -sf --cacert root/root.crt "$LAB" >lab.json || fail "GET $LAB"
/usr/bin/python3 - lab.json "${DIRECTORY%/directory}" <<'PY' || fail "the lab directory is wrong"
import json, sys
d = json.load(open(sys.argv[1])); base = sys.argv[2]
assert d["newAccount"] == base + "/lab/new-account", d
assert d["newOrder"] == base + "/new-order", d
assert d["meta"]["externalAccountRequired"] is False and d["meta"]["profiles"] == {"server": "TLS server certificates"}, d
PY
ok
labrun() { DIRECTORY=$LAB lego_run "$@"; }
expect_rc 0 labrun --path lab --domains dev1.lab.test.internal run
verify_chain lab/certificates/dev1.lab.test.internal.crt lab/certificates/dev1.lab.test.internal.issuer.crt DNS:dev1.lab.test.internal
expect_rc 1 labrun --path lab --domains api.payments.test.internal run
expect_grep 'refused for binding lab' "$WORK/err"
expect_rc 1 labrun --path lab-eab --eab --kid "$(field pay.json kid)" --hmac="$(field pay.json hmac_key)" --domains x.lab.test.internal run
expect_grep 'belongs to binding payments, which directory lab does not serve' "$WORK/err"
expect_rc 1 env REQUESTS_CA_BUNDLE=$WORK/root/root.crt timeout 60 certbot register --server "$PROD" --config-dir cb/config --work-dir cb/work --logs-dir cb/logs -n --agree-tos \
  -m ops@test.internal --no-eff-email
expect_grep 'requires external account binding' "$WORK/err"
DIRECTORY=$PROD expect_rc 0 lego_run --path prod \
  --eab --kid "$(field search.json kid)" --hmac="$(field search.json hmac_key)" --domains db.search.test.internal run
[ "$(sqlite3 data/pkictl.db "SELECT count(*) FROM accounts WHERE binding='lab'")" = 1 ] || fail "the lab account is not bound to lab"; ok

# Binding-limited challenge types: payments may use http-01 only, so nothing else is offered.
expect_rc 1 acme issue --identifier dns:dns.payments.test.internal --challenge dns-01 --dns-hook true --key-out e.key --cert-out e.crt
expect_grep 'does not offer dns-01 for it \(offered: http-01\)' "$WORK/err"

# --- SIGHUP: a broken policy is refused and the running one stays; a fixed one applies.
cp policy.toml policy.good
echo 'allow = "not a list"' >>policy.toml
kill -HUP "$SERVER_PID"
wait_for "$WORK/serve.log" '"reload refused; the running policy stays"' 10
expect_grep 'reload refused.*policy.toml:[0-9]+' "$WORK/serve.log"
expect_rc 0 acme issue --identifier dns:still.payments.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out s.key --cert-out s.crt
sed 's|^deny = .*|deny = ["dns:admin.payments.test.internal", "dns:gone.payments.test.internal"]|' policy.good >policy.toml
kill -HUP "$SERVER_PID"
wait_for "$WORK/serve.log" '"policy reloaded"' 10
expect_rc 1 acme issue --identifier dns:gone.payments.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out g.key --cert-out g.crt
expect_grep 'bindings.payments.deny' "$WORK/err"
# Denials are counted by rule and logged with the reason.
expect_grep '"policy refused"|"order refused"' "$WORK/serve.log"
finish
