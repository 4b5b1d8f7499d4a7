#!/usr/bin/env bash
# A connection flood (a retry storm, clients that open sockets and never speak) must not take the
# server down or burn its CPU: server.max_connections caps open connections (the rest wait in the
# kernel's listen queue), accept() failing for want of descriptors backs off instead of spinning,
# and the server serves again as soon as the flood ends. The automatic cap follows the descriptor
# limit, which the server raises to its hard maximum at start.
source "$(dirname "$0")/lib.sh"
make_pki
start_dns
ACME_PORT=$(free_port); HTTP01_PORT=$(free_port)

# A bad value is refused at start with the file and line.
write_config bad.toml
sed -i '/^tls_hostnames/a max_connections = -1' bad.toml
expect_rc 1 timeout 20 "$PKICTL" serve --config bad.toml
expect_grep 'bad.toml:[0-9]+: server.max_connections: must be 0 \(automatic\) or a positive number' err

# Automatic: the server raises its soft descriptor limit to the hard one and caps connections at
# that less a reserve of 256 (at most 16384). Started here with a soft limit of 512.
write_config auto.toml
hard_limit=$(ulimit -Hn)
printf '#!/bin/sh\nexec prlimit --nofile=512:%s "%s" "$@"\n' "$hard_limit" "$PKICTL" >soft512; chmod +x soft512
PKICTL=$WORK/soft512 start_server auto.toml
want=16384
[ "$hard_limit" = unlimited ] || [ $((hard_limit - 256)) -ge 16384 ] || want=$((hard_limit - 256))
expect_grep "\"max_connections\":$want[,}]" "$WORK/serve.log"
[ "$(awk '/^Max open files/{print $4}' /proc/$SERVER_PID/limits)" = "$(awk '/^Max open files/{print $5}' /proc/$SERVER_PID/limits)" ] ||
  fail "the server did not raise its soft descriptor limit: $(grep 'Max open files' /proc/$SERVER_PID/limits)"; ok
stop_server

# A cap the descriptor limit cannot hold is served, with a warning that says what to change.
write_config big.toml
sed -i '/^tls_hostnames/a max_connections = 100000000' big.toml
start_server big.toml
expect_grep '"hint":"raise LimitNOFILE or lower max_connections".*"msg":"server.max_connections leaves few file descriptors' "$WORK/serve.log"
stop_server

write_config pkictl.toml
sed -i '/^tls_hostnames/a max_connections = 20' pkictl.toml
start_server pkictl.toml
expect_grep '"max_connections":20' "$WORK/serve.log"
cpu_ms() { awk '{print ($14 + $15) * 10}' /proc/$SERVER_PID/stat; }  # clock ticks of 10 ms
fds() { ls /proc/$SERVER_PID/fd | wc -l; }
directory_ok() { curl -sf -o /dev/null --max-time "$1" --cacert root/root.crt "$DIRECTORY"; }
base_fds=$(fds)

# TLS 1.2 and 1.3 only, and TLS 1.2 with ECDHE and AEAD suites only (OpenSSL's default offers CBC
# with SHA-1 MACs too).
tls_ok() { echo | timeout 5 openssl s_client -connect "127.0.0.1:$ACME_PORT" -CAfile root/root.crt -verify_return_error "$@" >/dev/null 2>&1; }
tls_ok -tls1_3 || fail "TLS 1.3 refused"; ok
tls_ok -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 || fail "TLS 1.2 with AES-GCM refused"; ok
tls_ok -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 || fail "TLS 1.2 with ChaCha20-Poly1305 refused"; ok
for weak in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384; do
  ! tls_ok -tls1_2 -cipher $weak || fail "TLS 1.2 with $weak accepted"; ok
done
! tls_ok -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' || fail "TLS 1.1 accepted"; ok
# A request that is not HTTP/1.1 is answered 400 with a problem saying why, not dropped.
for bad in 'GARBAGE\r\n\r\n' 'GET /acme/directory HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n'; do
  printf "$bad" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$ACME_PORT" -CAfile root/root.crt 2>/dev/null >bad.out || true
  grep -q '^HTTP/1.1 400' bad.out && grep -q 'not valid HTTP/1.1' bad.out || fail "an unreadable request got: $(head -c 300 bad.out)"; ok
done

# RFC 9112 §3.2: an HTTP/1.1 request without Host is 400, and the connection goes on (the next
# request on it is answered); HTTP/1.0 needs no Host; an absolute-form target is accepted.
printf 'GET /acme/directory HTTP/1.1\r\n\r\nGET /acme/directory HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
  timeout 10 openssl s_client -quiet -connect "127.0.0.1:$ACME_PORT" -CAfile root/root.crt 2>/dev/null >nohost.out || true
grep -q '^HTTP/1.1 400' nohost.out && grep -q 'no Host header' nohost.out && grep -q '"newNonce"' nohost.out || fail "HTTP/1.1 without Host got: $(head -c 400 nohost.out)"; ok
for req in 'GET /acme/directory HTTP/1.0\r\n\r\n' "GET https://localhost:$ACME_PORT/acme/directory HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"; do
  printf "$req" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$ACME_PORT" -CAfile root/root.crt 2>/dev/null >form.out || true
  grep -q '^HTTP/1.[01] 200' form.out && grep -q '"newNonce"' form.out || fail "$req got: $(head -c 300 form.out)"; ok
done

# flood N SECONDS: N idle TCP connections held open for SECONDS (in the background).
flood() {
  timeout $(($2 + 5)) /usr/bin/python3 -c '
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(); s.settimeout(5); s.connect(("127.0.0.1", int(sys.argv[1]))); socks.append(s)
print("open", len(socks), flush=True)
time.sleep(float(sys.argv[3]))
' "$ACME_PORT" "$1" "$2" >"$WORK/flood.out" 2>&1 &
  FLOOD=$!
  wait_for "$WORK/flood.out" '^open ' 10
}

# 1. At the cap: 60 idle connections, the server holds 20 of them; the others queue in the kernel.
flood 60 4
sleep 1
c0=$(cpu_ms); sleep 2; c1=$(cpu_ms)
[ $((c1 - c0)) -lt 500 ] || fail "the server used $((c1 - c0)) ms of CPU in 2 s while at the connection cap"; ok
[ "$(fds)" -le $((base_fds + 20 + 4)) ] || fail "the server holds $(fds) descriptors at a cap of 20 connections (had $base_fds)"; ok
expect_grep 'server.max_connections \(20\) connections are open: new ones wait in the listen queue' "$WORK/serve.log"
wait $FLOOD || true
directory_ok 10 || fail "the server does not answer after the flood"; ok

# 2. Out of descriptors: accept() fails with EMFILE; the listener waits 100 ms between tries.
hard=$(awk '/^Max open files/{print $5}' /proc/$SERVER_PID/limits)
soft=$(awk '/^Max open files/{print $4}' /proc/$SERVER_PID/limits)
prlimit --pid $SERVER_PID --nofile=$((base_fds + 8)):$hard
flood 30 4
sleep 1
c0=$(cpu_ms); sleep 2; c1=$(cpu_ms)
[ $((c1 - c0)) -lt 500 ] || fail "the server used $((c1 - c0)) ms of CPU in 2 s while out of descriptors (accept spinning?)"; ok
expect_grep 'accepting a connection failed \(Too many open files\); retrying in 100 ms' "$WORK/serve.log"
wait $FLOOD || true
prlimit --pid $SERVER_PID --nofile=$soft:$hard
directory_ok 10 || fail "the server does not answer once descriptors are free again"; ok
kill -0 $SERVER_PID || fail "the server died"; ok
stop_server
finish
