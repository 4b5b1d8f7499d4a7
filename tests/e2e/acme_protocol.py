#!/usr/bin/python3
"""ACME protocol error paths against `pkictl serve`, each asserting the RFC 8555 problem type.

JWS are made with josepy and certbot's `acme` package (independent implementations from Debian);
the bad requests are made by changing one thing in an otherwise valid request.
Usage: acme_protocol.py DIRECTORY_URL ROOT_PEM HTTP01_PORT DATABASE
"""
import datetime, hashlib, hmac, json, sqlite3, sys, time, warnings
from concurrent.futures import ThreadPoolExecutor

import josepy as jose
import requests
from acme import jws as acme_jws
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

import acmetest as t
from acmetest import TOKENS, b64, csr_for, expect, ok, pem_certs

DIRECTORY, ROOT, HTTP01_PORT, DATABASE = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
DIR = t.Directory(DIRECTORY, ROOT)
S, D, nonce = DIR.s, DIR.D, DIR.nonce
t.start_http01(HTTP01_PORT)


def Client(key=None, alg=jose.ES256):
    return t.Client(DIR, key, alg)


def ready_order(c, names, **more):
    r = c.post(D["newOrder"], dict({"identifiers": [{"type": "dns", "value": n} for n in names]}, **more))
    order = ok(r, 201, "newOrder")
    url = r.headers["Location"]
    for az_url in order["authorizations"]:
        az = ok(c.post(az_url, None), 200, "authz")
        ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
        TOKENS[ch["token"]] = c.key_authorization(ch["token"])
        ok(c.post(ch["url"], {}), 200, "challenge")
        ok(c.post(ch["url"], {}), 200, "challenge again (idempotent)")
        for _ in range(100):
            if c.post(az_url, None).json()["status"] != "pending":
                break
            time.sleep(0.1)
    for _ in range(100):
        order = c.post(url, None).json()
        if order["status"] != "pending":
            break
        time.sleep(0.1)
    assert order["status"] == "ready", order
    return url, order


# ---- Directory, nonces, methods.
assert set(D) >= {"newNonce", "newAccount", "newOrder", "revokeCert", "keyChange", "meta"}
h = S.head(D["newNonce"])
assert h.status_code == 200 and h.headers["Cache-Control"] == "no-store" and 'rel="index"' in h.headers["Link"], h.headers
assert S.get(D["newNonce"]).status_code == 204
# The directory carries no nonce (Ruby's acme-client before 2.0.16 crashes on one), every POST does.
d = S.get(DIRECTORY)
assert d.status_code == 200 and "Replay-Nonce" not in d.headers and 'rel="index"' in d.headers["Link"], d.headers
t.passed(3)

