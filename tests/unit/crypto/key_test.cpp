#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/crypto/key.hpp"

using namespace pkictl;
using crypto::KeyType;

TEST(Key, GeneratesEveryTypeAndDescribesIt) {
  struct Case { KeyType type; const char* want; };
  for (const Case& c : {Case{KeyType::EcP256, "EC P-256"}, Case{KeyType::EcP384, "EC P-384"},
                        Case{KeyType::Ed25519, "Ed25519"}, Case{KeyType::Rsa2048, "RSA 2048"},
                        Case{KeyType::Rsa3072, "RSA 3072"}}) {
    SCOPED_TRACE(c.want);
    auto key = crypto::PrivateKey::generate(c.type);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->info().describe(), c.want);
    auto sig = key->sign("hello");
    ASSERT_TRUE(sig);
    EXPECT_TRUE(*key->public_key().verify("hello", *sig));
    EXPECT_FALSE(*key->public_key().verify("hellO", *sig));
  }
}

TEST(Key, APublicKeyAndItsCopiesVerifyRepeatedlyFromThePreparedContext) {
  // The first verification prepares a context that later ones (and copies) copy: a bad signature
  // must not poison it, an explicit other digest must not use it, and threads may share it.
  for (KeyType type : {KeyType::EcP256, KeyType::EcP384, KeyType::Ed25519, KeyType::Rsa2048}) {
    SCOPED_TRACE(std::string(crypto::to_string(type)));
    auto key = crypto::PrivateKey::generate(type);
    ASSERT_TRUE(key);
    auto good = key->sign("payload");
    ASSERT_TRUE(good);
    std::string bad = *good;
    bad[bad.size() / 2] ^= 0x01;
    const crypto::PublicKey pub = key->public_key();
    EXPECT_FALSE(*pub.verify("payload", bad));
    EXPECT_TRUE(*pub.verify("payload", *good));
    EXPECT_FALSE(*pub.verify("payloaD", *good));
    const crypto::PublicKey copy = pub;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the point
    EXPECT_TRUE(*copy.verify("payload", *good));
    EXPECT_FALSE(*copy.verify("payload", bad));
    if (type != KeyType::Ed25519) {
      auto other = key->sign("payload", "SHA512");
      ASSERT_TRUE(other);
      EXPECT_TRUE(*pub.verify("payload", *other, "SHA512"));
      EXPECT_FALSE(*pub.verify("payload", *other));  // the natural digest is another one
    }
    std::atomic<int> right{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 20; ++i) right += (*copy.verify("payload", *good) && !*pub.verify("payload", bad)) ? 1 : 0;
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(right.load(), 80);
  }
}

TEST(Key, ParsesKeyTypeNamesAndAliases) {
  EXPECT_EQ(*crypto::parse_key_type("ec-p256"), KeyType::EcP256);
  EXPECT_EQ(*crypto::parse_key_type("P384"), KeyType::EcP384);
  EXPECT_EQ(*crypto::parse_key_type("rsa4096"), KeyType::Rsa4096);
  auto bad = crypto::parse_key_type("dsa-1024");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::InvalidArgument);
}

TEST(Key, EncryptedPkcs8RoundTripsWithThePassphrase) {
  auto key = crypto::PrivateKey::generate(KeyType::EcP256);
  ASSERT_TRUE(key);
  const Secret pass("correct horse");
  auto pem = key->to_encrypted_pem(pass);
  ASSERT_TRUE(pem);
  EXPECT_NE(pem->find("BEGIN ENCRYPTED PRIVATE KEY"), std::string::npos);
  auto back = crypto::PrivateKey::from_pem(*pem, &pass);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->public_key().equals(key->public_key()));
}

TEST(Key, AWrongOrMissingPassphraseIsBadPassphrase) {
  auto key = crypto::PrivateKey::generate(KeyType::Ed25519);
  auto pem = key->to_encrypted_pem(Secret("right"));
  ASSERT_TRUE(pem);
  const Secret wrong("wrong");
  auto r = crypto::PrivateKey::from_pem(*pem, &wrong);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::BadPassphrase);
  auto none = crypto::PrivateKey::from_pem(*pem, nullptr);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::BadPassphrase);
}

TEST(Key, AnEmptyPassphraseCannotProtectAKey) {
  auto key = crypto::PrivateKey::generate(KeyType::EcP256);
  auto r = key->to_encrypted_pem(Secret(""));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::BadPassphrase);
}

TEST(Key, CorruptPemIsMalformedAndPlainKeysNeedConsent) {
  auto r = crypto::PrivateKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  auto key = crypto::PrivateKey::generate(KeyType::EcP256);
  auto plain = key->to_unencrypted_pem();
  ASSERT_TRUE(plain);
  EXPECT_FALSE(crypto::PrivateKey::from_pem(*plain, nullptr));
  EXPECT_TRUE(crypto::PrivateKey::from_pem(*plain, nullptr, /*allow_unencrypted=*/true));
  std::string broken = *key->to_encrypted_pem(Secret("x"));
  broken[broken.size() / 2] ^= 0x01;
  const Secret x("x");
  auto corrupt = crypto::PrivateKey::from_pem(broken, &x);
  ASSERT_FALSE(corrupt);
}

