#!/usr/bin/python3
"""Load generator for `pkictl serve`: N full ACME orders (account reuse, newOrder, http-01 validated
for real, finalize, download) at concurrency C. Prints orders/s, latency percentiles, and the
server's CPU milliseconds per order and peak RSS read from /proc/PID.

Usage: acme_bench.py DIRECTORY ROOT_PEM HTTP01_PORT SERVER_PID [N] [C]
The client is Python (josepy/acme from Debian): on 2 cores it competes with the server for CPU, so
orders/s is a lower bound; server CPU per order does not depend on the client.
"""
import json, os, statistics, sys, threading, time
from concurrent.futures import ThreadPoolExecutor

import josepy as jose
import requests
from acme import jws as acme_jws
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import acmetest as t  # noqa: E402  (the http-01 responder shared with the e2e checks)
from acmetest import TOKENS, b64  # noqa: E402

DIRECTORY, ROOT, PORT, PID = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
N = int(sys.argv[5]) if len(sys.argv) > 5 else 200
C = int(sys.argv[6]) if len(sys.argv) > 6 else 8
HZ = os.sysconf("SC_CLK_TCK")


t.start_http01(PORT)
local = threading.local()


def session():
    if not hasattr(local, "s"):
        local.s = requests.Session()
        local.s.verify = ROOT
        local.s.trust_env = False
    return local.s


D = session().get(DIRECTORY).json()
KEY = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
THUMB = b64(KEY.public_key().thumbprint(hash_function=hashes.SHA256))
nonces, lock = [], threading.Lock()


def post(url, payload, kid):
    with lock:
        n = nonces.pop() if nonces else None
    if n is None:
        n = session().head(D["newNonce"]).headers["Replay-Nonce"]
    data = b"" if payload is None else json.dumps(payload).encode()
    body = acme_jws.JWS.sign(data, key=KEY, alg=jose.ES256, nonce=jose.b64.b64decode(n), url=url, kid=kid).json_dumps()
    r = session().post(url, data=body, headers={"Content-Type": "application/jose+json"})
    with lock:
        nonces.append(r.headers["Replay-Nonce"])
    return r


KID = post(D["newAccount"], {"termsOfServiceAgreed": True}, None).headers["Location"]


def one(i):
    t0 = time.perf_counter()
    name = f"b{i}-{int(t0 * 1e6)}.test.internal"
    r = post(D["newOrder"], {"identifiers": [{"type": "dns", "value": name}]}, KID)
    order, url = r.json(), r.headers["Location"]
    az = post(order["authorizations"][0], None, KID).json()
    ch = [c for c in az["challenges"] if c["type"] == "http-01"][0]
    TOKENS[ch["token"]] = ch["token"] + "." + THUMB
    post(ch["url"], {}, KID)
    while post(url, None, KID).json()["status"] == "pending":
        time.sleep(0.005)
    k = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])) \
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False).sign(k, hashes.SHA256())
    done = post(order["finalize"], {"csr": b64(csr.public_bytes(serialization.Encoding.DER))}, KID).json()
    assert done["status"] == "valid", done
    assert "BEGIN CERTIFICATE" in post(done["certificate"], None, KID).text
    return time.perf_counter() - t0


def cpu_ticks():
    f = open(f"/proc/{PID}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]), int(f[12])  # utime, stime


def rss_peak_kib():
    for line in open(f"/proc/{PID}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])


c0, t0 = cpu_ticks(), time.perf_counter()
with ThreadPoolExecutor(C) as ex:
    lat = sorted(ex.map(one, range(N)))
c1 = cpu_ticks()
wall = time.perf_counter() - t0
user, system = (c1[0] - c0[0]) / HZ, (c1[1] - c0[1]) / HZ
cpu = user + system
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print(f"orders={N} concurrency={C} wall={wall:.2f}s orders/s={N / wall:.1f}")
print(f"latency ms: p50={q(0.50):.1f} p95={q(0.95):.1f} p99={q(0.99):.1f} max={lat[-1] * 1000:.1f} mean={statistics.mean(lat) * 1000:.1f}")
print(f"server: cpu_ms_per_order={cpu * 1000 / N:.2f} (user {user * 1000 / N:.2f}, kernel {system * 1000 / N:.2f}) peak_rss_kib={rss_peak_kib()}")
