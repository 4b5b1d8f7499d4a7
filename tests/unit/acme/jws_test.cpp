#include <gtest/gtest.h>

#include <algorithm>

#include "core/acme/jwk.hpp"
#include "core/acme/jws.hpp"
#include "core/acme/objects.hpp"
#include "core/crypto/digest.hpp"
#include "core/util/text.hpp"

using namespace pkictl;
using nlohmann::json;

TEST(Jwk, ThumbprintMatchesRfc7638Example) {
  // RFC 7638 §3.1.
  const json jwk = {{"kty", "RSA"},
                    {"n", "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
                          "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn"
                          "1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
                    {"e", "AQAB"},
                    {"alg", "RS256"},
                    {"kid", "2011-04-29"}};
  auto tp = acme::jwk_thumbprint(jwk);
  ASSERT_TRUE(tp) << tp.error().detail;
  EXPECT_EQ(*tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(Jwk, RoundTripsEveryAccountKeyType) {
  for (auto t : {crypto::KeyType::EcP256, crypto::KeyType::EcP384, crypto::KeyType::Ed25519, crypto::KeyType::Rsa2048}) {
    auto key = *crypto::PrivateKey::generate(t);
    auto jwk = acme::key_to_jwk(key.public_key());
    ASSERT_TRUE(jwk);
    auto back = acme::jwk_to_key(*jwk);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->equals(key.public_key()));
  }
}

TEST(Jwk, RefusesBadKeys) {
  struct Case { const char* name; json jwk; ErrorKind want; };
  for (const Case& c : std::initializer_list<Case>{
           {"fail/no-kty", json{{"x", "AA"}}, ErrorKind::Malformed},
           {"fail/oct", json{{"kty", "oct"}, {"k", "AAAA"}}, ErrorKind::BadPublicKey},
           {"fail/secp256k1", json{{"kty", "EC"}, {"crv", "secp256k1"}, {"x", "AA"}, {"y", "AA"}}, ErrorKind::BadPublicKey},
           {"fail/zero-point", json{{"kty", "EC"}, {"crv", "P-256"}, {"x", "AAAA"}, {"y", "AAAA"}}, ErrorKind::BadPublicKey},
           {"fail/empty-coordinate", json{{"kty", "EC"}, {"crv", "P-256"}, {"x", ""}, {"y", "AAAA"}}, ErrorKind::BadPublicKey},
           {"fail/long-coordinate", json{{"kty", "EC"}, {"crv", "P-256"}, {"x", util::base64url_encode(std::string(33, '\x01'))},
                                          {"y", util::base64url_encode(std::string(32, '\x02'))}}, ErrorKind::BadPublicKey},
           {"fail/not-on-curve", json{{"kty", "EC"}, {"crv", "P-256"}, {"x", util::base64url_encode(std::string(32, '\x01'))},
                                       {"y", util::base64url_encode(std::string(32, '\x02'))}}, ErrorKind::BadPublicKey}}) {
    SCOPED_TRACE(c.name);
    auto r = acme::jwk_to_key(c.jwk);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, c.want);
  }
}

TEST(Jwk, RefusesPrivateKeysAndSaysTheKeyIsExposed) {
  // A JWK with private members is the client's private key on the wire: refused, even though the
  // public members alone would be a good key (they are).
  for (auto t : {crypto::KeyType::EcP256, crypto::KeyType::Ed25519, crypto::KeyType::Rsa2048}) {
    SCOPED_TRACE(std::string(crypto::to_string(t)));
    auto key = *crypto::PrivateKey::generate(t);
    json jwk = *acme::key_to_jwk(key.public_key());
    ASSERT_TRUE(acme::jwk_to_key(jwk));
    for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
      SCOPED_TRACE(priv);
      json with = jwk;
      with[priv] = "AQAB";
      auto r = acme::jwk_to_key(with);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().kind, ErrorKind::BadPublicKey);
      EXPECT_NE(r.error().detail.find(std::string("private member \"") + priv + "\""), std::string::npos) << r.error().detail;
      EXPECT_NE(r.error().detail.find("exposed"), std::string::npos);
      EXPECT_FALSE(acme::jwk_thumbprint(with));
      EXPECT_FALSE(acme::required_members(with));
    }
  }
}

