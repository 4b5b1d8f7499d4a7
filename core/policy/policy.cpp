#include "core/policy/policy.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/config/toml_loader.hpp"
#include "core/policy/challenge_policy.hpp"
#include "core/policy/key_policy.hpp"
#include "core/x509/profile.hpp"
#include "core/util/text.hpp"

namespace pkictl::policy {
namespace {

using Severity = Diagnostic::Severity;
constexpr Seconds ninety_days{90LL * 86400};
const std::vector<std::string> known_key_types = {"ec-p256", "ec-p384", "ec-p521", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096", "rsa-8192"};

int line_of(const toml::node* n) { return n ? static_cast<int>(n->source().begin.line) : 0; }


}  // namespace

// Reads the TOML into a Policy, collecting every problem instead of stopping at the first.
class PolicyReader {
 public:
  PolicyReader(std::string source, const CaLimits& limits) : m_source(std::move(source)), m_limits(limits), m_l(m_source) {}

  LoadedPolicy read(const toml::table& root) {
    auto p = std::make_shared<Policy>();
    p->m_source = m_source;
    known(root, "", {"default_binding", "profiles", "bindings", "directories"});
    get(root, "", "default_binding", p->m_default_binding);
    sections(root, "profiles", p->m_profiles, &PolicyReader::profile);
    sections(root, "bindings", p->m_bindings, &PolicyReader::binding);
    sections(root, "directories", p->m_directories, &PolicyReader::directory);
    cross_checks(*p, root);
    LoadedPolicy out;
    out.diagnostics = std::move(m_diags);
    std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
    if (!out.has_errors()) out.policy = std::move(p);
    return out;
  }

  void error(const toml::node* n, std::string rule, std::string msg, std::string hint) { add(Severity::Error, line_of(n), std::move(rule), std::move(msg), std::move(hint)); }
  void warn(int line, std::string rule, std::string msg, std::string hint) { add(Severity::Warning, line, std::move(rule), std::move(msg), std::move(hint)); }
  void add(Severity s, int line, std::string rule, std::string msg, std::string hint) {
    m_diags.push_back({s, line, std::move(rule), std::move(msg), std::move(hint)});
  }
  std::vector<Diagnostic> take() { return std::move(m_diags); }

 private:
  /** Each [KEY.NAME] table read by `one` into `out`; anything else under KEY is an error. */
  template <class T>
  void sections(const toml::table& root, const char* key, std::map<std::string, T>& out, T (PolicyReader::*one)(const std::string&, const toml::table&)) {
    const auto* t = table(root, key);
    if (!t) return;
    for (const auto& [k, v] : *t) {
      const std::string name(k.str());
      if (!v.is_table()) {
        error(&v, "bad-type", std::string(key) + "." + name + " must be a table", "write [" + std::string(key) + "." + name + "]");
        continue;
      }
      out[name] = (this->*one)(name, *v.as_table());
    }
  }

  void known(const toml::table& t, const std::string& prefix, const std::set<std::string>& keys) {
    for (const auto& [k, v] : t)
      if (!keys.count(std::string(k.str())))
        error(&v, "unknown-key", "unknown key " + prefix + std::string(k.str()), "known keys here: " + util::join(keys));
  }
  template <class T>
  bool get(const toml::table& t, const std::string& prefix, const char* key, T& out) {
    auto r = m_l.get(t, prefix, key, out);
    if (r) return true;
    // Loader errors read "FILE:LINE: key: reason"; keep the reason.
    std::string d = r.error().detail;
    const auto at = d.find(": " + prefix + key + ": ");
    if (at != std::string::npos) d = d.substr(at + 2);
    error(t.get(key), "bad-type", d, "see pkictl-policy(5) for the type of " + prefix + key);
    return false;
  }
  const toml::table* table(const toml::table& root, const char* key) {
    const toml::node* n = root.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) { error(n, "bad-type", std::string(key) + " must be a table", std::string("write [") + key + ".NAME] sections"); return nullptr; }
    return n->as_table();
  }
  /** Each string of an array with its own line. */
  std::vector<std::pair<std::string, const toml::node*>> strings(const toml::table& t, const std::string& prefix, const char* key) {
    std::vector<std::pair<std::string, const toml::node*>> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) { error(n, "bad-type", prefix + key + " must be an array of strings", "write " + std::string(key) + " = [\"…\"]"); return out; }
    for (const auto& e : *a) {
      if (!e.is_string()) { error(&e, "bad-type", prefix + key + " must be an array of strings", ""); continue; }
      out.emplace_back(e.as_string()->get(), &e);
    }
    return out;
  }

