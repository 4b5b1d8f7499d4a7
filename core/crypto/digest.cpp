#include "core/crypto/digest.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/crypto/ossl.hpp"

namespace pkictl::crypto {

Sha256 sha256(std::string_view data) {
  Sha256 out{};
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

#include <openssl/hmac.h>

namespace pkictl::crypto {
Sha256 hmac_sha256(std::string_view key, std::string_view data) {
  Sha256 out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       out.data(), &len);
  return out;
}
}  // namespace pkictl::crypto
