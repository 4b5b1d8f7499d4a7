#include "core/ca/signer.hpp"

namespace pkictl::ca {
const EVP_MD* signature_digest(const EVP_PKEY* key) {
  const std::string md = crypto::default_digest_for(key);
  return md.empty() ? nullptr : EVP_get_digestbyname(md.c_str());
}

// Both sign through a copy of the key's prepared DigestSign context (an init per signature fetches
// the method and walks OpenSSL 3.0's name map).
Result<void> KeySigner::sign_certificate(X509* tbs) const {
  auto ctx = m_key.signing_context();
  if (!ctx || X509_sign_ctx(tbs, ctx.get()) <= 0) return ossl::fail("signing the certificate");
  return {};
}

Result<void> KeySigner::sign_crl(X509_CRL* tbs) const {
  auto ctx = m_key.signing_context();
  if (!ctx || X509_CRL_sign_ctx(tbs, ctx.get()) <= 0) return ossl::fail("signing the CRL");
  return {};
}

}  // namespace pkictl::ca