  Profile profile(const std::string& name, const toml::table& t) {
    const std::string prefix = "profiles." + name + ".";
    Profile p;
    p.name = name;
    p.line = line_of(&t);
    known(t, prefix, {"description", "ext_key_usage", "key_usage", "key_types", "default_lifetime", "max_lifetime", "keep_cn", "policy_oids"});
    get(t, prefix, "description", p.description);
    get(t, prefix, "keep_cn", p.keep_cn);
    Seconds s{};
    if (t.get("default_lifetime") && get(t, prefix, "default_lifetime", s)) p.default_lifetime = s;
    if (t.get("max_lifetime") && get(t, prefix, "max_lifetime", s)) p.max_lifetime = s;
    const bool has_eku = t.get("ext_key_usage") != nullptr;
    for (const auto& [v, n] : strings(t, prefix, "ext_key_usage")) {
      auto e = x509::parse_eku(v);
      if (!e) error(n, "unknown-eku", prefix + "ext_key_usage: " + e.error().detail, "use serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning or a dotted OID");
      else p.ext_key_usage.push_back(*e);
    }
    if (!has_eku) error(&t, "missing-eku", "profile " + name + " has no ext_key_usage", "say what the certificates are for, e.g. ext_key_usage = [\"serverAuth\"]");
    std::vector<std::string> ku;
    for (const auto& [v, n] : strings(t, prefix, "key_usage")) {
      auto b = x509::parse_key_usage({v});
      if (!b) error(n, "bad-key-usage", prefix + "key_usage: " + b.error().detail, "use digitalSignature, keyEncipherment, keyAgreement, …");
      else if (*b & (x509::KeyCertSign | x509::CrlSign)) error(n, "bad-key-usage", prefix + "key_usage: " + v + " is for CA certificates", "leaf profiles cannot sign certificates or CRLs");
      else p.key_usage |= *b;
    }
    for (const auto& [v, n] : strings(t, prefix, "key_types")) {
      const std::string k = util::to_lower(v);
      if (std::find(known_key_types.begin(), known_key_types.end(), k) == known_key_types.end())
        error(n, "unknown-key-type", prefix + "key_types: unknown key type \"" + v + "\"", "use " + util::join(known_key_types));
      else p.key_types.push_back(k);
    }
    for (const auto& [v, n] : strings(t, prefix, "policy_oids")) {
      if (auto oid = x509::parse_oid(v); !oid) error(n, "bad-oid", prefix + "policy_oids: " + oid.error().detail, "e.g. 1.3.6.1.4.1.55555.1.1");
      else p.policy_oids.push_back(*oid);
    }
    if (p.default_lifetime && p.default_lifetime->count() <= 0) error(t.get("default_lifetime"), "bad-lifetime", prefix + "default_lifetime must be positive", "");
    if (p.max_lifetime && p.max_lifetime->count() <= 0) error(t.get("max_lifetime"), "bad-lifetime", prefix + "max_lifetime must be positive", "");
    if (p.default_lifetime && p.max_lifetime && *p.default_lifetime > *p.max_lifetime)
      error(t.get("default_lifetime"), "bad-lifetime", prefix + "default_lifetime is longer than max_lifetime", "shorten default_lifetime or raise max_lifetime");
    lifetime_against_ca(t.get("max_lifetime"), prefix + "max_lifetime", p.max_lifetime);
    lifetime_against_ca(t.get("default_lifetime"), prefix + "default_lifetime", p.default_lifetime);
    if (p.max_lifetime && *p.max_lifetime > ninety_days)
      warn(line_of(t.get("max_lifetime")), "long-lifetime", prefix + "max_lifetime is " + util::format_duration(*p.max_lifetime) + ", over 90 days",
           "short-lived certificates make revocation matter less; prefer days to months");
    const bool server = std::count(p.ext_key_usage.begin(), p.ext_key_usage.end(), "serverAuth") > 0;
    const bool client = std::count(p.ext_key_usage.begin(), p.ext_key_usage.end(), "clientAuth") > 0;
    if (server && client)
      warn(line_of(t.get("ext_key_usage")), "mixed-eku", "profile " + name + " mixes serverAuth and clientAuth",
           "use one profile per role, so a stolen server certificate cannot log in as a client");
    return p;
  }

