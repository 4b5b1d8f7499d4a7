// ACME resources: accounts, orders, authorizations, challenges, certificates, revocation.
#include "core/acme/jwk.hpp"
#include "core/metrics/metrics.hpp"
#include "core/util/text.hpp"
#include "server/wfe/wfe_internal.hpp"

namespace pkictl::server {
using nlohmann::json;
using acme::Status;

namespace {
constexpr int orders_page_size = 50;

Result<void> require_account(const std::optional<acme::Account>& a) {
  if (!a) return fail(ErrorKind::Malformed, "this request must be signed with an account key (\"kid\")");
  return {};
}

Response with_location(Response r, const std::string& url) {
  r.headers.emplace_back("Location", url);
  return r;
}
}  // namespace

json Wfe::account_json(const acme::Account& a) const {
  return {{"status", acme::to_string(a.status)}, {"contact", a.contact}, {"termsOfServiceAgreed", a.tos_agreed},
          {"orders", m_links.account(a.id) + "/orders"}};
}

json Wfe::challenge_json(const acme::Challenge& c) const {
  json j = {{"type", c.type}, {"url", m_links.challenge(c.id)}, {"status", acme::to_string(c.status)}, {"token", c.token}};
  if (c.validated) j["validated"] = util::format_time(*c.validated);
  if (c.error) j["error"] = *c.error;
  // draft-ietf-acme-dns-persist: the names this CA answers to in the standing TXT record.
  if (c.type == "dns-persist-01") j["issuer-domain-names"] = m_cfg.validation.issuer_domain_names;
  return j;
}

json Wfe::authz_json(const acme::Authorization& a) const {
  json j = {{"identifier", a.identifier.to_json()}, {"status", acme::to_string(a.status)}, {"expires", util::format_time(a.expires)}};
  j["challenges"] = json::array();
  for (const auto& c : a.challenges) j["challenges"].push_back(challenge_json(c));
  if (a.wildcard) j["wildcard"] = true;
  return j;
}

json Wfe::order_json(const acme::Order& o) const {
  json j = {{"status", acme::to_string(o.status)}, {"expires", util::format_time(o.expires)},
            {"finalize", m_links.order(o.id) + "/finalize"}};
  j["identifiers"] = json::array();
  for (const auto& i : o.identifiers) j["identifiers"].push_back(i.to_json());
  j["authorizations"] = json::array();
  for (const auto& id : o.authz_ids) j["authorizations"].push_back(m_links.authz(id));
  if (o.not_before) j["notBefore"] = util::format_time(*o.not_before);
  if (o.not_after) j["notAfter"] = util::format_time(*o.not_after);
  if (o.certificate_id) j["certificate"] = m_links.certificate(*o.certificate_id);
  if (o.error) j["error"] = *o.error;
  if (!o.profile.empty()) j["profile"] = o.profile;
  if (!o.replaces.empty()) j["replaces"] = o.replaces;  // RFC 9773 §5 (an order field)
  return j;
}

Result<Response> Wfe::new_account(const Authenticated& a, const std::string& directory) {
  PKI_TRY_ASSIGN(auto r, m_ra.new_account(a.jwk, a.payload, directory,
                                          directory.empty() ? "" : m_links.acme("/" + directory + "/new-account")));
  Response resp;
  resp.set_json(account_json(r.account), r.created ? 201 : 200);
  return with_location(std::move(resp), m_links.account(r.account.id));
}

Result<Response> Wfe::account(const Authenticated& a, const std::string& id) {
  PKI_TRY(require_account(a.account));
  if (a.account->id != id) return fail(ErrorKind::Unauthorized, "the request is signed by another account");
  PKI_TRY_ASSIGN(auto acct, m_ra.update_account(*a.account, a.payload));
  Response resp;
  resp.set_json(account_json(acct));
  return with_location(std::move(resp), m_links.account(acct.id));
}

Result<Response> Wfe::account_orders(const Authenticated& a, const std::string& id, const std::string& cursor) {
  PKI_TRY(require_account(a.account));
  if (a.account->id != id) return fail(ErrorKind::Unauthorized, "the request is signed by another account");
  PKI_TRY_ASSIGN(auto ids, m_ra.order_ids(*a.account, cursor, orders_page_size + 1));
  json urls = json::array();
  for (std::size_t i = 0; i < ids.size() && i < static_cast<std::size_t>(orders_page_size); ++i) urls.push_back(m_links.order(ids[i]));
  Response resp;
  resp.set_json({{"orders", urls}});
  if (ids.size() > static_cast<std::size_t>(orders_page_size))
    resp.headers.emplace_back("Link", "<" + m_links.account(id) + "/orders?cursor=" + ids[orders_page_size - 1] + ">;rel=\"next\"");
  return resp;
}

Result<Response> Wfe::key_change(const Authenticated& a) {
  PKI_TRY(require_account(a.account));
  // RFC 8555 §7.3.5: the payload is a JWS signed by the new key, with the same url.
  auto parsed = acme::parse_jws(a.jws.payload, /*nonce_required=*/false);
  if (!parsed) return fail(parsed.error().kind, "the keyChange payload must be a JWS signed by the new key: " + parsed.error().detail);
  auto& inner = *parsed;
  const json* jwk = inner.jwk();
  if (!jwk) return fail(ErrorKind::Malformed, "the inner JWS of keyChange must carry the new key as \"jwk\"");
  if (inner.url() != a.jws.url()) return fail(ErrorKind::Malformed, "the inner JWS \"url\" must equal the outer one");
  // Which of the two JWSs or keys an error is about is in its detail.
  auto new_key = acme::jwk_to_key(*jwk);
  if (!new_key) return fail(new_key.error().kind, "the inner JWS's \"jwk\" (the new key): " + new_key.error().detail);
  if (auto v = acme::verify_jws(inner, *new_key); !v) return fail(v.error().kind, "the inner JWS (signed by the new key): " + v.error().detail);
  const json payload = json::parse(inner.payload, nullptr, false);
  if (!acme::has_value(payload, "account") || payload["account"] != m_links.account(a.account->id))
    return fail(ErrorKind::Malformed, "the keyChange payload must name this account in \"account\"");
  if (!payload.contains("oldKey")) return fail(ErrorKind::Malformed, "the keyChange payload lacks \"oldKey\"");
  auto old_key = acme::jwk_to_key(payload["oldKey"]);
  if (!old_key) return fail(old_key.error().kind, "the keyChange payload's \"oldKey\": " + old_key.error().detail);
  if (!old_key->equals(*a.key)) return fail(ErrorKind::Unauthorized, "\"oldKey\" is not the account's current key");
  PKI_TRY_ASSIGN(auto acct, m_ra.change_key(*a.account, *jwk));
  Response resp;
  resp.set_json(account_json(acct));
  return with_location(std::move(resp), m_links.account(acct.id));
}

Result<Response> Wfe::new_order(const Authenticated& a) {
  PKI_TRY(require_account(a.account));
  PKI_TRY_ASSIGN(auto o, m_ra.new_order(*a.account, a.payload));
  Response resp;
  resp.set_json(order_json(o), 201);
  return with_location(std::move(resp), m_links.order(o.id));
}

Result<Response> Wfe::order(const Authenticated& a, const std::string& id) {
  PKI_TRY(require_account(a.account));
  PKI_TRY_ASSIGN(auto o, m_ra.order(*a.account, id));
  Response resp;
  resp.set_json(order_json(o));
  if (o.status == Status::Processing || o.status == Status::Pending) resp.headers.emplace_back("Retry-After", "1");
  return with_location(std::move(resp), m_links.order(o.id));
}

Result<Response> Wfe::finalize(const Authenticated& a, const std::string& id) {
  PKI_TRY(require_account(a.account));
  if (!a.payload.is_object() || !a.payload.contains("csr") || !a.payload["csr"].is_string()) {
    // A repeated finalize without a body on a finished order returns it (clients retry).
    PKI_TRY_ASSIGN(auto o, m_ra.order(*a.account, id));
    if (o.status == Status::Processing || o.status == Status::Valid) {
      Response resp;
      resp.set_json(order_json(o));
      return with_location(std::move(resp), m_links.order(o.id));
    }
    return fail(ErrorKind::Malformed, "finalize needs {\"csr\": base64url DER}");
  }
  auto der = util::base64url_decode(a.payload["csr"].get<std::string>());
  if (!der) return fail(ErrorKind::BadCsr, "\"csr\" is not base64url (no padding)");
  PKI_TRY_ASSIGN(auto o, m_ra.finalize(*a.account, id, std::string(der->begin(), der->end())));
  Response resp;
  resp.set_json(order_json(o));
  if (o.status == Status::Processing) resp.headers.emplace_back("Retry-After", "1");
  return with_location(std::move(resp), m_links.order(o.id));
}

Result<Response> Wfe::authz(const Authenticated& a, const std::string& id) {
  PKI_TRY(require_account(a.account));
  acme::Authorization az;
  if (acme::has_value(a.payload, "status") && a.payload["status"] == "deactivated") {
    PKI_TRY_ASSIGN(az, m_ra.deactivate_authorization(*a.account, id));
  } else if (a.payload.is_object() && !a.payload.empty()) {
    return fail(ErrorKind::Malformed, "an authorization can only be fetched (empty payload) or deactivated ({\"status\":\"deactivated\"})");
  } else {
    PKI_TRY_ASSIGN(az, m_ra.authorization(*a.account, id));
  }
  Response resp;
  resp.set_json(authz_json(az));
  if (az.status == Status::Pending) resp.headers.emplace_back("Retry-After", "1");
  return resp;
}

Result<Response> Wfe::challenge(const Authenticated& a, const std::string& id) {
  PKI_TRY(require_account(a.account));
  // RFC 8555 §7.5.1: the client responds with an empty JSON object; POST-as-GET only reads.
  const bool trigger = a.payload.is_object();
  PKI_TRY_ASSIGN(auto c, m_ra.respond_challenge(*a.account, id, trigger));
  Response resp;
  resp.set_json(challenge_json(c));
  resp.headers.emplace_back("Link", "<" + m_links.authz(c.authz_id) + ">;rel=\"up\"");
  if (c.status != Status::Processing) return resp;
  resp.headers.emplace_back("Retry-After", "1");
  if (!trigger) return resp;
  // Most validations take milliseconds: the answer waits (a second at most) for the outcome, so
  // a client that reads the challenge's status (lego, ours) needs no poll. Slower ones answer
  // "processing" as before; the client then polls the authorization.
  resp.hold = std::make_shared<Response::Hold>();
  resp.hold->at_most = challenge_answer_wait;
  resp.hold->wake = [this, id](std::function<void()> resume) { m_ra.when_validated(id, std::move(resume)); };
  resp.hold->refresh = [this, acct = *a.account, id](Response& r) {
    auto now = m_ra.challenge(acct, id);
    if (!now) return;  // as it was
    if (now->status == Status::Processing) {  // still validating: from now on on disk too
      if (auto noted = m_ra.still_validating(id); !noted)
        m_log.error("a running validation could not be marked processing; a restart now would not resume it",
                    {{"challenge", id}, {"error", noted.error().detail}});
      return;
    }
    r.body = challenge_json(*now).dump();
    std::erase_if(r.headers, [](const auto& h) { return h.first == "Retry-After"; });
  };
  return resp;
}

Result<Response> Wfe::certificate(const Authenticated& a, const std::string& id, std::size_t which, CertFormat format) {
  PKI_TRY(require_account(a.account));
  PKI_TRY_ASSIGN(auto c, m_ra.certificate(*a.account, id));
  const auto& ca = m_ra.issuing_ca();
  if (which > ca.alternates.size()) return fail(ErrorKind::NotFound, "certificate " + id + " has no alternate chain " + std::to_string(which));
  Response resp;
  const auto& chain = which == 0 ? ca.chain : ca.alternates[which - 1];
  if (format == CertFormat::Der) {
    // RFC 8555 §7.4.2: a format that holds one certificate names the issuer with rel="up".
    resp.headers.emplace_back("Content-Type", "application/pkix-cert");
    resp.body = c.der;
    resp.headers.emplace_back("Link", "<" + m_links.ca_certificate(util::to_hex(chain.front().fingerprint())) + ">;rel=\"up\"");
  } else if (format == CertFormat::Pkcs7) {
    PKI_TRY_ASSIGN(auto leaf, x509::Certificate::parse(c.der));
    std::vector<x509::Certificate> all{std::move(leaf)};
    all.insert(all.end(), chain.begin(), chain.end());
    PKI_TRY_ASSIGN(resp.body, x509::to_pkcs7_certs_only(all));
    resp.headers.emplace_back("Content-Type", "application/pkcs7-mime; smime-type=certs-only");
  } else {
    // The PEM chain holds the issuers already, so it has no rel="up": clients built on acmez
    // (Caddy, certmagic) append whatever "up" serves to the chain (issuance failed on that, or the
    // intermediate came twice). Let's Encrypt sends none either.
    resp.headers.emplace_back("Content-Type", "application/pem-certificate-chain");
    resp.body = m_ra.pem_chain(c, which);
  }
  for (std::size_t i = 0; i <= ca.alternates.size(); ++i)
    if (i != which) resp.headers.emplace_back("Link", "<" + m_links.certificate(id, i) + ">;rel=\"alternate\"");
  return resp;
}

Result<Response> Wfe::ca_certificate(const std::string& file) {
  const std::string suffix = ".crt";
  const std::string fp = file.size() > suffix.size() ? file.substr(0, file.size() - suffix.size()) : "";
  const auto* cert = file.ends_with(suffix) ? m_ra.issuing_ca().by_fingerprint(fp) : nullptr;
  if (!cert) return fail(ErrorKind::NotFound, "no CA certificate " + file + " here");
  Response resp;
  resp.headers.emplace_back("Content-Type", "application/pkix-cert");
  resp.body = cert->der();
  return resp;
}

Result<Response> Wfe::revoke(const Authenticated& a) {
  if (!a.payload.is_object() || !a.payload.contains("certificate") || !a.payload["certificate"].is_string())
    return fail(ErrorKind::Malformed, "revokeCert needs {\"certificate\": base64url DER}");
  auto der = util::base64url_decode(a.payload["certificate"].get<std::string>());
  if (!der) return fail(ErrorKind::Malformed, "\"certificate\" is not base64url");
  int reason = 0;
  if (a.payload.contains("reason")) {
    if (!a.payload["reason"].is_number_integer()) return fail(ErrorKind::BadRevocationReason, "\"reason\" must be an integer");
    reason = a.payload["reason"].get<int>();
  }
  const std::string cert(der->begin(), der->end());
  if (a.account) PKI_TRY(m_ra.revoke(&*a.account, nullptr, cert, reason));
  else PKI_TRY(m_ra.revoke(nullptr, &*a.key, cert, reason));
  return Response{};
}

Result<Response> Wfe::renewal_info(const std::string& cert_id) {
  PKI_TRY_ASSIGN(auto j, m_ra.renewal_info(cert_id));
  Response r;
  r.set_json(j);
  r.headers.emplace_back("Retry-After", "21600");  // RFC 9773 §4.3: ask again in six hours
  return r;
}

Result<Response> Wfe::published(const std::vector<std::string>& seg) {
  Response r;
  const auto& ca = m_ra.issuing_ca();
  auto fp = [](const x509::Certificate& c) { return util::to_hex(c.fingerprint()); };
  if (seg.size() == 1 && seg[0] == "roots.pem") {
    r.headers.emplace_back("Content-Type", "application/pem-certificate-chain");
    r.body = x509::to_pem_bundle(m_roots);
    return r;
  }
  if (seg.size() == 1 && seg[0] == "intermediates.pem") {
    std::vector<x509::Certificate> all = ca.chain;
    for (const auto& alt : ca.alternates) all.insert(all.end(), alt.begin(), alt.end());
    std::vector<x509::Certificate> unique;
    for (const auto& c : all)
      if (std::none_of(unique.begin(), unique.end(), [&](const auto& u) { return u == c; }) &&
          std::none_of(m_roots.begin(), m_roots.end(), [&](const auto& u) { return u == c; }))
        unique.push_back(c);
    r.headers.emplace_back("Content-Type", "application/pem-certificate-chain");
    r.body = x509::to_pem_bundle(unique);
    return r;
  }
  if (seg.size() == 2 && seg[0] == "ca" && seg[1] == "index.json") {
    auto describe = [&](const x509::Certificate& c) {
      return json{{"subject", c.subject_text()}, {"sha256", fp(c)}, {"not_after", util::format_time(c.not_after())},
                  {"url", m_published.ca_certificate(fp(c))}};
    };
    json roots = json::array(), inter = json::array();
    for (const auto& c : m_roots) roots.push_back(describe(c));
    for (const auto& c : ca.chain) inter.push_back(describe(c));
    r.set_json({{"roots", roots}, {"intermediates", inter}, {"roots_pem", m_links.base() + "/roots.pem"},
                {"intermediates_pem", m_links.base() + "/intermediates.pem"},
                {"crls", m_crl ? json::array({m_published.crl(ca.key_id_hex)}) : json::array()}});
    return r;
  }
  if (seg.size() == 2 && seg[0] == "crl" && m_crl && seg[1] == ca.key_id_hex + ".crl") {
    PKI_TRY_ASSIGN(auto der, m_crl->current(std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now())));
    r.headers.emplace_back("Content-Type", "application/pkix-crl");
    r.body = std::move(der);
    return r;
  }
  return fail(ErrorKind::NotFound, "nothing is published at /" + seg.front() + (seg.size() > 1 ? "/" + seg[1] : ""));
}

Result<Response> Wfe::internal(const Request& req) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (req.method != "GET" && req.method != "HEAD") return fail(ErrorKind::Malformed, "use GET");
  if (path == "/metrics") {
    Response r;
    r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = metrics::registry().exposition();
    return r;
  }
  if (path == "/healthz") return health(false);
  if (path == "/readyz") return health(true);
  return fail(ErrorKind::NotFound, "the metrics listener serves /metrics, /healthz and /readyz");
}

Result<Response> Wfe::health(bool ready) {
  Response r;
  if (!ready) {
    r.set_json({{"status", "alive"}});
    return r;
  }
  auto checks = m_ra.readiness();
  r.status = checks.value("ready", false) ? 200 : 503;
  r.set_json(checks);
  return r;
}

}  // namespace pkictl::server
