#include <gtest/gtest.h>

#include "server/va/validator.hpp"

using namespace pkictl;
using pkictl::server::va::AddressGuard;

TEST(AddressGuard, RefusesReservedTargetsUnlessAllowed) {
  auto strict = *AddressGuard::create({});
  struct Case { const char* name; const char* ip; bool ok; };
  for (const Case& c : std::initializer_list<Case>{{"fail/loopback", "127.0.0.1", false},
                                                   {"fail/rfc1918", "10.1.2.3", false},
                                                   {"fail/link-local", "169.254.169.254", false},
                                                   {"fail/v6-loopback", "::1", false},
                                                   {"fail/v4-mapped", "::ffff:127.0.0.1", false},
                                                   {"fail/ula", "fd00::1", false},
                                                   {"ok/public", "192.0.2.10", true},
                                                   {"ok/public-v6", "2001:db8::1", true}}) {
    SCOPED_TRACE(c.name);
    auto r = strict.check(c.ip);
    EXPECT_EQ(r.has_value(), c.ok);
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::Connection);
    }
  }
  auto lab = *AddressGuard::create({"10.0.0.0/8", "::1/128"});
  EXPECT_TRUE(lab.check("10.1.2.3"));
  EXPECT_TRUE(lab.check("::1"));
  EXPECT_FALSE(lab.check("127.0.0.1"));
  EXPECT_FALSE(lab.check("not-an-ip"));
  EXPECT_FALSE(AddressGuard::create({"10.0.0.1/8"}));
}
