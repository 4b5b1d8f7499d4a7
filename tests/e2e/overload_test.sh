#!/usr/bin/env bash
# Backpressure (server.overload_lag): a server whose I/O threads fall behind refuses new orders and
# accounts with rateLimited and a spread Retry-After, serves the orders already under way, says so
# in the log, the audit trail and the metrics, and accepts new work again once it has caught up.
source "$(dirname "$0")/lib.sh"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)
write_config pkictl.toml
sed -i '/^\[server\]/a overload_lag = "1s"' pkictl.toml
add_metrics_listener pkictl.toml
start_server pkictl.toml
PYTHONPATH=$HERE timeout 120 /usr/bin/python3 "$HERE/overload.py" "$DIRECTORY" "$WORK/root/root.crt" "$HTTP01_PORT" "$SERVER_PID" ||
  fail "overload checks failed (server log: $WORK/serve.log)"
ok
expect_grep '"level":"warn".*"msg":"overloaded: new orders and accounts are refused' serve.log
expect_grep '"msg":"caught up: new orders and accounts are accepted again"' serve.log
expect_grep '"path":"/acme/new-order","problem":"rateLimited".*"status":429' serve.log
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >metrics.txt || fail "no metrics"
expect_grep '^pkictl_overload_refusals_total\{resource="new-order"\} [1-9]' metrics.txt
expect_grep '^pkictl_overload_refusals_total\{resource="new-account"\} 1$' metrics.txt
expect_grep '^pkictl_http_loop_lag_seconds ' metrics.txt
[ "$(sqlite3 data/pkictl.db "SELECT group_concat(type, ',') FROM (SELECT type FROM audit_events WHERE type LIKE 'server.shedding%' ORDER BY seq)")" = \
  "server.shedding_started,server.shedding_ended" ] || fail "the audit trail does not record the shedding's start and end"
ok
stop_server
finish