  void lifetime_against_ca(const toml::node* n, const std::string& key, const std::optional<Seconds>& v) {
    if (!v) return;
    if (m_limits.max_lifetime && *v > *m_limits.max_lifetime)
      error(n, "lifetime-exceeds-ca", key + " (" + util::format_duration(*v) + ") is longer than the server's [ca] max_lifetime (" +
                                          util::format_duration(*m_limits.max_lifetime) + ")", "shorten it or raise [ca] max_lifetime");
    else if (m_limits.remaining && *v > *m_limits.remaining)
      error(n, "lifetime-exceeds-ca", key + " (" + util::format_duration(*v) + ") is longer than the issuing CA has left (" +
                                          util::format_duration(*m_limits.remaining) + ")", "shorten it, or renew the issuing CA");
  }

  Binding binding(const std::string& name, const toml::table& t) {
    const std::string prefix = "bindings." + name + ".";
    Binding b;
    b.name = name;
    b.line = line_of(&t);
    known(t, prefix, {"description", "allow", "deny", "profiles", "default_profile", "challenges", "max_lifetime", "wildcards", "orders_per_hour",
                      "certificates_per_hour"});
    get(t, prefix, "description", b.description);
    get(t, prefix, "default_profile", b.default_profile);
    get(t, prefix, "wildcards", b.wildcards);
    get(t, prefix, "orders_per_hour", b.orders_per_hour);
    get(t, prefix, "certificates_per_hour", b.certificates_per_hour);
    for (const char* k : {"orders_per_hour", "certificates_per_hour"})
      if (const auto* n = t.get(k); n && n->is_integer() && n->as_integer()->get() < 0)
        error(n, "bad-value", prefix + k + " must be 0 (unlimited) or more", "");
    Seconds s{};
    if (t.get("max_lifetime") && get(t, prefix, "max_lifetime", s)) {
      b.max_lifetime = s;
      if (s.count() <= 0) error(t.get("max_lifetime"), "bad-lifetime", prefix + "max_lifetime must be positive", "");
      lifetime_against_ca(t.get("max_lifetime"), prefix + "max_lifetime", b.max_lifetime);
      if (s > ninety_days) warn(line_of(t.get("max_lifetime")), "long-lifetime", prefix + "max_lifetime is " + util::format_duration(s) + ", over 90 days",
                                "short-lived certificates make revocation matter less; prefer days to months");
    }
    for (const char* list : {"allow", "deny"})
      for (const auto& [v, n] : strings(t, prefix, list)) {
        auto pat = Pattern::parse(v);
        if (!pat) { error(n, "bad-pattern", prefix + list + ": " + pat.error().detail, "see PATTERNS in pkictl-policy(5)"); continue; }
        Rule r{m_source + ":" + std::to_string(line_of(n)) + " " + prefix + list + " \"" + v + "\"", *pat, line_of(n)};
        (std::string(list) == "allow" ? b.allow : b.deny).push_back(std::move(r));
        if (std::string(list) == "allow" && !pat->broad_reason().empty())
          warn(line_of(n), "broad-pattern", prefix + "allow \"" + v + "\" is over-broad: " + pat->broad_reason(),
               "grant the narrowest name space the team needs");
      }
    for (const auto& [v, n] : strings(t, prefix, "profiles")) b.profiles.push_back(v);
    for (const auto& [v, n] : strings(t, prefix, "challenges")) {
      if (!known_challenge_type(v)) error(n, "unknown-challenge", prefix + "challenges: unknown challenge type \"" + v + "\"", "use http-01, dns-01, tls-alpn-01, dns-account-01 or dns-persist-01");
      else b.challenges.push_back(v);
    }
    // Shadowing: an allow that a deny of the same binding entirely covers can never apply.
    for (const auto& a : b.allow)
      for (const auto& d : b.deny)
        if (a.pattern.within(d.pattern)) {
          warn(a.line, "shadowed-allow", prefix + "allow \"" + a.pattern.text() + "\" is entirely denied by \"" + d.pattern.text() + "\"",
               "remove the allow, or narrow the deny");
          break;
        }
    if (b.wildcards && !b.challenges.empty() && std::none_of(b.challenges.begin(), b.challenges.end(), [](const std::string& c) { return dns_based_challenge(c); }))
      warn(line_of(t.get("wildcards")), "wildcards-unprovable", prefix + "wildcards = true but none of its challenges can prove a wildcard",
           "add dns-01 (or dns-account-01/dns-persist-01) to challenges, or drop wildcards");
    if (b.allow.empty() && !t.get("allow"))
      warn(b.line, "allows-nothing", "binding " + name + " has no allow list: it can obtain nothing", "add allow = [\"dns:*.team.corp.internal\"]");
    return b;
  }

