#pragma once
// The only thing that produces signatures. File keys now; PKCS#11 keys plug in behind the same
// interface (an OpenSSL provider key is an EVP_PKEY too).
#include <memory>
#include <string>
#include <string_view>

#include "core/crypto/key.hpp"
#include "core/util/result.hpp"

namespace pkictl::ca {

/** The digest a certificate or CRL signature by `key` uses (nullptr for EdDSA): one rule for
 * every Signer, so a file key and a token key of the same type sign with the same algorithm. */
const EVP_MD* signature_digest(const EVP_PKEY* key);

class Signer {
 public:
  virtual ~Signer() = default;
  virtual crypto::PublicKey public_key() const = 0;
  /** Signs a prepared X509 in place (algorithm from the key). Errors: Crypto. */
  [[nodiscard]] virtual Result<void> sign_certificate(X509* tbs) const = 0;
  [[nodiscard]] virtual Result<void> sign_crl(X509_CRL* tbs) const = 0;
  /** A raw signature over `data` (ECDSA in DER). Errors: Crypto. */
  [[nodiscard]] virtual Result<std::string> sign(std::string_view data) const = 0;
};

/** A Signer over a private key held in memory (decrypted from encrypted PKCS#8). */
class KeySigner final : public Signer {
 public:
  explicit KeySigner(crypto::PrivateKey key) : m_key(std::move(key)), m_pub(m_key.public_key()) {}
  crypto::PublicKey public_key() const override { return m_pub; }
  [[nodiscard]] Result<void> sign_certificate(X509* tbs) const override;
  [[nodiscard]] Result<void> sign_crl(X509_CRL* tbs) const override;
  [[nodiscard]] Result<std::string> sign(std::string_view data) const override { return m_key.sign(data); }

 private:
  crypto::PrivateKey m_key;
  crypto::PublicKey m_pub;  // derived once: each derivation is an encode + decode round trip
};

}  // namespace pkictl::ca
