// The policy's name patterns, table-driven: label boundaries, case, trailing dots, IDNA, IPv6
// CIDRs, URI normalisation, email, and the deny-side "touches" for wildcard identifiers.
#include <gtest/gtest.h>

#include "core/policy/pattern.hpp"

using namespace pkictl;
using policy::Pattern;

namespace {

acme::Identifier name(const std::string& typed) {
  auto n = policy::normalise_name(typed);
  EXPECT_TRUE(n) << typed << ": " << (n ? "" : n.error().detail);
  return n ? *n : acme::Identifier{};
}

struct CoverCase {
  const char* pattern;
  const char* ident;
  bool covers;
  bool touches;
};

}  // namespace

TEST(PolicyPattern, CoversAndTouchesTable) {
  const CoverCase cases[] = {
      // DNS exact, case and trailing dots
      {"dns:api.corp.internal", "dns:api.corp.internal", true, true},
      {"dns:API.Corp.Internal.", "dns:api.CORP.internal.", true, true},
      {"dns:api.corp.internal", "dns:xapi.corp.internal", false, false},
      {"dns:api.corp.internal", "dns:a.api.corp.internal", false, false},
      // label boundaries: *.x is strictly below x, at any depth, never a suffix inside a label
      {"dns:*.payments.svc", "dns:api.payments.svc", true, true},
      {"dns:*.payments.svc", "dns:a.b.payments.svc", true, true},
      {"dns:*.payments.svc", "dns:payments.svc", false, false},
      {"dns:*.payments.svc", "dns:evilpayments.svc", false, false},
      {"dns:*.payments.svc", "dns:api.payments.svc.evil", false, false},
      // wildcard identifiers: covered only when every name they stand for is
      {"dns:*.payments.svc", "dns:*.payments.svc", true, true},
      {"dns:*.payments.svc", "dns:*.x.payments.svc", true, true},
      {"dns:*.x.payments.svc", "dns:*.payments.svc", false, false},  // its names are two labels deep
      {"dns:*.y.x.payments.svc", "dns:*.payments.svc", false, false},  // two labels deep: never one of them
      {"dns:admin.payments.svc", "dns:*.payments.svc", false, true},
      {"dns:a.admin.payments.svc", "dns:*.payments.svc", false, false},
      {"dns:*", "dns:*.anything.example", true, true},
      // IDNA: U-labels compare in A-label form
      {"dns:*.bücher.corp", "dns:shop.xn--bcher-kva.corp", true, true},
      {"dns:xn--bcher-kva.corp", "dns:bücher.corp", true, true},
      // IP ranges, v4 and v6, canonical forms
      {"ip:10.20.0.0/16", "ip:10.20.255.1", true, true},
      {"ip:10.20.0.0/16", "ip:10.21.0.1", false, false},
      {"ip:10.1.2.3", "ip:10.1.2.3", true, true},
      {"ip:fd00:1::/32", "ip:FD00:1:0:0::5", true, true},
      {"ip:fd00:1::/32", "ip:fd00:2::5", false, false},
      {"ip:10.0.0.0/8", "ip:::ffff:10.0.0.1", false, false},  // a v4-mapped v6 address is not a v4 address
      {"ip:0.0.0.0/0", "dns:example.corp", false, false},
      // URI prefixes at a path-segment boundary; scheme and host case-insensitive
      {"uri:spiffe://corp.internal/ns/payments/", "uri:spiffe://corp.internal/ns/payments/sa/api", true, true},
      {"uri:spiffe://corp.internal/ns/payments", "uri:SPIFFE://Corp.Internal/ns/payments/sa/api", true, true},
      {"uri:spiffe://corp.internal/ns/payments", "uri:spiffe://corp.internal/ns/payments-admin/sa", false, false},
      {"uri:spiffe://corp.internal", "uri:spiffe://corp.internal.evil/ns/x", false, false},
      {"uri:spiffe://corp.internal/ns/payments/", "uri:spiffe://corp.internal/ns/Payments/sa", false, false},  // paths are case-sensitive
      // email
      {"email:*@corp.internal", "email:ops@CORP.internal", true, true},
      {"email:ops@corp.internal", "email:Ops@corp.internal", false, false},  // local parts are case-sensitive
      {"email:*@*.corp.internal", "email:a@team.corp.internal", true, true},
      {"email:*@*.corp.internal", "email:a@corp.internal", false, false},
  };
  for (const auto& c : cases) {
    auto p = Pattern::parse(c.pattern);
    ASSERT_TRUE(p) << c.pattern << ": " << p.error().detail;
    const auto n = name(c.ident);
    EXPECT_EQ(p->covers(n), c.covers) << c.pattern << " covers " << c.ident;
    EXPECT_EQ(p->touches(n), c.touches) << c.pattern << " touches " << c.ident;
  }
}

TEST(PolicyPattern, RefusesWhatCannotBeJudged) {
  for (const char* bad : {"api.corp.internal", "dns:a*.corp", "dns:*.*.corp", "dns:corp.*", "dns:10.0.0.1", "ip:10.0.0.0/33",
                          "ip:10.0.0.1/8", "uri:no-scheme", "uri:spiffe://corp/ns/%70ayments", "uri:spiffe://corp/ns/../x",
                          "uri:spiffe://user@corp/ns", "email:nobody", "dns:bad_label..corp", "dns:xn--zz.corp", "web:x"}) {
    auto p = Pattern::parse(bad);
    EXPECT_FALSE(p) << bad;
    if (!p) {
      EXPECT_FALSE(p.error().detail.empty());
    }
  }
  for (const char* bad : {"uri:spiffe://corp/ns/./x", "uri:spiffe://corp/ns/x?y=1", "dns:xn--a.corp", "email:a b@corp", "ip:300.1.1.1"})
    EXPECT_FALSE(policy::normalise_name(bad)) << bad;
}

TEST(PolicyPattern, WithinAndOverlapsForLint) {
  auto p = [](const char* t) { return *Pattern::parse(t); };
  EXPECT_TRUE(p("dns:api.a.corp").within(p("dns:*.corp")));
  EXPECT_TRUE(p("dns:*.a.corp").within(p("dns:*.corp")));
  EXPECT_FALSE(p("dns:*.corp").within(p("dns:*.a.corp")));
  EXPECT_TRUE(p("dns:*.corp").overlaps(p("dns:*.a.corp")));
  EXPECT_FALSE(p("dns:*.a.corp").overlaps(p("dns:*.b.corp")));
  EXPECT_TRUE(p("ip:10.1.0.0/16").within(p("ip:10.0.0.0/8")));
  EXPECT_FALSE(p("ip:10.0.0.0/8").within(p("ip:10.1.0.0/16")));
  EXPECT_TRUE(p("ip:10.0.0.0/8").overlaps(p("ip:10.1.0.0/16")));
  EXPECT_FALSE(p("ip:10.0.0.0/8").overlaps(p("ip:fd00::/8")));
  EXPECT_TRUE(p("uri:spiffe://c/ns/a/x").within(p("uri:spiffe://c/ns/a")));
  EXPECT_FALSE(p("uri:spiffe://c/ns/ab").within(p("uri:spiffe://c/ns/a")));
  EXPECT_EQ(p("dns:*").broad_reason().empty(), false);
  EXPECT_EQ(p("dns:*.internal").broad_reason().empty(), false);
  EXPECT_EQ(p("dns:*.corp.internal").broad_reason().empty(), true);
  EXPECT_EQ(p("ip:0.0.0.0/0").broad_reason().empty(), false);
  EXPECT_EQ(p("ip:10.0.0.0/8").broad_reason().empty(), true);
}
