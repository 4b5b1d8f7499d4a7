#include "core/trust/bootstrap.hpp"

#include "core/net/http_fetch.hpp"
#include "core/util/text.hpp"

namespace pkictl::trust {
namespace {

std::string base_of(std::string_view given) {
  std::string url = util::without_trailing_slashes(given);
  const std::string suffix = "/acme/directory";
  if (url.size() > suffix.size() && url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0) url.resize(url.size() - suffix.size());
  return url;
}

}  // namespace

Result<x509::Certificate> find_by_fingerprint(const std::string& url, const std::string& fingerprint, bool from_handshake) {
  auto want = util::from_hex(fingerprint);
  if (!want || want->size() != 32) return fail(ErrorKind::InvalidArgument, "the fingerprint must be a SHA-256 (64 hex digits, ':' allowed)");
  const std::string want_hex = util::to_hex(*want);
  std::vector<std::string> pems;
  std::optional<Error> last;
  net::FetchRequest req;
  req.verify_tls = false;
  req.max_body_bytes = 1 << 20;
  if (from_handshake) {
    req.url = url;
    req.want_peer_chain = true;
    if (auto r = net::fetch(req)) pems = r->peer_chain_pem;
    else last = r.error();
    req.want_peer_chain = false;
  }
  req.url = base_of(url) + "/roots.pem";
  if (auto r = net::fetch(req); r && r->status == 200) pems.push_back(r->body);
  else if (!r) last = r.error();
  std::string seen;
  for (const auto& pem : pems) {
    auto certs = x509::Certificate::parse_all(pem);
    if (!certs) continue;
    for (const auto& c : *certs) {
      if (util::to_hex(c.fingerprint()) == want_hex) return c;
      seen += (seen.empty() ? "" : ", ") + util::to_hex(c.fingerprint()).substr(0, 16) + "…";
    }
  }
  if (pems.empty() && last) return fail(last->kind, url + ": " + last->detail);
  return fail(ErrorKind::Unauthorized, "no certificate that " + url + " presents or publishes has SHA-256 " + want_hex +
                                           (seen.empty() ? "" : " (it has " + seen + ")") + "; refusing to trust it");
}

Result<void> check_tls_chains_to(const std::string& url, const std::string& ca_file) {
  net::FetchRequest check;
  check.url = url;
  check.ca_file = ca_file;
  if (auto v = net::fetch(check); !v) return fail(ErrorKind::Tls, "the server's TLS certificate does not chain to it: " + v.error().detail);
  return {};
}

}  // namespace pkictl::trust
