#pragma once
// The web front end: turns HTTP requests into RA calls and RA results into ACME JSON and
// problem documents. Plain values in and out; no Beast types.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/server_config.hpp"
#include "core/log/logger.hpp"
#include "core/ra/registration_authority.hpp"
#include "core/ra/revocation.hpp"
#include "server/nonce/nonce_service.hpp"
#include "server/wfe/load_shedder.hpp"

namespace pkictl::server {

struct Request {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote;
  /** The kind of listener it arrived on: ACME (listen), metrics_listen (plain HTTP: /metrics and
   * health), publish_listen (plain HTTP: CRLs and CA certificates only). */
  enum class Listener { Acme, Metrics, Publish } listener = Listener::Acme;
  /** Set by the transport for a request it stopped reading: its body or header went over the
   * limit, or it is not HTTP/1.1 as RFC 9112 has it (what was read of it is here; the body is
   * empty). The handler answers 413, 431 or 400. */
  enum class Unread { No, BodyTooLarge, HeaderTooLarge, BadSyntax } unread = Unread::No;
  std::size_t limit = 0;    // the limit it went over, in bytes
  std::string why_unread;   // for BadSyntax: what the parser found
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /** Carries a Replay-Nonce (RFC 8555 §6.5 asks it of POST responses; the directory has none). */
  bool replay_nonce = true;
  /** A store ticket (Store::end_deferred) that must be on disk before this response is sent. */
  std::uint64_t durable_after = 0;
  /** A response that a moment's wait would make more useful: the answer to a challenge whose
   * validation is under way. The transport calls wake(resume) and waits, without holding a
   * thread, until resume() (from any thread) or until at_most has passed; then refresh(*this)
   * on a request thread brings the response up to date (and may raise durable_after). */
  struct Hold {
    std::chrono::milliseconds at_most{0};
    std::function<void(std::function<void()> resume)> wake;
    std::function<void(Response&)> refresh;
  };
  std::shared_ptr<Hold> hold;
  /** Called by the transport with the response as it goes out (after any hold and durability
   * wait; not called if the server stops first): the request's log line and its duration
   * metric are written then, so they include what the client waited for. */
  std::function<void(const Response&)> sent;
  void set_json(const nlohmann::json& j, int code = 200) {
    status = code;
    headers.emplace_back("Content-Type", "application/json");
    body = j.dump();
  }
};

/** Every URL the server hands out (step-ca's Linker): one place. */
class Links final {
 public:
  explicit Links(std::string base_url) : m_base(std::move(base_url)) {}
  std::string base() const { return m_base; }
  std::string acme(std::string_view path) const { return m_base + "/acme" + std::string(path); }
  std::string directory() const { return acme("/directory"); }
  std::string account(const std::string& id) const { return acme("/acct/" + id); }
  std::string order(const std::string& id) const { return acme("/order/" + id); }
  std::string authz(const std::string& id) const { return acme("/authz/" + id); }
  std::string challenge(const std::string& id) const { return acme("/chall/" + id); }
  std::string certificate(const std::string& id, std::size_t alt = 0) const {
    return acme("/cert/" + id) + (alt == 0 ? "" : "/" + std::to_string(alt));
  }
  std::string crl(const std::string& issuer_ski_hex) const { return m_base + "/crl/" + issuer_ski_hex + ".crl"; }
  /** A CA certificate the server sends, by SHA-256 fingerprint: GET, DER (RFC 8555 §7.4.2 "up"). */
  std::string ca_certificate(const std::string& sha256_hex) const { return m_base + "/ca/certs/" + sha256_hex + ".crt"; }