  Directory directory(const std::string& name, const toml::table& t) {
    const std::string prefix = "directories." + name + ".";
    Directory d;
    d.name = name;
    d.line = line_of(&t);
    known(t, prefix, {"description", "bindings", "default_binding", "external_account_required"});
    get(t, prefix, "description", d.description);
    get(t, prefix, "default_binding", d.default_binding);
    get(t, prefix, "external_account_required", d.external_account_required);
    for (const auto& [v, n] : strings(t, prefix, "bindings")) d.bindings.push_back(v);
    static const std::set<std::string> reserved = {"directory", "new-nonce", "new-account", "new-order", "revoke-cert", "key-change",
                                                   "renewal-info", "acct", "order", "authz", "chall", "cert"};
    const bool ok_name = !name.empty() && name.size() <= 40 && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
    if (!ok_name || reserved.count(name))
      error(&t, "bad-directory-name", "directory name \"" + name + "\" cannot be a URL path segment under /acme/",
            "use lower-case letters, digits, - and _, and none of ACME's own resource names");
    return d;
  }

  void cross_checks(Policy& p, const toml::table& root) {
    if (!p.m_default_binding.empty() && !p.m_bindings.count(p.m_default_binding))
      error(root.get("default_binding"), "unknown-binding", "default_binding \"" + p.m_default_binding + "\" is not a binding of this policy",
            "define [bindings." + p.m_default_binding + "] or fix the name");
    if (p.m_bindings.empty()) warn(0, "allows-nothing", "the policy has no bindings: every order will be refused", "add a [bindings.NAME] section");
    if (!p.m_bindings.empty() && p.m_profiles.empty())
      error(nullptr, "no-profile", "the policy has bindings but no profiles", "add a [profiles.NAME] section with ext_key_usage");
    std::set<std::string> used;
    for (auto& [name, b] : p.m_bindings) {
      const auto* bt = root["bindings"][name].as_table();
      for (const auto& pr : b.profiles)
        if (!p.m_profiles.count(pr))
          error(bt ? bt->get("profiles") : nullptr, "unknown-profile", "bindings." + name + ".profiles names unknown profile \"" + pr + "\"",
                "define [profiles." + pr + "] or fix the name");
      const auto may = b.profiles.empty() ? [&] { std::vector<std::string> all; for (const auto& [k, v] : p.m_profiles) all.push_back(k); return all; }() : b.profiles;
      used.insert(may.begin(), may.end());
      if (b.default_profile.empty()) {
        if (may.size() == 1) b.default_profile = may.front();
        else if (!b.profiles.empty()) b.default_profile = b.profiles.front();
        else if (may.size() > 1)
          error(bt, "no-default-profile", "binding " + name + " may use several profiles but names no default_profile",
                "set default_profile (used when newOrder names no profile)");
      } else if (std::find(may.begin(), may.end(), b.default_profile) == may.end()) {
        error(bt ? bt->get("default_profile") : nullptr, "unknown-profile",
              "bindings." + name + ".default_profile \"" + b.default_profile + "\" is not a profile this binding may use", "add it to profiles, or fix the name");
      }
    }
    for (const auto& [name, pr] : p.m_profiles)
      if (!used.count(name) && !p.m_bindings.empty())
        warn(pr.line, "unused-profile", "profile " + name + " is not usable by any binding", "add it to a binding's profiles, or remove it");
    for (auto& [name, d] : p.m_directories) {
      const auto* dt = root["directories"][name].as_table();
      if (d.bindings.empty())
        error(dt, "no-binding", "directory " + name + " names no bindings", "list the bindings whose accounts may register here");
      for (const auto& b : d.bindings)
        if (!p.m_bindings.count(b))
          error(dt ? dt->get("bindings") : nullptr, "unknown-binding", "directories." + name + ".bindings names unknown binding \"" + b + "\"",
                "define [bindings." + b + "] or fix the name");
      if (!d.default_binding.empty() && std::find(d.bindings.begin(), d.bindings.end(), d.default_binding) == d.bindings.end())
        error(dt ? dt->get("default_binding") : nullptr, "unknown-binding", "directories." + name + ".default_binding is not one of its bindings",
              "add it to bindings, or fix the name");
      if (d.default_binding.empty() && !d.external_account_required)
        warn(d.line, "unreachable-directory", "directory " + name + " has no default_binding and does not require EAB",
             "accounts registered without an EAB key get no binding there: set default_binding, or external_account_required = true");
      std::set<std::string> profs;
      for (const auto& b : d.bindings)
        if (auto it = p.m_bindings.find(b); it != p.m_bindings.end()) {
          if (it->second.profiles.empty())
            for (const auto& [pn, pr] : p.m_profiles) profs.insert(pn);
          else
            profs.insert(it->second.profiles.begin(), it->second.profiles.end());
        }
      d.profiles.assign(profs.begin(), profs.end());
    }
    // Two teams granted overlapping names: each can obtain certificates for the other's services.
    std::vector<std::pair<const Binding*, const Rule*>> grants;
    for (const auto& [name, b] : p.m_bindings)
      for (const auto& r : b.allow) grants.emplace_back(&b, &r);
    for (std::size_t i = 0; i < grants.size(); ++i)
      for (std::size_t j = i + 1; j < grants.size(); ++j)
        if (grants[i].first != grants[j].first && grants[i].second->pattern.overlaps(grants[j].second->pattern)) {
          const int line = grants[j].second->line;
          warn(line, "overlapping-bindings",
               "bindings " + grants[i].first->name + " and " + grants[j].first->name + " both grant names matching \"" + grants[i].second->pattern.text() +
                   "\" and \"" + grants[j].second->pattern.text() + "\"",
               "give each binding a disjoint name space, or deny the other's names explicitly");
        }
  }

