"""Shared helpers for the Python ACME checks (josepy + certbot's `acme` package from Debian):
a directory session, an account client, problem-type assertions, CSRs and an http-01 responder.
Every request is built by these independent libraries; the checks only change one thing at a time.
"""
import base64, ipaddress, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import josepy as jose
import requests
from acme import jws as acme_jws
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

checks = 0
TOKENS = {}  # http-01 token -> key authorization, served by start_http01()
DELAYS = {}  # http-01 token -> seconds start_http01() waits before answering
REDIRECTS = {}  # http-01 token (or any name under the challenge path) -> the Location start_http01() answers 302 with
CHALLENGE_PATH = "/.well-known/acme-challenge/"


def passed(n=1):
    global checks
    checks += n


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pem_certs(text):
    """Every certificate in a PEM bundle (Debian 12's cryptography has no load_pem_x509_certificates)."""
    end = "-----END CERTIFICATE-----"
    return [x509.load_pem_x509_certificate((p + end + "\n").encode()) for p in text.split(end) if "BEGIN CERTIFICATE" in p]


class Directory:
    """One ACME endpoint: a requests session trusting ROOT (None for plain http) and its directory."""

    def __init__(self, url, root=None):
        self.s = requests.Session()
        self.s.verify = root if root else True
        self.s.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify
        self.D = self.s.get(url).json()

    def nonce(self):
        return self.s.head(self.D["newNonce"]).headers["Replay-Nonce"]


class Client:
    def __init__(self, directory, key=None, alg=jose.ES256):
        self.dir = directory
        self.key = key or jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
        self.alg = alg
        self.kid = None

    def jws(self, url, payload, use_jwk=False, n=None, key=None, alg=None):
        data = b"" if payload is None else json.dumps(payload).encode()
        key = key or self.key
        kid = None if (use_jwk or self.kid is None) else self.kid  # jwk is included exactly when kid is None
        signed = acme_jws.JWS.sign(data, key=key, alg=alg or self.alg, nonce=jose.b64.b64decode(n or self.dir.nonce()), url=url, kid=kid)
        return json.loads(signed.json_dumps())

    def post(self, url, payload, accept=None, **kw):
        body = self.jws(url, payload, **kw)
        headers = {"Content-Type": "application/jose+json"}
        if accept:
            headers["Accept"] = accept
        return self.dir.s.post(url, data=json.dumps(body), headers=headers)

    def register(self):
        r = self.post(self.dir.D["newAccount"], {"termsOfServiceAgreed": True, "contact": ["mailto:ops@test.internal"]}, use_jwk=True)
        assert r.status_code == 201, r.text
        self.kid = r.headers["Location"]
        return r

    def thumbprint(self):
        return b64(self.key.public_key().thumbprint(hash_function=hashes.SHA256))

    def key_authorization(self, token):
        return token + "." + self.thumbprint()

    def poll(self, url, until=("valid", "invalid"), seconds=30):
        """POST-as-GET `url` until its status is in `until`; returns the last object."""
        deadline = time.time() + seconds
        while True:
            obj = self.post(url, None).json()
            if obj.get("status") in until or time.time() > deadline:
                return obj
            time.sleep(0.1)

    def new_order(self, idents):
        """newOrder for identifiers written "dns:x" / "ip:y" (or bare names); returns (url, order)."""
        ids = [{"type": i.split(":", 1)[0], "value": i.split(":", 1)[1]} if i.startswith(("dns:", "ip:")) else {"type": "dns", "value": i}
               for i in idents]
        r = self.post(self.dir.D["newOrder"], {"identifiers": ids})
        assert r.status_code == 201, r.text
        return r.headers["Location"], r.json()

    def challenge(self, authz_url, type_):
        az = self.post(authz_url, None).json()
        found = [c for c in az["challenges"] if c["type"] == type_]
        return az, (found[0] if found else None)


def expect(r, status, ptype, what):
    try:
        body = r.json()
    except ValueError:
        body = {}
    got = body.get("type", "").rsplit(":", 1)[-1]
    assert r.status_code == status and got == ptype, f"{what}: want {status} {ptype}, got {r.status_code} {r.text}"
    if status >= 400:
        assert r.headers.get("Content-Type") == "application/problem+json", f"{what}: content type {r.headers.get('Content-Type')}"
        assert body.get("detail"), f"{what}: no detail"
    assert r.headers.get("Replay-Nonce"), f"{what}: no Replay-Nonce"
    passed()
    return body


def ok(r, status, what):
    assert r.status_code == status, f"{what}: want {status}, got {r.status_code} {r.text}"
    passed()
    return r.json() if r.content and r.headers.get("Content-Type", "").endswith("json") else r


def csr_for(names, key=None, digest=None):
    """A DER CSR (base64url) for DNS names and IP addresses, CN = the first name, signed over SHA-256 unless `digest`."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    sans = []
    for n in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            sans.append(x509.DNSName(n))
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
    b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return b64(b.sign(key, digest or hashes.SHA256()).public_bytes(serialization.Encoding.DER))


class _Http01(BaseHTTPRequestHandler):
    def do_GET(self):
        # Only the challenge path serves: a redirect resolved against the wrong base misses.
        token = self.path[len(CHALLENGE_PATH):] if self.path.startswith(CHALLENGE_PATH) else None
        time.sleep(DELAYS.get(token, 0))
        if token in REDIRECTS:
            self.send_response(302)
            self.send_header("Location", REDIRECTS[token])
            self.end_headers()
            return
        body = TOKENS.get(token)
        self.send_response(200 if body else 404)
        self.end_headers()
        if body:
            self.wfile.write(body.encode())

    def log_message(self, *a):
        pass


def start_http01(port, host="127.0.0.1"):
    threading.Thread(target=ThreadingHTTPServer((host, port), _Http01).serve_forever, daemon=True).start()