c = Client()
c.register()
# Existing key: 200 with the same Location.
r = c.post(D["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True)
assert r.status_code == 200 and r.headers["Location"] == c.kid, r.text
t.passed()

# ---- Nonces and URLs.
expect(S.post(D["newOrder"], data=json.dumps(c.jws(D["newOrder"], {"identifiers": []}, n=b64(b"nonsense-nonce"))),
              headers={"Content-Type": "application/jose+json"}), 400, "badNonce", "bad nonce")
n = nonce()
ok(c.post(c.kid, None, n=n), 200, "account POST-as-GET")
expect(c.post(c.kid, None, n=n), 400, "badNonce", "replayed nonce")
expect(c.post(D["newAccount"], {"termsOfServiceAgreed": True}), 400, "malformed", "kid on newAccount")
expect(S.post(D["newOrder"], data=json.dumps(c.jws(D["newAccount"], {}))
              , headers={"Content-Type": "application/jose+json"}), 403, "unauthorized", "url mismatch")
body = c.jws(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.test.internal"}]})
sig = bytearray(jose.b64.b64decode(body["signature"]))
sig[5] ^= 1
body["signature"] = b64(bytes(sig))
expect(S.post(D["newOrder"], data=json.dumps(body), headers={"Content-Type": "application/jose+json"}), 400, "malformed", "bad signature")
expect(S.post(D["newOrder"], data=json.dumps(c.jws(D["newOrder"], {})), headers={"Content-Type": "application/json"}), 400, "malformed",
       "wrong content type")
# The media type is case-insensitive and may have parameters and whitespace (RFC 9110 §8.3.1).
ok(S.post(c.kid + "/orders", data=json.dumps(c.jws(c.kid + "/orders", None)), headers={"Content-Type": "Application/JOSE+JSON ; charset=utf-8"}),
   200, "content type with case, whitespace and a parameter")
# A body sent with Transfer-Encoding: chunked (HTTP clients that stream their request bodies).
chunked = json.dumps(c.jws(c.kid + "/orders", None)).encode()
ok(S.post(c.kid + "/orders", data=iter([chunked[:40], chunked[40:]]), headers={"Content-Type": "application/jose+json"}), 200, "chunked body")
# A body or header over the limit is a problem too (the server reads the rest of the body before
# it closes, so a client that sends it all before reading gets the answer), and the next request on
# a new connection is served.
jose_json = {"Content-Type": "application/jose+json"}
p = expect(S.post(D["newOrder"], data="{" + " " * (1 << 20) + "}", headers=jose_json), 413, "malformed", "1 MiB body")
assert "65536 bytes" in p["detail"], p
expect(S.post(D["newOrder"], data=iter([b"{", b" " * (200 << 10), b"}"]), headers=jose_json), 413, "malformed", "200 KiB chunked body")
expect(S.post(D["newOrder"], data="{}", headers=dict(jose_json, **{"X-Padding": "a" * 20000})), 431, "malformed", "20 KB header")
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.test.internal"}]}, use_jwk=True), 400, "malformed",
       "jwk on newOrder")
# An unsupported algorithm (HS256) lists the supported ones.
prot = b64(json.dumps({"alg": "HS256", "nonce": nonce(), "url": D["newOrder"], "kid": c.kid}).encode())
pay = b64(b"{}")
hs = {"protected": prot, "payload": pay, "signature": b64(hmac.new(b"k", (prot + "." + pay).encode(), hashlib.sha256).digest())}
p = expect(S.post(D["newOrder"], data=json.dumps(hs), headers={"Content-Type": "application/jose+json"}), 400, "badSignatureAlgorithm", "HS256")
assert "ES256" in p["algorithms"], p
# GET on a POST-only resource: 405 with a problem.
expect(S.get(c.kid), 405, "malformed", "GET on account")
# Any method a resource does not take is 405, and Allow names the ones it does (RFC 9110 §15.5.6).
for method, url, allow in [("GET", c.kid, "POST"), ("PUT", c.kid, "POST"), ("OPTIONS", DIRECTORY, "GET, HEAD"), ("POST", D["newNonce"], "GET, HEAD"),
                           ("PUT", DIRECTORY.rsplit("/acme/", 1)[0] + "/roots.pem", "GET, HEAD")]:
    r = S.request(method, url, data="{}", headers={"Content-Type": "application/jose+json"})
    expect(r, 405, "malformed", f"{method} {url}")
    assert r.headers.get("Allow") == allow and method in r.json()["detail"], (method, url, r.headers, r.text)

# ---- Accounts.
ghost = Client()
ghost.kid = c.kid.rsplit("/", 1)[0] + "/doesnotexist"
expect(ghost.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.test.internal"}]}), 400, "accountDoesNotExist", "unknown kid")
expect(Client().post(D["newAccount"], {"onlyReturnExisting": True}, use_jwk=True), 400, "accountDoesNotExist", "onlyReturnExisting")
expect(Client().post(D["newAccount"], {"contact": ["mailto:not-an-address"]}, use_jwk=True), 400, "invalidContact", "bad contact")
expect(Client().post(D["newAccount"], {"contact": ["tel:+1555"]}, use_jwk=True), 400, "unsupportedContact", "tel contact")
# An empty payload is POST-as-GET, not an account object: no account is made of it.
p = expect(Client().post(D["newAccount"], None, use_jwk=True), 400, "malformed", "newAccount POST-as-GET")
assert "{}" in p["detail"], p
# A URI scheme is case-insensitive: MAILTO: is taken, and kept as mailto:.
r = Client().post(D["newAccount"], {"termsOfServiceAgreed": True, "contact": ["MAILTO:Ops@test.internal"]}, use_jwk=True)
ok(r, 201, "MAILTO: contact")
assert r.json()["contact"] == ["mailto:Ops@test.internal"], r.text
# A member of the wrong type is malformed, named in the detail (it once was serverInternal); null
# is an unset member, as Go's JSON (Boulder, Pebble) reads it.
p = expect(Client().post(D["newAccount"], {"termsOfServiceAgreed": "yes"}, use_jwk=True), 400, "malformed", "termsOfServiceAgreed a string")
assert "termsOfServiceAgreed" in p["detail"], p
expect(Client().post(D["newAccount"], {"onlyReturnExisting": 1}, use_jwk=True), 400, "malformed", "onlyReturnExisting a number")
ok(Client().post(D["newAccount"], {"termsOfServiceAgreed": True, "contact": None}, use_jwk=True), 201, "contact null")
# A JWK with an EC coordinate short of its leading zero octet (Ruby's acme-client writes one for
# about one P-256 key in 128) is that key: newAccount with it, then with the key's canonical JWK,
# finds one account.
for _ in range(5000):
    short_key = ec.generate_private_key(ec.SECP256R1())
    canonical = jose.JWKEC(key=short_key.public_key()).to_partial_json()
    x = jose.b64.b64decode(canonical["x"])
    if x[0] == 0:
        break
else:
    raise AssertionError("no P-256 key among 5000 has a leading zero octet in x")
short_jwk = dict(canonical, x=b64(x.lstrip(b"\0")))
prot = b64(json.dumps({"alg": "ES256", "nonce": nonce(), "url": D["newAccount"], "jwk": short_jwk}).encode())
pay = b64(json.dumps({"termsOfServiceAgreed": True}).encode())
r, s_ = decode_dss_signature(short_key.sign((prot + "." + pay).encode(), ec.ECDSA(hashes.SHA256())))
short_body = {"protected": prot, "payload": pay, "signature": b64(r.to_bytes(32, "big") + s_.to_bytes(32, "big"))}
short_account = S.post(D["newAccount"], data=json.dumps(short_body), headers={"Content-Type": "application/jose+json"})
ok(short_account, 201, "newAccount with a short EC coordinate")
same = Client(key=jose.JWKEC(key=short_key)).post(D["newAccount"], {"onlyReturnExisting": True}, use_jwk=True)
ok(same, 200, "the same key written canonically")
assert same.headers["Location"] == short_account.headers["Location"], (same.headers, short_account.headers)
# A JWK with its private member is the client's private key on the wire: badPublicKey saying so,
# and no account (onlyReturnExisting with the public JWK finds none).
leaky = ec.generate_private_key(ec.SECP256R1())
leaky_jwk = dict(jose.JWKEC(key=leaky.public_key()).to_partial_json(), d=b64(leaky.private_numbers().private_value.to_bytes(32, "big")))
prot = b64(json.dumps({"alg": "ES256", "nonce": nonce(), "url": D["newAccount"], "jwk": leaky_jwk}).encode())
r, s_ = decode_dss_signature(leaky.sign((prot + "." + pay).encode(), ec.ECDSA(hashes.SHA256())))
leaky_body = {"protected": prot, "payload": pay, "signature": b64(r.to_bytes(32, "big") + s_.to_bytes(32, "big"))}
p = expect(S.post(D["newAccount"], data=json.dumps(leaky_body), headers={"Content-Type": "application/jose+json"}), 400, "badPublicKey",
           "newAccount with a private JWK")
assert 'private member "d"' in p["detail"] and "exposed" in p["detail"], p
expect(Client(key=jose.JWKEC(key=leaky)).post(D["newAccount"], {"onlyReturnExisting": True}, use_jwk=True), 400, "accountDoesNotExist",
       "no account from a private JWK")
rsa_client = Client(key=jose.JWKRSA(key=rsa.generate_private_key(65537, 2048)), alg=jose.RS256)
rsa_client.register()
ok(rsa_client.post(rsa_client.kid, {"contact": ["mailto:new@test.internal"]}), 200, "contact update")
# An update with "contact": null changes nothing (null is an unset member).
kept = ok(rsa_client.post(rsa_client.kid, {"contact": None, "status": None}), 200, "update with nulls")
assert kept["contact"] == ["mailto:new@test.internal"] and kept["status"] == "valid", kept

# ---- Orders.
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "x.example.com"}]}), 400, "rejectedIdentifier", "not allowed")
p = expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "ok.test.internal"}, {"type": "dns", "value": "no.example.com"}]}),
           400, "rejectedIdentifier", "one of two refused")
