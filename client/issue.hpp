#pragma once
// Obtaining a certificate: newOrder, prove each identifier with a Solver, finalize with a fresh
// key's CSR, download. Solvers are the ways to prove control; all present first, then the
// challenges are answered together, so a DNS propagation wait is paid once per order.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/acme_client.hpp"
#include "core/acme/objects.hpp"

namespace pkictl::client {

class Solver {
 public:
  virtual ~Solver() = default;
  /** The ACME challenge type this solver answers ("http-01", "tls-alpn-01", "dns-01"). */
  virtual std::string type() const = 0;
  /** Makes the proof available for `ident` (a wildcard arrives as its base name + wildcard). */
  [[nodiscard]] virtual Result<void> present(const acme::Identifier& ident, const std::string& token,
                                             const std::string& key_authorization) = 0;
  /** Called once after every identifier is presented, before the server is asked to look. */
  [[nodiscard]] virtual Result<void> ready() { return {}; }
  /** Removes what present() made; never fails the issuance. */
  virtual void cleanup(const acme::Identifier& ident, const std::string& token, const std::string& key_authorization) = 0;
};

/** http-01 answered by a built-in HTTP server on `listen` ("addr:port", e.g. ":80"). */
[[nodiscard]] Result<std::unique_ptr<Solver>> http01_standalone(const std::string& listen);
/** http-01 answered by files under WEBROOT/.well-known/acme-challenge/ that another server serves. */
std::unique_ptr<Solver> http01_webroot(std::filesystem::path webroot);
/** tls-alpn-01 answered by a built-in TLS server on `listen` (RFC 8737). */
[[nodiscard]] Result<std::unique_ptr<Solver>> tls_alpn01_standalone(const std::string& listen);
/** dns-01 through a hook: `CMD add|remove RECORD_NAME VALUE`, then `propagation` of waiting. */
std::unique_ptr<Solver> dns01_hook(std::string command, std::chrono::seconds propagation);

struct IssueRequest {
  std::vector<acme::Identifier> identifiers;  // "*.x" for wildcards
  std::string profile;                        // ACME profiles draft: "" = the server's default
  std::optional<std::chrono::seconds> lifetime;  // notAfter = now + lifetime
  crypto::KeyType key_type = crypto::KeyType::EcP256;
  std::string replaces;                       // ARI certID of the certificate being renewed
};

struct Issued {
  std::string key_pem;    // unencrypted PKCS#8 (for servers to read; written 0600)
  std::string cert_pem;   // the leaf
  std::string chain_pem;  // the certificates after the leaf
  std::string order_url;
  std::string cert_url;
};

[[nodiscard]] Result<Issued> issue(AcmeClient& client, const IssueRequest& req, Solver& solver);

}  // namespace pkictl::client
