#include <gtest/gtest.h>

#include <set>

#include "core/util/text.hpp"

using namespace pkictl;

TEST(Duration, ParsesUnitsAndCombinations) {
  struct Case { const char* text; long long seconds; };
  for (const Case& c : {Case{"90d", 90 * 86400LL}, Case{"24h", 86400}, Case{"20y", 20 * 365 * 86400LL},
                        Case{"1d12h", 36 * 3600}, Case{"45s", 45}, Case{"2w", 14 * 86400}}) {
    SCOPED_TRACE(c.text);
    auto r = util::parse_duration(c.text);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->count(), c.seconds);
  }
}

TEST(Duration, RefusesGarbage) {
  for (const char* bad : {"", "10", "d", "5x", "-3d", "0d", "99999999y"}) {
    SCOPED_TRACE(bad);
    auto r = util::parse_duration(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgument);
  }
}

TEST(Base64Url, RoundTripsAndRejectsPadding) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "\xff\xfe\x00\x01"}) {
    auto enc = util::base64url_encode(s);
    EXPECT_EQ(enc.find('='), std::string::npos);
    auto dec = util::base64url_decode(enc);
    ASSERT_TRUE(dec);
    EXPECT_EQ(std::string(dec->begin(), dec->end()), s);
  }
  EXPECT_FALSE(util::base64url_decode("Zm8="));
  EXPECT_FALSE(util::base64url_decode("Zm+v"));
  EXPECT_FALSE(util::base64url_decode("A"));
}

TEST(Time, FormatsAndParsesRfc3339) {
  auto t = util::parse_time("2026-11-30T00:30:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(util::format_time(*t), "2026-11-30T00:30:00Z");
  auto off = util::parse_time("2026-11-30T02:30:00.123+02:00");
  ASSERT_TRUE(off);
  EXPECT_EQ(*off, *t);
  EXPECT_FALSE(util::parse_time("2026-11-30 00:30"));
  EXPECT_FALSE(util::parse_time("2026-02-30T00:00:00Z"));
}

TEST(Text, JoinPutsTheSeparatorBetweenItemsOnly) {
  EXPECT_EQ(util::join(std::vector<std::string>{}), "");
  EXPECT_EQ(util::join(std::vector<std::string>{"a"}), "a");
  EXPECT_EQ(util::join(std::vector<std::string>{"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(util::join(std::vector<std::string>{"", "b"}, ","), ",b");
  EXPECT_EQ(util::join(std::set<std::string>{"y", "x"}, " "), "x y");
}

TEST(Text, TrimDropsSpacesAndTabsAtBothEndsOnly) {
  EXPECT_EQ(util::trim(" \tapplication/jose+json \t"), "application/jose+json");
  EXPECT_EQ(util::trim("a b"), "a b");
  EXPECT_EQ(util::trim(" \t "), "");
  EXPECT_EQ(util::trim(""), "");
}

TEST(Text, WithoutTrailingSlashes) {
  EXPECT_EQ(util::without_trailing_slashes("https://a.corp//"), "https://a.corp");
  EXPECT_EQ(util::without_trailing_slashes("https://a.corp"), "https://a.corp");
  EXPECT_EQ(util::without_trailing_slashes("///"), "");
  EXPECT_EQ(util::without_trailing_slashes(""), "");
}