assert p["subproblems"][0]["identifier"]["value"] == "no.example.com", p
# A wildcard under an allowed *.name is allowed, and only DNS-based challenges are offered for it.
w = ok(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "*.test.internal"}]}), 201, "wildcard order")
wa = ok(c.post(w["authorizations"][0], None), 200, "wildcard authz")
expect(c.post(w["authorizations"][0], {"status": 7}), 400, "malformed", "authz status a number")
assert wa.get("wildcard") is True and wa["identifier"]["value"] == "test.internal", wa
assert {ch["type"] for ch in wa["challenges"]} <= {"dns-01", "dns-account-01", "dns-persist-01"}, wa
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "*.internal"}]}), 400, "rejectedIdentifier", "wildcard above the allowed names")
# ACME profiles draft: the directory lists them, an order names one, an unknown one is invalidProfile.
assert D["meta"]["profiles"] == {"default": "TLS server and client (the allowed_identifiers default)"}, D["meta"]
po = ok(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "prof.test.internal"}], "profile": "default"}), 201, "order with a profile")
assert po["profile"] == "default", po
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "prof.test.internal"}], "profile": "shortlived"}), 400, "invalidProfile",
       "unknown profile")
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "prof.test.internal"}], "profile": 7}), 400, "malformed", "profile not a string")
expect(c.post(D["newOrder"], {"identifiers": [{"type": "email", "value": "a@b.c"}]}), 400, "unsupportedIdentifier", "email identifier")
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "bad..name.test.internal"}]}), 400, "rejectedIdentifier", "bad name")
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "dot.test.internal."}]}), 400, "rejectedIdentifier", "trailing dot")
# Labels in preferred syntax: no hyphen at either end, and an xn-- label must be a valid A-label.
for bad, why in [("-hy.test.internal", "begins or ends with '-'"), ("xn--zz.test.internal", "not a valid A-label")]:
    p = expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": bad}]}), 400, "rejectedIdentifier", bad)
    assert why in p["detail"] and why in p["subproblems"][0]["detail"], p
