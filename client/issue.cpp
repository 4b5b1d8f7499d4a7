#include "client/issue.hpp"

#include <optional>
#include <set>

#include "core/util/text.hpp"
#include "core/x509/certificate.hpp"
#include "core/x509/csr.hpp"
#include "core/x509/name.hpp"

namespace pkictl::client {
namespace {
using nlohmann::json;

std::string label(const acme::Identifier& i) { return i.type + ":" + i.value; }

/** The identifier as ordered, for messages ("dns:*.example.org" for a wildcard's base name). */
std::string shown(const acme::Identifier& i, bool wildcard) { return wildcard ? "dns:*." + i.value : label(i); }

struct Pending {
  std::string authz_url;
  acme::Identifier ident;  // as in the authorization (base name for wildcards)
  bool wildcard = false;
  std::string token;
  std::string key_authorization;
  std::string challenge_url;
};

/** Removes what was presented, whatever happens to the order. */
struct Cleanup {
  Solver& solver;
  std::vector<Pending>& pending;
  ~Cleanup() {
    for (const auto& p : pending) solver.cleanup(p.ident, p.token, p.key_authorization);
  }
};

/** Why a challenge object failed: its error's detail (the whole error if it has none). */
std::optional<std::string> error_of(const json& challenge) {
  if (!challenge.is_object() || !challenge.contains("error")) return std::nullopt;
  const json& e = challenge["error"];
  return e.is_object() ? e.value("detail", e.dump()) : e.dump();
}

std::string challenge_error(const json& authz, const std::string& type) {
  for (const auto& c : authz.value("challenges", json::array()))
    if (c.value("type", "") == type)
      if (auto why = error_of(c)) return *why;
  return "the authorization is " + authz.value("status", "?");
}

}  // namespace

Result<Issued> issue(AcmeClient& client, const IssueRequest& req, Solver& solver) {
  if (req.identifiers.empty()) return fail(ErrorKind::InvalidArgument, "at least one identifier is needed");
  client.reset_deadline();
  // Step 1: the order.
  json payload = {{"identifiers", json::array()}};
  for (const auto& i : req.identifiers) payload["identifiers"].push_back(i.to_json());
  if (!req.profile.empty()) payload["profile"] = req.profile;
  if (req.lifetime)
    payload["notAfter"] = util::format_time(std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now()) + *req.lifetime);
  if (!req.replaces.empty()) payload["replaces"] = req.replaces;
  PKI_TRY_ASSIGN(auto created, client.post(client.directory().value("newOrder", ""), payload));
  const std::string order_url = created.location();
  json order = created.json;
  if (order_url.empty() || !order.is_object()) return fail(ErrorKind::Malformed, "newOrder answered without an order and its Location");
  client.say("order " + order_url + " created");

  // Step 2: present every proof, then answer every challenge, then wait for the verdicts.
  std::vector<Pending> pending;
  Cleanup cleanup{solver, pending};
  for (const auto& url : order.value("authorizations", json::array())) {
    PKI_TRY_ASSIGN(auto r, client.post(url.get<std::string>(), std::nullopt));
    const json& az = r.json;
    const acme::Identifier ident{az["identifier"].value("type", ""), az["identifier"].value("value", "")};
    const bool wildcard = az.value("wildcard", false);
    const std::string name = shown(ident, wildcard);
    if (az.value("status", "") == "valid") {
      client.say(name + ": already authorized");
      continue;
    }
    std::vector<std::string> offered;
    const json challenges = az.value("challenges", json::array());  // `chosen` points into this
    const json* chosen = nullptr;
    for (const auto& c : challenges) {
      offered.push_back(c.value("type", ""));
      if (c.value("type", "") == solver.type()) chosen = &c;
    }
    if (!chosen) {
      return fail(ErrorKind::Unauthorized, name + ": the server does not offer " + solver.type() + " for it (offered: " + util::join(offered) + ")");
    }
    Pending p{url.get<std::string>(), ident, wildcard, chosen->value("token", ""), client.key_authorization(chosen->value("token", "")),
              chosen->value("url", "")};
    PKI_TRY(solver.present(ident, p.token, p.key_authorization));
    client.say(name + ": " + solver.type() + " proof in place");
    pending.push_back(std::move(p));
  }
  PKI_TRY(solver.ready());
  // The answer to a challenge carries its status: a server that validated it already (ours,
  // for quick validations) saves the poll; one that found it invalid says why in its error.
  std::vector<std::string> answered;
  for (const auto& p : pending) {
    PKI_TRY_ASSIGN(auto r, client.post(p.challenge_url, json::object()));
    answered.push_back(r.json.is_object() ? r.json.value("status", "") : "");
    if (answered.back() == "invalid")
      return fail(ErrorKind::Unauthorized, shown(p.ident, p.wildcard) + ": " + solver.type() + " failed: " +
                                               error_of(r.json).value_or("the server found it invalid"));
  }
  for (std::size_t n = 0; n < pending.size(); ++n) {
    const auto& p = pending[n];
    const std::string name = shown(p.ident, p.wildcard);
    if (answered[n] == "valid") {
      client.say(name + ": valid");
      continue;
    }
    client.say(name + ": waiting for the server to validate");
    PKI_TRY_ASSIGN(auto az, client.poll(p.authz_url, {"pending", "processing"}));
    if (az.value("status", "") != "valid")
      return fail(ErrorKind::Unauthorized, name + ": " + solver.type() + " failed: " + challenge_error(az, solver.type()));
    client.say(name + ": valid");
  }