  std::string m_source;
  CaLimits m_limits;
  config::Loader m_l;
  std::vector<Diagnostic> m_diags;
};

bool LoadedPolicy::has_errors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; });
}
bool LoadedPolicy::has_warnings() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.severity == Severity::Warning; });
}
std::string LoadedPolicy::error_summary(const std::string& file) const {
  std::string out;
  for (const auto& d : diagnostics)
    if (d.severity == Severity::Error) out += (out.empty() ? "" : "; ") + file + (d.line ? ":" + std::to_string(d.line) : "") + ": " + d.message;
  return out;
}

bool Binding::allows_challenge(std::string_view type) const {
  return challenges.empty() || std::find(challenges.begin(), challenges.end(), type) != challenges.end();
}

LoadedPolicy Policy::parse(std::string_view text, const std::string& source, const CaLimits& limits) {
  PolicyReader reader(source, limits);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    reader.add(Severity::Error, static_cast<int>(e.source().begin.line), "syntax", std::string(e.description()), "fix the TOML syntax");
    LoadedPolicy out;
    out.diagnostics = reader.take();
    return out;
  }
  return reader.read(root);
}

LoadedPolicy Policy::load(const std::filesystem::path& file, const CaLimits& limits) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    LoadedPolicy out;
    out.diagnostics.push_back({Severity::Error, 0, "unreadable", "cannot read the policy file", "check the path and permissions"});
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), file.string(), limits);
}