# A malformed IP identifier refuses the order, and its subproblem names the identifier; brackets
# and zone indexes get a hint.
for bad, why in [("[::1]", "without the brackets"), ("fe80::1%eth0", "zone index"), ("127.1", "not an IPv4 or IPv6 address")]:
    p = expect(c.post(D["newOrder"], {"identifiers": [{"type": "ip", "value": bad}]}), 400, "malformed", bad)
    assert why in p["detail"] and p["subproblems"][0]["identifier"] == {"type": "ip", "value": bad}, p
expect(c.post(D["newOrder"], {}), 400, "malformed", "no identifiers")
r1 = c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "same.test.internal"}]})
r2 = c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "same.test.internal"}]})
assert r1.headers["Location"] == r2.headers["Location"], "identical pending newOrder should return the same order"
t.passed()
expect(c.post(r1.json()["finalize"], {"csr": csr_for(["same.test.internal"])}), 403, "orderNotReady", "finalize before ready")
expect(rsa_client.post(r1.headers["Location"], None), 403, "unauthorized", "another account's order")

# ---- The answer to a challenge waits (a second at most) for its validation: a quick one answers
# with the outcome, and the authorization is valid without a poll; a slow one answers "processing"
# with Retry-After once the second is up, and its result comes later.
def http01_challenge(name):
    """newOrder for one DNS name: its authorization's URL and its http-01 challenge."""
    o = ok(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": name}]}), 201, "newOrder " + name)
    az_url = o["authorizations"][0]
    return az_url, [x for x in ok(c.post(az_url, None), 200, "authz")["challenges"] if x["type"] == "http-01"][0]


def answer_challenge(name, delay):
    az_url, ch = http01_challenge(name)
    TOKENS[ch["token"]] = c.key_authorization(ch["token"])
    t.DELAYS[ch["token"]] = delay
    t0 = time.monotonic()
    r = c.post(ch["url"], {})
    return az_url, ok(r, 200, "challenge " + name), r.headers, time.monotonic() - t0


def stored_status(chall_url):
    db = sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True)
    try:
        return db.execute("SELECT status FROM challenges WHERE id = ?", (chall_url.rsplit("/", 1)[-1],)).fetchone()[0]
    finally:
        db.close()


az_url, quick, headers, took = answer_challenge("quick.test.internal", 0)
assert quick["status"] == "valid" and "validated" in quick and "Retry-After" not in headers, (quick, headers)
assert ok(c.post(az_url, None), 200, "authz after a quick validation")["status"] == "valid"
assert stored_status(quick["url"]) == "valid"
az_url, slow, headers, took = answer_challenge("slow.test.internal", 2.5)
assert slow["status"] == "processing" and headers["Retry-After"] == "1" and 0.9 <= took < 2.4, (slow, headers, took)
# Answered before its outcome, the challenge is processing on disk too (a restart would resume it),
# and reads show it so.
assert stored_status(slow["url"]) == "processing"
assert ok(c.post(slow["url"], None), 200, "challenge POST-as-GET")["status"] == "processing"
assert c.poll(az_url)["status"] == "valid"
assert stored_status(slow["url"]) == "valid"
t.passed(2)

# ---- http-01 redirects (RFC 8555 §8.3: followed, bounded): a relative Location resolves against
# the URL that sent it (RFC 3986 §5), so "moved-<token>" stays under the challenge path; a loop
# ends after max_redirects. (The refused ones retry with backoff, so all run at once.)
def redirected(name, location_of):
    az_url, ch = http01_challenge(name)
    token = ch["token"]
    t.REDIRECTS[token] = location_of(token)
    TOKENS["moved-" + token] = c.key_authorization(token)
    c.post(ch["url"], {})
    return az_url


