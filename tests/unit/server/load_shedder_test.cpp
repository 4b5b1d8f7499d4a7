#include "server/wfe/load_shedder.hpp"

#include <gtest/gtest.h>

namespace pkictl::server {
namespace {
using namespace std::chrono_literals;
using Clock = LoadShedder::Clock;

TEST(LoadShedder, ShedsFromALateProbeUntilTheHoldHasPassedWithoutOne) {
  LoadShedder s(1s);
  EXPECT_EQ(s.threshold_text(), "1s");  // as pkictl.toml writes it, for the log and the refusals
  const auto t0 = Clock::time_point{} + 1000s;
  EXPECT_EQ(s.observe(5ms, t0), LoadShedder::Change::None);
  EXPECT_FALSE(s.shedding(t0));
  EXPECT_EQ(s.observe(1500ms, t0 + 100ms), LoadShedder::Change::Started);
  EXPECT_TRUE(s.shedding(t0 + 100ms));
  // Prompt probes do not end it before the hold has passed since the last late one.
  EXPECT_EQ(s.observe(1ms, t0 + 1s), LoadShedder::Change::None);
  EXPECT_TRUE(s.shedding(t0 + 2s));
  EXPECT_EQ(s.observe(1200ms, t0 + 2s), LoadShedder::Change::None);  // late again: held longer
  EXPECT_TRUE(s.shedding(t0 + 3s));
  EXPECT_EQ(s.observe(1ms, t0 + 4s + 1ms), LoadShedder::Change::Ended);
  EXPECT_FALSE(s.shedding(t0 + 4s + 1ms));
}

TEST(LoadShedder, ALagAtTheThresholdOrAZeroThresholdNeverSheds) {
  LoadShedder at(1s);
  const auto t0 = Clock::time_point{} + 1000s;
  EXPECT_EQ(at.observe(1s, t0), LoadShedder::Change::None);
  EXPECT_FALSE(at.shedding(t0));
  LoadShedder off(0s);
  EXPECT_EQ(off.observe(60s, t0), LoadShedder::Change::None);
  EXPECT_FALSE(off.shedding(t0));
}

}  // namespace
}  // namespace pkictl::server
