#include "core/ca/signer.hpp"

namespace pkictl::ca {
namespace {
const EVP_MD* digest_for(const crypto::PrivateKey& key) { return signature_digest(key.get()); }
}  // namespace

const EVP_MD* signature_digest(const EVP_PKEY* key) {
  const std::string md = crypto::default_digest_for(key);
  return md.empty() ? nullptr : EVP_get_digestbyname(md.c_str());
}

Result<void> KeySigner::sign_certificate(X509* tbs) const {
  if (X509_sign(tbs, m_key.get(), digest_for(m_key)) <= 0) return ossl::fail("signing the certificate");
  return {};
}

Result<void> KeySigner::sign_crl(X509_CRL* tbs) const {
  if (X509_CRL_sign(tbs, m_key.get(), digest_for(m_key)) <= 0) return ossl::fail("signing the CRL");
  return {};
}

}  // namespace pkictl::ca