def outcome(az_url):
    az = c.poll(az_url)
    return az["status"], [x for x in az["challenges"] if x["type"] == "http-01"][0].get("error", {}).get("detail", "")


pending = [(redirected(name, loc), want, why) for name, loc, want, why in [
    ("rel.test.internal", lambda tok: "moved-" + tok, "valid", ""),
    ("dotdot.test.internal", lambda tok: "../acme-challenge/moved-" + tok, "valid", ""),
    ("loop.test.internal", lambda tok: tok, "invalid", "redirects"),
    ("empty.test.internal", lambda tok: "", "invalid", "empty Location")]]
for az_url, want, why in pending:
    got, detail = outcome(az_url)
    assert got == want and why in detail, (az_url, got, detail)
t.passed(len(pending))

url, order = ready_order(c, ["fin.test.internal", "fin2.test.internal"])
expect(c.post(order["finalize"], {"csr": csr_for(["fin.test.internal"])}), 400, "badCSR", "CSR missing a name")
expect(c.post(order["finalize"], {"csr": csr_for(["fin.test.internal", "fin2.test.internal", "extra.test.internal"])}), 400, "badCSR", "CSR extra name")
# A CSR name with a trailing dot is not the order's name: refused, and the detail says why.
p = expect(c.post(order["finalize"], {"csr": csr_for(["fin2.test.internal", "fin.test.internal."])}), 400, "badCSR", "CSR name with a trailing dot")
assert '"fin.test.internal." ends in a dot' in p["detail"], p
acct_key = c.key.key._wrapped  # josepy wraps the cryptography key
expect(c.post(order["finalize"], {"csr": csr_for(["fin.test.internal", "fin2.test.internal"], key=acct_key)}), 400, "badCSR", "account key in CSR")
expect(c.post(order["finalize"], {"csr": "!!!"}), 400, "badCSR", "CSR not base64url")
# A request signed over SHA-1, or for an RSA key with e = 3, is refused (OpenSSL would take both).
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # cryptography's SHA-1 deprecation
    sha1_csr = csr_for(["fin.test.internal", "fin2.test.internal"], digest=hashes.SHA1())
p = expect(c.post(order["finalize"], {"csr": sha1_csr}), 400, "badCSR", "CSR signed over SHA-1")
assert "ecdsa-with-SHA1" in p["detail"], p
p = expect(c.post(order["finalize"], {"csr": csr_for(["fin.test.internal", "fin2.test.internal"], key=rsa.generate_private_key(3, 2048))}), 400,
           "badCSR", "CSR key with exponent 3")