Result<std::shared_ptr<const Policy>> Policy::from_allow_list(const std::vector<std::string>& patterns) {
  auto p = std::make_shared<Policy>();
  p->m_source = "[acme] allowed_identifiers";
  p->m_single_binding = true;
  p->m_default_binding = "default";
  Profile prof;
  prof.name = "default";
  prof.description = "TLS server and client (the allowed_identifiers default)";
  prof.ext_key_usage = {"serverAuth", "clientAuth"};
  p->m_profiles["default"] = prof;
  Binding b;
  b.name = "default";
  b.wildcards = true;
  b.default_profile = "default";
  for (const auto& raw : patterns) {
    std::vector<std::string> texts;
    const std::string lower = util::to_lower(raw);
    if (raw == "*") texts = {"dns:*", "ip:0.0.0.0/0", "ip:::/0"};
    else if (lower.rfind("dns:", 0) == 0 || lower.rfind("ip:", 0) == 0) texts = {raw};
    else texts = {"dns:" + raw};
    for (const auto& t : texts) {
      auto pat = Pattern::parse(t);
      if (!pat) return fail(ErrorKind::Config, "allowed identifier \"" + raw + "\": " + pat.error().detail);
      b.allow.push_back({"[acme] allowed_identifiers \"" + raw + "\"", *pat});
    }
  }
  p->m_bindings["default"] = std::move(b);
  return std::shared_ptr<const Policy>(std::move(p));
}

Result<const Binding*> Policy::binding_for(const std::string& account_binding) const {
  if (m_single_binding) return &m_bindings.at("default");
  const std::string& name = account_binding.empty() ? m_default_binding : account_binding;
  if (name.empty())
    return fail(ErrorKind::Unauthorized, "this account has no policy binding (it was registered without an EAB key) and the policy (" + m_source +
                                             ") names no default_binding: register with an EAB key from the CA operators");
  auto it = m_bindings.find(name);
  if (it == m_bindings.end())
    return fail(ErrorKind::Unauthorized, "this account's binding \"" + name + "\" is not in the policy (" + m_source + "); refused (fail closed)");
  return &it->second;
}

Result<const Profile*> Policy::profile_for(const Binding& b, const std::string& requested) const {
  const std::string& name = requested.empty() ? b.default_profile : requested;
  auto it = m_profiles.find(name);
  if (it == m_profiles.end()) {
    std::string known;
    for (const auto& [k, v] : m_profiles) known += (known.empty() ? "" : ", ") + k;
    if (name.empty()) return fail(ErrorKind::InvalidProfile, "binding " + b.name + " has no default profile: name one (" + known + ")");
    return fail(ErrorKind::InvalidProfile, "unknown profile \"" + name + "\" (this server offers: " + known + ")");
  }
  if (!b.profiles.empty() && std::find(b.profiles.begin(), b.profiles.end(), name) == b.profiles.end())
    return fail(ErrorKind::Unauthorized, "binding " + b.name + " may not use profile \"" + name + "\" (it may use: " + util::join(b.profiles) + ")");
  return &it->second;
}

