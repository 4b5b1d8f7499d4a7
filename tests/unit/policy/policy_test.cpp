// The policy file: loading with diagnostics (every lint rule), evaluation with the rule that
// decided, profiles, lifetimes, keys, and the allowed_identifiers shorthand.
#include <gtest/gtest.h>

#include "core/policy/policy.hpp"

using namespace pkictl;
using policy::Policy;

namespace {

const char* const two_teams = R"(default_binding = "lab"

[profiles.server]
description = "TLS servers"
ext_key_usage = ["serverAuth"]
key_types = ["ec-p256", "rsa-2048", "rsa-3072"]
default_lifetime = "24h"
max_lifetime = "7d"

[profiles.client]
ext_key_usage = ["clientAuth"]
max_lifetime = "12h"
keep_cn = false

[bindings.payments]
allow = ["dns:*.payments.svc.cluster.local", "ip:10.20.0.0/16"]
deny = ["dns:admin.payments.svc.cluster.local"]
profiles = ["server", "client"]
default_profile = "server"
challenges = ["http-01", "dns-01"]
wildcards = true
orders_per_hour = 100

[bindings.lab]
allow = ["dns:*.lab.corp.internal"]
profiles = ["server"]
max_lifetime = "2h"
)";

std::shared_ptr<const Policy> load(const char* text) {
  auto l = Policy::parse(text, "policy.toml");
  EXPECT_FALSE(l.has_errors()) << policy::render_diagnostics(l.diagnostics, "policy.toml", "text");
  return l.policy;
}

std::vector<std::string> rules_of(const policy::LoadedPolicy& l) {
  std::vector<std::string> out;
  for (const auto& d : l.diagnostics) out.push_back(std::string(d.severity == policy::Diagnostic::Severity::Error ? "E:" : "W:") + d.rule);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST(Policy, JudgesWithTheDecidingRule) {
  auto p = load(two_teams);
  ASSERT_TRUE(p);
  const auto* pay = *p->binding_for("payments");
  struct Case {
    const char* ident;
    bool allowed;
    const char* rule_id;
    const char* rule_has;
  } cases[] = {
      {"dns:api.payments.svc.cluster.local", true, "bindings.payments.allow", "policy.toml:16"},
      {"dns:admin.payments.svc.cluster.local", false, "bindings.payments.deny", "policy.toml:17"},
      {"dns:*.payments.svc.cluster.local", false, "bindings.payments.deny", "admin"},  // the wildcard would cover admin
      {"dns:*.api.payments.svc.cluster.local", true, "bindings.payments.allow", "policy.toml:16"},
      {"dns:api.lab.corp.internal", false, "bindings.payments.no-allow", "no allow of binding payments"},
      {"ip:10.20.3.4", true, "bindings.payments.allow", "ip:10.20.0.0/16"},
      {"ip:10.30.3.4", false, "bindings.payments.no-allow", ""},
  };
  for (const auto& c : cases) {
    const auto d = p->judge(*pay, *policy::normalise_name(c.ident));
    EXPECT_EQ(d.allowed, c.allowed) << c.ident;
    EXPECT_EQ(d.rule_id, c.rule_id) << c.ident;
    EXPECT_NE(d.rule.find(c.rule_has), std::string::npos) << c.ident << ": " << d.rule;
    EXPECT_GE(d.trace.size(), 2u);
  }
  // wildcards = false (the lab binding's default) refuses even names its allow covers
  const auto d = p->judge(**p->binding_for("lab"), *policy::normalise_name("dns:*.lab.corp.internal"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule_id, "bindings.lab.wildcards");
}

TEST(Policy, BindingsAndProfilesFailClosed) {
  auto p = load(two_teams);
  EXPECT_EQ((*p->binding_for(""))->name, "lab");  // default_binding for accounts without EAB
  auto gone = p->binding_for("removed-team");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::Unauthorized);
  const auto& lab = **p->binding_for("lab");
  EXPECT_EQ((*p->profile_for(lab, ""))->name, "server");
  auto not_allowed = p->profile_for(lab, "client");
  ASSERT_FALSE(not_allowed);
  EXPECT_EQ(not_allowed.error().kind, ErrorKind::Unauthorized);
  auto unknown = p->profile_for(lab, "codesign");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::InvalidProfile);
  EXPECT_NE(unknown.error().detail.find("client, server"), std::string::npos);
  // no default binding: an account without EAB gets nothing
  auto strict = load(R"([profiles.p]
ext_key_usage = ["serverAuth"]
[bindings.t]
allow = ["dns:*.t.corp"]
)");
  auto none = strict->binding_for("");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().detail.find("EAB"), std::string::npos);
}