assert "exponent 3 " in p["detail"], p
good_csr = csr_for(["fin2.test.internal", "fin.test.internal"])  # CN = fin2, not the first name
done = ok(c.post(order["finalize"], {"csr": good_csr}), 200, "finalize")
assert done["status"] == "valid" and "certificate" in done, done
again = ok(c.post(order["finalize"], {"csr": good_csr}), 200, "finalize again (idempotent)")
assert again["certificate"] == done["certificate"]
cert = c.post(done["certificate"], None)
assert cert.status_code == 200 and cert.headers["Content-Type"] == "application/pem-certificate-chain", cert.headers
assert cert.text.count("BEGIN CERTIFICATE") == 2, cert.text
# The CN is the one the CSR asked for, not the order's first identifier.
assert pem_certs(cert.text)[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "fin2.test.internal", cert.text
t.passed()
# RFC 8555 §7.4.2: the PEM chain holds its issuer, so it names none with rel="up" (acmez, Caddy's
# client, appends whatever "up" serves to the chain); rel="alternate" names the chain through the
# cross-signed issuing CA, which starts with the same leaf.
def links_of(r, rel):
    links = requests.utils.parse_header_links(", ".join(v for k, v in r.raw.headers.items() if k.lower() == "link"))
    return [l["url"] for l in links if l.get("rel") == rel]


alts = links_of(cert, "alternate")
assert links_of(cert, "up") == [] and len(alts) == 1, cert.headers
chain = pem_certs(cert.text)
# An Accept that prefers the single DER certificate gets the leaf, and rel="up" names its issuer,
# served by a plain GET (the caIssuers URL) and by POST-as-GET alike.
for accept in ["application/pkix-cert", "application/pem-certificate-chain;q=0.5, application/pkix-cert"]:
    leaf = c.post(done["certificate"], None, accept=accept)
    assert leaf.status_code == 200 and leaf.headers["Content-Type"] == "application/pkix-cert", (accept, leaf.headers)
    assert x509.load_der_x509_certificate(leaf.content) == chain[0]
for accept in ["*/*", "application/pkix-cert;q=0.5, application/*", "text/html", "application/pkix-cert;q=0", "application/pkcs7-mime;q=0"]:
    r = c.post(done["certificate"], None, accept=accept)
    assert r.headers["Content-Type"] == "application/pem-certificate-chain", (accept, r.headers)
# application/pkcs7-mime (RFC 8555 §7.4.2 names it too): the same chain as a certs-only bundle.
for accept in ["application/pkcs7-mime", "application/pem-certificate-chain;q=0.5, application/pkix-cert;q=0.7, application/pkcs7-mime"]:
    p7 = c.post(done["certificate"], None, accept=accept)
    assert p7.status_code == 200 and p7.headers["Content-Type"] == "application/pkcs7-mime; smime-type=certs-only", (accept, p7.headers)
    assert pkcs7.load_der_pkcs7_certificates(p7.content) == chain, accept
    assert links_of(p7, "up") == [] and len(links_of(p7, "alternate")) == 1, p7.headers
t.passed()
up = links_of(leaf, "up")
assert len(up) == 1 and len(links_of(leaf, "alternate")) == 1, leaf.headers
for issuer_der in [S.get(up[0]), c.post(up[0], None)]:
    assert issuer_der.status_code == 200 and issuer_der.headers["Content-Type"] == "application/pkix-cert", issuer_der.headers
    assert x509.load_der_x509_certificate(issuer_der.content) == chain[1]
expect(c.post(up[0], {}), 400, "malformed", "a CA certificate POST with a payload")
alt = c.post(alts[0], None)
assert alt.status_code == 200, alt.text
alt_chain = pem_certs(alt.text)
assert alt_chain[0] == chain[0] and alt_chain[1] != chain[1], alt.text
assert alt_chain[1].issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "E2E Cross Root", alt_chain[1].issuer
assert done["certificate"] in links_of(alt, "alternate") and links_of(alt, "up") == [], alt.headers
expect(c.post(done["certificate"] + "/2", None), 404, "malformed", "no such alternate chain")
t.passed()
orders = ok(c.post(c.kid + "/orders", None), 200, "orders list")
assert url in orders["orders"], orders
# The list pages with Link rel="next" (50 a page), newest first, keyed on the last order seen: one
# made between two pages shifts nothing. Orders recorded invalid are left out (RFC 8555 §7.1.2.1).
lister = Client()
lister.register()
made = [lister.new_order([f"list{i}.test.internal"])[0] for i in range(55)]
dead_url, dead = lister.new_order(["dead.test.internal"])
ok(lister.post(dead["authorizations"][0], {"status": "deactivated"}), 200, "deactivate, so the order is invalid")
assert ok(lister.post(dead_url, None), 200, "the order, now invalid")["status"] == "invalid"
first = lister.post(lister.kid + "/orders", None)
page1 = ok(first, 200, "orders list, first page")["orders"]
nxt = links_of(first, "next")
assert len(page1) == 50 and len(nxt) == 1 and dead_url not in page1, (len(page1), first.headers)
newer = lister.new_order(["list-newer.test.internal"])[0]
second = lister.post(nxt[0], None)
page2 = ok(second, 200, "orders list, second page")["orders"]
assert sorted(page1 + page2) == sorted(made) and links_of(second, "next") == [], (len(page1), len(page2), second.headers)
assert page1[0] == made[-1], "newest first"
expect(lister.post(lister.kid + "/orders?cursor=nosuchorder", None), 400, "malformed", "orders list with a cursor of no order")
expect(lister.post(lister.kid + "/orders?cursor=" + url.rsplit("/", 1)[1], None), 400, "malformed", "orders list with another account's order")

# ---- notBefore/notAfter: the certificate has the validity the order asked for; past the maximum
# lifetime (30d in this configuration) the order is refused.
nb = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(hours=1)
na = nb + datetime.timedelta(hours=5)
rfc3339 = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
timed_url, timed = (lambda r: (r.headers["Location"], ok(r, 201, "newOrder with notBefore/notAfter")))(
    c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "timed.test.internal"}], "notBefore": rfc3339(nb), "notAfter": rfc3339(na)}))
