"""Backpressure: while the server's I/O threads are behind (here: the process was stopped for
longer than server.overload_lag), new orders and new accounts get rateLimited with a spread
Retry-After, while an order already under way is served to the end; then new work is accepted again.
Usage: overload.py DIRECTORY ROOT HTTP01_PORT SERVER_PID"""
import os, signal, sys, time

import acmetest as t
from acmetest import TOKENS, csr_for, expect, ok

DIRECTORY, ROOT, HTTP01_PORT, PID = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
DIR = t.Directory(DIRECTORY, ROOT)
D = DIR.D
t.start_http01(HTTP01_PORT)
c = t.Client(DIR)
c.register()
url, order = c.new_order(["under-way.test.internal"])
az_url = order["authorizations"][0]

# A stall longer than overload_lag (1s): the lag probe that runs after it starts the shedding.
os.kill(PID, signal.SIGSTOP)
time.sleep(1.6)
os.kill(PID, signal.SIGCONT)
time.sleep(0.2)
new = {"identifiers": [{"type": "dns", "value": "new.test.internal"}]}
r = c.post(D["newOrder"], new)
body = expect(r, 429, "rateLimited", "newOrder while overloaded")
assert "overloaded" in body["detail"] and 5 <= int(r.headers["Retry-After"]) <= 15, (body, r.headers)
expect(t.Client(DIR).post(D["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True), 429, "rateLimited", "newAccount while overloaded")
# The order under way goes on: its authorization, challenge, finalize and certificate.
assert ok(c.post(url, None), 200, "the order under way")["status"] == "pending"
az, ch = c.challenge(az_url, "http-01")
TOKENS[ch["token"]] = c.key_authorization(ch["token"])
ok(c.post(ch["url"], {}), 200, "its challenge")
assert c.poll(url, ("ready", "invalid"))["status"] == "ready"
done = ok(c.post(order["finalize"], {"csr": csr_for(["under-way.test.internal"])}), 200, "its finalize")
assert done["status"] == "valid" and ok(c.post(done["certificate"], None), 200, "its certificate").status_code == 200
# Once the probes are prompt again (2 s after the last late one), new orders are accepted.
deadline = time.time() + 10
while True:
    r = c.post(D["newOrder"], new)
    if r.status_code == 201 or time.time() > deadline:
        break
    time.sleep(0.25)
ok(r, 201, "newOrder after the server caught up")
print(f"{t.checks} passed, 0 failed")
