#!/usr/bin/python3
"""dns-01 family and tls-alpn-01 checks the Debian clients cannot make: dns-account-01 and
dns-persist-01 (no Debian client speaks them yet), and every negative path, each asserting the
authorization ends invalid with the right problem type and a detail naming what was seen.

Usage: challenges.py DIRECTORY ROOT DNS_MGMT TLS_PORT AGREE_DIRECTORY DNS_MGMT_2
  AGREE_DIRECTORY is a second server (plain http) with require_all over two DNS servers.
"""
import hashlib, socket, ssl, sys, tempfile, threading, time
from datetime import datetime, timedelta

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

import acmetest as t
from acmetest import b64, csr_for, ok

DIRECTORY, ROOT, MGMT, TLS_PORT, AGREE, MGMT2 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
plain = requests.Session()
plain.trust_env = False


def dns(mgmt, op, **body):
    r = plain.post(f"{mgmt}/{op}", json=body)
    assert r.status_code == 200, (op, body, r.text)


def set_txt(name, value, mgmt=MGMT):
    dns(mgmt, "set-txt", host=name + ".", value=value)


def clear_txt(name, mgmt=MGMT):
    dns(mgmt, "clear-txt", host=name + ".")


def account_label(kid):
    return "_" + __import__("base64").b32encode(hashlib.sha256(kid.encode()).digest()[:10]).decode().lower()


def dns_value(c, token):
    return b64(hashlib.sha256(c.key_authorization(token).encode()).digest())


def answer(c, authz_url, type_):
    """Answers the `type_` challenge of an authorization and returns the final authorization."""
    az, ch = c.challenge(authz_url, type_)
    assert ch, f"{type_} is not offered: {az}"
    ok(c.post(ch["url"], {}), 200, f"answer {type_}")
    return c.poll(authz_url)


def expect_invalid(c, authz_url, type_, ptype, detail_has, what):
    az = answer(c, authz_url, type_)
    assert az["status"] == "invalid", f"{what}: {az}"
    err = [x for x in az["challenges"] if x["type"] == type_][0].get("error", {})
    assert err.get("type", "").endswith(":" + ptype), f"{what}: want {ptype}, got {err}"
    assert detail_has in err.get("detail", ""), f"{what}: detail {err.get('detail')!r} lacks {detail_has!r}"
    t.passed()


def finalize(c, url, order, names):
    done = ok(c.post(order["finalize"], {"csr": csr_for(names)}), 200, "finalize")
    assert done["status"] == "valid", done
    return done


main = t.Directory(DIRECTORY, ROOT)
c = t.Client(main)
c.register()

# ---- dns-account-01: the record name carries the account's label, so two accounts can hold
# records for one name at the same time.
url, order = c.new_order(["acct.test.internal"])
az, ch = c.challenge(order["authorizations"][0], "dns-account-01")
set_txt(f"{account_label(c.kid)}._acme-challenge.acct.test.internal", dns_value(c, ch["token"]))
assert answer(c, order["authorizations"][0], "dns-account-01")["status"] == "valid"
finalize(c, url, c.poll(url, ("ready",)), ["acct.test.internal"])

# ---- dns-persist-01: one standing record authorises the account; policy=wildcard covers *.
url, order = c.new_order(["persist.test.internal"])
az, ch = c.challenge(order["authorizations"][0], "dns-persist-01")
assert ch["issuer-domain-names"] == ["ca.test.internal"], ch
set_txt("_validation-persist.persist.test.internal", f"ca.test.internal; accounturi={c.kid}")
assert answer(c, order["authorizations"][0], "dns-persist-01")["status"] == "valid"
finalize(c, url, c.poll(url, ("ready",)), ["persist.test.internal"])

url, order = c.new_order(["*.pw.test.internal"])
az, _ = c.challenge(order["authorizations"][0], "dns-persist-01")
assert az["wildcard"] is True and az["identifier"]["value"] == "pw.test.internal", az
assert sorted(x["type"] for x in az["challenges"]) == ["dns-01", "dns-account-01", "dns-persist-01"], az  # never http-01/tls-alpn-01
t.passed()
set_txt("_validation-persist.pw.test.internal", f"ca.test.internal; accounturi={c.kid}; policy=wildcard")
assert answer(c, order["authorizations"][0], "dns-persist-01")["status"] == "valid"
done = finalize(c, url, c.poll(url, ("ready",)), ["*.pw.test.internal"])
leaf = t.pem_certs(c.post(done["certificate"], None).text)[0]
assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == ["*.pw.test.internal"]
t.passed()

# ---- IP identifiers are never offered the DNS-based types.
url, order = c.new_order(["ip:127.0.0.1"])
az = c.post(order["authorizations"][0], None).json()
assert sorted(x["type"] for x in az["challenges"]) == ["http-01", "tls-alpn-01"], az
t.passed()

# ---- Negative paths.
url, order = c.new_order(["wrong.test.internal"])
set_txt("_acme-challenge.wrong.test.internal", "not-the-value")
expect_invalid(c, order["authorizations"][0], "dns-01", "incorrectResponse", '"not-the-value"', "wrong TXT value")

url, order = c.new_order(["missing.test.internal"])
expect_invalid(c, order["authorizations"][0], "dns-01", "dns", "no TXT record at _acme-challenge.missing.test.internal", "missing TXT")

