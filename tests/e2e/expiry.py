#!/usr/bin/python3
"""Order and authorization expiry against `pkictl serve` configured with 3-second lifetimes: a
pending and a ready order turn invalid, their authorizations expired, and nothing more can be done
with them; the same identifiers then make a new order.
Usage: expiry.py DIRECTORY_URL ROOT_PEM HTTP01_PORT
"""
import sys, time

import acmetest as t
from acmetest import TOKENS, csr_for, expect, ok

DIR = t.Directory(sys.argv[1], sys.argv[2])
t.start_http01(int(sys.argv[3]))
c = t.Client(DIR)
c.register()
pending_url, pending = c.new_order(["exp-pending.test.internal"])
r = c.post(pending_url, None)
assert ok(r, 200, "pending order")["status"] == "pending" and r.headers.get("Retry-After"), r.headers
ready_url, ready = c.new_order(["exp-ready.test.internal"])
az, ch = c.challenge(ready["authorizations"][0], "http-01")
TOKENS[ch["token"]] = c.key_authorization(ch["token"])
ok(c.post(ch["url"], {}), 200, "challenge")
assert c.poll(ready_url, until=("ready", "invalid"))["status"] == "ready"
deadline = time.time() + 10
while time.time() < deadline and c.post(pending_url, None).json()["status"] == "pending":
    time.sleep(0.5)
for url in (pending_url, ready_url):
    assert ok(c.post(url, None), 200, "expired order")["status"] == "invalid", url
assert ok(c.post(pending["authorizations"][0], None), 200, "expired authz")["status"] == "expired"
stale = c.challenge(pending["authorizations"][0], "http-01")[1]
p = expect(c.post(stale["url"], {}), 400, "malformed", "answering a challenge of an expired authorization")
assert "expired" in p["detail"], p
expect(c.post(ready["finalize"], {"csr": csr_for(["exp-ready.test.internal"])}), 403, "orderNotReady", "finalize an expired order")
again_url, again = c.new_order(["exp-ready.test.internal"])
assert again_url != ready_url and again["status"] == "pending", again
print(f"{t.checks} passed, 0 failed")
