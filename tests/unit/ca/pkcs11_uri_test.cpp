// RFC 7512 URIs for token keys: attributes, percent-encoding, module path, and no PINs.
#include <gtest/gtest.h>

#include "core/ca/pkcs11.hpp"

using namespace pkictl;

TEST(Pkcs11Uri, ParsesAndRoundTrips) {
  auto u = ca::Pkcs11Uri::parse("pkcs11:token=Root%20CA;object=root-2026;type=private?module-path=/opt/hsm/lib.so");
  ASSERT_TRUE(u) << u.error().detail;
  EXPECT_EQ(u->token, "Root CA");
  EXPECT_EQ(u->object, "root-2026");
  EXPECT_EQ(u->module, "/opt/hsm/lib.so");
  auto again = ca::Pkcs11Uri::parse(u->str());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->token, "Root CA");
  EXPECT_EQ(again->module, "/opt/hsm/lib.so");
  setenv("PKCS11_MODULE", "/env/module.so", 1);
  EXPECT_EQ(ca::Pkcs11Uri::parse("pkcs11:token=t;object=o")->module, "/env/module.so");
  unsetenv("PKCS11_MODULE");
  EXPECT_EQ(ca::Pkcs11Uri::parse("pkcs11:token=t;object=o")->module, "/usr/lib/softhsm/libsofthsm2.so");
}

TEST(Pkcs11Uri, RefusesWhatItCannotHonour) {
  for (const char* bad : {"file:root.key", "pkcs11:token=t", "pkcs11:object=o", "pkcs11:token=t;object=o;slot-id=3",
                          "pkcs11:token=t;object=o?pin-value=1234", "pkcs11:token=t;object=o?pin-source=file:/p"}) {
    auto r = ca::Pkcs11Uri::parse(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_NE(ca::Pkcs11Uri::parse("pkcs11:token=t;object=o?pin-value=1").error().detail.find("no PIN in the URI"), std::string::npos);
}