TEST(Key, PublicKeyRoundTripsThroughSpkiDer) {
  auto key = crypto::PrivateKey::generate(KeyType::Rsa2048);
  const auto der = key->public_key().spki_der();
  auto pub = crypto::PublicKey::from_spki_der(der);
  ASSERT_TRUE(pub);
  EXPECT_TRUE(pub->equals(key->public_key()));
  EXPECT_EQ(pub->fingerprint(), key->public_key().fingerprint());
  EXPECT_FALSE(crypto::PublicKey::from_spki_der(der + "x"));
}

TEST(Key, ThePublicHalfIsTheKeysOwnAndHoldsNoPrivatePart) {
  for (auto t : {KeyType::EcP256, KeyType::EcP384, KeyType::Ed25519, KeyType::Rsa2048}) {
    auto key = crypto::PrivateKey::generate(t);
    ASSERT_TRUE(key);
    const auto pub = key->public_key();
    EXPECT_EQ(pub.info().describe(), key->info().describe());
    auto signature = key->sign("message", key->default_digest());
    ASSERT_TRUE(signature);
    EXPECT_TRUE(*pub.verify("message", *signature, key->default_digest()));
    // The SPKI DER decodes to an equal key, and nothing private came along.
    auto decoded = crypto::PublicKey::from_spki_der(pub.spki_der());
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(decoded->equals(pub));
    OSSL_PARAM* params = nullptr;
    ASSERT_EQ(EVP_PKEY_todata(pub.get(), EVP_PKEY_KEYPAIR, &params), 1);
    EXPECT_EQ(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY), nullptr);
    EXPECT_EQ(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_D), nullptr);
    OSSL_PARAM_free(params);
  }
}

TEST(Key, UnencryptedPkcs8IsExactlyWhatOpenSslsEncoderWrites) {
  // EC and Ed25519 keys are written on ASN.1 templates, RSA by the encoder: every type must come
  // out byte for byte as PEM_write_bio_PKCS8PrivateKey writes it, and read back as the same key.
  for (KeyType type : {KeyType::EcP256, KeyType::EcP384, KeyType::Ed25519, KeyType::Rsa2048}) {
    SCOPED_TRACE(std::string(crypto::to_string(type)));
    for (int round = 0; round < 8; ++round) {  // scalars with leading zero bytes come up too
      auto key = crypto::PrivateKey::generate(type);
      ASSERT_TRUE(key);
      auto pem = key->to_unencrypted_pem();
      ASSERT_TRUE(pem) << pem.error().detail;
      BIO* bio = BIO_new(BIO_s_mem());
      ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, key->get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
      char* data = nullptr;
      const long len = BIO_get_mem_data(bio, &data);
      EXPECT_EQ(*pem, std::string(data, static_cast<std::size_t>(len)));
      BIO_free(bio);
      auto back = crypto::PrivateKey::from_pem(*pem, nullptr, true);
      ASSERT_TRUE(back);
      EXPECT_EQ(EVP_PKEY_eq(back->get(), key->get()), 1);
      if (type == KeyType::Rsa2048) break;
    }
  }
}

TEST(Key, EcPointsImportOnTheirCurveOnly) {
  auto key = crypto::PrivateKey::generate(KeyType::EcP256);
  ASSERT_TRUE(key);
  unsigned char pub[65];
  std::size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_octet_string_param(key->get(), OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len), 1);
  const std::string point(reinterpret_cast<const char*>(pub), len);
  auto imported = crypto::PublicKey::from_ec_point("prime256v1", point);
  ASSERT_TRUE(imported) << imported.error().detail;
  EXPECT_TRUE(imported->equals(key->public_key()));
  auto sig = key->sign("message");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(imported->verify("message", *sig));
  EXPECT_EQ(imported->info().describe(), "EC P-256");
  // The same bytes are not a P-384 point, a changed coordinate is off the curve, and an unknown
  // curve name is refused: each a BadPublicKey, never a key.
  std::string off = point;
  off[40] ^= 1;
  for (auto [group, bytes] : {std::pair{"secp384r1", point}, std::pair{"prime256v1", off}, std::pair{"no-such-curve", point},
                              std::pair{"prime256v1", std::string()}}) {
    auto r = crypto::PublicKey::from_ec_point(group, bytes);
    ASSERT_FALSE(r) << group;
    EXPECT_EQ(r.error().kind, ErrorKind::BadPublicKey) << group;
  }
  // Keys from the shared curve template are independent of each other.
  auto a = crypto::PrivateKey::generate(KeyType::EcP256), b = crypto::PrivateKey::generate(KeyType::EcP256);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->public_key().equals(b->public_key()));
  // pairs_with: a key's own public half (imported from its bits, too), never another key's or another type's.
  EXPECT_TRUE(key->pairs_with(*imported));
  EXPECT_TRUE(a->pairs_with(a->public_key()));
  EXPECT_FALSE(a->pairs_with(b->public_key()));
  auto ed = crypto::PrivateKey::generate(KeyType::Ed25519);
  ASSERT_TRUE(ed);
  EXPECT_TRUE(ed->pairs_with(ed->public_key()));
  EXPECT_FALSE(ed->pairs_with(a->public_key()));
  EXPECT_FALSE(a->pairs_with(ed->public_key()));
}
