#include "core/crypto/digest.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/crypto/ossl.hpp"

namespace pkictl::crypto {

Sha256 sha256(std::string_view data) {
  // Fetched once: SHA256() fetches the algorithm (a global lock) on every call under OpenSSL 3.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  Sha256 out{};
  if (!md || EVP_Digest(data.data(), data.size(), out.data(), nullptr, md, nullptr) != 1)
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

std::string sha256_hex(std::string_view data) { return util::to_hex(sha256(data)); }

std::string fingerprint_text(const Sha256& d) { return util::to_hex(d, ':', true); }

Result<util::Bytes> random_bytes(std::size_t n) {
  util::Bytes out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) return ossl::fail("RAND_bytes");
  return out;
}

}  // namespace pkictl::crypto

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace pkictl::crypto {
struct HmacSha256Key::State {
  ossl::Ptr<EVP_MAC_CTX> keyed;
};

HmacSha256Key::HmacSha256Key(std::string_view key) : m_state(std::make_unique<State>()) {
  ossl::Ptr<EVP_MAC> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  m_state->keyed.reset(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (!m_state->keyed || EVP_MAC_init(m_state->keyed.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1)
    throw std::runtime_error("HMAC-SHA256 is not available: " + ossl::drain_errors());
}

HmacSha256Key::~HmacSha256Key() = default;

Sha256 HmacSha256Key::mac(std::string_view data) const {
  Sha256 out{};
  ossl::Ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_dup(m_state->keyed.get()));
  std::size_t len = 0;
  if (!ctx || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size())
    throw std::runtime_error("HMAC-SHA256 failed: " + ossl::drain_errors());
  return out;
}

Sha256 hmac_sha256(std::string_view key, std::string_view data) { return HmacSha256Key(key).mac(data); }
}  // namespace pkictl::crypto
