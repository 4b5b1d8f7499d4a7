#include "server/wfe/load_shedder.hpp"

#include "core/util/text.hpp"

namespace pkictl::server {

LoadShedder::LoadShedder(std::chrono::seconds threshold) : m_threshold(threshold), m_threshold_text(util::format_duration(threshold)) {}

LoadShedder::Change LoadShedder::observe(Clock::duration late, Clock::time_point now) {
  if (m_threshold.count() > 0 && late > m_threshold) m_until.store(ticks(now + hold), std::memory_order_relaxed);
  const bool now_shedding = shedding(now);
  const Change change = now_shedding == m_was_shedding ? Change::None : now_shedding ? Change::Started : Change::Ended;
  m_was_shedding = now_shedding;
  return change;
}

}  // namespace pkictl::server
