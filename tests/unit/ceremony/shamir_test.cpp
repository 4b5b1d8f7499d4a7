// Shamir key custody: every m-subset rebuilds the secret, fewer refuse, text shares round-trip and
// catch typos, two splits of one secret share nothing.
#include <gtest/gtest.h>

#include "ceremony/shamir.hpp"

using namespace pkictl;

TEST(Shamir, AnyThresholdSubsetRebuilds) {
  const Secret secret(std::string("-----BEGIN PRIVATE KEY-----\nnot really a key but 64 bytes of it\x01\x02\x00\xff\n"));
  auto shares = *ceremony::split(secret, 3, 5, "test", "ab12");
  ASSERT_EQ(shares.size(), 5u);
  int subsets = 0;
  for (int a = 0; a < 5; ++a)
    for (int b = a + 1; b < 5; ++b)
      for (int c = b + 1; c < 5; ++c) {
        auto r = ceremony::combine({shares[a], shares[c], shares[b]});
        ASSERT_TRUE(r) << r.error().detail;
        EXPECT_EQ(r->view(), secret.view());
        ++subsets;
      }
  EXPECT_EQ(subsets, 10);
  auto few = ceremony::combine({shares[0], shares[4]});
  ASSERT_FALSE(few);
  EXPECT_NE(few.error().detail.find("reveal nothing"), std::string::npos);
  EXPECT_FALSE(ceremony::combine({shares[0], shares[0], shares[1]}));  // repeated
  auto other = *ceremony::split(secret, 3, 5, "test", "cd34");
  EXPECT_FALSE(ceremony::combine({shares[0], shares[1], other[2]}));  // mixed splits
  EXPECT_NE(other[0].data, shares[0].data);                            // fresh random coefficients
  EXPECT_FALSE(ceremony::split(secret, 1, 5, "t", "k"));
  EXPECT_FALSE(ceremony::split(secret, 6, 5, "t", "k"));
}

TEST(Shamir, TextSharesRoundTripAndCatchTypos) {
  const Secret secret(std::string(300, 'k'));
  auto shares = *ceremony::split(secret, 2, 3, "Root 2026", "00ff");
  const auto text = ceremony::to_text(shares[1]);
  EXPECT_NE(text.find("share: 2 of 3 (any 2 rebuild the key)"), std::string::npos);
  auto back = ceremony::parse_share(text);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->data, shares[1].data);
  EXPECT_EQ(back->label, "Root 2026");
  for (char wrong : {'A', 'B', '-'}) {  // valid and invalid base64url characters alike
    std::string typo = text;
    char& c = typo[typo.find("data: ") + 7];
    if (c == wrong) continue;
    c = wrong;
    auto bad = ceremony::parse_share(typo);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().detail.find("checksum"), std::string::npos) << bad.error().detail;
  }
  EXPECT_FALSE(ceremony::parse_share("hello"));
}
