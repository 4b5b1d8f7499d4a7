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

class UntrustedCsr final {
 public:
  /** PEM ("CERTIFICATE REQUEST" / "NEW CERTIFICATE REQUEST") or DER. Errors: BadCsr. */
  [[nodiscard]] static Result<UntrustedCsr> parse(std::string_view pem_or_der);
  /** Checks the self-signature. Errors: BadCsr ("signature does not verify"). */
  [[nodiscard]] Result<VerifiedCsr> verify() const;

 private:
  explicit UntrustedCsr(std::shared_ptr<X509_REQ> req) : m_req(std::move(req)) {}
  // Shared with the VerifiedCsr made from it: parsing twice costs more than the whole signature
  // check under OpenSSL 3.0 (every d2i re-runs the key decoders). Neither side mutates it.
  std::shared_ptr<X509_REQ> m_req;
};

class VerifiedCsr final {
 public:
  const crypto::PublicKey& public_key() const { return m_key; }
  std::string subject_der() const;
  std::string subject_text() const;
  std::string common_name() const;
  /** SANs from the extensionRequest attribute (empty if none). */
  std::vector<GeneralName> requested_sans() const;
  std::string der() const;
  /** SHA-256 of the SubjectPublicKeyInfo as encoded in the CSR. */
  crypto::Sha256 spki_fingerprint() const;
  /** The SubjectPublicKeyInfo as the CSR encodes it (kept alive with the CSR), for
   * CertificateSpec::subject_spki. */
  std::shared_ptr<const X509_PUBKEY> spki() const { return {m_req, X509_REQ_get_X509_PUBKEY(m_req.get())}; }

 private:
  friend class UntrustedCsr;
  VerifiedCsr(std::shared_ptr<X509_REQ> req, crypto::PublicKey key) : m_req(std::move(req)), m_key(std::move(key)) {}
  std::shared_ptr<X509_REQ> m_req;
  crypto::PublicKey m_key;
};

/** A PEM CSR for `subject_der` with optional SANs, signed by `key`. Errors: Crypto. */
[[nodiscard]] Result<std::string> make_csr_pem(std::string_view subject_der, const std::vector<GeneralName>& sans,
                                               const crypto::PrivateKey& key);

}  // namespace pkictl::x509
