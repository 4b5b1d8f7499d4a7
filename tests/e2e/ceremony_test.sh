#!/usr/bin/env bash
# Key ceremonies: a plan is checked without keys (and refused when an input is missing or an output
# exists), dry-run prints and does nothing, run makes a root, signs an issuing CA from a CSR with
# name constraints, revokes an old intermediate and issues the root CRL, backs the root key up as
# 3-of-5 Shamir shares, and signs its transcript; verify passes, then fails when an output or the
# transcript is changed; any 3 shares recover the key (proved against the root certificate), 2 say
# they reveal nothing, a mistyped share fails its checksum.
source "$(dirname "$0")/lib.sh"
echo 'ceremony passphrase' >pass; chmod 600 pass
ceremony_inputs Ceremony
cat >plan.toml <<'TOML'
[ceremony]
name = "Test Root 2026"
operators = ["Alice (CA officer)", "Bob (witness)"]
transcript = "transcript.jsonl"
sign_with = "root"

[[step]]
action = "root_init"
subject = "CN=Ceremony Root,O=pkictl tests"
key_type = "ec-p384"
validity = "10y"
path_len = 1
out = "root"
TOML
ceremony_ca_steps >>plan.toml
cat >>plan.toml <<'TOML'

[[step]]
action = "backup_key"
root = "root"
shares = 5
threshold = 3
out = "shares"
TOML
# --- check and dry-run touch nothing.
expect_rc 0 "$PKICTL" ceremony check plan.toml
expect_grep '5 steps, ready \(Test Root 2026\)' "$WORK/out"
expect_rc 0 "$PKICTL" ceremony run --dry-run plan.toml
expect_grep 'step 2: intermediate_sign' "$WORK/out"
expect_grep 'writes .*shares/share-5.txt' "$WORK/out"
[ ! -e root ] && [ ! -e transcript.jsonl ] || fail "dry run did something"; ok
sed 's|old/intermediate.csr|old/missing.csr|' plan.toml >bad.toml
expect_rc 1 "$PKICTL" ceremony check bad.toml
expect_grep 'bad.toml:[0-9]+: step 3 \(intermediate_sign\): needs .*old/missing.csr' "$WORK/err"
sed 's|key_type = "ec-p384"|key_type = "dsa-512"|' plan.toml >bad2.toml
expect_rc 1 "$PKICTL" ceremony check bad2.toml
expect_grep 'step 1 \(root_init\)' "$WORK/err"
openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -subj /CN=weak -out weak.csr 2>/dev/null
sed 's|old/intermediate.csr|weak.csr|' plan.toml >bad4.toml
expect_rc 1 "$PKICTL" ceremony check bad4.toml
expect_grep 'step 3 \(intermediate_sign\): the intermediate cannot be made: .*1024' "$WORK/err"
printf '[ceremony]\nname = "x"\noperators = ["a"]\ntranscript = "t.jsonl"\nsign_with = "root"\n[[step]]\nroot = "root"\n' >bad5.toml
expect_rc 1 "$PKICTL" ceremony check bad5.toml
expect_grep 'bad5.toml:6: step 1.action: is required' "$WORK/err"
sed 's|threshold = 3|threshold = 7|' plan.toml >bad3.toml
expect_rc 1 "$PKICTL" ceremony check bad3.toml
expect_grep 'threshold <= shares' "$WORK/err"

