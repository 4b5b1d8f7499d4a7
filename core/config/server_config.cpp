#include "core/config/server_config.hpp"

#include "core/config/toml_loader.hpp"

#include <set>
#include <sstream>

#include "core/policy/challenge_policy.hpp"
#include "core/util/text.hpp"
#include "core/x509/general_name.hpp"

namespace pkictl::config {
namespace {

/** The host of an absolute URL ("" if there is none), without brackets or port. */
std::string net_host_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  std::string rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find(':'));
}

namespace fs = std::filesystem;

Result<void> check_host_port(const std::string& hp, const std::string& what) {
  const auto colon = hp.rfind(':');
  if (colon == std::string::npos || colon + 1 >= hp.size() || hp.find_first_not_of("0123456789", colon + 1) != std::string::npos)
    return fail(ErrorKind::Config, what + ": \"" + hp + "\" must be host:port");
  const int port = std::stoi(hp.substr(colon + 1));
  if (port < 0 || port > 65535) return fail(ErrorKind::Config, what + ": port out of range in \"" + hp + "\"");
  return {};
}

}  // namespace

Result<ServerConfig> load_server_config(const fs::path& path) {
  PKI_TRY_ASSIGN(toml::table root, parse_toml_file(path, "configuration file"));
  const fs::path abs = fs::absolute(path);
  Loader l(abs);
  ServerConfig c;
  c.source = abs;
  PKI_TRY(l.known_keys(root, "", {"data_dir", "dev", "server", "ca", "acme", "validation", "audit"}));
  PKI_TRY(l.get(root, "", "data_dir", c.data_dir));
  if (c.data_dir.is_relative()) c.data_dir = l.resolve(c.data_dir);
  PKI_TRY(l.get(root, "", "dev", c.dev));
  Result<void> status;
  if (const auto* s = l.section(root, "server", status)) {
    PKI_TRY(l.known_keys(*s, "server.", {"listen", "external_url", "plain_http", "tls_cert", "tls_key", "tls_hostnames", "threads", "workers",
                                              "metrics_listen", "publish_listen", "publish_url", "max_connections", "overload_lag"}));
    PKI_TRY(l.get(*s, "server.", "listen", c.server.listen));
    PKI_TRY(l.get(*s, "server.", "external_url", c.server.external_url));
    PKI_TRY(l.get(*s, "server.", "plain_http", c.server.plain_http));
    PKI_TRY(l.get(*s, "server.", "tls_cert", c.server.tls_cert));
    PKI_TRY(l.get(*s, "server.", "tls_key", c.server.tls_key));
    PKI_TRY(l.get(*s, "server.", "tls_hostnames", c.server.tls_hostnames));
    PKI_TRY(l.get(*s, "server.", "threads", c.server.threads));
    PKI_TRY(l.get(*s, "server.", "workers", c.server.workers));
    PKI_TRY(l.get(*s, "server.", "metrics_listen", c.server.metrics_listen));
    PKI_TRY(l.get(*s, "server.", "publish_listen", c.server.publish_listen));
    PKI_TRY(l.get(*s, "server.", "publish_url", c.server.publish_url));
    if (!c.server.publish_url.empty()) {
      c.server.publish_url = util::without_trailing_slashes(c.server.publish_url);
      const auto scheme = c.server.publish_url.find("://");
      const std::string name = scheme == std::string::npos ? "" : c.server.publish_url.substr(0, scheme);
      if ((name != "http" && name != "https") || net_host_of(c.server.publish_url).empty() ||
          c.server.publish_url.find('/', scheme + 3) != std::string::npos)
        return fail(l.error(s->get("publish_url"), "server.publish_url",
                            "must be an http:// (or https://) URL with a host and no path, e.g. \"http://pki.corp.internal\""));
    }
    PKI_TRY(l.get(*s, "server.", "max_connections", c.server.max_connections));
    PKI_TRY(l.get(*s, "server.", "overload_lag", c.server.overload_lag));
    if (c.server.max_connections < 0)
      return fail(l.error(s->get("max_connections"), "server.max_connections", "must be 0 (automatic) or a positive number of connections"));
    for (const auto& hp : c.server.metrics_listen) PKI_TRY(check_host_port(hp, abs.string() + ": server.metrics_listen"));
    for (const auto& hp : c.server.publish_listen) PKI_TRY(check_host_port(hp, abs.string() + ": server.publish_listen"));
    for (const auto& hp : c.server.listen) PKI_TRY(check_host_port(hp, abs.string() + ": server.listen"));
    if (c.server.listen.empty()) return fail(ErrorKind::Config, abs.string() + ": server.listen: at least one address is needed");
    if (c.server.tls_cert.empty() != c.server.tls_key.empty())
      return fail(ErrorKind::Config, abs.string() + ": server.tls_cert and server.tls_key go together");
  }
  PKI_TRY(status);
  if (const auto* s = l.section(root, "ca", status)) {
    PKI_TRY(l.known_keys(*s, "ca.", {"cert", "key", "passphrase_file", "chain", "alternate_chains", "root", "extra_roots", "default_lifetime",
                                      "max_lifetime", "crl_validity", "crl_exempt_below"}));
    PKI_TRY(l.get(*s, "ca.", "cert", c.ca.cert));
    PKI_TRY(l.get(*s, "ca.", "key", c.ca.key));
    PKI_TRY(l.get(*s, "ca.", "passphrase_file", c.ca.passphrase_file));
    PKI_TRY(l.get(*s, "ca.", "chain", c.ca.chain));
    PKI_TRY(l.get(*s, "ca.", "alternate_chains", c.ca.alternate_chains));
    PKI_TRY(l.get(*s, "ca.", "root", c.ca.root));
    PKI_TRY(l.get(*s, "ca.", "extra_roots", c.ca.extra_roots));
    PKI_TRY(l.get(*s, "ca.", "crl_validity", c.ca.crl_validity));
    PKI_TRY(l.get(*s, "ca.", "crl_exempt_below", c.ca.crl_exempt_below));
    PKI_TRY(l.get(*s, "ca.", "default_lifetime", c.ca.default_lifetime));
    PKI_TRY(l.get(*s, "ca.", "max_lifetime", c.ca.max_lifetime));
  }
  PKI_TRY(status);
  if (c.ca.cert.empty() || c.ca.key.empty())
    return fail(ErrorKind::Config, abs.string() + ": [ca] cert and key are required (the issuing CA)");
  if (c.ca.default_lifetime > c.ca.max_lifetime)
    return fail(ErrorKind::Config, abs.string() + ": ca.default_lifetime is longer than ca.max_lifetime");
  if (const auto* s = l.section(root, "acme", status)) {
    PKI_TRY(l.known_keys(*s, "acme.", {"order_lifetime", "authz_lifetime", "terms_of_service", "website", "external_account_required",
                                        "allowed_identifiers", "policy"}));
    PKI_TRY(l.get(*s, "acme.", "order_lifetime", c.acme.order_lifetime));
    PKI_TRY(l.get(*s, "acme.", "authz_lifetime", c.acme.authz_lifetime));
    PKI_TRY(l.get(*s, "acme.", "terms_of_service", c.acme.terms_of_service));
    PKI_TRY(l.get(*s, "acme.", "website", c.acme.website));
    PKI_TRY(l.get(*s, "acme.", "external_account_required", c.acme.external_account_required));
    PKI_TRY(l.get(*s, "acme.", "allowed_identifiers", c.acme.allowed_identifiers));
    PKI_TRY(l.get(*s, "acme.", "policy", c.acme.policy));
    if (!c.acme.policy.empty() && s->get("allowed_identifiers"))
      return fail(l.error(s->get("allowed_identifiers"), "acme.allowed_identifiers",
                          "set either policy (a policy file) or allowed_identifiers (its one-binding shorthand), not both"));
  }
  PKI_TRY(status);
  if (const auto* s = l.section(root, "validation", status)) {
    PKI_TRY(l.known_keys(*s, "validation.", {"http01_port", "tlsalpn01_port", "resolvers", "allow_private", "timeout", "max_redirects",
                                              "workers", "queue", "challenge_types", "retries", "retry_backoff", "require_all",
                                              "issuer_domain_names"}));
    PKI_TRY(l.get(*s, "validation.", "challenge_types", c.validation.challenge_types));
    PKI_TRY(l.get(*s, "validation.", "retries", c.validation.retries));
    PKI_TRY(l.get(*s, "validation.", "retry_backoff", c.validation.retry_backoff));
    PKI_TRY(l.get(*s, "validation.", "require_all", c.validation.require_all));
    PKI_TRY(l.get(*s, "validation.", "issuer_domain_names", c.validation.issuer_domain_names));
    for (const auto& t : c.validation.challenge_types)
      if (!policy::known_challenge_type(t))
        return fail(ErrorKind::Config, abs.string() + ": validation.challenge_types: unknown type \"" + t +
                                           "\" (http-01, dns-01, tls-alpn-01, dns-account-01, dns-persist-01)");
    if (c.validation.retries < 0 || c.validation.retries > 10)
      return fail(ErrorKind::Config, abs.string() + ": validation.retries must be 0-10");
    PKI_TRY(l.get(*s, "validation.", "http01_port", c.validation.http01_port));
    PKI_TRY(l.get(*s, "validation.", "tlsalpn01_port", c.validation.tlsalpn01_port));
    PKI_TRY(l.get(*s, "validation.", "resolvers", c.validation.resolvers));
    PKI_TRY(l.get(*s, "validation.", "allow_private", c.validation.allow_private));
    PKI_TRY(l.get(*s, "validation.", "timeout", c.validation.timeout));
    PKI_TRY(l.get(*s, "validation.", "max_redirects", c.validation.max_redirects));
    PKI_TRY(l.get(*s, "validation.", "workers", c.validation.workers));
    PKI_TRY(l.get(*s, "validation.", "queue", c.validation.queue));
    for (const auto& r : c.validation.resolvers) PKI_TRY(check_host_port(r, abs.string() + ": validation.resolvers"));
    for (const auto& cidr : c.validation.allow_private) {
      auto b = x509::cidr_bytes(cidr);
      if (!b) return fail(ErrorKind::Config, abs.string() + ": validation.allow_private: " + b.error().detail);
    }
    for (int port : {c.validation.http01_port, c.validation.tlsalpn01_port})
      if (port < 1 || port > 65535) return fail(ErrorKind::Config, abs.string() + ": validation ports must be 1-65535");
    if (c.validation.workers < 1 || c.validation.queue < 1 || c.validation.max_redirects < 0)
      return fail(ErrorKind::Config, abs.string() + ": validation.workers and queue must be positive");
  }
  PKI_TRY(status);
  if (const auto* s = l.section(root, "audit", status)) {
    PKI_TRY(l.known_keys(*s, "audit.", {"checkpoint_interval"}));
    PKI_TRY(l.get(*s, "audit.", "checkpoint_interval", c.audit.checkpoint_interval));
    if (c.audit.checkpoint_interval.count() < 1) return fail(l.error(s->get("checkpoint_interval"), "audit.checkpoint_interval", "must be at least 1s"));
  }
  PKI_TRY(status);
  if (c.server.external_url.empty()) {
    std::string host = c.server.listen.front().substr(0, c.server.listen.front().rfind(':'));
    if (host == "0.0.0.0" || host == "127.0.0.1" || host == "[::]" || host == "[::1]" || host.empty()) host = c.server.tls_hostnames.front();
    c.server.external_url = std::string(c.server.plain_http ? "http" : "https") + "://" + host + ":" +
                            c.server.listen.front().substr(c.server.listen.front().rfind(':') + 1);
  }
  c.server.external_url = util::without_trailing_slashes(c.server.external_url);
  if (c.server.publish_url.empty()) c.server.publish_url = c.server.external_url;
  if (c.validation.issuer_domain_names.empty()) {
    auto url = net_host_of(c.server.external_url);
    if (!url.empty()) c.validation.issuer_domain_names.push_back(url);
  }
  for (auto& d : c.validation.issuer_domain_names) d = util::to_lower(d);
  return c;
}

