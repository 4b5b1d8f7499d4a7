#pragma once
// Backpressure for retry storms: when the I/O threads fall behind (a handler posted now waits
// longer than server.overload_lag for a thread), the WFE refuses new orders and new accounts with
// rateLimited and a spread Retry-After, so the orders already under way (challenges, finalize,
// downloads, polls) finish instead of every client's requests slowing down together.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace pkictl::server {

class LoadShedder final {
 public:
  using Clock = std::chrono::steady_clock;
  /** Shedding lasts at least this long after the last late probe (no flapping at the edge). */
  static constexpr std::chrono::seconds hold{2};

  /** `threshold` 0: never sheds. */
  explicit LoadShedder(std::chrono::seconds threshold);

  enum class Change { None, Started, Ended };
  /** One probe of the event loop: `late` is how long past its due time it ran. */
  Change observe(Clock::duration late, Clock::time_point now = Clock::now());
  bool shedding(Clock::time_point now = Clock::now()) const { return ticks(now) < m_until.load(std::memory_order_relaxed); }
  std::chrono::seconds threshold() const { return m_threshold; }
  /** The threshold as pkictl.toml writes it ("1s"), for logs, audit events and refusals. */
  const std::string& threshold_text() const { return m_threshold_text; }

 private:
  static std::int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
  std::chrono::seconds m_threshold;
  std::string m_threshold_text;
  std::atomic<std::int64_t> m_until{0};  // shed while the clock is before this
  bool m_was_shedding = false;           // only the probe (one thread at a time) reads and writes it
};

}  // namespace pkictl::server
