#include <gtest/gtest.h>

#include "core/x509/certificate.hpp"
#include "core/x509/general_name.hpp"
#include "core/x509/name.hpp"

using namespace pkictl;

TEST(Name, Rfc4514AndSlashFormsRoundTrip) {
  auto a = x509::parse_name("CN=Example Root CA,O=Example Corp,C=US");
  ASSERT_TRUE(a);
  EXPECT_EQ(x509::name_der_to_text(*a), "CN=Example Root CA,O=Example Corp,C=US");
  auto b = x509::parse_name("/C=US/O=Example Corp/CN=Example Root CA");
  ASSERT_TRUE(b);
  EXPECT_EQ(*a, *b);
  auto esc = x509::parse_name("CN=Smith\\, John,O=Example");
  ASSERT_TRUE(esc);
  EXPECT_EQ(x509::name_der_to_text(*esc), "CN=Smith\\, John,O=Example");
}

TEST(Name, RejectsBadNames) {
  for (const char* bad : {"", "CN", "=x", "CN=", "XYZ=foo", "C=USA", "CN=a\\"}) {
    SCOPED_TRACE(bad);
    auto r = x509::parse_name(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgument);
  }
}

TEST(GeneralNames, ParseTypedAndBareValues) {
  struct Case { const char* in; x509::GeneralNameType type; const char* value; };
  for (const Case& c : {Case{"dns:API.Corp.Internal.", x509::GeneralNameType::Dns, "api.corp.internal"},
                        Case{"10.1.2.3", x509::GeneralNameType::Ip, "10.1.2.3"},
                        Case{"ip:0:0::1", x509::GeneralNameType::Ip, "::1"},
                        Case{"*.corp.internal", x509::GeneralNameType::Dns, "*.corp.internal"},
                        Case{"uri:spiffe://corp/ns/a", x509::GeneralNameType::Uri, "spiffe://corp/ns/a"},
                        Case{"email:a@b.c", x509::GeneralNameType::Email, "a@b.c"}}) {
    SCOPED_TRACE(c.in);
    auto r = x509::parse_general_name(c.in);
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(r->type, c.type);
    EXPECT_EQ(r->value, c.value);
  }
  for (const char* bad : {"dns:", "dns:a..b", "dns:-x*.y", "ip:10.0.0.256", "email:nobody", "dns:a.*.b"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(x509::parse_general_name(bad));
  }
}

TEST(GeneralNames, DnsLabelsFollowPreferredSyntaxAndALabelsMustDecode) {
  for (const char* good : {"dns:a-b.corp", "dns:a--b.corp", "dns:_acme-challenge.corp", "dns:1a.corp", "dns:xn--bcher-kva.corp",
                           "dns:*.xn--bcher-kva.corp", "dns:a.b-c.d"}) {
    SCOPED_TRACE(good);
    auto r = x509::parse_general_name(good);
    EXPECT_TRUE(r) << r.error().detail;
  }
  // Each refusal says which label is wrong and why.
  struct Bad { const char* in; const char* why; };
  for (const Bad& b : {Bad{"dns:-a.corp", "label '-a' begins or ends with '-'"}, Bad{"dns:a-.corp", "begins or ends with '-'"},
                       Bad{"dns:ab--c.corp", "only an A-label (xn--) may"}, Bad{"dns:xn--zz.corp", "'xn--zz' is not a valid A-label"},
                       Bad{"dns:xn--a.corp", "not a valid A-label"}, Bad{"dns:a..corp", "empty label"}, Bad{"dns:*", "'*' may only be"},
                       Bad{"dns:a b.corp", "character other than"}}) {
    SCOPED_TRACE(b.in);
    auto r = x509::parse_general_name(b.in);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().detail.find(b.why), std::string::npos) << r.error().detail;
  }
  // Name constraints take the same rules after their leading dot.
  EXPECT_FALSE(x509::to_openssl(x509::NameSubtree{x509::GeneralNameType::Dns, ".-corp.internal"}));
  EXPECT_TRUE(x509::to_openssl(x509::NameSubtree{x509::GeneralNameType::Dns, ".corp.internal"}));
}

TEST(GeneralNames, CidrBecomesAddressAndMask) {
  auto v4 = x509::cidr_bytes("10.0.0.0/8");
  ASSERT_TRUE(v4);
  EXPECT_EQ(*v4, (util::Bytes{10, 0, 0, 0, 255, 0, 0, 0}));
  auto v6 = x509::cidr_bytes("fd00::/8");
  ASSERT_TRUE(v6);
  ASSERT_EQ(v6->size(), 32u);
  EXPECT_EQ((*v6)[16], 0xFF);
  EXPECT_EQ((*v6)[17], 0x00);
  EXPECT_EQ(*x509::cidr_bytes("192.168.1.7"), (util::Bytes{192, 168, 1, 7, 255, 255, 255, 255}));
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "nope/8", "10.0.0.0/x"}) {
    SCOPED_TRACE(bad);
    auto r = x509::cidr_bytes(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgument);
  }
}

TEST(Certificate, CorruptPemAndTrailingDataAreMalformed) {
  auto r = x509::Certificate::parse("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  auto label = x509::Certificate::parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  ASSERT_FALSE(label);
  EXPECT_EQ(label.error().kind, ErrorKind::Malformed);
  auto garbage = x509::Certificate::parse(std::string("\x30\x03\x02\x01\x01", 5));
  ASSERT_FALSE(garbage);
}
