#pragma once
// One outbound HTTP(S) request with hard limits, through libcurl (the only libcurl user).
// The caller decides where to connect: the host is pinned to a vetted address, so name
// resolution and the SSRF guard stay with the caller.
#include <map>
#include <string>
#include <vector>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace pkictl::net {

struct FetchRequest {
  std::string url;
  std::string method = "GET";
  std::string body;
  std::vector<std::string> headers;
  std::string connect_address;  // connect here instead of resolving the URL's host ("" = resolve)
  std::chrono::milliseconds timeout{10000};
  std::size_t max_body_bytes = 64 * 1024;
  std::string ca_file;          // for https; "" = system trust
  bool verify_tls = true;
  bool want_peer_chain = false;  // collect the certificates the server presented (bootstrap by fingerprint)
  bool fresh_connection = false;  // a new connection, closed afterwards (validation: nothing kept or reused)
};

struct FetchResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; repeated fields joined with ", "
  std::string primary_ip;
  std::vector<std::string> peer_chain_pem;  // with want_peer_chain: leaf first
};

/** Performs the request; redirects are not followed (the caller vets each hop).
 * Errors: Connection (refused, timeout, body too large), Tls, Dns. */
[[nodiscard]] Result<FetchResponse> fetch(const FetchRequest& req);

/** Several requests over kept-alive connections (one thread at a time). */
class HttpSession final {
 public:
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;
  [[nodiscard]] Result<FetchResponse> fetch(const FetchRequest& req);

 private:
  void* m_curl = nullptr;  // CURL*, kept out of this header
};

}  // namespace pkictl::net

namespace pkictl::net {
struct UrlParts {
  std::string scheme, host, path;  // host without brackets; path includes the query
  int port = 0;
};
/** Parses an absolute http(s) URL with libcurl's parser. Errors: Malformed. */
[[nodiscard]] Result<UrlParts> parse_url(const std::string& url);
/** `reference` (a Location header: absolute, or relative as RFC 9110 §10.2.2 allows) resolved
 * against `base` as RFC 3986 §5 says, by libcurl's parser. Errors: Malformed (also when empty). */
[[nodiscard]] Result<std::string> resolve_url(const std::string& base, const std::string& reference);
}  // namespace pkictl::net