  // Step 3: a fresh key and its CSR; finalize; wait; download. Every authorization is valid, so
  // the order is ready (RFC 8555 §7.1.6): finalize at once, and only if the server disagrees
  // (orderNotReady) wait for the order and try once more.
  PKI_TRY_ASSIGN(auto key, crypto::PrivateKey::generate(req.key_type));
  std::vector<x509::GeneralName> sans;
  std::string cn;
  for (const auto& i : req.identifiers) {
    sans.push_back({i.type == "ip" ? x509::GeneralNameType::Ip : x509::GeneralNameType::Dns, i.value});
    if (cn.empty() && i.type == "dns" && i.value.size() <= 64) cn = i.value;
  }
  std::string subject = x509::empty_name_der();  // IP-only orders: named by their SANs alone
  if (!cn.empty()) {
    PKI_TRY_ASSIGN(subject, x509::parse_name("CN=" + cn));
  }
  PKI_TRY_ASSIGN(auto csr_der, x509::make_csr_der(subject, sans, key));
  const json finalize_payload{{"csr", util::base64url_encode(csr_der)}};
  auto fin = client.post(order.value("finalize", ""), finalize_payload);
  if (!fin && fin.error().kind == ErrorKind::OrderNotReady) {
    PKI_TRY_ASSIGN(order, client.poll(order_url, {"pending"}));
    if (order.value("status", "") != "ready") return fail(ErrorKind::OrderNotReady, "the order is " + order.value("status", "?") + ", not ready");
    fin = client.post(order.value("finalize", ""), finalize_payload);
  }
  if (!fin) return fail(std::move(fin).error());
  // A finalize that answers with the valid order saves a poll; otherwise wait for it.
  order = fin->json;
  const std::string fin_status = order.is_object() ? order.value("status", "") : "";
  if (fin_status != "valid" && fin_status != "invalid") {
    client.say("finalized; waiting for the certificate");
    PKI_TRY_ASSIGN(order, client.poll(order_url, {"processing", "ready"}));
  }
  if (order.value("status", "") != "valid" || !order.contains("certificate"))
    return fail(ErrorKind::Internal, "the order ended " + order.value("status", "?") + (order.contains("error") ? ": " + order["error"].dump() : ""));
  const std::string cert_url = order["certificate"].get<std::string>();
  PKI_TRY_ASSIGN(auto dl, client.post(cert_url, std::nullopt));
  PKI_TRY_ASSIGN(auto ders, x509::certificate_ders(dl.body));
  // Check what came back before anyone installs it: our key, every identifier. The leaf is read
  // without OpenSSL's key decoder; the chain above it parses as usual (and from the parse cache).
  PKI_TRY_ASSIGN(auto leaf, x509::read_obtained_certificate(ders.front()));
  if (!key.pairs_with(leaf.key))
    return fail(ErrorKind::Malformed, "the server returned a certificate for another key");
  std::set<std::string> have;
  for (const auto& g : leaf.sans) have.insert(std::string(x509::to_string(g.type)) + ":" + util::to_lower(g.value));
  for (const auto& i : req.identifiers)
    if (!have.count(label(i))) return fail(ErrorKind::Malformed, "the certificate does not name " + label(i));
  std::vector<x509::Certificate> chain;
  for (std::size_t n = 1; n < ders.size(); ++n) {
    PKI_TRY_ASSIGN(auto c, x509::Certificate::parse(ders[n]));
    chain.push_back(std::move(c));
  }
  Issued out;
  PKI_TRY_ASSIGN(out.key_pem, key.to_unencrypted_pem());
  out.cert_pem = x509::der_to_pem(ders.front());
  out.chain_pem = x509::to_pem_bundle(chain);
  out.order_url = order_url;
  out.cert_url = cert_url;
  return out;
}

}  // namespace pkictl::client