TEST(Policy, LifetimesTakeTheTightestLimit) {
  auto p = load(two_teams);
  const auto& pay = **p->binding_for("payments");
  const auto& lab = **p->binding_for("lab");
  const auto& server = p->profiles().at("server");
  const auto& client = p->profiles().at("client");
  auto l = Policy::lifetimes(pay, server, Seconds{3600}, Seconds{90 * 86400});
  EXPECT_EQ(l.default_lifetime, Seconds{24 * 3600});  // the profile's default wins over the CA's
  l = Policy::lifetimes(pay, server, Seconds{48 * 3600}, Seconds{90 * 86400});
  EXPECT_EQ(l.default_lifetime, Seconds{24 * 3600});
  EXPECT_EQ(l.max_lifetime, Seconds{7 * 86400});
  l = Policy::lifetimes(lab, server, Seconds{48 * 3600}, Seconds{90 * 86400});
  EXPECT_EQ(l.max_lifetime, Seconds{2 * 3600});
  EXPECT_EQ(l.default_lifetime, Seconds{2 * 3600});
  l = Policy::lifetimes(pay, client, Seconds{24 * 3600}, Seconds{6 * 3600});
  EXPECT_EQ(l.max_lifetime, Seconds{6 * 3600});
}

TEST(Policy, ProfileKeyTypes) {
  auto p = load(two_teams);
  const auto& server = p->profiles().at("server");
  auto ec = crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  ASSERT_TRUE(ec);
  EXPECT_TRUE(p->check_key(server, ec->public_key()));
  auto ec384 = crypto::PrivateKey::generate(crypto::KeyType::EcP384);
  auto refused = p->check_key(server, ec384->public_key());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("ec-p256"), std::string::npos);
  EXPECT_EQ(policy::key_type_of(ec384->public_key()), "ec-p384");
  EXPECT_TRUE(p->check_key(p->profiles().at("client"), ec384->public_key()));  // no key_types: any acceptable key
}

TEST(Policy, LintErrorsCarryLinesAndRules) {
  auto l = Policy::parse(R"(default_binding = "nobody"
colour = "blue"
[profiles.p]
ext_key_usage = ["serverAuth", "frobnicate"]
key_usage = ["keyCertSign"]
key_types = ["dsa-1024"]
default_lifetime = "10d"
max_lifetime = "5d"
policy_oids = ["not.an.oid"]
[profiles.noeku]
[bindings.b]
allow = ["api.corp", "dns:a*.corp"]
profiles = ["p", "ghost"]
challenges = ["carrier-pigeon"]
orders_per_hour = -1
)",
                         "policy.toml", {Seconds{4 * 86400}, std::nullopt});
  EXPECT_TRUE(l.has_errors());
  EXPECT_FALSE(l.policy);
  const auto r = rules_of(l);
  for (const char* want : {"E:unknown-binding", "E:unknown-key", "E:unknown-eku", "E:bad-key-usage", "E:unknown-key-type", "E:bad-lifetime",
                           "E:bad-oid", "E:missing-eku", "E:bad-pattern", "E:unknown-profile", "E:unknown-challenge", "E:bad-value",
                           "E:lifetime-exceeds-ca"})
    EXPECT_TRUE(has(r, want)) << want;
  for (const auto& d : l.diagnostics) {
    if (d.rule == "unknown-key") {
      EXPECT_EQ(d.line, 2);
    } else if (d.rule == "unknown-eku") {
      EXPECT_EQ(d.line, 4);
    }
  }
  auto syntax = Policy::parse("[bindings.x\nallow = 1\n", "p.toml");
  ASSERT_EQ(syntax.diagnostics.size(), 1u);
  EXPECT_EQ(syntax.diagnostics[0].rule, "syntax");
  EXPECT_EQ(syntax.diagnostics[0].line, 1);
}

