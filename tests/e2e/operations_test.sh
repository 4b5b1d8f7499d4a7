#!/usr/bin/env bash
# Operating pkictl: install into a prefix and run the installed binary, man pages render without
# warnings, completions work in real bash, zsh and fish, the systemd unit verifies, SIGHUP reloads
# (and a bad file is refused while the server keeps serving), a second server on the same data
# directory is refused, SIGTERM stops cleanly.
source "$(dirname "$0")/lib.sh"
for tool in cmake man zsh fish; do command -v $tool >/dev/null || fail "$tool is needed (scripts/deps.sh installs it)"; done

# --- Install and run the installed binary.
P=$WORK/prefix
cmake --install "$(dirname "$PKICTL")" --prefix "$P" >"$WORK/install.log" || fail "cmake --install failed"
ok
expect_rc 0 "$P/bin/pkictl" --version
for f in share/man/man1/pkictl.1 share/man/man1/pkictl-acme.1 share/man/man5/pkictl.toml.5 \
         share/bash-completion/completions/pkictl share/zsh/vendor-completions/_pkictl \
         share/fish/vendor_completions.d/pkictl.fish lib/systemd/system/pkictl.service; do
  [ -f "$P/$f" ] || fail "not installed: $f"
done
ok
for page in "$P"/share/man/man1/*.1 "$P"/share/man/man5/*.5; do
  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$WORK/manwarn" || fail "man cannot render $page"
  [ ! -s "$WORK/manwarn" ] || { cat "$WORK/manwarn"; fail "man warnings in $page"; }
done
ok
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$P/lib/systemd/system/pkictl.service" >"$WORK/unit.log" 2>&1 || true
  # Only the unit's own statements count (the build machine has no /etc/pkictl or systemd running).
  ! grep -E 'pkictl.service:[0-9]+:' "$WORK/unit.log" || fail "systemd-analyze objects to the unit"
  ok
fi
expect_grep '^ExecStart='"$P"'/bin/pkictl serve' "$P/lib/systemd/system/pkictl.service"
expect_grep '^ProtectSystem=strict' "$P/lib/systemd/system/pkictl.service"
expect_grep '^NoNewPrivileges=yes' "$P/lib/systemd/system/pkictl.service"
expect_grep '^LimitNOFILE=' "$P/lib/systemd/system/pkictl.service"

# --- Completions, in the shells that will run them.
complete_bash() { # words... (the last one is being completed)
  bash -c 'source "$1"; shift; complete -p pkictl >/dev/null || exit 9; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pkictl; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$P/share/bash-completion/completions/pkictl" "$@"
}
complete_bash pkictl acme is >out; expect_grep '^issue$' out
complete_bash pkictl acme issue --challenge '' >out; expect_grep '^tls-alpn-01$' out
complete_bash pkictl root init --key-type ec >out; expect_grep '^ec-p384$' out
complete_bash pkictl serve --de >out; expect_grep '^--dev$' out
zsh -f -c 'autoload -U compinit && compinit -u; source "$1"; setopt ksharrays; COMP_WORDS=(pkictl acme re); COMP_CWORD=2; _pkictl; print -l -- "${COMPREPLY[@]}"' \
  _ "$P/share/zsh/vendor-completions/_pkictl" >out 2>"$WORK/zsh.err"
expect_grep '^register$' out
expect_grep '^renew$' out
fish --no-config -c "source $P/share/fish/vendor_completions.d/pkictl.fish; complete -C 'pkictl acme issue --chal'" >out
expect_grep '^--challenge' out
fish --no-config -c "source $P/share/fish/vendor_completions.d/pkictl.fish; complete -C 'pkictl cert '" >out
expect_grep '^verify' out

# --- SIGHUP reloads the allow-list; a bad file is refused and the old configuration stays.
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
add_metrics_listener pkictl.toml
start_server pkictl.toml
export PKICTL_PASSPHRASE=ops
expect_rc 0 acme register --directory "$DIRECTORY"
expect_rc 1 acme issue --identifier dns:new.reload.example --http-listen "127.0.0.1:$HTTP01_PORT" --key-out r.key --cert-out r.crt
expect_grep 'rejectedIdentifier' "$WORK/err"
sed -i 's/^allowed_identifiers = \[/allowed_identifiers = ["*.reload.example", /' pkictl.toml
kill -HUP "$SERVER_PID"
wait_for "$WORK/serve.log" '"policy reloaded"' 10
expect_rc 0 acme issue --identifier dns:new.reload.example --http-listen "127.0.0.1:$HTTP01_PORT" --key-out r.key --cert-out r.crt
echo 'allowed_identifiers = "not a list"' >>pkictl.toml
kill -HUP "$SERVER_PID"
wait_for "$WORK/serve.log" '"reload refused; the running policy stays"' 10
expect_grep 'reload refused.*pkictl.toml:[0-9]+' "$WORK/serve.log"
expect_rc 0 acme issue --identifier dns:again.reload.example --http-listen "127.0.0.1:$HTTP01_PORT" --key-out r2.key --cert-out r2.crt

# --- Observability: health on both listeners, Prometheus text on the metrics listener only, request ids.
M=http://127.0.0.1:$METRICS_PORT
curl -sf "$M/healthz" | grep -q alive || fail "/healthz"; ok
curl -sf "$M/readyz" >ready.json || fail "/readyz is not ready"
expect_grep '"ready":true' ready.json
curl -sf --cacert root/root.crt "${DIRECTORY%/acme/directory}/readyz" >/dev/null || fail "/readyz on the ACME listener"; ok
curl -s -o /dev/null -w '%{http_code}' --cacert root/root.crt "${DIRECTORY%/acme/directory}/metrics" | grep -q 404 || fail "/metrics must not be on the ACME listener"; ok
curl -sf "$M/metrics" >metrics.txt || fail "/metrics"
/usr/bin/python3 - metrics.txt <<'PY' || fail "the metrics do not parse or lack a family"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
for name in ["pkictl_http_requests", "pkictl_http_request_duration_seconds", "pkictl_acme_problems", "pkictl_nonces_issued",
             "pkictl_orders", "pkictl_certificates_issued", "pkictl_signing_duration_seconds", "pkictl_policy_denials",
             "pkictl_validations", "pkictl_validation_duration_seconds", "pkictl_store_operation_seconds",
             "pkictl_store_sync_seconds", "pkictl_store_durable_wait_seconds"]:
    assert name in fams, (name, sorted(fams))
issued = sum(s.value for s in fams["pkictl_certificates_issued"].samples if s.name.endswith("_total"))
assert issued >= 2, issued
assert any(s.labels.get("endpoint") == "/acme/order/:id/finalize" for s in fams["pkictl_http_requests"].samples)
PY
ok
rid=$(curl -s -D - -o /dev/null --cacert root/root.crt "$DIRECTORY" | sed -n 's/^X-Request-Id: *//ip' | tr -d '\r')
[ -n "$rid" ] || fail "no X-Request-Id"
expect_grep "\"request_id\":\"$rid\"" "$WORK/serve.log"

# --- One server per data directory: a second, on other ports, is refused at start (one line, the
# holder's pid), and the first keeps serving.
FIRST_PORT=$ACME_PORT; ACME_PORT=$(free_port)
write_config second.toml
ACME_PORT=$FIRST_PORT
expect_rc 1 timeout 20 "$PKICTL" serve --config second.toml
one_line_error
expect_grep "another pkictl serve is using the data directory .* is held by pid $SERVER_PID\\)" "$WORK/err"
curl -sf --cacert root/root.crt "$DIRECTORY" >/dev/null || fail "the first server stopped answering"; ok

# --- SIGTERM: a clean stop (exit 0, "stopped" logged), and a restart serves the same state.
kill -TERM "$SERVER_PID"
set +e; wait "$SERVER_PID"; rc=$?; set -e
[ "$rc" -eq 0 ] || fail "pkictl serve exited $rc on SIGTERM"; ok
expect_grep '"msg":"stopped"' "$WORK/serve.log"
finish
