#include <gtest/gtest.h>

#include "core/x509/crl.hpp"
#include "tests/unit/x509/x509_test_util.hpp"

using namespace pkictl;

TEST(KeySigner, EveryIssuerKeyTypeSignsCertificatesAndCrlsRepeatedlyThroughItsPreparedContext) {
  // One signer signs many certificates (the prepared DigestSign context is copied for each):
  // every one must verify, with the algorithm of the key's type.
  struct Case { crypto::KeyType type; int sig_nid; };
  for (const Case& c : {Case{crypto::KeyType::EcP256, NID_ecdsa_with_SHA256}, Case{crypto::KeyType::EcP384, NID_ecdsa_with_SHA384},
                        Case{crypto::KeyType::Ed25519, NID_ED25519}, Case{crypto::KeyType::Rsa2048, NID_sha256WithRSAEncryption}}) {
    SCOPED_TRACE(std::string(crypto::to_string(c.type)));
    ca::KeySigner signer(*crypto::PrivateKey::generate(c.type));
    ca::MemorySerialRegistry serials;
    auto root = ca::Issuer::self_sign(test::ca_spec("CN=Signer Test", test::t0(), Seconds(86400 * 30)), signer, serials);
    ASSERT_TRUE(root) << root.error().detail;  // self_sign checks its own signature
    ca::Issuer issuer(*root, signer);
    for (int i = 0; i < 3; ++i) {
      auto leaf_key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
      auto leaf = issuer.issue(test::leaf_spec({{x509::GeneralNameType::Dns, "a" + std::to_string(i) + ".test"}}), leaf_key.public_key(), serials);
      ASSERT_TRUE(leaf) << leaf.error().detail;
      EXPECT_TRUE(leaf->signed_by(signer.public_key()));
      EXPECT_EQ(X509_get_signature_nid(leaf->get()), c.sig_nid);
    }
    x509::CrlSpec spec;
    spec.this_update = test::t0();
    spec.next_update = test::t0() + Seconds(86400);
    for (int n = 1; n <= 2; ++n) {
      spec.number = n;
      auto der = x509::make_crl(*root, signer, spec);
      ASSERT_TRUE(der) << der.error().detail;
      auto info = x509::read_crl(*der, *root);  // checks the signature
      ASSERT_TRUE(info) << info.error().detail;
      EXPECT_EQ(info->number, n);
    }
    auto raw = signer.sign("payload");
    ASSERT_TRUE(raw);
    EXPECT_TRUE(*signer.public_key().verify("payload", *raw));
  }
}
