#!/usr/bin/env bash
# Trust distribution and root rotation: every export format read back by an independent consumer
# (openssl, Java keytool, openssl rehash, PyYAML, a JSON-schema check), byte-identical re-exports,
# trust verify/diff through a rotation, bootstrap by fingerprint from a running server, and the
# root's own CRL from its ledger.
source "$(dirname "$0")/lib.sh"
command -v keytool >/dev/null || fail "keytool is needed (scripts/deps.sh installs default-jre-headless)"
make_pki
export PKICTL_PASSPHRASE='e2e passphrase'
# --- Rotation material: a new root; old and new certify each other; the issuing CA under both.
"$PKICTL" root init --subject "CN=E2E Root 2027,O=pkictl tests" --key-type ec-p256 --validity 3y --out newroot >/dev/null
expect_rc 0 "$PKICTL" root cross-sign --root root --cert newroot/root.crt --out new-by-old.crt
expect_rc 0 "$PKICTL" root cross-sign --root newroot --cert root/root.crt --out old-by-new.crt
expect_rc 0 "$PKICTL" intermediate sign --root newroot --csr issuing/intermediate.csr --out issuing/under-new.crt --validity 1y
openssl verify -CAfile root/root.crt new-by-old.crt >/dev/null || fail "the cross-certificate does not verify under the old root"; ok
expect_rc 1 "$PKICTL" root cross-sign --root root --cert root/root.crt --out self.crt
one_line_error
expect_grep 'cannot cross-sign its own key' "$WORK/err"
expect_rc 1 "$PKICTL" root revoke --root root --serial 0102
expect_grep 'signed no certificate with serial 0102' "$WORK/err"
# A leaf from the issuing key (openssl signs it: an independent issuer of the test leaf).
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key 2>/dev/null
openssl req -new -key leaf.key -subj /CN=leaf.test.internal -out leaf.csr 2>/dev/null
printf 'subjectAltName=DNS:leaf.test.internal\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA issuing/intermediate.crt -CAkey issuing/intermediate.key -passin file:pass -CAcreateserial \
  -days 7 -extfile leaf.ext -out leaf.crt 2>/dev/null
cat leaf.crt issuing/intermediate.crt >chain-old.pem
cat leaf.crt issuing/under-new.crt >chain-new.pem

# --- Exports, each read back by another tool, each byte-identical when made twice.
export_twice() { # FORMAT OUT [args...]: export twice and insist on identical output
  local f=$1 out=$2; shift 2
  expect_rc 0 "$PKICTL" trust export --format "$f" --out "$out" "$@"
  expect_rc 0 "$PKICTL" trust export --format "$f" --out "$out.again" --force "$@"
  if [ -d "$out" ]; then diff -r "$out" "$out.again" >/dev/null || fail "$f export is not deterministic"
  else cmp -s "$out" "$out.again" || fail "$f export is not deterministic"; fi
  ok
}
B=(--roots root/root.crt --roots newroot/root.crt)
export_twice pem both.pem "${B[@]}"
[ "$(grep -c 'BEGIN CERTIFICATE' both.pem)" -eq 2 ] || fail "pem bundle does not hold both roots"; ok
export_twice der old.der --roots root/root.crt
grep -q 'E2E Root' <(openssl x509 -inform DER -in old.der -noout -subject) || fail "DER export unreadable"; ok
expect_rc 1 "$PKICTL" trust export --format der --out two.der "${B[@]}"
one_line_error
export_twice p7b both.p7b "${B[@]}"
[ "$(openssl pkcs7 -inform DER -in both.p7b -print_certs | grep -c '^subject=')" -eq 2 ] || fail "p7b unreadable by openssl"; ok
export_twice p12 both.p12 "${B[@]}"
[ "$(openssl pkcs12 -in both.p12 -nokeys -passin pass:changeit 2>/dev/null | grep -c 'BEGIN CERTIFICATE')" -eq 2 ] || fail "p12 unreadable by openssl"; ok
keytool -list -keystore both.p12 -storetype PKCS12 -storepass changeit >keytool.txt 2>&1 || { cat keytool.txt; fail "keytool cannot read the truststore"; }
[ "$(grep -c trustedCertEntry keytool.txt)" -eq 2 ] || { cat keytool.txt; fail "keytool does not see two trusted certificates"; }; ok
export_twice debian cadir "${B[@]}"
[ "$(ls cadir/*.crt | wc -l)" -eq 2 ] || fail "debian export should hold two .crt files"; ok
openssl rehash cadir >/dev/null 2>&1
openssl verify -CApath cadir -untrusted issuing/intermediate.crt leaf.crt >/dev/null || fail "openssl -CApath on the debian drop-in fails"; ok
export_twice k8s cm.yaml "${B[@]}" --name corp-roots --namespace cert-manager
/usr/bin/python3 - <<'PY' || fail "the ConfigMap is not valid YAML with both roots in ca.crt"
import yaml
cm = yaml.safe_load(open("cm.yaml"))
assert cm["kind"] == "ConfigMap" and cm["metadata"] == {"name": "corp-roots", "namespace": "cert-manager"}, cm
assert cm["data"]["ca.crt"].count("BEGIN CERTIFICATE") == 2
PY
ok
export_twice spiffe bundle.json "${B[@]}"
/usr/bin/python3 - <<'PY' || fail "the SPIFFE bundle does not match the schema or the roots"
import base64, json, subprocess, jsonschema
schema = {"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array", "minItems": 1, "items": {
    "type": "object", "required": ["kty", "use", "x5c"],
    "properties": {"use": {"const": "x509-svid"}, "kty": {"enum": ["EC", "RSA", "OKP"]},
                   "x5c": {"type": "array", "minItems": 1, "maxItems": 1, "items": {"type": "string"}}}}}}}
