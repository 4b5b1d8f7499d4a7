#include <gtest/gtest.h>

#include "core/acme/challenge_records.hpp"
#include "core/policy/challenge_policy.hpp"
#include "core/util/text.hpp"
#include "core/crypto/digest.hpp"

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

#include "core/acme/ari.hpp"

TEST(Ari, CertIdsParseAndWindowsSpreadOverTheInterval) {
  auto id = acme::parse_ari_cert_id("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");  // RFC 9773 §4.1 example
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->aki_hex, "69885b6b87464041e1b37b847ba0ae2cde01c8d4");
  EXPECT_EQ(id->serial_hex, "0087654321");
  EXPECT_EQ(id->text, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  // "AIdlQyF" decodes to the same serial (only the unused low bits differ): one spelling per
  // certificate, so that two orders cannot each replace it under another.
  auto respelled = acme::parse_ari_cert_id("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyF");
  ASSERT_TRUE(respelled);
  EXPECT_EQ(respelled->serial_hex, "0087654321");
  EXPECT_EQ(respelled->text, id->text);
  EXPECT_FALSE(acme::parse_ari_cert_id("nodot"));
  EXPECT_FALSE(acme::parse_ari_cert_id("a.b.c"));
  // 1,000 certificates issued in one second: windows cover at least 80 % of the interval.
  const TimePoint nb(Seconds(1'800'000'000)), na = nb + Seconds(90 * 86400);
  TimePoint lo = na, hi = nb;
  for (int i = 0; i < 1000; ++i) {
    const auto w = acme::renewal_window(nb, na, util::to_hex(crypto::sha256(std::to_string(i))).substr(0, 32), std::nullopt);
    EXPECT_GE(w.start, nb + Seconds(54 * 86400));
    EXPECT_LE(w.end, nb + Seconds(81 * 86400));
    lo = std::min(lo, w.start);
    hi = std::max(hi, w.end);
  }
  EXPECT_GE((hi - lo).count(), (Seconds(27 * 86400) * 8 / 10).count());
  const auto revoked = acme::renewal_window(nb, na, "01", nb + Seconds(10));
  EXPECT_LE(revoked.end, nb + Seconds(10));
}

#include <nlohmann/json.hpp>

#include "core/acme/eab.hpp"

TEST(Eab, SealedKeysDetectTamperingAndTheWrongSecret) {
  auto k = acme::eab_sealing_key(Secret("issuing passphrase"));
  auto other = acme::eab_sealing_key(Secret("another passphrase"));
  ASSERT_TRUE(k && other);
  auto blob = acme::seal(*k, "hmac-key-bytes", "kid-1");
  ASSERT_TRUE(blob);
  EXPECT_EQ(*acme::unseal(*k, *blob, "kid-1"), "hmac-key-bytes");
  EXPECT_FALSE(acme::unseal(*other, *blob, "kid-1"));
  EXPECT_FALSE(acme::unseal(*k, *blob, "kid-2"));  // a sealed key moved to another kid
  std::string bad = *blob;
  bad[14] ^= 1;
  EXPECT_FALSE(acme::unseal(*k, bad, "kid-1"));
  EXPECT_FALSE(acme::parse_eab(nlohmann::json{{"protected", "e30"}, {"payload", "e30"}, {"signature", ""}}));  // alg missing
}
