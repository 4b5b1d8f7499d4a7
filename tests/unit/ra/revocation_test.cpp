#include <gtest/gtest.h>

#include "core/ra/revocation.hpp"

using namespace pkictl;

TEST(RevocationReason, NamesAndNumbersOfRfc5280ButNotDeltaCrlOnes) {
  EXPECT_EQ(*ra::parse_revocation_reason("keyCompromise"), 1);
  EXPECT_EQ(*ra::parse_revocation_reason("SUPERSEDED"), 4);
  EXPECT_EQ(*ra::parse_revocation_reason("6"), 6);
  EXPECT_EQ(*ra::parse_revocation_reason("aACompromise"), 10);
  // 7 is unassigned; removeFromCRL (8) only takes a held certificate off a delta CRL.
  for (const char* bad : {"7", "8", "removeFromCRL", "11", "-1", "", "hold"}) {
    auto r = ra::parse_revocation_reason(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::BadRevocationReason);
  }
  EXPECT_EQ(ra::revocation_reason_name(5), "cessationOfOperation");
  EXPECT_EQ(ra::revocation_reason_name(7), "");
  EXPECT_EQ(ra::revocation_reason_name(42), "");
}

TEST(RevocationReason, ASubscriberGivesItsOwnReasonsOnly) {
  std::vector<int> allowed;
  for (int r = -1; r <= 11; ++r)
    if (ra::subscriber_revocation_reason(r)) allowed.push_back(r);
  EXPECT_EQ(allowed, (std::vector<int>{0, 1, 3, 4, 5}));
}
