#include <gtest/gtest.h>

#include <sstream>

#include "core/log/logger.hpp"

using namespace pkictl;

TEST(Logger, WritesOneSortedJsonObjectALineWithTimeLevelAndMessage) {
  std::ostringstream out;
  log::Logger logger(out, log::Level::Info);
  logger.info("certificate issued", {{"serial", "0a"}, {"account", "a1"}, {"sans", {"dns:a.internal"}}});
  logger.warn("no fields");
  logger.debug("below the level");
  logger.error("bad \xff byte", {{"zeta", 1}});
  std::istringstream lines(out.str());
  std::string first, second, third, extra;
  ASSERT_TRUE(std::getline(lines, first) && std::getline(lines, second) && std::getline(lines, third));
  EXPECT_FALSE(std::getline(lines, extra));  // debug is below Info
  // Keys in sorted order (e2e checks grep for neighbouring fields), the fixed ones among them.
  EXPECT_EQ(first.find(R"({"account":"a1","level":"info","msg":"certificate issued","sans":["dns:a.internal"],"serial":"0a","time":")"), 0u) << first;
  const auto j = nlohmann::json::parse(second);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["msg"], "no fields");
  EXPECT_EQ(j.size(), 3u);
  EXPECT_TRUE(nlohmann::json::accept(third)) << "invalid UTF-8 is replaced, not written raw";
}
