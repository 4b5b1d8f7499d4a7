#pragma once
// Time always comes from a Clock; nothing in core calls system_clock::now() directly.
#include <chrono>

namespace pkictl {

using Seconds = std::chrono::seconds;
using TimePoint = std::chrono::sys_seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::floor<Seconds>(std::chrono::system_clock::now());
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint t) : m_now(t) {}
  TimePoint now() const override { return m_now; }
  void advance(Seconds d) { m_now += d; }
  void set(TimePoint t) { m_now = t; }

 private:
  TimePoint m_now;
};

}  // namespace pkictl
