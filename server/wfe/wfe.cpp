// Dispatch, common headers, problems, and JWS authentication (RFC 8555 §6.2-6.5).
#include "server/wfe/wfe.hpp"

#include "core/audit/audit.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>

#include "core/acme/jwk.hpp"
#include "core/acme/jws.hpp"
#include "core/acme/problem.hpp"
#include "core/crypto/digest.hpp"
#include "core/metrics/metrics.hpp"
#include "core/util/text.hpp"
#include "server/wfe/wfe_internal.hpp"

namespace pkictl::server {
using nlohmann::json;

namespace {

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

/** The value of `key` in the target's query ("" if absent). Our own links carry only ids, which
 * need no percent-encoding. */
std::string query_value(const std::string& target, const std::string& key) {
  const auto q = target.find('?');
  if (q == std::string::npos) return {};
  std::string_view query(target);
  query.remove_prefix(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=') return std::string(pair.substr(key.size() + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

/** RFC 8555 §7.4.2 with RFC 9110 §12.5.1: the certificate format the Accept header prefers. Each
 * type takes the q of its most specific matching range; the PEM chain wins ties, and is the answer
 * without any range for the others (or without Accept). */
CertFormat preferred_format(const Request& req) {
  const auto accept = req.headers.find("accept");
  if (accept == req.headers.end()) return CertFormat::PemChain;
  struct Pref {
    int specificity = -1;  // 2 exact, 1 application/*, 0 */*
    double q = 0;
  } pem, der, p7;
  for (const auto& range : util::split(accept->second, ',')) {
    const auto parts = util::split(range, ';');
    const std::string type = util::to_lower(util::trim(parts.front()));
    double q = 1;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string param = util::to_lower(util::trim(parts[i]));
      if (param.rfind("q=", 0) == 0) q = std::strtod(param.c_str() + 2, nullptr);
    }
    auto match = [&](std::string_view full, Pref& p) {
      const int s = type == full ? 2 : type == "application/*" ? 1 : type == "*/*" ? 0 : -1;
      if (s > p.specificity) p = {s, q};
    };
    match("application/pem-certificate-chain", pem);
    match("application/pkix-cert", der);
    match("application/pkcs7-mime", p7);
  }
  auto best = CertFormat::PemChain;
  double best_q = pem.specificity >= 0 ? pem.q : 0;
  for (auto [format, pref] : {std::pair{CertFormat::Der, der}, std::pair{CertFormat::Pkcs7, p7}}) {
    if (pref.specificity >= 0 && pref.q > 0 && pref.q > best_q) {
      best = format;
      best_q = pref.q;
    }
  }
  return best;
}

/** 5-15 s, at random: clients refused together do not all come back together. */
Seconds spread_retry_after() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return Seconds(std::uniform_int_distribution<int>(5, 15)(rng));
}

/** "/acme/order/ID/finalize" → {"order", "ID", "finalize"} */
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    const auto j = path.find('/', i);
    const std::string seg = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (!seg.empty()) out.push_back(seg);
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}

/** The endpoint as a metric label: object ids become ":id". */
std::string endpoint_label(const std::vector<std::string>& seg) {
  if (seg.empty()) return "/";
  static const std::set<std::string> with_id = {"acct", "order", "authz", "chall", "cert", "renewal-info", "certs", "crl"};
  std::string out;
  for (std::size_t i = 0; i < seg.size() && i < 4; ++i) out += "/" + ((i > 0 && with_id.count(seg[i - 1])) ? std::string(":id") : seg[i]);
  return out;
}

/** 16 hex digits, unique in this process: a random 32-bit prefix drawn at start and a counter
 * (a CSPRNG draw per request cost more than the rest of the request's bookkeeping). */
std::string request_id() {
  static const std::uint32_t prefix = [] {
    auto b = crypto::random_bytes(4);
    std::uint32_t p = 0;
    if (b) std::memcpy(&p, b->data(), 4);
    return p;
  }();
  static std::atomic<std::uint32_t> counter{0};
  char out[17];
  std::snprintf(out, sizeof out, "%08x%08x", prefix, counter.fetch_add(1, std::memory_order_relaxed) + 1);
  return out;
}

}  // namespace

