#include "client/acme_client.hpp"

#include <openssl/x509v3.h>

#include <random>
#include <thread>

#include "core/acme/jwk.hpp"
#include "core/acme/jws.hpp"
#include "core/acme/problem.hpp"
#include "core/crypto/digest.hpp"
#include "core/util/text.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::client {
namespace {
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int max_attempts = 8;  // per request, across badNonce / 429 / 503 / network retries

std::chrono::milliseconds jittered(int attempt) {
  // Exponential backoff, 250 ms doubling to 8 s, with ±50 % jitter so clients do not synchronise.
  thread_local std::mt19937 rng(std::random_device{}());
  const auto base = std::min<long>(8000, 250L << std::min(attempt, 5));
  std::uniform_int_distribution<long> d(base / 2, base + base / 2);
  return std::chrono::milliseconds(d(rng));
}

Error problem_error(const Reply& r) {
  Error e;
  if (r.json.is_object() && r.json.contains("type")) {
    e.kind = acme::kind_of_problem(r.json.value("type", ""));
    e.detail = r.json.value("detail", "");
    if (r.json.contains("subproblems") && r.json["subproblems"].is_array()) {
      for (const auto& s : r.json["subproblems"]) {
        const auto& id = s.contains("identifier") ? s["identifier"] : json::object();
        e.sub_errors.push_back({acme::kind_of_problem(s.value("type", "")), id.value("type", ""), id.value("value", ""), s.value("detail", "")});
        e.detail += "; " + id.value("value", "") + ": " + s.value("detail", "");
      }
    }
    e.detail = "the server refused (" + r.json.value("type", "") + "): " + e.detail;
  } else {
    e.kind = r.status == 404 ? ErrorKind::NotFound : ErrorKind::Connection;
    e.detail = "the server answered HTTP " + std::to_string(r.status);
  }
  e.retry_after = r.retry_after();
  return e;
}

}  // namespace

std::string Reply::location() const {
  auto it = headers.find("location");
  return it == headers.end() ? std::string() : it->second;
}

std::vector<std::string> Reply::links(const std::string& rel) const {
  std::vector<std::string> out;
  auto it = headers.find("link");
  if (it == headers.end()) return out;
  // Link: <url>;rel="up", <url2>;rel="alternate"  (RFC 8288; URLs cannot contain '>')
  const std::string& v = it->second;
  std::size_t pos = 0;
  while ((pos = v.find('<', pos)) != std::string::npos) {
    const auto end = v.find('>', pos);
    if (end == std::string::npos) break;
    const std::string url = v.substr(pos + 1, end - pos - 1);
    const auto next = v.find('<', end);
    const std::string params = v.substr(end + 1, next == std::string::npos ? std::string::npos : next - end - 1);
    if (params.find("rel=\"" + rel + "\"") != std::string::npos || params.find("rel=" + rel) != std::string::npos) out.push_back(url);
    pos = end;
  }
  return out;
}

std::optional<std::chrono::seconds> Reply::retry_after() const {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  try {
    return std::chrono::seconds(std::max(0L, std::stol(it->second)));
  } catch (...) {
    // An HTTP-date: treat as "soon" rather than parse dates here.
    return std::chrono::seconds(1);
  }
}

AcmeClient::AcmeClient(ClientOptions options, crypto::PrivateKey key, std::string kid)
    : m_opts(std::move(options)), m_key(std::move(key)), m_kid(std::move(kid)), m_http(std::make_unique<net::HttpSession>()) {
  reset_deadline();
}
AcmeClient::AcmeClient(AcmeClient&&) noexcept = default;
AcmeClient& AcmeClient::operator=(AcmeClient&&) noexcept = default;
AcmeClient::~AcmeClient() = default;

Result<AcmeClient> AcmeClient::connect(ClientOptions options, crypto::PrivateKey account_key, std::string kid) {
  AcmeClient c(std::move(options), std::move(account_key), std::move(kid));
  PKI_TRY_ASSIGN(c.m_jwk, acme::key_to_jwk(c.m_key.public_key()));
  PKI_TRY_ASSIGN(c.m_thumbprint, acme::jwk_thumbprint(c.m_jwk));
  PKI_TRY_ASSIGN(auto r, c.get(c.m_opts.directory_url));
  if (r.status != 200 || !r.json.is_object() || !r.json.contains("newNonce") || !r.json.contains("newAccount") ||
      !r.json.contains("newOrder"))
    return fail(ErrorKind::Malformed, c.m_opts.directory_url + " is not an ACME directory (HTTP " + std::to_string(r.status) + ")");
  c.m_dir = r.json;
  return c;
}

std::string AcmeClient::key_authorization(const std::string& token) const {
  return token + "." + m_thumbprint;
}