assert timed["notBefore"] == rfc3339(nb) and timed["notAfter"] == rfc3339(na), timed
# A newOrder without them is another order, not this one given back.
plain = c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "timed.test.internal"}]})
assert ok(plain, 201, "the same identifiers without notBefore/notAfter").get("notAfter") is None and plain.headers["Location"] != timed_url, plain.text
_, timed = ready_order(c, ["timed.test.internal"], notBefore=rfc3339(nb), notAfter=rfc3339(na))
timed = ok(c.post(timed["finalize"], {"csr": csr_for(["timed.test.internal"])}), 200, "finalize the timed order")
timed_leaf = pem_certs(c.post(timed["certificate"], None).text)[0]
assert (timed_leaf.not_valid_before.replace(tzinfo=datetime.timezone.utc), timed_leaf.not_valid_after.replace(tzinfo=datetime.timezone.utc)) == (nb, na), \
    (timed_leaf.not_valid_before, timed_leaf.not_valid_after, nb, na)
p = expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "long.test.internal"}], "notAfter": rfc3339(nb + datetime.timedelta(days=31))}),
           400, "malformed", "notAfter past the maximum lifetime")
assert "maximum" in p["detail"], p
t.passed()

# ---- One account, many orders at once (cert-manager and Caddy do this): each challenge answered
# three times at once and each order finalized four times at once still make one certificate per
# order, and every finalize answers with it.
def parallel_order(i):
    name = f"par{i}.test.internal"
    o_url, o = c.new_order([name])
    ch = c.challenge(o["authorizations"][0], "http-01")[1]
    TOKENS[ch["token"]] = c.key_authorization(ch["token"])
    with ThreadPoolExecutor(3) as ex:
        assert all(r.status_code == 200 for r in ex.map(lambda _: c.post(ch["url"], {}), range(3)))
    assert c.poll(o_url, until=("ready", "invalid"))["status"] == "ready", o_url
    csr = csr_for([name])
    with ThreadPoolExecutor(4) as ex:
        answers = list(ex.map(lambda _: c.post(o["finalize"], {"csr": csr}), range(4)))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    final = c.poll(o_url)
    assert {r.json().get("certificate") for r in answers} <= {final["certificate"], None}, [r.json() for r in answers]
    return o_url.rsplit("/", 1)[1]
with ThreadPoolExecutor(8) as ex:
    parallel = list(ex.map(parallel_order, range(16)))
db = sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True)
per_order = dict(db.execute(f"SELECT order_id, COUNT(*) FROM certificates WHERE order_id IN ({','.join('?' * len(parallel))}) GROUP BY order_id",
                            parallel).fetchall())
db.close()
assert per_order == {o: 1 for o in parallel}, per_order
t.passed(len(parallel))

# ---- ARI (RFC 9773): "replaces" names one of the account's certificates, and only once.
ari_leaf = chain[0]
aki = ari_leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
serial = ari_leaf.serial_number.to_bytes((ari_leaf.serial_number.bit_length() + 8) // 8, "big")
certid = b64(aki) + "." + b64(serial)
ri = S.get(D["renewalInfo"] + "/" + certid)
assert ri.status_code == 200 and "suggestedWindow" in ri.json() and ri.headers.get("Retry-After"), ri.text
t.passed()
expect(S.get(D["renewalInfo"] + "/notanid"), 400, "malformed", "renewalInfo with a bad identifier")
# POST-as-GET, as ARI's earlier drafts fetched it, has the same answer.
assert ok(c.post(D["renewalInfo"] + "/" + certid, None), 200, "renewalInfo by POST-as-GET")["suggestedWindow"] == ri.json()["suggestedWindow"]
# The order says what it replaces, in the identifier's one spelling; the same certificate spelled
# with other unused low bits in its last base64url character is still the same, already replaced.
replacing = ok(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "fin.test.internal"}], "replaces": certid}), 201, "newOrder replaces")
assert replacing["replaces"] == certid, replacing
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
unused = {2: 15, 3: 3}.get(len(certid.split(".")[1]) % 4, 0)  # low bits a final character carries beyond the bytes
respelled = certid[:-1] + alphabet[alphabet.index(certid[-1]) ^ 1] if unused else certid
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "fin.test.internal"}], "replaces": respelled}), 409, "alreadyReplaced",
       "a second replacement, spelled otherwise")
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "fin.test.internal"}], "replaces": certid}), 409, "alreadyReplaced",
       "a second replacement")
expect(rsa_client.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "x.test.internal"}], "replaces": certid}), 403,
       "unauthorized", "replacing another account's certificate")