Response Wfe::handle(const Request& req) {
  const auto start = std::chrono::steady_clock::now();
  const std::string rid = request_id();
  const audit::RequestScope audit_scope(rid);  // audit events this request causes carry its id
  json logline = {{"method", req.method}, {"path", path_of(req.target)}, {"request_id", rid}};
  Response resp;
  try {
    if (req.unread == Request::Unread::BadSyntax) {
      resp = problem(Error{ErrorKind::Malformed, "the request is not valid HTTP/1.1 (RFC 9112): " + req.why_unread, {}, {}, {}}, logline, 400);
    } else if (req.unread != Request::Unread::No) {
      const bool body = req.unread == Request::Unread::BodyTooLarge;
      resp = problem(Error{ErrorKind::Malformed, std::string("the request ") + (body ? "body" : "header") + " is larger than the server's limit of " +
                                                     std::to_string(req.limit) + " bytes" + (body ? "; no ACME request needs that much" : ""), {}, {}, {}},
                     logline, body ? 413 : 431);
    } else {
      using L = Request::Listener;
      auto r = req.listener == L::Metrics ? internal(req) : req.listener == L::Publish ? publication(req, logline) : dispatch(req, logline);
      resp = r ? std::move(*r) : problem(r.error(), logline);
    }
  } catch (const std::exception& e) {
    resp = problem(Error{ErrorKind::Internal, "unexpected error", e.what(), {}, {}}, logline);
  }
  resp.headers.emplace_back("X-Request-Id", rid);
  if (req.listener == Request::Listener::Acme) {
    if (resp.replay_nonce) {
      resp.headers.emplace_back("Replay-Nonce", m_nonces.issue());
      metrics::registry().inc("pkictl_nonces_issued_total");
    }
    resp.headers.emplace_back("Link", "<" + m_links.directory() + ">;rel=\"index\"");
  }
  // CRLs and CA certificates may be cached: a CRL says itself until when it holds.
  if (req.listener != Request::Listener::Publish) resp.headers.emplace_back("Cache-Control", "no-store");
  const auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  logline["handler_ms"] = ms_since(start);
  // Logged as it goes out: "ms" then includes a held answer's wait and the wait for the disk.
  resp.sent = [this, logline = std::move(logline), start, ms_since, internal = req.listener == Request::Listener::Metrics,
               ep = endpoint_label(segments(path_of(req.target)))](const Response& out) mutable {
    const double ms = ms_since(start);
    logline["status"] = out.status;
    logline["ms"] = ms;
    metrics::registry().inc("pkictl_http_requests_total", {{"endpoint", ep}, {"status", std::to_string(out.status)}});
    metrics::registry().observe("pkictl_http_request_duration_seconds", {{"endpoint", ep}}, ms / 1000);
    if (!internal || out.status >= 400) m_log.info("request", logline);
  };
  return resp;
}

Response Wfe::method_not_allowed(const char* allow, const std::string& detail, json& logline) {
  // RFC 9110 §15.5.6: 405 with Allow saying which methods the resource takes.
  Response r = problem(Error{ErrorKind::Malformed, detail, {}, {}, {}}, logline, 405);
  r.headers.emplace_back("Allow", allow);
  return r;
}

Response Wfe::problem(const Error& e, json& logline, int status_override) {
  Response r;
  const auto mapping = acme::problem_mapping(e);
  json body = acme::problem_json(e);
  if (e.kind == ErrorKind::BadSignatureAlgorithm) body["algorithms"] = acme::supported_algs();
  r.status = status_override ? status_override : e.kind == ErrorKind::NotFound ? 404 : mapping.http_status;
  body["status"] = r.status;
  r.headers.emplace_back("Content-Type", "application/problem+json");
  if (e.retry_after) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after->count()));
  r.body = body.dump();
  logline["problem"] = mapping.type.substr(mapping.type.rfind(':') + 1);
  metrics::registry().inc("pkictl_acme_problems_total", {{"type", logline["problem"].get<std::string>()}});
  if (e.kind == ErrorKind::BadNonce) metrics::registry().inc("pkictl_nonces_rejected_total");
  logline["detail"] = e.detail;
  if (!e.internal.empty()) logline["internal"] = e.internal;
  return r;
}

