#include <gtest/gtest.h>

#include "core/trust/bundle.hpp"
#include "core/x509/crl.hpp"
#include "tests/unit/x509/x509_test_util.hpp"

using namespace pkictl;

TEST(Crl, RoundTripsNumberReasonsAndSignature) {
  auto root = test::make_root();
  x509::CrlSpec spec;
  spec.number = 7;
  spec.this_update = test::t0();
  spec.next_update = test::t0() + Seconds(86400);
  spec.revoked = {{"0a1b2c", test::t0() - Seconds(60), 1}, {"0d0e0f", test::t0() - Seconds(30), 0}};
  ca::KeySigner signer(test::copy_key(root.key));
  auto der = x509::make_crl(root.cert, signer, spec);
  ASSERT_TRUE(der) << der.error().detail;
  auto info = x509::read_crl(*der, root.cert);
  ASSERT_TRUE(info) << info.error().detail;
  EXPECT_EQ(info->number, 7);
  ASSERT_EQ(info->revoked.size(), 2u);
  EXPECT_EQ(info->revoked[0].serial_hex, "0a1b2c");
  EXPECT_EQ(info->revoked[0].reason, 1);
  EXPECT_EQ(info->revoked[1].reason, 0);
  EXPECT_EQ(info->next_update, spec.next_update);
  auto other = test::make_root("CN=Other Root");
  EXPECT_FALSE(x509::read_crl(*der, other.cert));  // signed by someone else
}

TEST(TrustBundle, ExportsAreDeterministicAndReadBack) {
  auto a = test::make_root("CN=A Root");
  auto b = test::make_root("CN=B Root");
  // Input order does not matter: the bundle is sorted.
  const auto one = trust::normalise({b.cert, a.cert, a.cert}, {});
  const auto two = trust::normalise({a.cert, b.cert}, {});
  ASSERT_EQ(one.size(), 2u);
  for (auto f : {trust::Format::Pem, trust::Format::Pkcs7, trust::Format::Pkcs12, trust::Format::Spiffe, trust::Format::Kubernetes}) {
    auto x = trust::render(one, f, {});
    auto y = trust::render(two, f, {});
    ASSERT_TRUE(x && y);
    EXPECT_EQ(*x, *y) << static_cast<int>(f);
    if (f == trust::Format::Pem || f == trust::Format::Pkcs7 || f == trust::Format::Pkcs12) {
      auto back = trust::read_bundle(x->begin()->second);
      ASSERT_TRUE(back) << back.error().detail;
      EXPECT_EQ(back->size(), 2u);
    }
  }
  EXPECT_FALSE(trust::render(one, trust::Format::Der, {}));  // DER holds one certificate
  const auto d = trust::diff({a.cert}, {b.cert});
  EXPECT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.removed.size(), 1u);
  EXPECT_TRUE(d.kept.empty());
}
