// Location headers resolved against the URL that sent them (RFC 3986 §5), as http-01 follows them.
#include <gtest/gtest.h>

#include "core/net/http_fetch.hpp"

using namespace pkictl;

TEST(ResolveUrl, RelativeReferencesResolveAgainstTheBase) {
  const std::string base = "http://h.test:5002/.well-known/acme-challenge/tok";
  struct Case { const char* ref; const char* want; };
  for (const Case& c : std::initializer_list<Case>{
           {"moved", "http://h.test:5002/.well-known/acme-challenge/moved"},
           {"../up", "http://h.test:5002/.well-known/up"},
           {"/root", "http://h.test:5002/root"},
           {"//other.test:8080/x", "http://other.test:8080/x"},
           {"?q=1", "http://h.test:5002/.well-known/acme-challenge/tok?q=1"},
           {"https://abs.test/y", "https://abs.test/y"},
           {"http://[::1]/z", "http://[::1]/z"}}) {
    SCOPED_TRACE(c.ref);
    auto r = net::resolve_url(base, c.ref);
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(*r, c.want);
  }
}

TEST(ResolveUrl, AnEmptyLocationIsMalformed) {
  auto r = net::resolve_url("http://h.test/a", "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  EXPECT_NE(r.error().detail.find("empty Location"), std::string::npos);
}
