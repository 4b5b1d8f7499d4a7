#pragma once
// An RFC 8555 ACME client over the same JWS/JWK code as the server. Every request is a signed
// POST (POST-as-GET for reads); the client keeps one nonce ahead, retries badNonce with the nonce
// the error carried, backs off with jitter on 429/503 and network errors, honours Retry-After, and
// never runs past its deadline. Works against any RFC 8555 server, not only ours.
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/key.hpp"
#include "core/net/http_fetch.hpp"
#include "core/util/result.hpp"

namespace pkictl::client {

struct ClientOptions {
  std::string directory_url;
  std::string ca_file;                           // trust for the directory's TLS ("" = system)
  std::chrono::seconds deadline{300};            // total time for one operation (issue, renew, …)
  std::chrono::milliseconds poll_interval{100};  // first wait while polling; doubles up to 2 s
  bool poll_retry_after = true;  // wait as long as a poll's Retry-After says (the bench polls hard)
  std::function<void(const std::string&)> progress;  // a line for a person at a terminal
};

/** A server response: status, headers (lower-case names), body (JSON when it is JSON). */
struct Reply {
  long status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  nlohmann::json json;  // null unless the body is JSON
  std::string location() const;
  /** Link header targets with rel=`rel`. */
  std::vector<std::string> links(const std::string& rel) const;
  std::optional<std::chrono::seconds> retry_after() const;
};

struct ExternalBinding {
  std::string kid;
  std::string hmac_key_b64url;
};

class AcmeClient final {
 public:
  /** Fetches the directory. Errors: Connection, Tls, Malformed (not an ACME directory). */
  [[nodiscard]] static Result<AcmeClient> connect(ClientOptions options, crypto::PrivateKey account_key, std::string kid = {});
  AcmeClient(AcmeClient&&) noexcept;
  AcmeClient& operator=(AcmeClient&&) noexcept;
  ~AcmeClient();

  const nlohmann::json& directory() const { return m_dir; }
  const std::string& kid() const { return m_kid; }
  const crypto::PrivateKey& account_key() const { return m_key; }
  /** token "." base64url(JWK thumbprint of the account key) (RFC 8555 §8.1). */
  std::string key_authorization(const std::string& token) const;

  /** newAccount; returns the account object and sets kid. An existing key returns its account. */
  [[nodiscard]] Result<nlohmann::json> register_account(const std::vector<std::string>& contacts, bool agree_tos,
                                                        const std::optional<ExternalBinding>& eab);
  [[nodiscard]] Result<nlohmann::json> account();
  [[nodiscard]] Result<nlohmann::json> update_account(const std::vector<std::string>& contacts);
  [[nodiscard]] Result<nlohmann::json> deactivate_account();
  /** keyChange (RFC 8555 §7.3.5); on success the client signs with `new_key` from then on. */
  [[nodiscard]] Result<void> change_key(crypto::PrivateKey new_key);

  /** A signed POST of `payload` (POST-as-GET when null). Problems come back as Errors carrying
   * the server's detail (kind from the problem type). */
  [[nodiscard]] Result<Reply> post(const std::string& url, const std::optional<nlohmann::json>& payload);
  /** POST-as-GET `url` until its status leaves `waiting` (honouring Retry-After), or the deadline. */
  [[nodiscard]] Result<nlohmann::json> poll(const std::string& url, const std::vector<std::string>& waiting);
  /** A plain GET (renewalInfo is fetched this way). */
  [[nodiscard]] Result<Reply> get(const std::string& url);

  std::chrono::steady_clock::time_point deadline() const { return m_deadline; }
  /** Restarts the deadline for the next operation. */
  void reset_deadline() { m_deadline = std::chrono::steady_clock::now() + m_opts.deadline; }
  void say(const std::string& line) const {
    if (m_opts.progress) m_opts.progress(line);
  }

 private:
  AcmeClient(ClientOptions options, crypto::PrivateKey key, std::string kid);
  [[nodiscard]] Result<Reply> send(const std::string& method, const std::string& url, const std::string& body);
  [[nodiscard]] Result<std::string> fresh_nonce();
  [[nodiscard]] Result<nlohmann::json> signed_body(const std::string& url, const std::optional<nlohmann::json>& payload,
                                                   bool with_jwk);
  [[nodiscard]] Result<void> wait(std::chrono::milliseconds d);

  ClientOptions m_opts;
  crypto::PrivateKey m_key;
  nlohmann::json m_jwk;
  std::string m_thumbprint;  // of m_jwk (RFC 7638): once per account key, not per challenge
  std::string m_kid;
  nlohmann::json m_dir;
  std::string m_nonce;
  std::unique_ptr<net::HttpSession> m_http;
  std::chrono::steady_clock::time_point m_deadline;
};

/** The ARI certificate identifier (RFC 9773 §4.1): base64url(AKI keyIdentifier) "." base64url(serial). */
[[nodiscard]] Result<std::string> ari_cert_id(const std::string& cert_pem);

}  // namespace pkictl::client
