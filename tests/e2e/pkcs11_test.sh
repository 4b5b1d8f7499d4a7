#!/usr/bin/env bash
# Root keys in a PKCS#11 token (SoftHSM2 from Debian): `root init --key-uri` generates the key on
# the token (no root.key is ever written), and the same ceremony plan as for file keys runs against
# it — name-constrained intermediate, second intermediate, cross-sign, revocation, root CRL — with
# `openssl verify -crl_check` on the results and a transcript signed on the token. A wrong PIN, an
# unknown token, a duplicate label and a key backup of a token key are refused with the reason.
source "$(dirname "$0")/lib.sh"
command -v softhsm2-util >/dev/null || fail "softhsm2 is not installed (scripts/deps.sh installs it)"
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK" >softhsm2.conf
export SOFTHSM2_CONF=$WORK/softhsm2.conf
softhsm2-util --init-token --free --label "Ceremony Token" --pin 2468 --so-pin 13579 >/dev/null || fail "cannot make a SoftHSM2 token"
echo 2468 >pin; chmod 600 pin
echo 'issuing passphrase' >pass; chmod 600 pass
URI='pkcs11:token=Ceremony%20Token;object=root-2026'

# --- root init on the token.
expect_rc 0 "$PKICTL" root init --subject "CN=Token Root,O=pkictl tests" --key-type ec-p256 --validity 5y --out root --key-uri "$URI" --passphrase-file pin
[ ! -e root/root.key ] && [ -s root/root.key-uri ] || fail "a token root must leave root.key-uri and no root.key"; ok
grep -q 'object=root-2026' root/root.key-uri || fail "root.key-uri does not name the key"; ok
openssl verify -CAfile root/root.crt root/root.crt >/dev/null || fail "the token-signed root does not verify"; ok
# Refusals.
echo 1111 >badpin; chmod 600 badpin
expect_rc 1 "$PKICTL" root init --subject "CN=X" --out r2 --key-uri 'pkcs11:token=Ceremony%20Token;object=root-2026' --passphrase-file pin
expect_grep 'already has a key labelled "root-2026"' "$WORK/err"
expect_rc 1 "$PKICTL" root init --subject "CN=X" --out r3 --key-uri 'pkcs11:token=Nope;object=k' --passphrase-file pin
expect_grep 'no PKCS#11 token labelled "Nope"' "$WORK/err"
expect_rc 1 "$PKICTL" root init --subject "CN=X" --out r4 --key-uri 'pkcs11:token=Ceremony%20Token;object=k2' --passphrase-file badpin
expect_grep 'refused the PIN' "$WORK/err"
one_line_error
expect_rc 1 "$PKICTL" root init --subject "CN=X" --out r6 --key-uri 'pkcs11:token=Ceremony%20Token;object=k4?module-path=/nonexistent/module.so' --passphrase-file pin
expect_grep 'cannot load the PKCS#11 module /nonexistent/module.so' "$WORK/err"
expect_rc 1 "$PKICTL" root init --subject "CN=X" --out r5 --key-uri 'pkcs11:token=Ceremony%20Token;object=k3?pin-value=2468' --passphrase-file pin
expect_grep 'put no PIN in the URI' "$WORK/err"

# --- A ceremony against the token root.
ceremony_inputs Token
cat >plan.toml <<'TOML'
[ceremony]
name = "Token ceremony"
operators = ["Alice"]
transcript = "transcript.jsonl"
sign_with = "root"
TOML
ceremony_ca_steps >>plan.toml
expect_rc 0 "$PKICTL" ceremony check plan.toml
expect_rc 0 "$PKICTL" ceremony run --yes --passphrase-file pin plan.toml
ceremony_revocation_plan plan2.toml
cat >plan3.toml <<'TOML'
[ceremony]
name = "Token backup"
operators = ["Alice"]
transcript = "transcript3.jsonl"
sign_with = "root"
[[step]]
action = "backup_key"
root = "root"
shares = 3
threshold = 2
out = "shares"
TOML
expect_rc 1 "$PKICTL" ceremony run --yes --passphrase-file pin plan3.toml
expect_grep 'in a PKCS#11 token and cannot leave it' "$WORK/err"
expect_rc 0 "$PKICTL" ceremony run --yes --passphrase-file pin plan2.toml
check_ceremony_pki
expect_rc 0 "$PKICTL" ceremony verify transcript.jsonl --root root/root.crt
expect_rc 0 "$PKICTL" ceremony verify transcript2.jsonl --root root/root.crt
echo x >>next-by-root.crt
expect_rc 1 "$PKICTL" ceremony verify transcript.jsonl --root root/root.crt
expect_grep 'next-by-root.crt changed since the ceremony' "$WORK/err"
finish