b = json.load(open("bundle.json"))
jsonschema.validate(b, schema)
ders = sorted(base64.b64decode(k["x5c"][0]) for k in b["keys"])
want = sorted(subprocess.run(["openssl", "x509", "-in", f, "-outform", "DER"], capture_output=True).stdout for f in ["root/root.crt", "newroot/root.crt"])
assert ders == want
PY
ok

# --- Rotation with trust verify and diff: the transition bundle trusts both paths; the new one only its own.
expect_rc 0 "$PKICTL" trust export --format pem --out new.pem --roots newroot/root.crt
expect_rc 0 "$PKICTL" trust verify --bundle both.pem --cert chain-old.pem --purpose sslserver
expect_rc 0 "$PKICTL" trust verify --bundle both.pem --cert chain-new.pem --purpose sslserver
expect_rc 0 "$PKICTL" trust verify --bundle new.pem --cert chain-new.pem
expect_rc 1 "$PKICTL" trust verify --bundle new.pem --cert chain-old.pem
expect_grep 'does not verify' "$WORK/err"
cat chain-old.pem old-by-new.crt >chain-cross.pem   # old chain extended by the cross-certificate
expect_rc 0 "$PKICTL" trust verify --bundle new.pem --cert chain-cross.pem
expect_rc 0 "$PKICTL" trust diff both.pem new.pem
expect_grep '^- CN=E2E Root,O=pkictl tests' "$WORK/out"
expect_grep '^= CN=E2E Root 2027' "$WORK/out"
expect_rc 0 "$PKICTL" trust diff --json both.p12 new.pem
expect_grep '"removed"' "$WORK/out"

# --- The same rotation in one step, with the passphrases of both roots from files.
expect_rc 0 "$PKICTL" root rotate --old-root root --new-root newroot --out rotation --csr issuing/intermediate.csr \
  --old-passphrase-file pass --new-passphrase-file pass
for f in new-by-old.crt old-by-new.crt transition-roots.pem intermediate-under-new.crt; do [ -s rotation/$f ] || fail "root rotate did not write $f"; done; ok
expect_grep 'alternate_chains' "$WORK/out"
cat leaf.crt rotation/intermediate-under-new.crt >chain-rot.pem
expect_rc 0 "$PKICTL" trust verify --bundle newroot/root.crt --cert chain-rot.pem
expect_rc 0 "$PKICTL" trust verify --bundle rotation/transition-roots.pem --cert chain-old.pem

# --- Bootstrap by fingerprint from a server publishing both roots during the rotation.
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
sed -i '/^root = /a extra_roots = ["newroot/root.crt"]' pkictl.toml
start_server pkictl.toml
fp_new=$(openssl x509 -in newroot/root.crt -outform DER | sha256sum | cut -d' ' -f1)
fp_old=$(openssl x509 -in root/root.crt -noout -fingerprint -sha256 | cut -d= -f2)
expect_rc 0 "$PKICTL" trust fetch --url "$DIRECTORY" --fingerprint "$fp_old" --out fetched.pem
cmp -s <(openssl x509 -in fetched.pem -outform DER) <(openssl x509 -in root/root.crt -outform DER) || fail "fetched the wrong root"; ok
# The new root is published but the server's TLS chains to the old one: refused, nothing written.
expect_rc 1 "$PKICTL" trust fetch --url "$DIRECTORY" --fingerprint "$fp_new" --out fetched-new.pem
expect_grep 'does not chain to it' "$WORK/err"
[ ! -e fetched-new.pem ] || fail "a refused fetch left a file"; ok
expect_rc 1 "$PKICTL" trust fetch --url "$DIRECTORY" --fingerprint "$(printf '0%.0s' {1..64})" --out nope.pem
expect_grep 'refusing' "$WORK/err"

# --- The root's CRL: revoke the cross-certificate in the ledger, sign the CRL offline.
serial=$(openssl x509 -in new-by-old.crt -noout -serial | cut -d= -f2)
expect_rc 0 "$PKICTL" root revoke --root root --serial "$serial" --reason superseded
expect_rc 1 "$PKICTL" root revoke --root root --serial "$serial"
one_line_error
expect_rc 0 "$PKICTL" crl generate --root root --out root.crl.pem --next-update 7d
openssl crl -in root.crl.pem -CAfile root/root.crt -noout -text >rootcrl.txt 2>&1 || fail "openssl rejects the root CRL"
expect_grep 'verify OK' rootcrl.txt
grep -A1 'CRL Number' rootcrl.txt | grep -qx ' *1' || fail "the root's first CRL is not number 1"; ok
expect_grep "$(echo "$serial" | tr a-f A-F)" rootcrl.txt
set +e; openssl verify -crl_check -CAfile root/root.crt -CRLfile root.crl.pem new-by-old.crt >v.txt 2>&1; rc=$?; set -e
[ $rc -ne 0 ] && grep -q 'certificate revoked' v.txt || fail "openssl did not see the revoked cross-certificate"; ok
finish
