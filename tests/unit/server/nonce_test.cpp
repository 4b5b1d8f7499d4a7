#include <gtest/gtest.h>

#include "server/nonce/nonce_service.hpp"

using pkictl::server::NonceService;

TEST(Nonce, EachNonceIsRedeemedOnce) {
  NonceService n;
  const auto a = n.issue();
  const auto b = n.issue();
  EXPECT_NE(a, b);
  EXPECT_TRUE(n.redeem(b));
  EXPECT_TRUE(n.redeem(a));
  EXPECT_FALSE(n.redeem(a));
  EXPECT_FALSE(n.redeem(b));
}

TEST(Nonce, RefusesForgeriesAndOtherProcessesNonces) {
  NonceService n, other;
  EXPECT_FALSE(n.redeem(other.issue()));
  std::string forged = n.issue();
  forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(n.redeem(forged));
  EXPECT_FALSE(n.redeem(""));
  EXPECT_FALSE(n.redeem("not base64url!"));
}

TEST(Nonce, AFreshNonceStaysValidUntilTheWindowPassesIt) {
  NonceService n(/*window=*/128);
  const auto first = n.issue();
  for (int i = 0; i < 126; ++i) n.issue();
  EXPECT_TRUE(n.redeem(first));  // 127 issued after it: still inside the window
  const auto second = n.issue();
  for (int i = 0; i < 128; ++i) n.issue();
  EXPECT_FALSE(n.redeem(second));  // pushed out of the window
}

TEST(Nonce, AGracefulRestartKeepsIssuedNoncesAndWhichWereUsed) {
  constexpr std::int64_t now = 1'800'000'000;
  NonceService before(/*window=*/256);
  const auto kept = before.issue();
  const auto used = before.issue();
  ASSERT_TRUE(before.redeem(used));
  const std::string state = before.export_state(now);

  NonceService after(/*window=*/256);
  ASSERT_TRUE(after.import_state(state, now + 5, 3600));
  EXPECT_EQ(after.issued(), 2u);
  EXPECT_TRUE(after.redeem(kept));   // issued before the restart, first use after it
  EXPECT_FALSE(after.redeem(kept));  // and only once
  EXPECT_FALSE(after.redeem(used));  // used before the restart: still used
  const auto fresh = after.issue();  // the counter goes on: no nonce of before is issued again
  EXPECT_NE(fresh, kept);
  EXPECT_NE(fresh, used);
  EXPECT_TRUE(after.redeem(fresh));
}

TEST(Nonce, AStaleMalformedOrMismatchedStateIsNotImported) {
  constexpr std::int64_t now = 1'800'000'000;
  NonceService before(/*window=*/256);
  const auto nonce = before.issue();
  const std::string state = before.export_state(now);
  auto refuses = [&](std::string_view s, std::int64_t at, std::uint64_t window = 256) {
    NonceService n(window);
    const bool imported = n.import_state(s, at, 3600);
    // Nothing changed: the nonce of before is still foreign.
    return !imported && !n.redeem(nonce);
  };
  EXPECT_TRUE(refuses(state, now + 3601));                     // over an hour old
  EXPECT_TRUE(refuses(state, now - 120));                      // from the future
  EXPECT_TRUE(refuses(state, now, /*window=*/512));            // another window size
  EXPECT_TRUE(refuses(state.substr(0, state.size() - 1), now));  // truncated
  EXPECT_TRUE(refuses("", now));
  std::string other_magic = state;
  other_magic[0] = 'x';
  EXPECT_TRUE(refuses(other_magic, now));
}