TEST(Policy, LintWarnings) {
  auto l = Policy::parse(R"([profiles.both]
ext_key_usage = ["serverAuth", "clientAuth"]
max_lifetime = "365d"
[profiles.spare]
ext_key_usage = ["codeSigning"]
[bindings.a]
allow = ["dns:*", "dns:*.internal", "dns:api.a.corp"]
deny = ["dns:*.a.corp"]
profiles = ["both"]
wildcards = true
challenges = ["http-01"]
[bindings.b]
allow = ["dns:*.corp.internal"]
profiles = ["both"]
)",
                         "policy.toml");
  EXPECT_FALSE(l.has_errors()) << policy::render_diagnostics(l.diagnostics, "policy.toml", "text");
  ASSERT_TRUE(l.policy);
  const auto r = rules_of(l);
  for (const char* want : {"W:broad-pattern", "W:shadowed-allow", "W:overlapping-bindings", "W:mixed-eku", "W:long-lifetime", "W:unused-profile",
                           "W:wildcards-unprovable"})
    EXPECT_TRUE(has(r, want)) << want;
}

TEST(Policy, RendersTextJsonSarif) {
  auto l = Policy::parse("[bindings.b]\nallow = [\"dns:*\"]\n[profiles.p]\next_key_usage = [\"serverAuth\"]\n", "p.toml");
  const auto text = policy::render_diagnostics(l.diagnostics, "p.toml", "text");
  EXPECT_NE(text.find("p.toml:2: warning[broad-pattern]: "), std::string::npos) << text;
  const auto sarif = nlohmann::json::parse(policy::render_diagnostics(l.diagnostics, "p.toml", "sarif"));
  EXPECT_EQ(sarif["version"], "2.1.0");
  EXPECT_EQ(sarif["runs"][0]["results"][0]["ruleId"], "broad-pattern");
  EXPECT_EQ(sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
  const auto json = nlohmann::json::parse(policy::render_diagnostics(l.diagnostics, "p.toml", "json"));
  EXPECT_EQ(json[0]["severity"], "warning");
}

TEST(Policy, AllowListShorthand) {
  auto p = Policy::from_allow_list({"*.corp.internal", "ip:10.0.0.0/8", "dns:exact.example"});
  ASSERT_TRUE(p);
  const auto& b = **(*p)->binding_for("any-eab-binding");  // every account shares the one binding
  EXPECT_TRUE((*p)->judge(b, *policy::normalise_name("dns:a.corp.internal")).allowed);
  EXPECT_TRUE((*p)->judge(b, *policy::normalise_name("dns:*.corp.internal")).allowed);
  EXPECT_TRUE((*p)->judge(b, *policy::normalise_name("ip:10.1.1.1")).allowed);
  EXPECT_FALSE((*p)->judge(b, *policy::normalise_name("dns:other.example")).allowed);
  auto any = Policy::from_allow_list({"*"});
  EXPECT_TRUE((*any)->judge(**(*any)->binding_for(""), *policy::normalise_name("ip:fd00::1")).allowed);
  EXPECT_FALSE(Policy::from_allow_list({"dns:a*.b"}));
  auto nothing = Policy::from_allow_list({});
  EXPECT_FALSE((*nothing)->judge(**(*nothing)->binding_for(""), *policy::normalise_name("dns:a.b")).allowed);
}

TEST(Policy, AllowListShorthandFailsClosedAtLabelBoundaries) {
  auto empty = *Policy::from_allow_list({});
  EXPECT_FALSE(empty->judge(**empty->binding_for(""), {"dns", "a.corp.internal"}).allowed);
  auto list = *Policy::from_allow_list({"*.corp.internal", "dns:exact.example", "ip:10.0.0.0/8", "ip:fd00::/8"});
  struct Case { const char* name; acme::Identifier id; bool ok; };
  for (const Case& c : std::initializer_list<Case>{{"ok/subdomain", {"dns", "api.corp.internal"}, true},
                                                   {"ok/deep", {"dns", "a.b.corp.internal"}, true},
                                                   {"fail/apex", {"dns", "corp.internal"}, false},
                                                   {"fail/suffix-without-dot", {"dns", "evilcorp.internal"}, false},
                                                   {"ok/exact", {"dns", "exact.example"}, true},
                                                   {"fail/below-exact", {"dns", "a.exact.example"}, false},
                                                   {"ok/ip", {"ip", "10.9.8.7"}, true},
                                                   {"fail/ip", {"ip", "11.0.0.1"}, false},
                                                   {"ok/ipv6", {"ip", "fd12::1"}, true},
                                                   {"fail/ipv6", {"ip", "fe80::1"}, false}}) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(list->judge(**list->binding_for(""), c.id).allowed, c.ok);
  }
  EXPECT_FALSE(Policy::from_allow_list({"ip:10.0.0.0/99"}));
}

