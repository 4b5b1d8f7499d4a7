// http-01 (RFC 8555 §8.3): GET http://<identifier>:<http01_port>/.well-known/acme-challenge/<token>
// from every vetted address of the identifier until one answers, following a bounded number of
// redirects, each hop resolved and vetted again.
#include "core/acme/problem.hpp"
#include "core/net/http_fetch.hpp"
#include "server/va/validator.hpp"

namespace pkictl::server::va {
namespace {
using nlohmann::json;

constexpr std::size_t max_challenge_body_bytes = 8 * 1024;

std::string url_host(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

json problem(ErrorKind kind, const std::string& detail) { return acme::problem_json(Error{kind, detail, {}, {}, {}}); }

}  // namespace

ra::ValidationOutcome Validator::http01(const ra::ValidationJob& job) {
  ra::ValidationOutcome out;
  out.challenge_id = job.challenge.id;
  std::string url = "http://" + url_host(job.identifier.value) + ":" + std::to_string(m_cfg.http01_port) +
                    "/.well-known/acme-challenge/" + job.challenge.token;
  std::optional<Error> last;
  for (int hop = 0; hop <= m_cfg.max_redirects; ++hop) {
    auto parts = net::parse_url(url);
    if (!parts) { out.problem = problem(ErrorKind::Connection, "bad redirect target: " + parts.error().detail); return out; }
    // Redirects may only go to the standard ports or the configured challenge port.
    if (hop > 0 && parts->port != 80 && parts->port != 443 && parts->port != m_cfg.http01_port) {
      out.problem = problem(ErrorKind::Connection, "redirect to port " + std::to_string(parts->port) + " refused (only 80, 443 and the http-01 port)");
      return out;
    }
    std::vector<std::string> addrs;
    if (x509::ip_bytes(parts->host)) addrs = {*x509::canonical_ip(parts->host)};
    else {
      auto r = m_resolver->addresses(parts->host);
      if (!r) { out.records.push_back({{"url", url}, {"error", r.error().detail}}); out.problem = problem(ErrorKind::Dns, r.error().detail); return out; }
      addrs = *r;
    }
    std::optional<net::FetchResponse> resp;
    for (const auto& addr : addrs) {
      if (auto ok = m_guard.check(addr); !ok) {
        out.records.push_back({{"url", url}, {"address", addr}, {"error", ok.error().detail}});
        last = ok.error();
        continue;
      }
      net::FetchRequest req;
      req.url = url;
      req.connect_address = addr;
      req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(m_cfg.timeout);
      req.max_body_bytes = max_challenge_body_bytes;
      req.verify_tls = false;  // an https redirect target's certificate is not what is being proven
      req.fresh_connection = true;
      // One curl handle per validator thread: a handle made and torn down per fetch (with the
      // multi handle and wake-up socket pair curl makes for it) cost more than the fetch's own work.
      thread_local net::HttpSession session;
      auto r = session.fetch(req);
      if (!r) {
        out.records.push_back({{"url", url}, {"address", addr}, {"error", r.error().detail}});
        last = r.error();
        continue;  // try the next address (IPv6 first, then IPv4)
      }
      out.records.push_back({{"url", url}, {"address", addr}, {"status", r->status}, {"bytes", r->body.size()}});
      resp = std::move(*r);
      break;
    }
    if (!resp) {
      const Error e = last.value_or(Error{ErrorKind::Connection, "no address to connect to", {}, {}, {}});
      out.problem = problem(e.kind, "fetching " + url + ": " + e.detail);
      return out;
    }
    if (resp->status >= 300 && resp->status < 400 && resp->headers.count("location")) {
      auto next = net::resolve_url(url, resp->headers["location"]);
      if (!next) {
        out.problem = problem(ErrorKind::Connection, url + " redirected to " + next.error().detail);
        return out;
      }
      url = std::move(*next);
      continue;
    }
    if (resp->status != 200) {
      out.problem = problem(ErrorKind::IncorrectResponse, url + " answered HTTP " + std::to_string(resp->status) + ", not 200 with the key authorization");
      return out;
    }
    std::string body = resp->body;
    body.erase(body.find_last_not_of(" \t\r\n") + 1);  // clients commonly add a newline
    if (body != job.key_authorization) {
      std::string shown = body.substr(0, 100);
      for (char& c : shown) if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
      out.problem = problem(ErrorKind::IncorrectResponse, "the file at " + url + " does not hold the key authorization (it begins \"" + shown + "\")");
      return out;
    }
    out.valid = true;
    return out;
  }
  out.problem = problem(ErrorKind::Connection, "more than " + std::to_string(m_cfg.max_redirects) + " redirects");
  return out;
}

}  // namespace pkictl::server::va