Result<Wfe::Authenticated> Wfe::authenticate(const Request& req, bool jwk_allowed, bool kid_allowed) {
  // RFC 8555 §6.2: "the request MUST have the Content-Type header field set to application/jose+json".
  // A media type is case-insensitive and may carry parameters and optional whitespace (RFC 9110
  // §8.3.1): "Application/JOSE+JSON ; charset=utf-8" is the same type.
  auto ct = req.headers.find("content-type");
  const std::string type = ct == req.headers.end() ? "" : util::to_lower(util::trim(std::string_view(ct->second).substr(0, ct->second.find(';'))));
  if (type != "application/jose+json")
    return fail(ErrorKind::Malformed, "Content-Type must be application/jose+json, not \"" + type + "\"");
  PKI_TRY_ASSIGN(auto jws, acme::parse_jws(req.body));
  if (!m_nonces.redeem(jws.nonce()))
    return fail(ErrorKind::BadNonce, "the nonce was not issued by this server, was used already, or is too old; retry with the nonce in this response");
  const std::string want_url = m_links.base() + path_of(req.target) + (req.target.find('?') == std::string::npos ? "" : req.target.substr(req.target.find('?')));
  if (jws.url() != want_url)
    return fail(ErrorKind::Unauthorized, "the JWS \"url\" (" + jws.url() + ") is not the URL of this request (" + want_url + ")");
  Authenticated a;
  if (const json* jwk = jws.jwk()) {
    if (!jwk_allowed) return fail(ErrorKind::Malformed, "this request must be signed with the account key and carry \"kid\", not \"jwk\"");
    PKI_TRY_ASSIGN(auto key, acme::jwk_to_key(*jwk));
    PKI_TRY(acme::verify_jws(jws, key));
    a.jwk = *jwk;
    a.key = key;
  } else {
    if (!kid_allowed) return fail(ErrorKind::Malformed, "this request must carry the public key as \"jwk\", not \"kid\"");
    const std::string kid = *jws.kid();
    const std::string prefix = m_links.account("");
    if (kid.rfind(prefix, 0) != 0) return fail(ErrorKind::AccountDoesNotExist, "\"kid\" is not an account URL of this server");
    PKI_TRY_ASSIGN(auto acct, m_ra.account(kid.substr(prefix.size())));
    PKI_TRY_ASSIGN(auto key, m_ra.account_key(acct));
    PKI_TRY(acme::verify_jws(jws, key));
    if (acct.status != acme::Status::Valid)
      return fail(ErrorKind::Unauthorized, "account " + acct.id + " is " + std::string(acme::to_string(acct.status)));
    a.account = acct;
    a.key = key;
  }
  a.jws = std::move(jws);
  if (!a.jws.payload.empty()) {
    a.payload = json::parse(a.jws.payload, nullptr, false);
    if (a.payload.is_discarded()) return fail(ErrorKind::Malformed, "the JWS payload is not JSON");
  }
  a.post_as_get = a.jws.payload.empty();
  return a;
}

Result<Response> Wfe::dispatch(const Request& req, json& logline) {
  auto seg = segments(path_of(req.target));
  if (path_of(req.target) == "/healthz" || path_of(req.target) == "/readyz") return health(path_of(req.target) == "/readyz");
  if (!seg.empty() && seg[0] != "acme") {
    // Published material: plain GET, no account needed. A CA certificate is also the target of a
    // certificate's rel="up", and ACME clients fetch that with POST-as-GET (RFC 8555 §6.3).
    const bool ca_cert = seg.size() == 3 && seg[0] == "ca" && seg[1] == "certs";
    if (ca_cert && req.method == "POST") {
      PKI_TRY_ASSIGN(auto auth, authenticate(req, false, true));
      logline["account"] = auth.account->id;
      if (!auth.post_as_get) return fail(ErrorKind::Malformed, "a CA certificate is fetched with POST-as-GET: the payload must be empty");
      return ca_certificate(seg[2]);
    }
    return published_get(req, seg, ca_cert ? "GET, HEAD, POST" : "GET, HEAD", logline);
  }
  if (seg.empty() || seg[0] != "acme") return fail(ErrorKind::NotFound, "no such resource: " + path_of(req.target));
  // A named ACME endpoint of the policy (/acme/NAME/…) has its own directory and newAccount and
  // shares the rest: route it as the plain resource, remembering the name.
  std::string named;
  if (seg.size() == 3 && (seg[2] == "directory" || seg[2] == "new-account") && m_ra.policy()->directory(seg[1])) {
    named = seg[1];
    seg.erase(seg.begin() + 1);
  }
  const std::string res = seg.size() > 1 ? seg[1] : "";
  const bool get = req.method == "GET" || req.method == "HEAD";
  const auto not_allowed = [&](const char* allow, const std::string& detail) { return method_not_allowed(allow, detail, logline); };
  if (res == "directory" && seg.size() == 2) {
    if (!get) return not_allowed("GET, HEAD", "use GET for the directory, not " + req.method);
    return directory(named);
  }
  if (res == "new-nonce" && seg.size() == 2) {
    if (!get) return not_allowed("GET, HEAD", "use HEAD or GET for newNonce, not " + req.method);
    Response r;
    // RFC 8555 §7.2: 200 for HEAD, 204 for GET.
    r.status = req.method == "HEAD" ? 200 : 204;
    return r;
  }
  if (res == "renewal-info" && seg.size() == 3 && get) return renewal_info(seg[2]);  // RFC 9773: a plain GET
  // POST-as-GET only (RFC 8555 §6.3).
  if (req.method != "POST")
    return not_allowed("POST", "use POST (POST-as-GET with an empty payload) for " + path_of(req.target) + ", not " + req.method);
  const bool is_new_account = res == "new-account" && seg.size() == 2;
  const bool is_revoke = res == "revoke-cert" && seg.size() == 2;
  if ((is_new_account || (res == "new-order" && seg.size() == 2)) && m_shedder && m_shedder->shedding()) {
    // Before the signature is checked: the cheapest answer, and the client's nonce stays unused.
    metrics::registry().inc("pkictl_overload_refusals_total", {{"resource", res}});
    return fail(Error{ErrorKind::RateLimited,
                      "the server is overloaded (its I/O threads are more than " + m_shedder->threshold_text() +
                          " behind), so it refuses new orders and accounts for now; retry after Retry-After seconds (orders under way are still served)",
                      {}, {}, spread_retry_after()});
  }
  PKI_TRY_ASSIGN(auto auth, authenticate(req, is_new_account || is_revoke, !is_new_account));
  if (auth.account) logline["account"] = auth.account->id;
  if (is_new_account) return new_account(auth, named);
  if (is_revoke) return revoke(auth);
  if (res == "key-change" && seg.size() == 2) return key_change(auth);
  if (res == "new-order" && seg.size() == 2) return new_order(auth);
  // RFC 9773 §4.1 fetches renewalInfo with a plain GET; its earlier drafts (and clients built on
  // them) used POST-as-GET, taken too: the answer is the same, whoever asks.
  if (res == "renewal-info" && seg.size() == 3) return renewal_info(seg[2]);
  if (res == "acct" && seg.size() == 3) return account(auth, seg[2]);
  if (res == "acct" && seg.size() == 4 && seg[3] == "orders") return account_orders(auth, seg[2], query_value(req.target, "cursor"));
  if (res == "order" && seg.size() == 3) return order(auth, seg[2]);
  if (res == "order" && seg.size() == 4 && seg[3] == "finalize") return finalize(auth, seg[2]);
  if (res == "authz" && seg.size() == 3) return authz(auth, seg[2]);
  if (res == "chall" && seg.size() == 3) return challenge(auth, seg[2]);
  if (res == "cert" && seg.size() == 3) return certificate(auth, seg[2], 0, preferred_format(req));
  if (res == "cert" && seg.size() == 4) {
    const int alt = std::atoi(seg[3].c_str());
    if (alt <= 0 || std::to_string(alt) != seg[3]) return fail(ErrorKind::NotFound, "no such resource: " + path_of(req.target));
    return certificate(auth, seg[2], static_cast<std::size_t>(alt), preferred_format(req));
  }
  return fail(ErrorKind::NotFound, "no such resource: " + path_of(req.target));
}