// Ruby's acme-client (Debian 12: 2.0.9) writes an EC coordinate as an integer, without its leading
// zero octets, and hashes that JWK for its key authorizations. About one P-256 key in 128 does it.
namespace {
void check_short_coordinate(crypto::KeyType type) {
  for (int attempt = 0; attempt < 20000; ++attempt) {
    auto key = *crypto::PrivateKey::generate(type);
    auto canonical = *acme::key_to_jwk(key.public_key());
    auto x = *util::base64url_decode(canonical["x"].get<std::string>());
    if (x[0] != 0) continue;
    SCOPED_TRACE("after " + std::to_string(attempt) + " keys");
    json shortened = canonical;
    const auto first = std::find_if(x.begin(), x.end(), [](std::uint8_t o) { return o != 0; });
    shortened["x"] = util::base64url_encode(util::Bytes(first, x.end()));
    auto back = acme::jwk_to_key(shortened);
    ASSERT_TRUE(back) << back.error().detail;
    EXPECT_TRUE(back->equals(key.public_key()));
    // The key's identity is the canonical thumbprint, however the JWK was written.
    EXPECT_EQ(*acme::jwk_thumbprint(shortened), *acme::jwk_thumbprint(canonical));
    // Key authorizations use the client's own thumbprint over what it wrote.
    auto members = acme::required_members(shortened);
    ASSERT_TRUE(members);
    EXPECT_EQ(*members, shortened.dump());
    EXPECT_EQ(acme::thumbprint_as_written(*members), util::base64url_encode(crypto::sha256(shortened.dump())));
    EXPECT_NE(acme::thumbprint_as_written(*members), *acme::jwk_thumbprint(canonical));
    // One zero octet too many is the same key as well.
    json padded = canonical;
    auto y = *util::base64url_decode(canonical["y"].get<std::string>());
    y.insert(y.begin(), 0);
    padded["y"] = util::base64url_encode(y);
    auto also = acme::jwk_to_key(padded);
    ASSERT_TRUE(also) << also.error().detail;
    EXPECT_TRUE(also->equals(key.public_key()));
    return;
  }
  FAIL() << "no key with a leading zero octet in x among 20000";
}
}  // namespace

TEST(Jwk, AcceptsCoordinatesWithoutTheirLeadingZeros) {
  for (auto t : {crypto::KeyType::EcP256, crypto::KeyType::EcP384}) {
    SCOPED_TRACE(std::string(crypto::to_string(t)));
    check_short_coordinate(t);
  }
}

TEST(Jwk, RequiredMembersDropTheOthersAndMatchTheThumbprintWhenCanonical) {
  for (auto t : {crypto::KeyType::EcP256, crypto::KeyType::Ed25519, crypto::KeyType::Rsa2048}) {
    auto key = *crypto::PrivateKey::generate(t);
    json jwk = *acme::key_to_jwk(key.public_key());
    jwk["kid"] = "extra";
    jwk["use"] = "sig";
    auto members = acme::required_members(jwk);
    ASSERT_TRUE(members);
    EXPECT_EQ(*members, acme::key_to_jwk(key.public_key())->dump());
    EXPECT_EQ(acme::thumbprint_as_written(*members), *acme::jwk_thumbprint(jwk));
  }
  EXPECT_FALSE(acme::required_members(json{{"kty", "EC"}, {"crv", "P-256"}, {"x", "AAAA"}, {"y", "AAAA"}}));
}

TEST(Jws, SignsAndVerifiesWithEveryAlgorithm) {
  for (auto t : {crypto::KeyType::EcP256, crypto::KeyType::EcP384, crypto::KeyType::Ed25519, crypto::KeyType::Rsa2048}) {
    auto key = *crypto::PrivateKey::generate(t);
    auto signed_jws = acme::sign_jws(key, {{"nonce", "n"}, {"url", "https://x/acme/new-order"}, {"kid", "k"}}, R"({"a":1})");
    ASSERT_TRUE(signed_jws);
    auto parsed = acme::parse_jws(signed_jws->dump());
    ASSERT_TRUE(parsed) << parsed.error().detail;
    EXPECT_EQ(parsed->payload, R"({"a":1})");
    EXPECT_TRUE(acme::verify_jws(*parsed, key.public_key()));
    auto other = *crypto::PrivateKey::generate(t);
    EXPECT_FALSE(acme::verify_jws(*parsed, other.public_key()));
  }
}