Decision Policy::judge(const Binding& b, const acme::Identifier& ident) const {
  Decision d;
  const std::string shown = ident.type + ":" + ident.value;
  d.trace.push_back("binding " + b.name + (b.line ? " (" + m_source + ":" + std::to_string(b.line) + ")" : ""));
  for (const auto& r : b.deny) {
    if (r.pattern.touches(ident)) {
      d.rule = r.where;
      d.rule_id = "bindings." + b.name + ".deny";
      d.trace.push_back("deny " + r.where + " matches " + shown + ": denied (denies win over allows)");
      return d;
    }
    d.trace.push_back("deny " + r.where + " does not match");
  }
  if (ident.wildcard() && !b.wildcards) {
    d.rule = "bindings." + b.name + ".wildcards = false";
    d.rule_id = "bindings." + b.name + ".wildcards";
    d.trace.push_back("wildcard " + shown + ": binding " + b.name + " may not order wildcard names (wildcards = false): denied");
    return d;
  }
  for (const auto& r : b.allow) {
    if (r.pattern.covers(ident)) {
      d.allowed = true;
      d.rule = r.where;
      d.rule_id = "bindings." + b.name + ".allow";
      d.trace.push_back("allow " + r.where + " covers " + shown + ": allowed");
      return d;
    }
    d.trace.push_back("allow " + r.where + " does not cover " + shown);
  }
  d.rule = "no allow of binding " + b.name + " covers " + shown;
  d.rule_id = "bindings." + b.name + ".no-allow";
  d.trace.push_back(d.rule + ": denied (fail closed)");
  return d;
}

std::string key_type_of(const crypto::PublicKey& key) {
  const auto info = key.info();
  if (info.algorithm == "RSA") return "rsa-" + std::to_string(info.bits);
  if (info.algorithm == "EC") {
    std::string c = util::to_lower(info.curve);
    c.erase(std::remove(c.begin(), c.end(), '-'), c.end());
    return "ec-" + c;
  }
  return util::to_lower(info.algorithm);
}

Result<void> Policy::check_key(const Profile& profile, const crypto::PublicKey& key) const {
  PKI_TRY(policy::check_key(key));
  if (profile.key_types.empty()) return {};
  const std::string t = key_type_of(key);
  if (std::find(profile.key_types.begin(), profile.key_types.end(), t) == profile.key_types.end())
    return fail(ErrorKind::BadPublicKey, "profile " + profile.name + " does not allow " + key.info().describe() + " keys (allowed: " + util::join(profile.key_types) + ")");
  return {};
}

Policy::Lifetimes Policy::lifetimes(const Binding& b, const Profile& p, Seconds ca_default, Seconds ca_max) {
  Seconds max = ca_max;
  if (p.max_lifetime) max = std::min(max, *p.max_lifetime);
  if (b.max_lifetime) max = std::min(max, *b.max_lifetime);
  const Seconds def = std::min(p.default_lifetime ? *p.default_lifetime : ca_default, max);
  return {def, max};
}

std::string render_diagnostics(const std::vector<Diagnostic>& diags, const std::string& file, std::string_view format) {
  using nlohmann::json;
  auto sev = [](Severity s) { return s == Severity::Error ? "error" : "warning"; };
  if (format == "json") {
    json arr = json::array();
    for (const auto& d : diags)
      arr.push_back({{"file", file}, {"line", d.line}, {"severity", sev(d.severity)}, {"rule", d.rule}, {"message", d.message}, {"hint", d.hint}});
    return arr.dump(2) + "\n";
  }
  if (format == "sarif") {
    std::set<std::string> ids;
    json results = json::array();
    for (const auto& d : diags) {
      ids.insert(d.rule);
      json loc = {{"physicalLocation", {{"artifactLocation", {{"uri", file}}}}}};
      if (d.line > 0) loc["physicalLocation"]["region"] = {{"startLine", d.line}};
      results.push_back({{"ruleId", d.rule}, {"level", sev(d.severity)},
                         {"message", {{"text", d.message + (d.hint.empty() ? "" : " (fix: " + d.hint + ")")}}}, {"locations", json::array({loc})}});
    }
    json rules = json::array();
    for (const auto& id : ids) rules.push_back({{"id", id}});
    json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                  {"version", "2.1.0"},
                  {"runs", json::array({{{"tool", {{"driver", {{"name", "pkictl policy lint"}, {"informationUri", "man:pkictl-policy(5)"}, {"rules", rules}}}}},
                                         {"results", results}}})}};
    return sarif.dump(2) + "\n";
  }
  std::string out;
  for (const auto& d : diags)
    out += file + (d.line ? ":" + std::to_string(d.line) : "") + ": " + sev(d.severity) + "[" + d.rule + "]: " + d.message +
           (d.hint.empty() ? "" : " (fix: " + d.hint + ")") + "\n";
  return out;
}

}  // namespace pkictl::policy