Result<Response> Wfe::published_get(const Request& req, const std::vector<std::string>& seg, const char* allow, json& logline) {
  if (req.method != "GET" && req.method != "HEAD")
    return method_not_allowed(allow, "use GET for " + path_of(req.target) + ", not " + req.method, logline);
  if (seg.size() == 3 && seg[0] == "ca" && seg[1] == "certs") return ca_certificate(seg[2]);
  return published(seg);
}

Result<Response> Wfe::publication(const Request& req, json& logline) {
  const auto seg = segments(path_of(req.target));
  if (seg.empty() || seg[0] == "acme")
    return fail(ErrorKind::NotFound, "this listener (server.publish_listen) serves CRLs and CA certificates only; the ACME directory is " + m_links.directory());
  return published_get(req, seg, "GET, HEAD", logline);
}

Result<Response> Wfe::directory(const std::string& name) {
  const auto pol = m_ra.policy();
  const policy::Directory* dir = name.empty() ? nullptr : pol->directory(name);
  json meta = {{"externalAccountRequired", dir ? dir->external_account_required : m_cfg.acme.external_account_required}};
  if (!m_cfg.acme.terms_of_service.empty()) meta["termsOfService"] = m_cfg.acme.terms_of_service;
  if (!m_cfg.acme.website.empty()) meta["website"] = m_cfg.acme.website;
  // ACME profiles draft: profile name → a human-readable description.
  json profiles = json::object();
  for (const auto& [pname, p] : pol->profiles())
    if (!dir || std::find(dir->profiles.begin(), dir->profiles.end(), pname) != dir->profiles.end())
      profiles[pname] = p.description.empty() ? pname : p.description;
  if (!profiles.empty()) meta["profiles"] = profiles;
  Response r;
  r.set_json({{"newNonce", m_links.acme("/new-nonce")},
              {"newAccount", m_links.acme(dir ? "/" + name + "/new-account" : "/new-account")},
              {"newOrder", m_links.acme("/new-order")},
              {"revokeCert", m_links.acme("/revoke-cert")},
              {"keyChange", m_links.acme("/key-change")},
              {"renewalInfo", m_links.acme("/renewal-info")},
              {"meta", meta}});
  // No Replay-Nonce on the directory, as Let's Encrypt: Ruby's acme-client up to 2.0.15 (Debian
  // 12 ships 2.0.9; GitLab used it) crashes on one there, and every client takes its first nonce
  // from newNonce, because Let's Encrypt's directory never had one.
  r.replay_nonce = false;
  return r;
}

}  // namespace pkictl::server
