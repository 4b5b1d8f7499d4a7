#pragma once
// Replay nonces (RFC 8555 §6.5) without storing each one: a nonce is an HMAC-tagged counter of
// this process. It is accepted once, while it is among the last `window` nonces issued; after a
// restart old nonces are refused with badNonce (and a fresh nonce), which clients retry.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/crypto/digest.hpp"

namespace pkictl::server {

class NonceService final {
 public:
  /** `window`: how many of the most recently issued nonces stay redeemable (memory: window/8 bytes). */
  explicit NonceService(std::uint64_t window = 1u << 20);
  std::string issue();
  /** True once for each nonce this process issued, while it is within the window. */
  bool redeem(const std::string& nonce);
  std::uint64_t issued() const { return m_counter.load(); }

 private:
  std::string tag(std::uint64_t counter) const;
  std::unique_ptr<crypto::HmacSha256Key> m_key;
  std::uint32_t m_epoch;
  std::uint64_t m_window;
  std::atomic<std::uint64_t> m_counter{0};
  std::mutex m_mutex;
  std::vector<std::uint64_t> m_used;  // bitmap over counter % window
};

}  // namespace pkictl::server
