#pragma once
// Replay nonces (RFC 8555 §6.5) without storing each one: a nonce is an HMAC-tagged counter of
// this process. It is accepted once, while it is among the last `window` nonces issued. A graceful
// stop hands the state (key, epoch, counter, which nonces were used) to the next start through
// export_state/import_state, so a nonce issued before a restart is still accepted once after it;
// after a crash old nonces are refused with badNonce (and a fresh nonce), which clients retry.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
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

  /** Everything needed to go on redeeming this process's nonces, stamped with `now_unix`. Secret
   * (it holds the HMAC key): store it 0600, and only while the server is stopped. */
  std::string export_state(std::int64_t now_unix);
  /** Continues from export_state's output, unless it is malformed, from another window size, or
   * not from the last `max_age_s` seconds; false (and nothing changed) then. Call before serving.
   * Whoever imports must make sure the same state can never be imported again (a second import
   * would forget the nonces used since the first). */
  bool import_state(std::string_view state, std::int64_t now_unix, std::int64_t max_age_s);

 private:
  std::string tag(std::uint64_t counter) const;
  util::Bytes m_key_bytes;  // what m_key was made from, for export_state
  std::unique_ptr<crypto::HmacSha256Key> m_key;
  std::uint32_t m_epoch;
  std::uint64_t m_window;
  std::atomic<std::uint64_t> m_counter{0};
  std::mutex m_mutex;
  std::vector<std::uint64_t> m_used;  // bitmap over counter % window
};

}  // namespace pkictl::server