std::string dev_config_toml(int port, int http01_port) {
  std::ostringstream o;
  o << "# pkictl development configuration, written by 'pkictl serve --dev'.\n"
    << "# DEV MODE: any identifier is allowed and validation may target private addresses.\n"
    << "dev = true\n"
    << "data_dir = \".\"\n\n"
    << "[server]\nlisten = [\"127.0.0.1:" << port << "\"]\n"
    << "external_url = \"https://localhost:" << port << "\"\n"
    << "tls_hostnames = [\"localhost\", \"127.0.0.1\", \"::1\"]\n\n"
    << "[ca]\ncert = \"issuing/intermediate.crt\"\nkey = \"issuing/intermediate.key\"\n"
    << "passphrase_file = \"passphrase\"\nroot = \"root/root.crt\"\n"
    << "default_lifetime = \"24h\"\nmax_lifetime = \"90d\"\n\n"
    << "[acme]\nallowed_identifiers = [\"*\"]\n\n"
    << "[validation]\nhttp01_port = " << http01_port << "\n"
    << "allow_private = [\"127.0.0.0/8\", \"::1/128\", \"10.0.0.0/8\", \"172.16.0.0/12\", \"192.168.0.0/16\", \"fc00::/7\"]\n";
  return o.str();
}

}  // namespace pkictl::config
