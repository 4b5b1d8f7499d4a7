#pragma once
// Helpers for x509/ca tests: CAs and leaves made in memory.
#include "core/ca/issuer.hpp"
#include "core/x509/name.hpp"

namespace pkictl::test {

inline TimePoint t0() { return TimePoint(Seconds(1'790'000'000)); }  // 2026-09-21

inline crypto::PrivateKey copy_key(const crypto::PrivateKey& k) {
  return *crypto::PrivateKey::from_pem(*k.to_unencrypted_pem(), nullptr, true);
}

struct TestCa {
  crypto::PrivateKey key;
  x509::Certificate cert;
};

inline x509::CertificateSpec ca_spec(const char* dn, TimePoint nb, Seconds life, std::optional<int> path_len = std::nullopt) {
  x509::CertificateSpec spec;
  spec.subject_der = *x509::parse_name(dn);
  spec.basic_constraints = x509::BasicConstraints{true, path_len};
  spec.key_usage = x509::KeyCertSign | x509::CrlSign;
  spec.not_before = nb;
  spec.not_after = nb + life;
  return spec;
}

inline TestCa make_root(const char* dn = "CN=Test Root", TimePoint nb = t0(), Seconds life = Seconds(10LL * 365 * 86400)) {
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  ca::KeySigner signer(copy_key(key));
  ca::MemorySerialRegistry serials;
  auto cert = *ca::Issuer::self_sign(ca_spec(dn, nb, life), signer, serials);
  return TestCa{std::move(key), cert};
}

inline Result<x509::Certificate> issue_under(const TestCa& ca, const x509::CertificateSpec& spec, const crypto::PublicKey& key) {
  ca::KeySigner signer(copy_key(ca.key));
  ca::Issuer issuer(ca.cert, signer);
  ca::MemorySerialRegistry serials;
  return issuer.issue(spec, key, serials);
}

inline x509::CertificateSpec leaf_spec(std::vector<x509::GeneralName> sans, TimePoint nb = t0(), Seconds life = Seconds(86400)) {
  x509::CertificateSpec spec;
  // An IP in the CN is matched against DNS name constraints by OpenSSL: keep CNs to DNS names.
  spec.subject_der = *x509::parse_name(sans.front().type == x509::GeneralNameType::Dns ? "CN=" + sans.front().value : "O=Test");
  spec.sans = std::move(sans);
  spec.basic_constraints = x509::BasicConstraints{false, std::nullopt};
  spec.key_usage = x509::DigitalSignature;
  spec.extended_key_usage = {"serverAuth"};
  spec.not_before = nb;
  spec.not_after = nb + life;
  return spec;
}

}  // namespace pkictl::test
