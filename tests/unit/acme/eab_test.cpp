// EAB keys: minted keys never print as "-…" (certbot and lego would read them as options), and
// sealed keys open only with their key id.
#include <gtest/gtest.h>

#include "core/acme/eab.hpp"

#include <nlohmann/json.hpp>

#include "core/util/text.hpp"

using namespace pkictl;

TEST(Eab, MintedKeysAreSafeOnACommandLineAndSealedToTheirId) {
  auto sealing = *acme::eab_sealing_key(Secret("eab unit test"));
  for (int i = 0; i < 400; ++i) {  // ~6 would start with '-' without the redraw
    auto k = acme::mint_eab_key(sealing, "team", std::nullopt, false, TimePoint(Seconds(1'800'000'000)));
    ASSERT_TRUE(k);
    ASSERT_NE(k->hmac_b64u.front(), '-') << k->hmac_b64u;
    ASSERT_EQ(k->key.kid.rfind("kid-", 0), 0u);
    if (i == 0) {
      EXPECT_TRUE(acme::unseal(sealing, k->key.sealed_hmac, k->key.kid));
      EXPECT_FALSE(acme::unseal(sealing, k->key.sealed_hmac, "kid-other"));
    }
  }
}

TEST(Eab, ParseRefusesMistypedHeaderMembersAsMalformed) {
  const auto b64 = [](const std::string& s) { return util::base64url_encode(s); };
  const auto eab = [&](const std::string& prot) {
    return nlohmann::json{{"protected", b64(prot)}, {"payload", b64(R"({"kty":"EC"})")}, {"signature", b64("mac")}};
  };
  auto good = acme::parse_eab(eab(R"({"alg":"HS256","kid":"kid-1","url":"https://ca/acme/new-account"})"));
  ASSERT_TRUE(good) << good.error().detail;
  EXPECT_EQ(good->kid, "kid-1");
  for (const char* prot : {R"({"alg":256,"kid":"kid-1","url":"u"})", R"({"alg":"HS256","kid":["kid-1"],"url":"u"})",
                           R"({"alg":"HS256","kid":"kid-1","url":{}})"}) {
    SCOPED_TRACE(prot);
    auto r = acme::parse_eab(eab(prot));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  }
}
