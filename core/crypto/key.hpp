#pragma once
// Private and public keys: generation, PEM/DER, encrypted PKCS#8, descriptions.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/digest.hpp"
#include "core/crypto/ossl.hpp"
#include "core/util/result.hpp"
#include "core/util/secret.hpp"

namespace pkictl::crypto {
namespace detail {
struct DigestContexts;  // a key's prepared DigestSign/DigestVerify context (key.cpp)
}

enum class KeyType { EcP256, EcP384, Ed25519, Rsa2048, Rsa3072, Rsa4096 };

/** "ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096" (aliases: p256,
 * ecdsa-p256, rsa2048, …). Errors: InvalidArgument listing the accepted names. */
[[nodiscard]] Result<KeyType> parse_key_type(std::string_view name);
std::string_view to_string(KeyType type);
const std::vector<std::string>& key_type_names();

/** What a key is: algorithm "EC" / "RSA" / "Ed25519" / other, size and curve. */
struct KeyInfo {
  std::string algorithm;  // "EC", "RSA", "Ed25519", "Ed448", or OpenSSL's name
  int bits = 0;
  std::string curve;      // "P-256", "P-384", "P-521" for EC; empty otherwise
  std::string describe() const;  // "EC P-256", "RSA 3072"
};

class PublicKey final {
 public:
  /** Shares the key (EVP_PKEY is reference counted and immutable here). Copies also share the
   * prepared verification context (see verify). */
  explicit PublicKey(ossl::Ptr<EVP_PKEY> pkey);
  PublicKey(const PublicKey& other) : m_pkey(ossl::up_ref(other.m_pkey.get())), m_verifier(other.m_verifier) {}
  PublicKey& operator=(const PublicKey& other) {
    if (this != &other) {
      m_pkey = ossl::up_ref(other.m_pkey.get());
      m_verifier = other.m_verifier;
    }
    return *this;
  }
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;

  [[nodiscard]] static Result<PublicKey> from_spki_der(std::string_view der);
  /** An EC key from its curve (an OpenSSL group name: "P-256", "prime256v1", …) and encoded point,
   * imported through the key manager (the import checks the point is on the curve). Unlike
   * from_spki_der it runs no OpenSSL 3.0 decoder (~20 µs instead of ~140). Errors: BadPublicKey. */
  [[nodiscard]] static Result<PublicKey> from_ec_point(std::string_view group, std::string_view point);
  /** An Ed25519 key from its 32 raw bytes. Errors: BadPublicKey. */
  [[nodiscard]] static Result<PublicKey> from_ed25519(std::string_view raw);
  [[nodiscard]] static Result<PublicKey> from_pem(std::string_view pem);

  EVP_PKEY* get() const { return m_pkey.get(); }
  std::string spki_der() const;
  std::string to_pem() const;
  KeyInfo info() const;
  /** SHA-256 of the SubjectPublicKeyInfo DER. */
  Sha256 fingerprint() const;
  bool equals(const PublicKey& other) const;
  /** Verifies `sig` over `data` with the key's natural digest (or none for EdDSA). The first
   * verification with that digest prepares a DigestVerify context that this key and its copies
   * then copy (OpenSSL 3.0's init fetches the method and walks its name map each time; a copy is
   * ~0.3 µs against ~7). Safe from several threads. */
  [[nodiscard]] Result<bool> verify(std::string_view data, std::string_view sig,
                                    std::string_view digest = "") const;

 private:
  ossl::Ptr<EVP_PKEY> m_pkey;
  std::shared_ptr<detail::DigestContexts> m_verifier;  // shared by copies; never null except when moved from
};

class PrivateKey final {
 public:
  explicit PrivateKey(ossl::Ptr<EVP_PKEY> pkey);
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  [[nodiscard]] static Result<PrivateKey> generate(KeyType type);
  /**
   * Reads a PEM private key. Encrypted PKCS#8 needs `passphrase`; a wrong one gives
   * BadPassphrase. Unencrypted keys are accepted only when `allow_unencrypted` is set.
   * Errors: BadPassphrase, Malformed (not a private key PEM), Crypto.
   */
  [[nodiscard]] static Result<PrivateKey> from_pem(std::string_view pem, const Secret* passphrase,
                                                   bool allow_unencrypted = false);
  /** Encrypted PKCS#8 PEM: PBES2 with scrypt (N=2^14, r=8, p=1) and AES-256-CBC. */
  [[nodiscard]] Result<std::string> to_encrypted_pem(const Secret& passphrase) const;
  /** Unencrypted PKCS#8 PEM, for keys whose file holds no long-term secret (ACME tests). */
  [[nodiscard]] Result<std::string> to_unencrypted_pem() const;

  EVP_PKEY* get() const { return m_pkey.get(); }
  PublicKey public_key() const;
  /** Whether `pub` is this key's public half (compared in place, without making public_key()). */
  bool pairs_with(const PublicKey& pub) const;
  KeyInfo info() const;
  /** The digest used for X.509 signatures by this key: "SHA256"/"SHA384"/"SHA512" or "" (EdDSA). */
  std::string default_digest() const;
  /** Signs `data` (digest as default_digest() unless given). */
  [[nodiscard]] Result<std::string> sign(std::string_view data, std::string_view digest = "") const;
  /** A DigestSign context for default_digest(), ready for one signature (X509_sign_ctx, …): a copy
   * of one prepared on first use, as PublicKey::verify does. Null if the key cannot sign. Safe
   * from several threads. */
  ossl::Ptr<EVP_MD_CTX> signing_context() const;

 private:
  ossl::Ptr<EVP_PKEY> m_pkey;
  std::shared_ptr<detail::DigestContexts> m_signer;  // never null except when moved from
};

KeyInfo key_info(const EVP_PKEY* pkey);
std::string default_digest_for(const EVP_PKEY* pkey);

}  // namespace pkictl::crypto