url, order = c.new_order(["loop.test.internal"])
dns(MGMT, "set-cname", host="_acme-challenge.loop.test.internal.", target="_acme-challenge.loop2.test.internal.")
dns(MGMT, "set-cname", host="_acme-challenge.loop2.test.internal.", target="_acme-challenge.loop.test.internal.")
expect_invalid(c, order["authorizations"][0], "dns-01", "dns", "CNAME loop", "CNAME loop")

url, order = c.new_order(["persist-other.test.internal"])
set_txt("_validation-persist.persist-other.test.internal", "ca.test.internal; accounturi=https://elsewhere/acct/1")
expect_invalid(c, order["authorizations"][0], "dns-persist-01", "unauthorized", "is for account https://elsewhere/acct/1", "persist for another account")

url, order = c.new_order(["*.pw2.test.internal"])
set_txt("_validation-persist.pw2.test.internal", f"ca.test.internal; accounturi={c.kid}")
expect_invalid(c, order["authorizations"][0], "dns-persist-01", "unauthorized", "policy=wildcard", "persist wildcard without policy")

# A delegated validation zone: _acme-challenge is a CNAME into another zone that holds the TXT.
url, order = c.new_order(["delegated.test.internal"])
az, ch = c.challenge(order["authorizations"][0], "dns-01")
dns(MGMT, "set-cname", host="_acme-challenge.delegated.test.internal.", target="delegated.validation.test.internal.")
set_txt("delegated.validation.test.internal", dns_value(c, ch["token"]))
assert answer(c, order["authorizations"][0], "dns-01")["status"] == "valid"
t.passed()

# Retry: answered before the record exists; published during the backoff, the retry succeeds.
url, order = c.new_order(["late.test.internal"])
az, ch = c.challenge(order["authorizations"][0], "dns-01")
# (The answer itself may wait up to a second for the outcome, so the record is published on a timer.)
late = threading.Timer(0.5, set_txt, ("_acme-challenge.late.test.internal", dns_value(c, ch["token"])))
late.start()
ok(c.post(ch["url"], {}), 200, "answer before publishing")
late.join()
assert c.poll(order["authorizations"][0])["status"] == "valid"
t.passed()

# An address outside allow_private is refused, and the detail says so.
dns(MGMT, "add-a", host="private.test.internal.", addresses=["10.9.9.9"])
url, order = c.new_order(["private.test.internal"])
expect_invalid(c, order["authorizations"][0], "http-01", "connection", "not in [validation] allow_private", "private address")


# ---- tls-alpn-01 answered with bad certificates by a TLS responder made here.
def alpn_cert(san, ext_value, critical):
    key = ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acme")]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acme")])).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(datetime.utcnow() - timedelta(minutes=1))
         .not_valid_after(datetime.utcnow() + timedelta(days=1)).add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), False)
         .add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.5.5.7.1.31"), b"\x04\x20" + ext_value), critical))
    cert = b.sign(key, hashes.SHA256())
    f = tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False)
    f.write(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    f.close()
    return f.name


def serve_alpn(pem, connections=2, host="127.0.0.1"):
    """Answers `connections` TLS handshakes (the validator's first attempt and its one retry) on `host`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem)
    ctx.set_alpn_protocols(["acme-tls/1"])
    srv = socket.create_server((host, TLS_PORT))

    def run():
        srv.settimeout(15)
        for _ in range(connections):
            try:
                conn, _ = srv.accept()
                with ctx.wrap_socket(conn, server_side=True) as s:
                    s.recv(1)
            except Exception:
                pass
        srv.close()
    threading.Thread(target=run, daemon=True).start()


# An address named as a dNSName of its own text is tolerated (Caddy 2.6 does that), of another not.
for name, critical, san, what, detail in [
        ("alpn-nocrit.test.internal", False, "alpn-nocrit.test.internal", "not critical", "must be critical"),
        ("alpn-san.test.internal", True, "other.test.internal", "wrong SAN", "subjectAltName must be exactly dns:alpn-san.test.internal"),
        ("ip:127.0.0.3", True, "127.0.0.4", "another address as a dNSName", "subjectAltName must be exactly ip:127.0.0.3")]:
    url, order = c.new_order([name])
    az, ch = c.challenge(order["authorizations"][0], "tls-alpn-01")
    digest = hashlib.sha256(c.key_authorization(ch["token"]).encode()).digest()
    serve_alpn(alpn_cert(san, digest, critical), host=name[3:] if name.startswith("ip:") else "127.0.0.1")
    expect_invalid(c, order["authorizations"][0], "tls-alpn-01", "incorrectResponse", detail, "tls-alpn-01 " + what)

# ---- require_all: a second server asks two DNS servers, and both must see the record.
agree = t.Directory(AGREE)
a = t.Client(agree)
a.register()
url, order = a.new_order(["agree.test.internal"])
az, ch = a.challenge(order["authorizations"][0], "dns-01")
set_txt("_acme-challenge.agree.test.internal", dns_value(a, ch["token"]))  # only the first DNS server
expect_invalid(a, order["authorizations"][0], "dns-01", "dns", "every resolver must see the record", "one resolver of two")
url, order = a.new_order(["agree2.test.internal"])
az, ch = a.challenge(order["authorizations"][0], "dns-01")
for m in (MGMT, MGMT2):
    set_txt("_acme-challenge.agree2.test.internal", dns_value(a, ch["token"]), m)
assert answer(a, order["authorizations"][0], "dns-01")["status"] == "valid"
t.passed()

print(f"{t.checks} passed, 0 failed")
