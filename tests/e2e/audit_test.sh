#!/usr/bin/env bash
# The audit trail end to end: a full ACME issuance and a policy denial are found with `pkictl audit
# query` filters (and counted in /metrics), one request id follows a client run through log and
# events; `pkictl audit verify` passes on the untouched store and names the right event after each
# kind of tampering (edit, delete, reorder, truncating the tail after a checkpoint); export and tail
# print JSON lines; a server killed mid-issuance leaves certificate rows and their events together.
source "$(dirname "$0")/lib.sh"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
add_metrics_listener pkictl.toml
printf '[audit]\ncheckpoint_interval = "1s"\n' >>pkictl.toml
start_server pkictl.toml
export PKICTL_PASSPHRASE=client
audit() { "$PKICTL" audit "$@" --config pkictl.toml; }
expect_rc 0 acme register --directory "$DIRECTORY"
expect_rc 0 acme issue --identifier dns:api.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out a.key --cert-out a.crt --chain-out a.chain
expect_rc 1 acme issue --identifier dns:api.elsewhere.example --http-listen "127.0.0.1:$HTTP01_PORT" --key-out b.key --cert-out b.crt
SERIAL=$(openssl x509 -in a.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
ACCOUNT=$(sed -n 's/.*"account":"\([^"]*\)".*"msg":"account created".*/\1/p' serve.log | head -1)
[ -n "$ACCOUNT" ] || fail "no account id in the log"

# --- Query: the issuance and the denial, by each filter.
expect_rc 0 audit query --type certificate.issued --serial "$SERIAL" --format json
/usr/bin/python3 - "$WORK/out" "$SERIAL" "$ACCOUNT" <<'PY' || fail "the issuance event is incomplete"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert len(evs) == 1, evs
e = evs[0]; d = e["details"]
assert e["serial"] == sys.argv[2] and e["account"] == sys.argv[3] and e["decision"] == "allow", e
assert e["identifiers"] == ["dns:api.test.internal"] and d["sans"] == ["DNS:api.test.internal"], e
assert d["profile"] == "default" and d["ext_key_usage"] == ["serverAuth", "clientAuth"] and d["issuer"] and d["csr_key_sha256"], d
assert d["not_before"] < d["not_after"] and e["request_id"] and e["hash"] and e["prev_hash"], e
PY
ok
# The intent recorded before signing names the exact TBS that was then signed.
expect_rc 0 audit query --type certificate.intent --serial "$SERIAL" --format json
/usr/bin/python3 - "$WORK/out" a.crt <<'PY' || fail "the issuance intent does not match the certificate's TBS"
import hashlib, json, sys
from cryptography import x509
evs = [json.loads(l) for l in open(sys.argv[1])]
assert len(evs) == 1, evs
tbs = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read()).tbs_certificate_bytes
assert evs[0]["details"]["tbs_sha256"] == hashlib.sha256(tbs).hexdigest(), evs[0]
PY
ok
expect_rc 0 audit query --decision deny --identifier 'dns:*.elsewhere.example'
expect_grep 'order.refused \[deny\].*dns:api.elsewhere.example' "$WORK/out"
expect_rc 0 audit query --decision deny --format json
expect_grep 'no allow of binding default covers dns:api.elsewhere.example' "$WORK/out"
expect_rc 0 audit query --account "$ACCOUNT" --format csv
expect_grep '^seq,time,type,decision,account,binding,identifiers,serial,request_id,details$' "$WORK/out"
for t in account.created order.created challenge.validated certificate.issued order.refused; do expect_grep ",$t," "$WORK/out"; done
expect_rc 0 audit query --since 1h --type server.started
expect_grep 'server.started' "$WORK/out"
expect_rc 1 audit query --since yesterday
expect_grep 'neither an RFC 3339 time nor a duration' "$WORK/err"
one_line_error
expect_rc 0 audit query --until 2000-01-01T00:00:00Z
[ ! -s "$WORK/out" ] || fail "--until in the past must find nothing"; ok
# One request id through the client's error, the server log and the audit event.
RID=$(/usr/bin/python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][0]["request_id"])' <(audit query --type order.refused --format json))
[ -n "$RID" ] && grep -q "\"request_id\":\"$RID\"" serve.log || fail "the refusal's request id is not in the server log"; ok
# The metrics say the same.
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >m.txt || fail "/metrics"
expect_grep '^pkictl_audit_events_total\{type="certificate.issued"\} 1$' m.txt
expect_grep '^pkictl_policy_denials_total\{rule="bindings.default.no-allow"\} 1$' m.txt
expect_grep '^pkictl_certificates_issued_total\{' m.txt

# --- Export and tail.
expect_rc 0 audit export --since 1h
/usr/bin/python3 -c 'import json,sys; ls=[json.loads(l) for l in open(sys.argv[1])]; assert ls and all("hash" in l and "seq" in l for l in ls); assert [l["seq"] for l in ls]==sorted(l["seq"] for l in ls)' "$WORK/out" \
  || fail "export is not JSON lines in order"; ok
