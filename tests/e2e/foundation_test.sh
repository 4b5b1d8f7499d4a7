#!/usr/bin/env bash
# The offline root → issuing CA workflow, judged by the openssl command line.
source "$(dirname "$0")/lib.sh"

echo 'correct horse battery staple' >pass
chmod 600 pass

# --- CLI basics: version, help, usage errors exit 2 with one line.
expect_rc 0 "$PKICTL" --version; expect_grep '^pkictl [0-9]+\.[0-9]+\.[0-9]+' out
expect_rc 0 "$PKICTL" --help; expect_grep 'root' out
expect_rc 0 "$PKICTL" intermediate sign --help; expect_grep 'EXAMPLES' out
expect_rc 2 "$PKICTL" frobnicate; one_line_error; expect_grep "frobnicate" err
expect_rc 2 "$PKICTL" root init --subject CN=x --out r --no-such-flag; one_line_error
expect_rc 2 "$PKICTL" root init --subject CN=x --out r --key-type dsa; one_line_error; expect_grep 'key type' err
expect_rc 2 "$PKICTL" root init --subject CN=x --out r --validity 10parsecs; one_line_error
expect_rc 2 "$PKICTL" root; one_line_error

# --- Root: no passphrase source is an error that says how to give one (stdin is not a terminal).
expect_rc 1 env -u PKICTL_PASSPHRASE "$PKICTL" root init --subject "CN=Test Root" --out nopass </dev/null
one_line_error; expect_grep 'passphrase-file' err
[ ! -e nopass/root.key ] || fail "a key was written without a passphrase"; ok

expect_rc 0 "$PKICTL" root init --subject "CN=Test Root CA,O=Example" --key-type ec-p384 --validity 10y \
  --pathlen 1 --out root --passphrase-file pass
fp_printed=$(sed -n 's/^SHA-256 fingerprint: //p' out)
fp_openssl=$(openssl x509 -in root/root.crt -noout -fingerprint -sha256 | sed 's/.*=//')
[ "$fp_printed" = "$fp_openssl" ] || fail "printed fingerprint $fp_printed != openssl's $fp_openssl"; ok
[ "$(stat -c %a root/root.key)" = 600 ] || fail "root.key mode is $(stat -c %a root/root.key)"; ok
openssl x509 -in root/root.crt -noout -text >root.txt
expect_grep 'X509v3 Basic Constraints: critical' root.txt
expect_grep 'CA:TRUE, pathlen:1' root.txt
expect_grep 'X509v3 Key Usage: critical' root.txt
expect_grep 'Certificate Sign, CRL Sign' root.txt
expect_grep 'X509v3 Subject Key Identifier' root.txt
expect_grep 'Subject: O = Example, CN = Test Root CA' root.txt
openssl verify -CAfile root/root.crt root/root.crt >/dev/null || fail "root does not self-verify"; ok
# The record is JSON with the fingerprint and file hashes.
python3 - root/root.json "$(sha256sum root/root.key | cut -d' ' -f1)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["operation"] == "root init", r
assert r["files"]["root.key"]["sha256"] == sys.argv[2], r["files"]
assert r["parameters"]["key_type"] == "ec-p384"
PY
ok
# The key is encrypted: unreadable without the passphrase, readable with it.
! openssl pkey -in root/root.key -passin pass:wrong -noout 2>/dev/null || fail "key opened with a wrong passphrase"; ok
! openssl pkey -in root/root.key -passin pass: -noout 2>/dev/null || fail "key opened with an empty passphrase"; ok
openssl pkey -in root/root.key -passin file:pass -noout || fail "key does not open with its passphrase"; ok
expect_grep 'BEGIN ENCRYPTED PRIVATE KEY' root/root.key
# Existing files are never overwritten without --force.
expect_rc 1 "$PKICTL" root init --subject "CN=Other" --out root --passphrase-file pass; one_line_error; expect_grep 'already exists' err
cmp -s <(openssl x509 -in root/root.crt -noout -fingerprint -sha256 | sed 's/.*=//') <(echo "$fp_openssl") || fail "root.crt changed"; ok

# --- Issuing CA: CSR, then the root signs it with name constraints.
expect_rc 0 env PKICTL_PASSPHRASE=issuing-secret "$PKICTL" intermediate csr --subject "CN=Example Issuing CA 1,O=Example" --out iss
[ "$(stat -c %a iss/intermediate.key)" = 600 ] || fail "intermediate.key not 0600"; ok
grep -q 'verify OK' <(openssl req -in iss/intermediate.csr -noout -verify 2>&1) || fail "CSR does not verify"; ok
expect_rc 1 "$PKICTL" intermediate sign --root root --csr iss/intermediate.csr --out iss/i.crt --passphrase-file <(echo wrong)
one_line_error; expect_grep 'wrong passphrase' err
[ ! -e iss/i.crt ] || fail "certificate written despite a wrong passphrase"; ok
expect_rc 1 "$PKICTL" intermediate sign --root root --csr iss/intermediate.csr --out iss/i.crt --validity 11y --passphrase-file pass
one_line_error; expect_grep 'outlive the root' err
expect_rc 1 "$PKICTL" intermediate sign --root root --csr iss/intermediate.csr --out iss/i.crt --pathlen 1 --passphrase-file pass
one_line_error; expect_grep 'path length' err
# A CSR with a broken signature and a weak key are refused.
openssl req -in iss/intermediate.csr -outform DER -out good.der
python3 -c "import sys; d=bytearray(open('good.der','rb').read()); d[-6]^=0x41; open('bad.der','wb').write(d)"
expect_rc 1 "$PKICTL" intermediate sign --root root --csr bad.der --out iss/i.crt --passphrase-file pass; one_line_error; expect_grep 'signature' err
openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -subj /CN=weak -out weak.csr 2>/dev/null
expect_rc 1 "$PKICTL" intermediate sign --root root --csr weak.csr --out iss/i.crt --passphrase-file pass; one_line_error; expect_grep 'too weak' err

