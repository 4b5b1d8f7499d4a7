#!/usr/bin/python3
"""Nonces across a graceful restart of `pkictl serve`: one issued before the stop is accepted once
after the start; one used before the stop stays used (the same JWS replayed gets badNonce).

Usage: nonce_restart.py before|after|killed DIRECTORY_URL ROOT_PEM STATE_FILE
  before: registers an account, keeps an unused nonce, uses another; writes what the others need.
  after:  (a graceful restart) spends the kept nonce (200), then both replays (badNonce).
  killed: (the server was killed) the kept nonce is badNonce, with a fresh nonce to retry with.
"""
import json, sys

import josepy as jose
from cryptography.hazmat.primitives import serialization

import acmetest as t
from acmetest import expect, ok

phase, DIRECTORY, ROOT, STATE = sys.argv[1:5]
DIR = t.Directory(DIRECTORY, ROOT)

if phase == "before":
    c = t.Client(DIR)
    c.register()
    kept = DIR.nonce()  # issued, never used before the stop
    used = c.jws(c.kid, None)  # its nonce is spent by the request below
    r = DIR.s.post(c.kid, data=json.dumps(used), headers={"Content-Type": "application/jose+json"})
    ok(r, 200, "account POST-as-GET before the stop")
    pem = c.key.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    json.dump({"key": pem.decode(), "kid": c.kid, "kept": kept, "used": used}, open(STATE, "w"))
else:
    st = json.load(open(STATE))
    c = t.Client(DIR, jose.JWKEC(key=serialization.load_pem_private_key(st["key"].encode(), None)))
    c.kid = st["kid"]
    post = lambda body: DIR.s.post(c.kid, data=json.dumps(body), headers={"Content-Type": "application/jose+json"})
    if phase == "after":
        ok(c.post(c.kid, None, n=st["kept"]), 200, "a nonce issued before the restart, used after it")
        expect(c.post(c.kid, None, n=st["kept"]), 400, "badNonce", "the same nonce a second time")
        expect(post(st["used"]), 400, "badNonce", "a request from before the restart, replayed after it")
    else:
        r = c.post(c.kid, None, n=st["kept"])
        expect(r, 400, "badNonce", "a nonce of the killed server")
        ok(c.post(c.kid, None, n=r.headers["Replay-Nonce"]), 200, "the retry with the fresh nonce")
print(f"nonce_restart.py {phase}: {t.checks} checks passed")