expect_rc 0 audit tail -n 3
[ "$(wc -l <"$WORK/out")" -eq 3 ] || fail "tail -n 3"; ok
timeout 20 "$PKICTL" audit tail -f -n 0 --for 4 --format json --config pkictl.toml >tail.out &
TAIL=$!
sleep 1
expect_rc 0 acme issue --identifier dns:tail.test.internal --http-listen "127.0.0.1:$HTTP01_PORT" --key-out t.key --cert-out t.crt
wait $TAIL || fail "tail -f failed"
grep -q '"type":"certificate.issued"' tail.out || { cat tail.out; fail "tail -f did not show the new issuance"; }; ok

# --- Verify: clean, then each kind of tampering on a copy of the store.
sleep 2  # a checkpoint covers the latest events
expect_rc 0 audit verify
expect_grep '^ok: [0-9]+ events, [1-9][0-9]* signed checkpoints, head [0-9a-f]{64}$' "$WORK/out"
stop_server
N=$(sqlite3 data/pkictl.db "SELECT max(seq) FROM audit_events")
CP=$(sqlite3 data/pkictl.db "SELECT max(seq) FROM audit_checkpoints")
[ "$CP" = "$N" ] || fail "the checkpoint at stop does not cover the last event ($CP of $N)"; ok
cp -a data pristine
tamper() {  # tamper SQL WANT_EVENT WANT_TEXT
  rm -rf data; cp -a pristine data
  sqlite3 data/pkictl.db "$1"
  expect_rc 1 audit verify
  expect_grep "audit trail broken at event $2: .*$3" "$WORK/err"
  one_line_error
}
tamper "UPDATE audit_events SET body = replace(body, 'api.test.internal', 'evil.test.internal') WHERE type='certificate.issued'" \
  "$(sqlite3 pristine/pkictl.db "SELECT seq FROM audit_events WHERE type='certificate.issued' ORDER BY seq LIMIT 1")" 'edited'
tamper "UPDATE audit_events SET account_id = 'someone-else' WHERE seq = 3" 3 'searchable columns differ'
tamper "DELETE FROM audit_events WHERE seq = 4" 4 'missing'
tamper "UPDATE audit_events SET seq = -1 WHERE seq = 5; UPDATE audit_events SET seq = 5 WHERE seq = 6; UPDATE audit_events SET seq = 6 WHERE seq = -1" 5 'does not link'
tamper "DELETE FROM audit_events WHERE seq >= $((N - 1))" $((N - 1)) 'the tail was cut'
# A rewritten chain (every hash recomputed after an edit) is caught by the signed checkpoint.
rm -rf data; cp -a pristine data
/usr/bin/python3 - data/pkictl.db <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT seq, body FROM audit_events ORDER BY seq").fetchall()
prev = "0" * 64
for seq, body in rows:
    if seq == 2:
        body = body.replace('"actor":"', '"actor":"forged ')
    h = hashlib.sha256((prev + "\n" + body).encode()).hexdigest()
    db.execute("UPDATE audit_events SET body=?, prev_hash=?, hash=? WHERE seq=?", (body, prev, h, seq))
    prev = h
db.commit()
PY
expect_rc 1 audit verify
expect_grep 'broken at event [0-9]+: .*checkpoint.*rewritten' "$WORK/err"
rm -rf data; mv pristine data
expect_rc 0 audit verify
mv data/audit-key.pub.pem pub.keep
expect_rc 1 audit verify
expect_grep 'no audit public key' "$WORK/err"
expect_rc 0 audit verify --audit-key pub.keep
mv pub.keep data/audit-key.pub.pem

# --- Crash consistency: kill -9 during issuances; every certificate row has its event and vice versa.
start_server pkictl.toml
( for i in $(seq 1 40); do
    timeout 20 "$PKICTL" acme --state st --ca-bundle root/root.crt issue --identifier "dns:crash$i.test.internal" \
      --http-listen "127.0.0.1:$HTTP01_PORT" --key-out "c$i.key" --cert-out "c$i.crt" >/dev/null 2>&1 || exit 0
  done ) &
LOOP=$!
# Kill once a few issuances are stored (bounded wait), while the next one is in flight.
for _ in $(seq 1 300); do
  [ "$(sqlite3 data/pkictl.db "SELECT count(*) FROM certificates" 2>/dev/null || echo 0)" -ge 4 ] && break
  sleep 0.1
done
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
wait "$LOOP" 2>/dev/null || true
[ "$(sqlite3 data/pkictl.db "SELECT count(*) FROM certificates")" -ge 3 ] || fail "too few issuances before the kill to test anything"; ok
certs=$(sqlite3 data/pkictl.db "SELECT group_concat(serial) FROM (SELECT serial FROM certificates WHERE order_id != 'server-tls' ORDER BY serial)")
events=$(sqlite3 data/pkictl.db "SELECT group_concat(serial) FROM (SELECT serial FROM audit_events WHERE type='certificate.issued' ORDER BY serial)")
[ "$certs" = "$events" ] || fail "certificates and their audit events differ after a crash: [$certs] vs [$events]"; ok
expect_rc 0 audit verify
finish
