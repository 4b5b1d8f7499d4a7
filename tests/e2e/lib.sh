# Shared helpers for the end-to-end tests: a temp dir, assertions that say what failed.
set -euo pipefail
: "${PKICTL:?PKICTL must point at the pkictl binary}"
WORK=$(mktemp -d /tmp/pkictl-e2e-XXXXXX)
cleanup_hooks=()
on_exit() {
  local rc=$?
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
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
