#include <gtest/gtest.h>

#include "core/acme/challenge_records.hpp"
#include "core/policy/challenge_policy.hpp"
#include "core/util/text.hpp"

using namespace pkictl;

TEST(ChallengeRecords, Base32MatchesRfc4648) {
  const std::string s = "foobar";
  EXPECT_EQ(util::base32_lower(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())), "mzxw6ytboi");
  EXPECT_EQ(util::base32_lower(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), 1)), "my");
}

TEST(ChallengeRecords, DnsAccountLabelMatchesThePublishedExample) {
  // The example account of the dns-account-01 draft's implementers (16 base32 characters).
  EXPECT_EQ(acme::dns_account01_record_name("https://example.com/acme/acct/ExampleAccount", "example.org"),
            "_ujmmovf2vn55tgye._acme-challenge.example.org");
}

TEST(ChallengeRecords, ReverseNamesForTlsAlpnSni) {
  EXPECT_EQ(*acme::reverse_dns_name("10.1.2.3"), "3.2.1.10.in-addr.arpa");
  EXPECT_EQ(*acme::reverse_dns_name("::1"), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa");
  EXPECT_FALSE(acme::reverse_dns_name("example.org"));
}

TEST(ChallengeRecords, IssueValuesParseAndDecide) {
  const std::string acct = "https://ca.internal/acme/acct/abc";
  auto v = acme::parse_issue_value(" CA.Internal ; accounturi=" + acct + " ;policy=Wildcard; persistUntil=4102444800");
  ASSERT_TRUE(v) << v.error().detail;
  EXPECT_EQ(v->issuer_domain_name, "ca.internal");
  const auto now = TimePoint(Seconds(1'800'000'000));
  EXPECT_EQ(acme::dns_persist01_mismatch(*v, {"ca.internal"}, acct, true, now), "");
  EXPECT_NE(acme::dns_persist01_mismatch(*v, {"other.ca"}, acct, false, now).find("not this CA"), std::string::npos);
  EXPECT_NE(acme::dns_persist01_mismatch(*v, {"ca.internal"}, acct + "x", false, now).find("is for account"), std::string::npos);
  EXPECT_NE(acme::dns_persist01_mismatch(*v, {"ca.internal"}, acct, false, TimePoint(Seconds(4102444801))).find("expired"), std::string::npos);
  auto plain = acme::parse_issue_value("ca.internal; accounturi=" + acct);
  ASSERT_TRUE(plain);
  EXPECT_NE(acme::dns_persist01_mismatch(*plain, {"ca.internal"}, acct, true, now).find("policy=wildcard"), std::string::npos);
  EXPECT_FALSE(acme::parse_issue_value("; accounturi=x"));
  EXPECT_FALSE(acme::parse_issue_value("ca.internal; accounturi"));
  EXPECT_FALSE(acme::parse_issue_value("ca.internal; a=1; A=2"));
}

TEST(ChallengePolicy, WildcardsOnlyByDnsAndIpsNeverByDns) {
  policy::ChallengePolicy all({"http-01", "dns-01", "tls-alpn-01", "dns-account-01", "dns-persist-01"});
  EXPECT_EQ(all.offered({"dns", "*.x.internal"}), (std::vector<std::string>{"dns-01", "dns-account-01", "dns-persist-01"}));
  EXPECT_EQ(all.offered({"ip", "10.0.0.1"}), (std::vector<std::string>{"http-01", "tls-alpn-01"}));
  EXPECT_EQ(all.offered({"dns", "a.x.internal"}).size(), 5u);
  policy::ChallengePolicy http_only({"http-01"});
  EXPECT_TRUE(http_only.offered({"dns", "*.x.internal"}).empty());
  EXPECT_NE(http_only.why_none({"dns", "*.x.internal"}).find("wildcard"), std::string::npos);
}
