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