Result<void> AcmeClient::wait(std::chrono::milliseconds d) {
  if (Clock::now() + d > m_deadline)
    return fail(ErrorKind::Connection, "gave up: the operation did not finish within " + std::to_string(m_opts.deadline.count()) + " s");
  std::this_thread::sleep_for(d);
  return {};
}

Result<Reply> AcmeClient::send(const std::string& method, const std::string& url, const std::string& body) {
  for (int attempt = 0;; ++attempt) {
    net::FetchRequest req;
    req.url = url;
    req.method = method;
    req.body = body;
    req.ca_file = m_opts.ca_file;
    req.max_body_bytes = 1 << 20;
    req.timeout = std::chrono::milliseconds(30000);
    if (method == "POST") req.headers = {"Content-Type: application/jose+json"};
    auto r = m_http->fetch(req);
    if (!r) {
      // Network errors are retried with backoff (the server may be restarting); TLS trust is not.
      if (r.error().kind == ErrorKind::Tls || attempt + 1 >= max_attempts) {
        Error e = std::move(r).error();
        e.detail = url + ": " + e.detail;
        return fail(std::move(e));
      }
      say("network error talking to " + url + " (" + r.error().detail + "); retrying");
      PKI_TRY(wait(jittered(attempt)));
      continue;
    }
    Reply reply;
    reply.status = r->status;
    reply.headers = std::move(r->headers);
    reply.body = std::move(r->body);
    if (auto n = reply.headers.find("replay-nonce"); n != reply.headers.end()) m_nonce = n->second;
    const auto ct = reply.headers.count("content-type") ? reply.headers["content-type"] : "";
    if (ct.find("json") != std::string::npos) reply.json = json::parse(reply.body, nullptr, false);
    if (reply.json.is_discarded()) reply.json = nullptr;
    if ((reply.status == 503 || reply.status == 429) && attempt + 1 < max_attempts) {
      // Busy or rate limited: wait as told (bounded by the deadline), else back off with jitter.
      const auto ra = reply.retry_after();
      const auto d = ra ? std::chrono::duration_cast<std::chrono::milliseconds>(*ra) + jittered(0) / 4 : jittered(attempt);
      say("the server answered " + std::to_string(reply.status) + "; retrying in " + std::to_string(d.count()) + " ms");
      if (method == "POST") return reply;  // the caller re-signs with a fresh nonce
      PKI_TRY(wait(d));
      continue;
    }
    return reply;
  }
}

Result<Reply> AcmeClient::get(const std::string& url) { return send("GET", url, ""); }

Result<std::string> AcmeClient::fresh_nonce() {
  if (!m_nonce.empty()) return std::exchange(m_nonce, std::string());
  PKI_TRY_ASSIGN(auto r, send("HEAD", m_dir.value("newNonce", ""), ""));
  auto it = r.headers.find("replay-nonce");
  if (it == r.headers.end()) return fail(ErrorKind::Malformed, "newNonce gave no Replay-Nonce (HTTP " + std::to_string(r.status) + ")");
  m_nonce.clear();
  return it->second;
}

Result<json> AcmeClient::signed_body(const std::string& url, const std::optional<json>& payload, bool with_jwk) {
  PKI_TRY_ASSIGN(auto nonce, fresh_nonce());
  json header = {{"nonce", nonce}, {"url", url}};
  if (with_jwk || m_kid.empty()) header["jwk"] = m_jwk;
  else header["kid"] = m_kid;
  return acme::sign_jws(m_key, header, payload ? payload->dump() : std::string());
}

Result<Reply> AcmeClient::post(const std::string& url, const std::optional<json>& payload) {
  const bool with_jwk = url == m_dir.value("newAccount", "") || m_kid.empty();
  for (int attempt = 0;; ++attempt) {
    PKI_TRY_ASSIGN(auto body, signed_body(url, payload, with_jwk));
    PKI_TRY_ASSIGN(auto r, send("POST", url, body.dump()));
    if (r.status < 400) return r;
    const Error e = problem_error(r);
    const bool retry = e.kind == ErrorKind::BadNonce || r.status == 503 || r.status == 429;
    if (!retry || attempt + 1 >= max_attempts) return fail(e);
    // badNonce: RFC 8555 §6.5 — retry with the nonce that came with the error (kept by send()).
    if (e.kind != ErrorKind::BadNonce) {
      const auto d = e.retry_after ? std::chrono::duration_cast<std::chrono::milliseconds>(*e.retry_after) : jittered(attempt);
      PKI_TRY(wait(d));
    }
  }
}