 private:
  std::string m_base;
};

/** How long the answer to a challenge waits for its validation's outcome (Response::Hold). */
inline constexpr std::chrono::milliseconds challenge_answer_wait{1000};

/** The formats of a certificate download (RFC 8555 §7.4.2), as the client's Accept prefers. */
enum class CertFormat {
  PemChain,  // application/pem-certificate-chain: the leaf and its chain (the default)
  Der,       // application/pkix-cert: the leaf alone, rel="up" to its issuer
  Pkcs7,     // application/pkcs7-mime: the leaf and its chain, certs-only
};

class Wfe final {
 public:
  Wfe(ra::RegistrationAuthority& ra, NonceService& nonces, const config::ServerConfig& cfg, log::Logger& logger)
      : m_ra(ra), m_nonces(nonces), m_cfg(cfg), m_links(cfg.server.external_url), m_published(cfg.server.publish_url), m_log(logger) {}

  /** Handles one request; never throws (a bug becomes a 500 serverInternal problem). */
  Response handle(const Request& req);
  const Links& links() const { return m_links; }
  /** The URLs certificates name for their CRL and issuer (server.publish_url; external_url unless set). */
  const Links& published_links() const { return m_published; }
  /** While `shedder` sheds, new orders and new accounts are refused (rateLimited, Retry-After). */
  void shed_with(const LoadShedder* shedder) { m_shedder = shedder; }
  /** What the server publishes besides ACME: roots (/roots.pem), its CRL (/crl/SKI.crl). */
  void publish(std::vector<x509::Certificate> roots, ra::CrlPublisher* crl) {
    m_roots = std::move(roots);
    m_crl = crl;
  }

 private:
  struct Authenticated;
  Result<Response> dispatch(const Request& req, nlohmann::json& logline);
  /** The problem response for `e`; `status_override` replaces the table's HTTP status (405). */
  Response problem(const Error& e, nlohmann::json& logline, int status_override = 0);
  /** 405 for a method the resource does not take, with the Allow header saying which it does. */
  Response method_not_allowed(const char* allow, const std::string& detail, nlohmann::json& logline);
  Result<Authenticated> authenticate(const Request& req, bool jwk_allowed, bool kid_allowed);

  Result<Response> directory(const std::string& name = "");
  Result<Response> new_account(const Authenticated& a, const std::string& directory = "");
  Result<Response> account(const Authenticated& a, const std::string& id);
  /** `cursor`: the last order id of the page before (empty: the first page). */
  Result<Response> account_orders(const Authenticated& a, const std::string& id, const std::string& cursor);
  Result<Response> key_change(const Authenticated& a);
  Result<Response> new_order(const Authenticated& a);
  Result<Response> order(const Authenticated& a, const std::string& id);
  Result<Response> finalize(const Authenticated& a, const std::string& id);
  Result<Response> authz(const Authenticated& a, const std::string& id);
  Result<Response> challenge(const Authenticated& a, const std::string& id);
  Result<Response> certificate(const Authenticated& a, const std::string& id, std::size_t which, CertFormat format);
  Result<Response> ca_certificate(const std::string& file);
  Result<Response> revoke(const Authenticated& a);
  Result<Response> renewal_info(const std::string& cert_id);
  Result<Response> published(const std::vector<std::string>& seg);
  /** The metrics listener: /metrics, /healthz, /readyz only. */
  Result<Response> internal(const Request& req);
  /** The publication listener: CRLs and CA certificates (what published_get() serves). */
  Result<Response> publication(const Request& req, nlohmann::json& logline);
  /** Published material by GET or HEAD, on either listener: a CA certificate, or what published()
   * serves; another method is 405 with `allow`. */
  Result<Response> published_get(const Request& req, const std::vector<std::string>& seg, const char* allow, nlohmann::json& logline);
  Result<Response> health(bool ready);

  nlohmann::json order_json(const acme::Order& o) const;
  nlohmann::json authz_json(const acme::Authorization& a) const;
  nlohmann::json challenge_json(const acme::Challenge& c) const;
  nlohmann::json account_json(const acme::Account& a) const;

  ra::RegistrationAuthority& m_ra;
  NonceService& m_nonces;
  const config::ServerConfig& m_cfg;
  Links m_links;
  Links m_published;
  log::Logger& m_log;
  std::vector<x509::Certificate> m_roots;
  ra::CrlPublisher* m_crl = nullptr;
  const LoadShedder* m_shedder = nullptr;
};

}  // namespace pkictl::server
