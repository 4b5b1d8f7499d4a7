#pragma once
// pkictl.toml: the server's one configuration file, loaded strictly into plain structs.
#include <filesystem>
#include <string>
#include <vector>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace pkictl::config {

struct ServerSection {
  std::vector<std::string> metrics_listen;  // plain-HTTP host:port for /metrics, /healthz, /readyz
  std::vector<std::string> publish_listen;  // plain-HTTP host:port serving only CRLs and CA certificates
  // Base of the CRL distribution point and caIssuers URLs put in certificates ("http://pki.corp");
  // default: external_url.
  std::string publish_url;
  std::vector<std::string> listen = {"127.0.0.1:14000"};  // host:port, [v6]:port
  std::string external_url;        // e.g. https://acme.corp.internal:14000; default from listen[0]
  bool plain_http = false;         // behind a TLS-terminating proxy
  std::filesystem::path tls_cert;  // optional: serve this certificate instead of issuing one
  std::filesystem::path tls_key;
  std::vector<std::string> tls_hostnames = {"localhost"};
  int threads = 0;                 // I/O threads; 0 = number of cores
  int workers = 0;                 // handler thread pool; 0 = handlers run on the I/O threads
  int max_connections = 0;         // open client connections at most; 0 = automatic (see pkictl.toml(5))
  Seconds overload_lag{1};         // I/O threads this far behind: new orders/accounts refused; 0 = never
};

struct CaSection {
  std::filesystem::path cert;             // issuing CA certificate (PEM)
  std::filesystem::path key;              // its encrypted key
  std::filesystem::path passphrase_file;  // the key's passphrase (else PKICTL_PASSPHRASE)
  std::vector<std::filesystem::path> chain;  // certificates above the issuing CA sent to clients (not the root)
  // Each file is one alternative chain above the leaf (e.g. a cross-signed issuing CA first),
  // offered with Link rel="alternate" (RFC 8555 §7.4.2).
  std::vector<std::filesystem::path> alternate_chains;
  std::filesystem::path root;             // the root certificate (printed, published)
  std::vector<std::filesystem::path> extra_roots;  // more roots to publish (rotation: old and new)
  Seconds default_lifetime{24 * 3600};
  Seconds max_lifetime{90LL * 86400};
  Seconds crl_validity{24 * 3600};        // nextUpdate - thisUpdate; regenerated at half of it
  Seconds crl_exempt_below{0};            // shorter-lived certificates get no CDP and no CRL entry
};

struct AcmeSection {
  Seconds order_lifetime{24 * 3600};
  Seconds authz_lifetime{24 * 3600};
  std::string terms_of_service;
  std::string website;
  bool external_account_required = false;
  /** The issuance policy file (pkictl-policy(5)); reloaded on SIGHUP. */
  std::filesystem::path policy;
  /** Shorthand for a one-binding policy: "*", "*.corp.internal", "dns:x", "ip:10.0.0.0/8". Not with `policy`. */
  std::vector<std::string> allowed_identifiers;
};

struct ValidationSection {
  int http01_port = 80;
  int tlsalpn01_port = 443;
  std::vector<std::string> resolvers;      // host:port DNS servers; empty = the system's
  std::vector<std::string> allow_private;  // CIDRs of private/loopback targets that may be validated
  Seconds timeout{10};
  int max_redirects = 5;
  int workers = 16;                        // concurrent validations
  int queue = 1024;                        // waiting validations before refusing more
  // Challenge types offered (where the identifier allows them: see policy/challenge_policy.hpp).
  std::vector<std::string> challenge_types = {"http-01", "dns-01", "tls-alpn-01", "dns-account-01", "dns-persist-01"};
  int retries = 2;                         // further attempts after a failed validation
  Seconds retry_backoff{2};                // before the first retry; doubles each time
  bool require_all = false;                // every resolver must see a TXT record (dns-01 family)
  std::vector<std::string> issuer_domain_names;  // dns-persist-01; default: the external URL's host
};

struct AuditSection {
  Seconds checkpoint_interval{60};  // sign the audit chain head this often (when it moved) and at stop
};

struct ServerConfig {
  std::filesystem::path source;
  std::filesystem::path data_dir = "pkictl-data";
  bool dev = false;
  ServerSection server;
  CaSection ca;
  AcmeSection acme;
  ValidationSection validation;
  AuditSection audit;
  /** The server's SQLite database (the server, and CLI commands that work on its state). */
  std::filesystem::path database() const { return data_dir / "pkictl.db"; }
};

/**
 * Loads and validates a config file. Unknown keys, wrong types and bad values fail with
 * "FILE:LINE: key: reason". Relative paths are relative to the file's directory.
 * Errors: Config, NotFound.
 */
[[nodiscard]] Result<ServerConfig> load_server_config(const std::filesystem::path& path);

/** A config file for `pkictl serve --dev`, as TOML text. */
std::string dev_config_toml(int port, int http01_port);

}  // namespace pkictl::config