Result<json> AcmeClient::poll(const std::string& url, const std::vector<std::string>& waiting) {
  for (int i = 0;; ++i) {
    PKI_TRY_ASSIGN(auto r, post(url, std::nullopt));
    const std::string status = r.json.value("status", "");
    if (std::find(waiting.begin(), waiting.end(), status) == waiting.end()) return r.json;
    const auto ra = m_opts.poll_retry_after ? r.retry_after() : std::nullopt;
    const auto d = ra ? std::chrono::duration_cast<std::chrono::milliseconds>(*ra)
                      : std::min(std::chrono::milliseconds(2000), m_opts.poll_interval * (1 << std::min(i, 5)));
    PKI_TRY(wait(std::max(d, m_opts.poll_interval)));
  }
}

Result<json> AcmeClient::register_account(const std::vector<std::string>& contacts, bool agree_tos,
                                          const std::optional<ExternalBinding>& eab) {
  json payload = {{"termsOfServiceAgreed", agree_tos}};
  if (!contacts.empty()) payload["contact"] = contacts;
  const std::string url = m_dir.value("newAccount", "");
  if (eab) {
    // RFC 8555 §7.3.4: a JWS over the account JWK, MACed with the EAB key, kid = the key id.
    auto mac_key = util::base64url_decode(eab->hmac_key_b64url);
    if (!mac_key) return fail(ErrorKind::InvalidArgument, "the EAB HMAC key is not base64url");
    const json prot = {{"alg", "HS256"}, {"kid", eab->kid}, {"url", url}};
    const std::string p64 = util::base64url_encode(prot.dump());
    const std::string pl64 = util::base64url_encode(m_jwk.dump());
    const auto mac = crypto::hmac_sha256(std::string(mac_key->begin(), mac_key->end()), p64 + "." + pl64);
    payload["externalAccountBinding"] = {{"protected", p64}, {"payload", pl64},
                                         {"signature", util::base64url_encode(std::span<const std::uint8_t>(mac.data(), mac.size()))}};
  }
  m_kid.clear();
  PKI_TRY_ASSIGN(auto r, post(url, payload));
  m_kid = r.location();
  if (m_kid.empty()) return fail(ErrorKind::Malformed, "newAccount answered without a Location (the account URL)");
  return r.json;
}

Result<json> AcmeClient::account() {
  PKI_TRY_ASSIGN(auto r, post(m_kid, std::nullopt));
  return r.json;
}

Result<json> AcmeClient::update_account(const std::vector<std::string>& contacts) {
  PKI_TRY_ASSIGN(auto r, post(m_kid, json{{"contact", contacts}}));
  return r.json;
}

Result<json> AcmeClient::deactivate_account() {
  PKI_TRY_ASSIGN(auto r, post(m_kid, json{{"status", "deactivated"}}));
  return r.json;
}

Result<void> AcmeClient::change_key(crypto::PrivateKey new_key) {
  const std::string url = m_dir.value("keyChange", "");
  if (url.empty()) return fail(ErrorKind::Malformed, "the directory has no keyChange");
  PKI_TRY_ASSIGN(auto new_jwk, acme::key_to_jwk(new_key.public_key()));
  PKI_TRY_ASSIGN(auto new_thumbprint, acme::jwk_thumbprint(new_jwk));
  // The inner JWS is signed by the new key, carries it as jwk, and has no nonce (RFC 8555 §7.3.5).
  PKI_TRY_ASSIGN(auto inner, acme::sign_jws(new_key, json{{"jwk", new_jwk}, {"url", url}},
                                            json{{"account", m_kid}, {"oldKey", m_jwk}}.dump()));
  PKI_TRY_ASSIGN(auto r, post(url, inner));
  (void)r;
  m_key = std::move(new_key);
  m_jwk = new_jwk;
  m_thumbprint = std::move(new_thumbprint);
  return {};
}

Result<std::string> ari_cert_id(const std::string& cert_pem) {
  PKI_TRY_ASSIGN(auto cert, x509::Certificate::parse(cert_pem));
  auto aki = cert.authority_key_id();
  if (!aki) return fail(ErrorKind::Malformed, "the certificate has no authority key identifier (needed for ARI)");
  // The serial as DER INTEGER contents (with its leading zero byte if any).
  const ASN1_INTEGER* s = X509_get0_serialNumber(cert.get());
  unsigned char* buf = nullptr;
  const int n = i2d_ASN1_INTEGER(s, &buf);
  if (n < 3) {
    OPENSSL_free(buf);
    return fail(ErrorKind::Malformed, "cannot encode the serial number");
  }
  // Skip the INTEGER tag and length (short form: serials are at most 20 bytes).
  const std::string serial(reinterpret_cast<char*>(buf) + 2, static_cast<std::size_t>(n - 2));
  OPENSSL_free(buf);
  return util::base64url_encode(std::span<const std::uint8_t>(aki->data(), aki->size())) + "." + util::base64url_encode(serial);
}

}  // namespace pkictl::client