expect_rc 0 "$PKICTL" intermediate sign --root root --csr iss/intermediate.csr --out iss/intermediate.crt \
  --pathlen 0 --validity 5y --permit-dns .corp.internal --permit-ip 10.0.0.0/8 --exclude-dns secret.corp.internal \
  --passphrase-file pass
openssl verify -CAfile root/root.crt iss/intermediate.crt >/dev/null || fail "intermediate does not verify"; ok
openssl x509 -in iss/intermediate.crt -noout -text >inter.txt
expect_grep 'X509v3 Basic Constraints: critical' inter.txt
expect_grep 'CA:TRUE, pathlen:0' inter.txt
expect_grep 'X509v3 Name Constraints: critical' inter.txt
expect_grep 'DNS:.corp.internal' inter.txt
expect_grep 'IP:10.0.0.0/255.0.0.0' inter.txt
expect_grep 'Excluded:' inter.txt
expect_grep 'X509v3 Authority Key Identifier' inter.txt
[ "$(grep -c . root/ledger.jsonl)" -eq 2 ] || fail "ledger should list the root and the intermediate"; ok

# --- Name constraints are enforced: leaves signed (by openssl) under the intermediate.
leaf() { # name san
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -subj "/O=Test" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA iss/intermediate.crt -CAkey iss/intermediate.key -passin pass:issuing-secret \
    -CAcreateserial -days 1 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  cat "$1.crt" iss/intermediate.crt >"$1.chain.pem"
}
leaf inside DNS:api.corp.internal
leaf outside DNS:api.example.com
leaf excluded DNS:x.secret.corp.internal
leaf ipinside IP:10.1.2.3
leaf ipoutside IP:192.168.1.1
openssl verify -CAfile root/root.crt -untrusted iss/intermediate.crt inside.crt >/dev/null || fail "permitted leaf fails"; ok
openssl verify -CAfile root/root.crt -untrusted iss/intermediate.crt ipinside.crt >/dev/null || fail "permitted IP leaf fails"; ok
for l in outside excluded ipoutside; do
  ! openssl verify -CAfile root/root.crt -untrusted iss/intermediate.crt $l.crt >$l.verify 2>&1 || fail "$l leaf verified"
  expect_grep 'subtree violation' $l.verify
done

# --- cert verify agrees with openssl and says why it fails.
expect_rc 0 "$PKICTL" cert verify --chain inside.chain.pem --roots root/root.crt --purpose sslserver --host api.corp.internal
expect_grep '^OK: ' out
expect_rc 1 "$PKICTL" cert verify --chain outside.chain.pem --roots root/root.crt; one_line_error; expect_grep 'subtree violation' err
expect_rc 1 "$PKICTL" cert verify --chain inside.chain.pem --roots root/root.crt --host other.corp.internal; expect_grep 'mismatch' err
expect_rc 1 "$PKICTL" cert verify --chain inside.chain.pem --roots root/root.crt --at 2099-01-01T00:00:00Z; expect_grep 'expired' err
expect_rc 1 "$PKICTL" cert verify --chain inside.chain.pem --roots root/root.crt --purpose sslclient; expect_grep 'purpose' err

# --- cert inspect: text and JSON.
expect_rc 0 "$PKICTL" cert inspect iss/intermediate.crt
expect_grep 'Permitted names: +DNS:.corp.internal, IP:10.0.0.0/8 \(critical\)' out
expect_rc 0 "$PKICTL" cert inspect --json root/root.crt
python3 -c "import json,sys; j=json.load(open('out')); assert j['extensions']['basic_constraints']['critical'] is True; assert j['sha256_fingerprint']=='$fp_openssl', j"
ok
echo garbage >garbage.pem
expect_rc 1 "$PKICTL" cert inspect garbage.pem; one_line_error

# --- Killed in the middle of writing: nothing partial is left behind.
# With a file-size limit of 0 the first write(2) raises SIGXFSZ and the kernel kills pkictl mid-write.
set +e; { ( ulimit -f 0; exec "$PKICTL" root init --subject "CN=Killed" --out killed --passphrase-file pass ) >/dev/null 2>&1; } 2>/dev/null; rc=$?; set -e
[ $rc -ne 0 ] || fail "root init survived a zero file-size limit"; ok
[ -z "$(ls -A killed 2>/dev/null)" ] || { ls -la killed; fail "partial files left after the kill"; }; ok
# And a kill -9 at random points during a signing run never leaves a partial certificate.
for delay in 0.01 0.03 0.05 0.08; do
  rm -rf k9; mkdir k9
  "$PKICTL" intermediate sign --root root --csr iss/intermediate.csr --out k9/i.crt --passphrase-file pass --force >/dev/null 2>&1 &
  pid=$!; sleep $delay; kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  for f in k9/*; do
    [ -e "$f" ] || continue
    case "$f" in *.crt) openssl x509 -in "$f" -noout || fail "partial certificate $f after kill -9";; esac
  done
  ok
done
[ -z "$(find root iss k9 -name '.*tmp*')" ] || fail "temporary files left behind"; ok
finish