TEST(Jws, RefusesMalformedSerializations) {
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto good = *acme::sign_jws(key, {{"nonce", "n"}, {"url", "u"}, {"kid", "k"}}, "{}");
  struct Case { const char* name; std::function<void(json&)> mutate; ErrorKind want; };
  for (const Case& c : std::initializer_list<Case>{
           {"fail/general-serialization", [](json& j) { j["signatures"] = json::array(); }, ErrorKind::Malformed},
           {"fail/unprotected-header", [](json& j) { j["header"] = json::object(); }, ErrorKind::Malformed},
           {"fail/padded-payload", [](json& j) { j["payload"] = "e30="; }, ErrorKind::Malformed},
           {"fail/no-signature", [](json& j) { j.erase("signature"); }, ErrorKind::Malformed},
           {"fail/hs256", [](json& j) { j["protected"] = util::base64url_encode(std::string(R"({"alg":"HS256","nonce":"n","url":"u","kid":"k"})")); },
            ErrorKind::BadSignatureAlgorithm},
           {"fail/jwk-and-kid", [](json& j) { j["protected"] = util::base64url_encode(std::string(R"({"alg":"ES256","nonce":"n","url":"u","kid":"k","jwk":{}})")); },
            ErrorKind::Malformed},
           // RFC 7515 §4.1.11 / RFC 7797: "b64": false would change what the signature covers.
           {"fail/crit-b64", [](json& j) {
              j["protected"] = util::base64url_encode(std::string(R"({"alg":"ES256","nonce":"n","url":"u","kid":"k","crit":["b64"],"b64":false})"));
            }, ErrorKind::Malformed}}) {
    SCOPED_TRACE(c.name);
    json j = good;
    c.mutate(j);
    auto r = acme::parse_jws(j.dump());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, c.want);
  }
  // An ES256 signature checked as if the key were P-384: the algorithm must fit the key.
  auto p384 = *crypto::PrivateKey::generate(crypto::KeyType::EcP384);
  auto parsed = *acme::parse_jws(good.dump());
  auto r = acme::verify_jws(parsed, p384.public_key());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::BadSignatureAlgorithm);
}

TEST(RequestMembers, NullIsAbsentAndAnotherTypeIsMalformed) {
  const json p = {{"yes", true}, {"unset", nullptr}, {"word", "w"}, {"number", 1}};
  EXPECT_TRUE(*acme::optional_bool(p, "yes"));
  EXPECT_FALSE(*acme::optional_bool(p, "unset"));
  EXPECT_TRUE(*acme::optional_bool(p, "missing", true));
  EXPECT_EQ(acme::optional_bool(p, "number").error().kind, ErrorKind::Malformed);
  EXPECT_NE(acme::optional_bool(p, "word").error().detail.find("\"word\" must be true or false"), std::string::npos);
  EXPECT_EQ(*acme::optional_string(p, "word"), "w");
  EXPECT_EQ(*acme::optional_string(p, "unset"), "");
  EXPECT_EQ(acme::optional_string(p, "yes").error().kind, ErrorKind::Malformed);
  EXPECT_TRUE(acme::has_value(p, "number"));
  EXPECT_FALSE(acme::has_value(p, "unset"));
  EXPECT_FALSE(acme::has_value(json::array(), "yes"));
}

TEST(Identifiers, NormaliseAndRefuse) {
  EXPECT_EQ(acme::normalise_identifier({{"type", "dns"}, {"value", "API.Example.Internal"}})->value, "api.example.internal");
  // The absolute form would be ordered without its dot, and the client's CSR would then not match.
  EXPECT_EQ(acme::normalise_identifier({{"type", "dns"}, {"value", "api.example.internal."}}).error().kind, ErrorKind::RejectedIdentifier);
  EXPECT_EQ(acme::normalise_identifier({{"type", "ip"}, {"value", "0:0::1"}})->value, "::1");
  EXPECT_EQ(acme::normalise_identifier({{"type", "dns"}, {"value", "10.0.0.1"}}).error().kind, ErrorKind::Malformed);
  EXPECT_EQ(acme::normalise_identifier({{"type", "email"}, {"value", "a@b"}}).error().kind, ErrorKind::UnsupportedIdentifier);
  EXPECT_EQ(acme::normalise_identifier({{"type", "dns"}, {"value", "a..b"}}).error().kind, ErrorKind::RejectedIdentifier);
  EXPECT_EQ(acme::normalise_identifier(json::array()).error().kind, ErrorKind::Malformed);
}