# ---- Revocation.
leaf = x509.load_pem_x509_certificate(cert.text.split("-----END CERTIFICATE-----")[0].encode() + b"-----END CERTIFICATE-----\n")
der = b64(leaf.public_bytes(serialization.Encoding.DER))
expect(c.post(D["revokeCert"], {"certificate": der, "reason": 7}), 400, "badRevocationReason", "reason 7")
# removeFromCRL belongs to delta CRLs; certificateHold and the CA's own compromise are the operator's.
expect(c.post(D["revokeCert"], {"certificate": der, "reason": 8}), 400, "badRevocationReason", "reason 8")
p = expect(c.post(D["revokeCert"], {"certificate": der, "reason": 6}), 400, "badRevocationReason", "reason 6 (certificateHold)")
assert "pkictl cert revoke" in p["detail"], p
expect(rsa_client.post(D["revokeCert"], {"certificate": der}), 403, "unauthorized", "revoke by another account")
# RFC 8555 §7.6: an account holding valid authorizations for every name in a certificate may revoke
# it as well, but not for keyCompromise (only the certificate's key shows that).
_, order2 = ready_order(c, ["fin.test.internal", "fin2.test.internal"])
done2 = ok(c.post(order2["finalize"], {"csr": csr_for(["fin.test.internal", "fin2.test.internal"])}), 200, "finalize a second time")
der2 = b64(pem_certs(c.post(done2["certificate"], None).text)[0].public_bytes(serialization.Encoding.DER))
ready_order(rsa_client, ["fin.test.internal"])
expect(rsa_client.post(D["revokeCert"], {"certificate": der2, "reason": 5}), 403, "unauthorized", "revoke by an account holding one name of two")
ready_order(rsa_client, ["fin.test.internal", "fin2.test.internal"])
expect(rsa_client.post(D["revokeCert"], {"certificate": der2, "reason": 1}), 400, "badRevocationReason", "keyCompromise by an account holding the names")
ok(rsa_client.post(D["revokeCert"], {"certificate": der2, "reason": 5}), 200, "revoke by an account holding the names")
ok(c.post(D["revokeCert"], {"certificate": der, "reason": 1}), 200, "revoke")
expect(c.post(D["revokeCert"], {"certificate": der}), 400, "alreadyRevoked", "revoke twice")

# ---- Key rollover, then deactivation.
new_key = jose.JWKEC(key=ec.generate_private_key(ec.SECP384R1()))
inner = json.loads(acme_jws.JWS.sign(json.dumps({"account": c.kid, "oldKey": c.key.public_key().to_json()}).encode(), key=new_key,
                                     alg=jose.ES384, nonce=None, url=D["keyChange"]).json_dumps())
p = expect(c.post(D["keyChange"], {"account": c.kid, "oldKey": rsa_client.key.public_key().to_json()}), 400, "malformed", "keyChange not a JWS")
assert "keyChange payload must be a JWS" in p["detail"], p
# An inner payload whose "account" is not a string is malformed too (it once was serverInternal).
odd = json.loads(acme_jws.JWS.sign(json.dumps({"account": 5, "oldKey": c.key.public_key().to_json()}).encode(), key=new_key,
                                   alg=jose.ES384, nonce=None, url=D["keyChange"]).json_dumps())
expect(c.post(D["keyChange"], odd), 400, "malformed", "keyChange account a number")
# The detail says which JWS, or which key, is wrong.
forged = dict(inner, protected=b64(json.dumps(dict(json.loads(jose.b64.b64decode(inner["protected"])),
                                                   jwk=jose.JWKEC(key=ec.generate_private_key(ec.SECP384R1())).public_key().to_partial_json())).encode()))
p = expect(c.post(D["keyChange"], forged), 400, "malformed", "keyChange inner JWS not signed by its jwk")
assert p["detail"].startswith("the inner JWS (signed by the new key)"), p
bad_old = json.loads(acme_jws.JWS.sign(json.dumps({"account": c.kid, "oldKey": "x"}).encode(), key=new_key, alg=jose.ES384, nonce=None,
                                       url=D["keyChange"]).json_dumps())
p = expect(c.post(D["keyChange"], bad_old), 400, "malformed", "keyChange oldKey not a JWK")
assert "\"oldKey\"" in p["detail"], p
ok(c.post(D["keyChange"], inner), 200, "keyChange")
old_key = c.key
c.key, c.alg = new_key, jose.ES384
ok(c.post(c.kid, None), 200, "account with the new key")
c2_inner = json.loads(acme_jws.JWS.sign(json.dumps({"account": rsa_client.kid, "oldKey": rsa_client.key.public_key().to_json()}).encode(),
                                        key=new_key, alg=jose.ES384, nonce=None, url=D["keyChange"]).json_dumps())
expect(rsa_client.post(D["keyChange"], c2_inner), 409, "conflict", "keyChange to a key in use")
ok(c.post(c.kid, {"status": "deactivated"}), 200, "deactivate")
expect(c.post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.test.internal"}]}), 403, "unauthorized", "deactivated account")

print(f"{t.checks} passed, 0 failed")