TEST(Policy, DirectoriesServeTheirBindings) {
  auto l = Policy::parse(R"([profiles.server]
ext_key_usage = ["serverAuth"]
[profiles.client]
ext_key_usage = ["clientAuth"]
[bindings.lab]
allow = ["dns:*.lab.corp"]
profiles = ["server"]
[bindings.team]
allow = ["dns:*.team.corp"]
default_profile = "server"
[directories.lab]
bindings = ["lab"]
default_binding = "lab"
[directories.prod]
bindings = ["team"]
external_account_required = true
)",
                         "p.toml");
  ASSERT_FALSE(l.has_errors()) << policy::render_diagnostics(l.diagnostics, "p.toml", "text");
  const auto* lab = l.policy->directory("lab");
  ASSERT_NE(lab, nullptr);
  EXPECT_EQ(lab->default_binding, "lab");
  EXPECT_EQ(lab->profiles, (std::vector<std::string>{"server"}));
  EXPECT_EQ(l.policy->directory("prod")->profiles, (std::vector<std::string>{"client", "server"}));
  EXPECT_EQ(l.policy->directory("nope"), nullptr);
  auto bad = Policy::parse(R"([profiles.p]
ext_key_usage = ["serverAuth"]
[bindings.b]
allow = ["dns:*.b.corp"]
[directories.new-order]
bindings = ["b"]
[directories.x]
bindings = ["ghost"]
default_binding = "b"
[directories.y]
bindings = ["b"]
)",
                           "p.toml");
  const auto r = rules_of(bad);
  for (const char* want : {"E:bad-directory-name", "E:unknown-binding", "W:unreachable-directory"}) EXPECT_TRUE(has(r, want)) << want;
}

TEST(Policy, SectionsMustBeTables) {
  auto l = Policy::parse("profiles = 3\n[bindings]\nteam = \"x\"\n[directories]\nlab = 1\n", "p.toml");
  EXPECT_TRUE(l.has_errors());
  int bad_type = 0;
  for (const auto& d : l.diagnostics)
    if (d.rule == "bad-type") ++bad_type;
  EXPECT_EQ(bad_type, 3) << policy::render_diagnostics(l.diagnostics, "p.toml", "text");
}

TEST(Policy, AnUnreadableFileIsAnError) {
  auto l = Policy::load("/nonexistent/policy.toml");
  ASSERT_EQ(l.diagnostics.size(), 1u);
  EXPECT_EQ(l.diagnostics[0].rule, "unreadable");
  EXPECT_FALSE(l.policy);
}
