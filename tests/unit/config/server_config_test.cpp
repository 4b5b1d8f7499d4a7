#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/config/server_config.hpp"
#include "tests/unit/util/temp_dir.hpp"

using namespace pkictl;

namespace {
std::filesystem::path write(const test::TempDir& dir, const std::string& text) {
  std::ofstream(dir.path / "pkictl.toml") << text;
  return dir.path / "pkictl.toml";
}
const std::string base = "[ca]\ncert = \"i.crt\"\nkey = \"i.key\"\n";
}  // namespace

TEST(ServerConfig, LoadsDefaultsAndResolvesPathsRelativeToTheFile) {
  test::TempDir dir;
  const auto path = write(dir, base + "[validation]\nhttp01_port = 5002\nresolvers = [\"127.0.0.1:8053\"]\n");
  auto c = config::load_server_config(path);
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->ca.cert, path.parent_path() / "i.crt");
  EXPECT_EQ(c->validation.http01_port, 5002);
  EXPECT_EQ(c->validation.tlsalpn01_port, 443);
  EXPECT_EQ(c->server.external_url, "https://localhost:14000");
  EXPECT_EQ(c->validation.issuer_domain_names, std::vector<std::string>{"localhost"});
  EXPECT_EQ(c->validation.challenge_types.size(), 5u);
  EXPECT_EQ(c->validation.retries, 2);
  EXPECT_EQ(c->server.publish_url, c->server.external_url);  // certificates name their CRL on the ACME listener unless set
  std::filesystem::remove_all(path.parent_path());
}

TEST(ServerConfig, PublishUrlLosesItsTrailingSlashes) {
  test::TempDir dir;
  const auto path = write(dir, base + "[server]\npublish_url = \"http://pki.internal//\"\n");
  auto c = config::load_server_config(path);
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->server.publish_url, "http://pki.internal");  // as external_url does
  std::filesystem::remove_all(path.parent_path());
}

TEST(ServerConfig, RejectsUnknownKeysAndBadValuesWithFileAndLine) {
  struct Case { const char* name; std::string text; const char* want; };
  for (const Case& c : std::initializer_list<Case>{
           {"fail/unknown-key", base + "[validation]\nhttp01_prot = 80\n", ":5: validation.http01_prot: unknown key"},
           {"fail/wrong-type", base + "[validation]\nhttp01_port = \"80\"\n", ":5: validation.http01_port: must be an integer"},
           {"fail/bad-duration", base + "default_lifetime = \"1 day\"\n", ":4: ca.default_lifetime"},
           {"fail/bad-resolver", base + "[validation]\nresolvers = [\"8.8.8.8\"]\n", "must be host:port"},
           {"fail/bad-cidr", base + "[validation]\nallow_private = [\"10.0.0.1/8\"]\n", "host bits"},
           {"fail/bad-challenge", base + "[validation]\nchallenge_types = [\"http-02\"]\n", "unknown type \"http-02\""},
           {"fail/retries", base + "[validation]\nretries = 99\n", "validation.retries must be 0-10"},
           {"fail/max-connections", base + "[server]\nmax_connections = -5\n", ":5: server.max_connections: must be 0 (automatic) or a positive"},
           {"fail/overload-lag", base + "[server]\noverload_lag = \"soon\"\n", ":5: server.overload_lag: bad duration 'soon'"},
           {"fail/publish-url-scheme", base + "[server]\npublish_url = \"ldap://pki.internal\"\n", ":5: server.publish_url: must be an http://"},
           {"fail/publish-url-path", base + "[server]\npublish_url = \"http://pki.internal/crls\"\n", ":5: server.publish_url: must be an http://"},
           {"fail/publish-listen", base + "[server]\npublish_listen = [\"pki.internal\"]\n", "server.publish_listen: \"pki.internal\" must be host:port"},
           {"fail/no-ca", "[server]\nlisten = [\"127.0.0.1:1\"]\n", "[ca] cert and key are required"},
           {"fail/syntax", "[ca\n", ":1:"}}) {
    SCOPED_TRACE(c.name);
    test::TempDir dir;
    const auto path = write(dir, c.text);
    auto r = config::load_server_config(path);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Config);
    EXPECT_NE(r.error().detail.find(c.want), std::string::npos) << r.error().detail;
    std::filesystem::remove_all(path.parent_path());
  }
}

