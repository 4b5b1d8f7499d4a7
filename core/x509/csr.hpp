#pragma once
// Certificate signing requests. Trust is in the type: an UntrustedCsr becomes a VerifiedCsr
// only after its self-signature verifies.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/key.hpp"
#include "core/crypto/ossl.hpp"
#include "core/util/result.hpp"
#include "core/x509/general_name.hpp"

namespace pkictl::x509 {

class VerifiedCsr;
struct CsrParts;  // the request as parsed, its key still undecoded (csr.cpp)

class UntrustedCsr final {
 public:
  /** PEM ("CERTIFICATE REQUEST" / "NEW CERTIFICATE REQUEST") or DER. Errors: BadCsr. */
  [[nodiscard]] static Result<UntrustedCsr> parse(std::string_view pem_or_der);
  /** Checks the self-signature. Errors: BadCsr ("signature does not verify"). */
  [[nodiscard]] Result<VerifiedCsr> verify() const;

 private:
  explicit UntrustedCsr(std::shared_ptr<const CsrParts> parts) : m_parts(std::move(parts)) {}
  // Parsed once and shared with the VerifiedCsr made from it; neither side mutates it. The key is
  // kept as the bits the request carries until verify() (OpenSSL 3.0's key decoder costs ~140 µs,
  // twice an ECDSA verification; EC and Ed25519 keys are imported from their bits instead).
  std::shared_ptr<const CsrParts> m_parts;
};

class VerifiedCsr final {
 public:
  const crypto::PublicKey& public_key() const { return m_key; }
  std::string subject_der() const;
  std::string subject_text() const;
  std::string common_name() const;
  /** SANs from the extensionRequest attribute (empty if none). */
  std::vector<GeneralName> requested_sans() const;
  /** The request as it was received (DER). */
  std::string der() const;
  /** SHA-256 of the SubjectPublicKeyInfo as encoded in the CSR. */
  crypto::Sha256 spki_fingerprint() const;
  /** The SubjectPublicKeyInfo as the CSR encodes it, for CertificateSpec::subject_spki. */
  std::shared_ptr<const X509_PUBKEY> spki() const { return m_spki; }

 private:
  friend class UntrustedCsr;
  VerifiedCsr(std::shared_ptr<const CsrParts> parts, std::shared_ptr<const X509_PUBKEY> spki, crypto::PublicKey key)
      : m_parts(std::move(parts)), m_spki(std::move(spki)), m_key(std::move(key)) {}
  std::shared_ptr<const CsrParts> m_parts;
  std::shared_ptr<const X509_PUBKEY> m_spki;
  crypto::PublicKey m_key;
};

/** A DER CSR for `subject_der` with optional SANs, signed by `key`. Errors: Crypto. */
[[nodiscard]] Result<std::string> make_csr_der(std::string_view subject_der, const std::vector<GeneralName>& sans,
                                               const crypto::PrivateKey& key);
/** The same CSR as PEM ("CERTIFICATE REQUEST"). */
[[nodiscard]] Result<std::string> make_csr_pem(std::string_view subject_der, const std::vector<GeneralName>& sans,
                                               const crypto::PrivateKey& key);

}  // namespace pkictl::x509
