#pragma once
// An immutable X.509 certificate with cheap copies (up_ref).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/key.hpp"
#include "core/crypto/ossl.hpp"
#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/x509/general_name.hpp"

namespace pkictl::x509 {

class Certificate final {
 public:
  explicit Certificate(ossl::Ptr<X509> x509) : m_x509(std::move(x509)) {}
  Certificate(const Certificate& o) : m_x509(ossl::up_ref(o.m_x509.get())) {}
  Certificate& operator=(const Certificate& o) {
    if (this != &o) m_x509 = ossl::up_ref(o.m_x509.get());
    return *this;
  }
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;

  /** One certificate, PEM (label CERTIFICATE) or DER; trailing data is refused. Errors: Malformed. */
  [[nodiscard]] static Result<Certificate> parse(std::string_view pem_or_der);
  /** Every certificate in a PEM bundle (or the one DER certificate). Errors: Malformed. */
  [[nodiscard]] static Result<std::vector<Certificate>> parse_all(std::string_view pem_or_der);
  [[nodiscard]] static Result<Certificate> load(const std::string& path);
  [[nodiscard]] static Result<std::vector<Certificate>> load_all(const std::string& path);

  X509* get() const { return m_x509.get(); }
  std::string der() const;
  std::string pem() const;
  std::string subject_text() const;
  std::string issuer_text() const;
  std::string subject_der() const;
  std::string issuer_der() const;
  std::string common_name() const;
  util::Bytes serial() const;
  std::string serial_hex() const;
  TimePoint not_before() const;
  TimePoint not_after() const;
  crypto::PublicKey public_key() const;
  crypto::Sha256 fingerprint() const;  // SHA-256 of the DER
  crypto::Sha256 spki_fingerprint() const;  // SHA-256 of the SubjectPublicKeyInfo as encoded here
  std::optional<util::Bytes> subject_key_id() const;
  std::optional<util::Bytes> authority_key_id() const;
  bool is_ca() const;
  std::optional<long> path_len() const;
  bool is_self_issued() const;
  std::vector<GeneralName> sans() const;
  /** Does `issuer`'s key verify this certificate's signature? */
  bool signed_by(const crypto::PublicKey& issuer) const;
  bool operator==(const Certificate& o) const { return X509_cmp(m_x509.get(), o.m_x509.get()) == 0; }

 private:
  ossl::Ptr<X509> m_x509;
};

/** The DER of every certificate in a PEM bundle (CERTIFICATE / TRUSTED CERTIFICATE blocks), or the
 * input itself when it is not PEM; nothing is parsed. Errors: Malformed. */
[[nodiscard]] Result<std::vector<std::string>> certificate_ders(std::string_view pem_or_der);

/** What a client checks of a certificate it has just been issued, read on OpenSSL's ASN.1 templates
 * with the SubjectPublicKeyInfo kept raw (see spki.hpp): d2i_X509 would run OpenSSL 3.0's key
 * decoder, the largest cost of our ACME client per order. The whole structure is parsed (bad DER
 * and trailing data are refused); the signature is not checked. Errors: Malformed. */
struct ObtainedCertificate {
  crypto::PublicKey key;
  std::vector<GeneralName> sans;
};
[[nodiscard]] Result<ObtainedCertificate> read_obtained_certificate(std::string_view der);

/** PEM text of a DER certificate without parsing it (the DER is trusted: it came from our store). */
std::string der_to_pem(std::string_view der);
/** Concatenated PEM of several certificates. */
std::string to_pem_bundle(const std::vector<Certificate>& certs);
/** A PKCS #7 "certs-only" bundle (SignedData without signers or content, RFC 8551 §3.8 and
 * RFC 2315), DER: what application/pkcs7-mime and .p7b files carry. Errors: Crypto. */
[[nodiscard]] Result<std::string> to_pkcs7_certs_only(const std::vector<Certificate>& certs);
TimePoint asn1_time_to_point(const ASN1_TIME* t);

}  // namespace pkictl::x509