# --- Run (rehearsal mode), witnesses see fingerprints.
expect_rc 0 "$PKICTL" ceremony run --yes --passphrase-file pass plan.toml
expect_grep 'root certificate SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}' "$WORK/out"
expect_grep 'transcript signed' "$WORK/out"
expect_grep 'step 2 input .*issuing/intermediate.csr  sha256 [0-9a-f]{64}' "$WORK/out"
openssl verify -CAfile root/root.crt issuing/intermediate.crt >/dev/null || fail "the issuing CA does not verify"; ok
[ "$(stat -c %a shares/share-1.txt)" = 600 ] || fail "shares must be 0600"; ok
grep -q 'BEGIN' shares/*.txt && fail "a share holds the key in the clear"; ok
# A second ceremony on the same root: revoke the old intermediate, issue the root CRL.
SERIAL=$(openssl x509 -in old/intermediate.crt -noout -serial | cut -d= -f2)
ceremony_revocation_plan plan2.toml
printf 'y\ny\n' | "$PKICTL" ceremony run --passphrase-file pass plan2.toml >run2.out 2>&1 || { cat run2.out; fail "ceremony 2"; }
grep -q 'proceed with step 2?' run2.out || fail "steps were not confirmed"; ok
grep -qi "$SERIAL" <(openssl crl -in root.crl.pem -noout -text) || fail "the CRL does not list the revoked intermediate"; ok
check_ceremony_pki
# Answering no stops the ceremony before the step: nothing is written.
cat >plan3.toml <<'TOML'
[ceremony]
name = "Refused"
operators = ["Alice"]
transcript = "transcript3.jsonl"
sign_with = "root"
[[step]]
action = "root_crl"
root = "root"
out = "root2.crl.pem"
TOML
printf 'n\n' | "$PKICTL" ceremony run --passphrase-file pass plan3.toml >run3.out 2>&1 && fail "a refused confirmation must stop"
grep -q 'stopped before step 1 at the operators. request' run3.out || { cat run3.out; fail "the refusal does not say where the ceremony stopped"; }
[ ! -e root2.crl.pem ] || fail "a refused step wrote its output"; ok
# A run over a plan whose transcript exists is refused by the check before anything happens.
expect_rc 1 "$PKICTL" ceremony run --yes --passphrase-file pass plan2.toml
expect_grep 'the transcript .*transcript2.jsonl exists already' "$WORK/err"

# --- Verify transcripts; tampering is found.
expect_rc 0 "$PKICTL" ceremony verify transcript.jsonl --root root/root.crt
expect_grep '^ok: Test Root 2026, 5 steps, signed by key [0-9a-f]{64}' "$WORK/out"
expect_rc 0 "$PKICTL" ceremony verify transcript2.jsonl --root root/root.crt
cp issuing/intermediate.crt keep.crt; echo tampered >>issuing/intermediate.crt
expect_rc 1 "$PKICTL" ceremony verify transcript.jsonl
expect_grep 'issuing/intermediate.crt changed since the ceremony' "$WORK/err"
mv keep.crt issuing/intermediate.crt
mv transcript.jsonl.sig keep.sig
expect_rc 1 "$PKICTL" ceremony verify transcript.jsonl
expect_grep 'no signature \(the ceremony did not finish\?\)' "$WORK/err"
mv keep.sig transcript.jsonl.sig
sed -i 's/Bob (witness)/Mallory (witness)/' transcript.jsonl
expect_rc 1 "$PKICTL" ceremony verify transcript.jsonl
expect_grep 'signature does not verify' "$WORK/err"
sed -i 's/Mallory (witness)/Bob (witness)/' transcript.jsonl
"$PKICTL" root init --subject "CN=Other Root" --out other --passphrase-file pass >/dev/null
expect_rc 1 "$PKICTL" ceremony verify transcript.jsonl --root other/root.crt
expect_grep 'not other/root.crt' "$WORK/err"

# --- Recovery from shares.
export PKICTL_PASSPHRASE='recovered passphrase'
expect_rc 0 "$PKICTL" ceremony recover --share shares/share-5.txt --share shares/share-2.txt --share shares/share-4.txt --root-cert root/root.crt --out rec.key
expect_grep 'a test signature verifies' "$WORK/out"
[ "$(stat -c %a rec.key)" = 600 ] && grep -q 'ENCRYPTED PRIVATE KEY' rec.key || fail "the recovered key must be encrypted and 0600"; ok
openssl pkey -in rec.key -passin env:PKICTL_PASSPHRASE -pubout | diff - <(openssl x509 -in root/root.crt -noout -pubkey) >/dev/null || fail "recovered a different key"; ok
expect_rc 1 "$PKICTL" ceremony recover --share shares/share-1.txt --share shares/share-3.txt --root-cert root/root.crt --out rec2.key
expect_grep '3 shares are needed, 2 given: fewer than the threshold reveal nothing' "$WORK/err"
one_line_error
[ ! -e rec2.key ] || fail "a failed recovery wrote a file"; ok
/usr/bin/python3 - shares/share-3.txt typo.txt <<'PY'  # one data character typed wrong (always a different one)
import sys
lines = open(sys.argv[1]).read().split("\n")
i = next(n for n, l in enumerate(lines) if l.startswith("data: "))
c = lines[i][6]
lines[i] = "data: " + ("B" if c == "A" else "A") + lines[i][7:]
open(sys.argv[2], "w").write("\n".join(lines))
PY
expect_rc 1 "$PKICTL" ceremony recover --share shares/share-1.txt --share typo.txt --share shares/share-2.txt --root-cert root/root.crt --out rec3.key
expect_grep 'fails its checksum' "$WORK/err"
expect_rc 1 "$PKICTL" ceremony recover --share shares/share-1.txt --share shares/share-2.txt --share shares/share-3.txt --root-cert other/root.crt --out rec4.key
expect_grep 'not the key of CN=Other Root' "$WORK/err"
finish
