#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/util/result.hpp"
#include "core/util/text.hpp"

namespace pkictl::crypto {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view data);
inline Sha256 sha256(std::span<const std::uint8_t> data) {
  return sha256(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}
/** Lower-case hex, no separators (for records and JSON). */
std::string sha256_hex(std::string_view data);
/** Upper-case hex with colons, as `openssl x509 -fingerprint -sha256` prints it. */
std::string fingerprint_text(const Sha256& d);

/** Bytes from the CSPRNG (RAND_bytes). Errors: Crypto. */
[[nodiscard]] Result<util::Bytes> random_bytes(std::size_t n);

}  // namespace pkictl::crypto

namespace pkictl::crypto {
/** HMAC-SHA256 (EVP_MAC). */
Sha256 hmac_sha256(std::string_view key, std::string_view data);

/** An HMAC-SHA256 key made ready once: mac() copies the keyed state instead of fetching the
 * algorithm and keying it again (under OpenSSL 3.0 the fetch takes a lock all threads share:
 * 0.6 µs a MAC instead of 1.5 µs alone and ~8 µs on a busy server). Thread-safe. */
class HmacSha256Key final {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;
  Sha256 mac(std::string_view data) const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};
}  // namespace pkictl::crypto
