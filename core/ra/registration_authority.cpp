#include "core/ra/registration_authority.hpp"

#include "core/acme/ari.hpp"
#include "core/audit/trail.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ra/revocation.hpp"

#include <algorithm>
#include <set>

#include "core/acme/jwk.hpp"
#include "core/crypto/digest.hpp"
#include "core/acme/problem.hpp"
#include "core/lint/certificate_lint.hpp"
#include "core/policy/key_policy.hpp"
#include "core/x509/csr.hpp"
#include "core/x509/name.hpp"
#include "core/util/text.hpp"

namespace pkictl::ra {
namespace {

/** The serial registry of a finalize: reserving the serial claims the order too (status → processing)
 * and appends the certificate.intent that the pre-issuance check prepared, in one transaction. */
class IssuanceClaim final : public ca::SerialRegistry {
 public:
  IssuanceClaim(store::Store& store, const std::string& issuer_key_id, const acme::Order& order, const std::optional<audit::Event>& intent)
      : m_store(store), m_issuer(issuer_key_id), m_order(order), m_intent(intent) {}
  Result<void> reserve(const util::Bytes& serial) override {
    if (!m_intent) return fail(ErrorKind::Internal, "no certificate.intent was prepared for serial " + util::to_hex(serial));
    auto claimed = m_store.claim_issuance(m_order.id, m_order.status, m_issuer, util::to_hex(serial), &*m_intent);
    if (!claimed) {
      if (claimed.error().kind == ErrorKind::Conflict) return fail(std::move(claimed).error());  // the serial: draw another
      return fail(ErrorKind::Internal, "the issuance intent could not be recorded: " + claimed.error().detail);
    }
    if (!*claimed) {
      m_lost = true;
      return fail(ErrorKind::Internal, "order " + m_order.id + " was claimed by another finalize");
    }
    m_claimed = true;
    return {};
  }
  /** Another request claimed the order first. */
  bool lost() const { return m_lost; }
  bool claimed() const { return m_claimed; }

 private:
  store::Store& m_store;
  const std::string& m_issuer;
  const acme::Order& m_order;
  const std::optional<audit::Event>& m_intent;
  bool m_lost = false, m_claimed = false;
};

using nlohmann::json;
using acme::Status;

Result<std::vector<std::string>> parse_contacts(const json& payload) {
  std::vector<std::string> out;
  if (!acme::has_value(payload, "contact")) return out;
  if (!payload["contact"].is_array()) return fail(ErrorKind::Malformed, "\"contact\" must be an array of URLs");
  for (const auto& c : payload["contact"]) {
    if (!c.is_string()) return fail(ErrorKind::InvalidContact, "each contact must be a string URL");
    std::string v = c.get<std::string>();
    // A URI scheme is case-insensitive (RFC 3986 §3.1): MAILTO: is mailto:, stored in that form.
    if (v.size() < 7 || util::to_lower(v.substr(0, 7)) != "mailto:")
      return fail(ErrorKind::UnsupportedContact, "contact \"" + v + "\" is not supported: only mailto: URLs are");
    v.replace(0, 7, "mailto:");
    const std::string addr = v.substr(7);
    const auto at = addr.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= addr.size() || addr.find_first_of(",?& <>\"") != std::string::npos ||
        addr.find('.', at) == std::string::npos)
      return fail(ErrorKind::InvalidContact, "contact \"" + v + "\" is not a single valid email address");
    out.push_back(v);
  }
  return out;
}

Result<std::optional<TimePoint>> optional_time(const json& payload, const char* key) {
  if (!acme::has_value(payload, key)) return std::optional<TimePoint>();
  if (!payload[key].is_string()) return fail(ErrorKind::Malformed, std::string("\"") + key + "\" must be an RFC 3339 string");
  auto t = util::parse_time(payload[key].get<std::string>());
  if (!t) return fail(ErrorKind::Malformed, std::string("\"") + key + "\": " + t.error().detail);
  return std::optional<TimePoint>(*t);
}

constexpr int max_identifiers_per_order = 100;

audit::Event event_for(std::string type, const acme::Account& acct) {
  audit::Event e;
  e.type = std::move(type);
  e.account_id = acct.id;
  e.binding = acct.binding;
  e.actor = "acme account " + acct.id;
  return e;
}

std::vector<std::string> shown(const std::vector<acme::Identifier>& ids) {
  std::vector<std::string> out;
  for (const auto& i : ids) out.push_back(i.type + ":" + i.value);
  return out;
}

}  // namespace

// ---- accounts

Result<RegistrationAuthority::AccountResult> RegistrationAuthority::new_account(const json& jwk, const json& payload, const std::string& directory,
                                                                               const std::string& url) {
  auto r = create_account(jwk, payload, directory, url);
  if (!r && (r.error().kind == ErrorKind::Unauthorized || r.error().kind == ErrorKind::ExternalAccountRequired)) {
    // A refused registration is a trust decision too: which key, which EAB key id, why.
    audit::Event ev;
    ev.type = "account.refused";
    ev.decision = "deny";
    ev.actor = "acme newAccount";
    ev.details = {{"reason", r.error().detail}, {"directory", directory}, {"thumbprint", ""}};
    if (auto tp = acme::jwk_thumbprint(jwk)) ev.details["thumbprint"] = *tp;
    if (payload.is_object() && payload.contains("externalAccountBinding")) {
      if (auto eab = acme::parse_eab(payload["externalAccountBinding"])) ev.details["eab_kid"] = eab->kid;
    }
    audit::record(m_store, ev, m_log);
  }
  return r;
}

Result<RegistrationAuthority::AccountResult> RegistrationAuthority::create_account(const json& jwk, const json& payload, const std::string& directory,
                                                                                  const std::string& url) {
  // RFC 8555 §7.3: an account object. An empty payload (POST-as-GET, which reads a resource that
  // exists) arrives here as null.
  if (!payload.is_object())
    return fail(ErrorKind::Malformed, "the newAccount payload must be a JSON object (send {} at the least; an empty payload is POST-as-GET, which fetches an existing resource)");
  const auto pol = policy();
  const policy::Directory* dir = directory.empty() ? nullptr : pol->directory(directory);
  if (!directory.empty() && !dir) return fail(ErrorKind::NotFound, "the policy has no ACME directory \"" + directory + "\" (any more)");
  const bool eab_required = dir ? dir->external_account_required : m_cfg.external_account_required;
  const std::string& account_url = url.empty() ? m_cfg.new_account_url : url;
  PKI_TRY_ASSIGN(auto key, acme::jwk_to_key(jwk));
  PKI_TRY(policy::check_key(key));
  PKI_TRY_ASSIGN(auto thumbprint, acme::jwk_thumbprint(jwk));
  PKI_TRY_ASSIGN(auto existing, m_store.account_by_thumbprint(thumbprint));
  if (existing) {
    if (existing->status == Status::Deactivated) return fail(ErrorKind::Unauthorized, "the account of this key is deactivated");
    return AccountResult{*existing, false};
  }
  PKI_TRY_ASSIGN(const bool only_existing, acme::optional_bool(payload, "onlyReturnExisting"));
  if (only_existing) return fail(ErrorKind::AccountDoesNotExist, "no account exists for this key (onlyReturnExisting was set)");
  PKI_TRY_ASSIGN(auto contacts, parse_contacts(payload));
  PKI_TRY_ASSIGN(const bool agreed, acme::optional_bool(payload, "termsOfServiceAgreed"));
  if (m_cfg.terms_of_service_required && !agreed)
    return fail(ErrorKind::UserActionRequired, "agree to the terms of service (termsOfServiceAgreed: true) to create an account");
  PKI_TRY_ASSIGN(auto as_written, acme::required_members(jwk));
  acme::Account a;
  a.id = acme::new_object_id();
  a.status = Status::Valid;
  a.contact = contacts;
  a.jwk = std::move(as_written);
  a.thumbprint = thumbprint;
  a.tos_agreed = agreed;
  a.created = m_clock.now();
  // RFC 8555 §7.3.4: External Account Binding binds the new account to a key handed out of band.
  std::string eab_kid;
  if (payload.contains("externalAccountBinding")) {
    PKI_TRY_ASSIGN(auto eab, acme::parse_eab(payload["externalAccountBinding"]));
    if (eab.url != account_url)
      return fail(ErrorKind::Malformed, "externalAccountBinding url is \"" + eab.url + "\", not " + account_url);
    if (eab.payload != jwk) return fail(ErrorKind::Malformed, "externalAccountBinding payload must be the account's JWK (the jwk of this request)");
    if (!m_cfg.eab_sealing) return fail(ErrorKind::Unauthorized, "this server has no External Account Binding keys");
    PKI_TRY_ASSIGN(auto key, m_store.eab_by_kid(eab.kid));
    if (!key) return fail(ErrorKind::Unauthorized, "unknown EAB key id \"" + eab.kid + "\"");
    auto hmac = acme::unseal(*m_cfg.eab_sealing, key->sealed_hmac, key->kid);
    if (!hmac) return fail(ErrorKind::Internal, hmac.error().detail);
    PKI_TRY(acme::verify_eab_mac(eab, *hmac));
    if (key->revoked_at) return fail(ErrorKind::Unauthorized, "EAB key " + key->kid + " was revoked");
    if (key->expires && *key->expires <= m_clock.now()) return fail(ErrorKind::Unauthorized, "EAB key " + key->kid + " expired " + util::format_time(*key->expires));
    if (key->single_use && key->uses > 0) return fail(ErrorKind::Unauthorized, "EAB key " + key->kid + " was single-use and is spent");
    if (dir && std::find(dir->bindings.begin(), dir->bindings.end(), key->binding) == dir->bindings.end())
      return fail(ErrorKind::Unauthorized, "EAB key " + key->kid + " belongs to binding " + key->binding + ", which directory " + dir->name +
                                               " does not serve; use that binding's directory");
    eab_kid = key->kid;
    a.binding = key->binding;
  } else if (dir && !eab_required) {
    if (dir->default_binding.empty())
      return fail(ErrorKind::ExternalAccountRequired, "directory " + dir->name + " has no default binding: register with an EAB key (pkictl eab create)");
    a.binding = dir->default_binding;  // bound for life, like an EAB binding
  } else if (eab_required) {
    return fail(ErrorKind::ExternalAccountRequired, "this server requires External Account Binding: ask the CA operators for a key id and HMAC key "
                                                    "(pkictl eab create) and register with them");
  }
  auto created = event_for("account.created", a);
  created.details = {{"key", key.info().describe()}, {"thumbprint", thumbprint}, {"contacts", a.contact}, {"eab_kid", eab_kid},
                     {"directory", directory}, {"terms_of_service_agreed", agreed}};
  auto inserted = eab_kid.empty() ? m_store.insert_account(a, &created) : m_store.insert_account_with_eab(a, eab_kid, &created);
  if (!inserted) {
    // A concurrent newAccount with the same key won: return that one.
    if (inserted.error().kind == ErrorKind::Conflict) {
      PKI_TRY_ASSIGN(auto winner, m_store.account_by_thumbprint(thumbprint));
      if (winner) return AccountResult{*winner, false};
    }
    return fail(std::move(inserted).error());
  }
  m_log.info("account created", {{"account", a.id}, {"key", key.info().describe()}, {"contacts", a.contact.size()}, {"binding", a.binding}, {"eab_kid", eab_kid},
                                 {"directory", directory}});
  note_unusual_jwk(a);
  return AccountResult{a, true};
}

Result<acme::Account> RegistrationAuthority::account(const std::string& id) {
  PKI_TRY_ASSIGN(auto a, m_store.account_by_id(id));
  if (!a) return fail(ErrorKind::AccountDoesNotExist, "no account " + id + " exists on this server");
  return *a;
}

Result<acme::Account> RegistrationAuthority::update_account(const acme::Account& acct, const json& payload) {
  if (!payload.is_object() || payload.empty()) return acct;
  acme::Account a = acct;
  if (acme::has_value(payload, "status")) {
    if (payload["status"] != "deactivated") return fail(ErrorKind::Malformed, "an account's status can only be set to \"deactivated\"");
    a.status = Status::Deactivated;
  }
  if (acme::has_value(payload, "contact")) {
    PKI_TRY_ASSIGN(a.contact, parse_contacts(payload));
  }
  auto ev = event_for(a.status == Status::Deactivated ? "account.deactivated" : "account.updated", a);
  ev.details = {{"contacts", a.contact}, {"status", acme::to_string(a.status)}};
  PKI_TRY(m_store.update_account(a, &ev));
  m_log.info(a.status == Status::Deactivated ? "account deactivated" : "account updated", {{"account", a.id}});
  return a;
}

Result<acme::Account> RegistrationAuthority::change_key(const acme::Account& acct, const json& new_jwk) {
  PKI_TRY_ASSIGN(auto key, acme::jwk_to_key(new_jwk));
  PKI_TRY(policy::check_key(key));
  PKI_TRY_ASSIGN(auto tp, acme::jwk_thumbprint(new_jwk));
  PKI_TRY_ASSIGN(auto other, m_store.account_by_thumbprint(tp));
  if (other) return fail(ErrorKind::Conflict, "the new key is already the key of account " + other->id);
  PKI_TRY_ASSIGN(auto as_written, acme::required_members(new_jwk));
  acme::Account a = acct;
  a.jwk = std::move(as_written);
  a.thumbprint = tp;
  auto ev = event_for("account.key_changed", a);
  ev.details = {{"old_thumbprint", acct.thumbprint}, {"new_thumbprint", tp}, {"key", key.info().describe()}};
  PKI_TRY(m_store.update_account(a, &ev));
  m_log.info("account key changed", {{"account", a.id}});
  note_unusual_jwk(a);
  return a;
}

std::string RegistrationAuthority::key_authorization(const acme::Account& acct, const std::string& token) {
  return token + "." + acme::thumbprint_as_written(acct.jwk);
}

void RegistrationAuthority::note_unusual_jwk(const acme::Account& a) {
  if (const auto written = acme::thumbprint_as_written(a.jwk); written != a.thumbprint)
    m_log.warn("account key JWK is not in RFC 7518 form (a value has too few or too many leading zero octets); accepted, with the client's own thumbprint in key authorizations",
               {{"account", a.id}, {"thumbprint", a.thumbprint}, {"client_thumbprint", written}});
}

// ---- orders

Result<acme::Order> RegistrationAuthority::new_order(const acme::Account& acct, const json& payload) {
  if (!payload.is_object() || !payload.contains("identifiers") || !payload["identifiers"].is_array() || payload["identifiers"].empty())
    return fail(ErrorKind::Malformed, "newOrder needs a non-empty \"identifiers\" array");
  if (payload["identifiers"].size() > max_identifiers_per_order)
    return fail(ErrorKind::RejectedIdentifier, "an order may name at most " + std::to_string(max_identifiers_per_order) + " identifiers");
  // Step 1: the account's binding and the profile; then each identifier's syntax, challenge
  // types and policy decision, collecting every refusal.
  const auto pol = policy();  // one policy for the whole request, even across a reload
  auto binding_r = pol->binding_for(acct.binding);
  if (!binding_r) return deny(acct, "binding", std::move(binding_r).error());
  const policy::Binding& binding = **binding_r;
  std::string requested_profile;
  if (acme::has_value(payload, "profile")) {
    if (!payload["profile"].is_string()) return fail(ErrorKind::Malformed, "\"profile\" must be a string naming one of the directory's meta.profiles");
    requested_profile = payload["profile"].get<std::string>();
  }
  auto profile_r = pol->profile_for(binding, requested_profile);
  if (!profile_r) return deny(acct, "profile", std::move(profile_r).error());
  const policy::Profile& profile = **profile_r;
  std::set<acme::Identifier> idents;
  Error refused{ErrorKind::RejectedIdentifier, "", {}, {}, {}};
  std::vector<std::string> rule_ids;
  json allowed_by = json::array();
  for (const auto& j : payload["identifiers"]) {
    auto ident = acme::normalise_identifier(j);
    if (!ident) {
      if (ident.error().kind == ErrorKind::Malformed) {
        // Refused as a whole, but the subproblem still names the identifier (RFC 8555 §6.7.1).
        Error e = std::move(ident).error();
        if (j.is_object() && j.contains("type") && j["type"].is_string() && j.contains("value") && j["value"].is_string())
          e.sub_errors.push_back({e.kind, j["type"].get<std::string>(), j["value"].get<std::string>(), e.detail});
        return fail(std::move(e));
      }
      refused.sub_errors.push_back({ident.error().kind, j.value("type", ""), j.value("value", ""), ident.error().detail});
      rule_ids.push_back(std::string(to_string(ident.error().kind)));
      continue;
    }
    if (const auto why = why_no_challenge(*ident, binding); !why.empty()) {
      refused.sub_errors.push_back({ErrorKind::RejectedIdentifier, ident->type, ident->value, why});
      rule_ids.push_back("challenges");
      continue;
    }
    const auto decision = pol->judge(binding, *ident);
    if (!decision.allowed) {
      refused.sub_errors.push_back({ErrorKind::RejectedIdentifier, ident->type, ident->value,
                                    ident->type + ":" + ident->value + " refused for binding " + binding.name + " by " + decision.rule});
      rule_ids.push_back(decision.rule_id);
      continue;
    }
    allowed_by.push_back({{"identifier", ident->type + ":" + ident->value}, {"rule", decision.rule}});
    idents.insert(*ident);
  }
  if (!refused.sub_errors.empty()) {
    // The top-level type is the sub-problems' when they agree (e.g. all unsupportedIdentifier).
    const ErrorKind first = refused.sub_errors.front().kind;
    if (std::all_of(refused.sub_errors.begin(), refused.sub_errors.end(), [&](const SubError& s) { return s.kind == first; }))
      refused.kind = first;
    refused.detail = refused.sub_errors.size() == 1 ? refused.sub_errors.front().detail
                                                    : std::to_string(refused.sub_errors.size()) + " identifiers were refused (see subproblems)";
    json subs = json::array();
    for (const auto& s : refused.sub_errors) subs.push_back(s.identifier_type + ":" + s.identifier_value + ": " + s.detail);
    m_log.info("order refused", {{"account", acct.id}, {"binding", binding.name}, {"reason", refused.detail}, {"refusals", subs}});
    auto ev = event_for("order.refused", acct);
    ev.decision = "deny";
    ev.binding = binding.name;
    for (const auto& s : refused.sub_errors) ev.identifiers.push_back(s.identifier_type + ":" + s.identifier_value);
    ev.details = {{"refusals", subs}, {"rules", rule_ids}, {"profile", profile.name}};
    audit::record(m_store, ev, m_log);
    for (const auto& r : rule_ids) metrics::registry().inc("pkictl_policy_denials_total", {{"rule", r}});
    return fail(std::move(refused));
  }
  // Step 2: requested validity.
  PKI_TRY_ASSIGN(auto nb, optional_time(payload, "notBefore"));
  PKI_TRY_ASSIGN(auto na, optional_time(payload, "notAfter"));
  const TimePoint now = m_clock.now();
  if (nb && na && *na <= *nb) return fail(ErrorKind::Malformed, "notAfter must be after notBefore");
  if (na && *na <= now) return fail(ErrorKind::Malformed, "notAfter is in the past");
  const TimePoint start = nb ? *nb : now;
  const auto lifetimes = policy::Policy::lifetimes(binding, profile, m_cfg.default_cert_lifetime, m_cfg.max_cert_lifetime);
  if (na && *na - start > lifetimes.max_lifetime)
    return fail(ErrorKind::Malformed, "the requested lifetime exceeds the maximum of " + util::format_duration(lifetimes.max_lifetime) +
                                          " for binding " + binding.name + " and profile " + profile.name);
  if (nb && *nb > now + m_cfg.order_lifetime) return fail(ErrorKind::Malformed, "notBefore is too far in the future");

  acme::Order o;
  o.account_id = acct.id;
  o.identifiers.assign(idents.begin(), idents.end());
  o.not_before = nb;
  o.not_after = na;
  o.profile = profile.name;
  // RFC 9773 §5: "replaces" names a certificate of this account that nothing else replaces yet.
  if (acme::has_value(payload, "replaces")) {
    if (!payload["replaces"].is_string()) return fail(ErrorKind::Malformed, "\"replaces\" must be a certificate identifier string");
    const std::string rid = payload["replaces"].get<std::string>();
    PKI_TRY_ASSIGN(auto cid, acme::parse_ari_cert_id(rid));
    PKI_TRY_ASSIGN(auto old, m_store.certificate_by_serial(cid.aki_hex, cid.serial_hex));
    if (!old) return fail(ErrorKind::Malformed, "\"replaces\": this server issued no certificate " + rid);
    if (old->account_id != acct.id) return fail(ErrorKind::Unauthorized, "\"replaces\": certificate " + rid + " belongs to another account");
    PKI_TRY_ASSIGN(bool taken, m_store.replacement_exists(cid.text));
    if (taken) return fail(ErrorKind::AlreadyReplaced, "certificate " + rid + " is already being replaced by another order");
    o.replaces = cid.text;
  }
  // Step 3: an identical open order is returned instead of a new one (clients retry newOrder).
  if (!nb && !na && o.replaces.empty()) {
    PKI_TRY_ASSIGN(auto open, m_store.find_open_order(acct.id, o.identifiers_key(), now));
    if (open) return refresh(*open);
  }
  // Step 4: the binding's rate limit counts new orders only (a reused open order is free).
  if (binding.orders_per_hour > 0) {
    PKI_TRY_ASSIGN(int recent, m_store.count_orders_since(acct.id, now - std::chrono::hours(1)));
    if (recent >= binding.orders_per_hour)
      return deny(acct, "bindings." + binding.name + ".orders_per_hour",
                  Error{ErrorKind::RateLimited, "binding " + binding.name + " allows " + std::to_string(binding.orders_per_hour) +
                                                    " new orders per hour per account (" + pol->source() + "); this account made " + std::to_string(recent) +
                                                    " in the last hour: retry later", {}, {}, std::chrono::seconds(60)});
  }
  // Step 5: reuse authorizations, create the missing ones.
  o.id = acme::new_object_id();
  o.created = now;
  o.expires = now + m_cfg.order_lifetime;
  std::vector<acme::Authorization> fresh;
  for (const auto& ident : o.identifiers) {
    // RFC 8555 §7.1.4: a wildcard's authorization names the base domain and says "wildcard".
    const bool wildcard = ident.wildcard();
    const acme::Identifier base = ident.base();
    PKI_TRY_ASSIGN(auto existing, m_store.reusable_authz(acct.id, base, wildcard, now));
    if (existing) {
      o.authz_ids.push_back(existing->id);
      o.expires = std::min(o.expires, existing->expires);
      continue;
    }
    acme::Authorization a;
    a.id = acme::new_object_id();
    a.account_id = acct.id;
    a.identifier = base;
    a.wildcard = wildcard;
    a.status = Status::Pending;
    a.expires = now + m_cfg.authz_lifetime;
    for (const auto& type : offered_types(ident, binding)) {
      PKI_TRY_ASSIGN(auto token, crypto::random_bytes(32));
      a.challenges.push_back({acme::new_object_id(), a.id, type, util::base64url_encode(token), Status::Pending, std::nullopt, std::nullopt});
    }
    o.authz_ids.push_back(a.id);
    fresh.push_back(std::move(a));
  }
  auto ev = event_for("order.created", acct);
  ev.decision = "allow";
  ev.binding = binding.name;
  ev.identifiers = shown(o.identifiers);
  ev.details = {{"order", o.id}, {"profile", profile.name}, {"decisions", allowed_by}, {"new_authorizations", fresh.size()}, {"replaces", o.replaces}};
  PKI_TRY(m_store.insert_order(o, fresh, &ev));
  m_log.info("order created", {{"account", acct.id}, {"order", o.id}, {"identifiers", ev.identifiers}, {"new_authzs", fresh.size()}, {"binding", binding.name},
                               {"profile", profile.name}});
  return refresh(o);
}

Result<std::vector<acme::Authorization>> RegistrationAuthority::authzs_of(const acme::Order& o) {
  std::vector<acme::Authorization> out;
  for (const auto& id : o.authz_ids) {
    PKI_TRY_ASSIGN(auto a, m_store.authz_by_id(id));
    if (a) out.push_back(*a);
  }
  return out;
}

Result<acme::Order> RegistrationAuthority::refresh(acme::Order o) {
  PKI_TRY_ASSIGN(auto authzs, authzs_of(o));
  const Status derived = acme::derive_order_status(o, authzs, m_clock.now());
  if (derived != o.status && (o.status == Status::Pending || o.status == Status::Ready)) {
    PKI_TRY_ASSIGN(bool moved, m_store.transition_order(o.id, o.status, derived, std::nullopt));
    if (moved) m_log.info("order status", {{"order", o.id}, {"from", acme::to_string(o.status)}, {"to", acme::to_string(derived)}});
    PKI_TRY_ASSIGN(auto fresh, m_store.order_by_id(o.id));
    if (fresh) return *fresh;
  }
  return o;
}

Result<acme::Order> RegistrationAuthority::order(const acme::Account& acct, const std::string& id) {
  PKI_TRY_ASSIGN(auto o, m_store.order_by_id(id));
  if (!o) return fail(ErrorKind::NotFound, "no order " + id);
  if (o->account_id != acct.id) return fail(ErrorKind::Unauthorized, "order " + id + " belongs to another account");
  return refresh(*o);
}

Result<std::vector<std::string>> RegistrationAuthority::order_ids(const acme::Account& acct, const std::string& after, int limit) {
  if (!after.empty()) {
    PKI_TRY_ASSIGN(auto o, m_store.order_by_id(after));
    if (!o || o->account_id != acct.id)
      return fail(ErrorKind::Malformed, "the orders list cursor \"" + after + "\" names no order of this account; start again from the account's orders URL");
  }
  return m_store.list_orders(acct.id, after, m_clock.now(), limit);
}

Result<acme::Authorization> RegistrationAuthority::authorization(const acme::Account& acct, const std::string& id) {
  PKI_TRY_ASSIGN(auto a, m_store.authz_by_id(id));
  if (!a) return fail(ErrorKind::NotFound, "no authorization " + id);
  if (a->account_id != acct.id) return fail(ErrorKind::Unauthorized, "authorization " + id + " belongs to another account");
  a->status = a->effective_status(m_clock.now());
  for (auto& c : a->challenges) show_running(c);
  return *a;
}

Result<acme::Authorization> RegistrationAuthority::deactivate_authorization(const acme::Account& acct, const std::string& id) {
  PKI_TRY_ASSIGN(auto a, authorization(acct, id));
  if (a.status != Status::Pending && a.status != Status::Valid)
    return fail(ErrorKind::Malformed, "only pending or valid authorizations can be deactivated (this one is " + std::string(acme::to_string(a.status)) + ")");
  auto ev = event_for("authorization.deactivated", acct);
  ev.identifiers = {a.identifier.type + ":" + a.identifier.value};
  ev.details = {{"authorization", id}};
  PKI_TRY(m_store.transition_authz(id, a.status, Status::Deactivated, &ev));
  m_log.info("authorization deactivated", {{"account", acct.id}, {"authz", id}});
  return authorization(acct, id);
}

Result<std::pair<acme::Challenge, acme::Authorization>> RegistrationAuthority::challenge_of(const acme::Account& acct, const std::string& id) {
  PKI_TRY_ASSIGN(auto c, m_store.challenge_by_id(id));
  if (!c) return fail(ErrorKind::NotFound, "no challenge " + id);
  PKI_TRY_ASSIGN(auto a, authorization(acct, c->authz_id));
  show_running(*c);
  return std::make_pair(std::move(*c), std::move(a));
}

Result<acme::Challenge> RegistrationAuthority::challenge(const acme::Account& acct, const std::string& id) {
  PKI_TRY_ASSIGN(auto both, challenge_of(acct, id));
  return std::move(both.first);
}

Result<acme::Challenge> RegistrationAuthority::respond_challenge(const acme::Account& acct, const std::string& id, bool trigger) {
  PKI_TRY_ASSIGN(auto both, challenge_of(acct, id));
  auto& [c, a] = both;
  if (!trigger || c.status != Status::Pending) return c;  // idempotent: the current state
  if (a.status != Status::Pending)
    return fail(ErrorKind::Malformed, "the authorization is " + std::string(acme::to_string(a.status)) + "; its challenges can no longer be answered");
  const acme::Identifier as_ordered{a.identifier.type, (a.wildcard ? "*." : "") + a.identifier.value};
  const auto pol = policy();
  PKI_TRY_ASSIGN(const policy::Binding* binding, pol->binding_for(acct.binding));
  const auto offered = offered_types(as_ordered, *binding);
  if (std::find(offered.begin(), offered.end(), c.type) == offered.end())
    return fail(ErrorKind::Unauthorized, "challenge type " + c.type + " is not offered for this identifier");
  if (!m_queue) return fail(ErrorKind::Internal, "no validator is running");
  // Claimed in memory: the challenge becomes processing on disk only if its answer goes out
  // before the outcome (still_validating). Until the client has an answer, a crash loses
  // nothing it was told: the challenge is pending, and the client answers it again.
  if (!validation_started(id)) return challenge(acct, id);  // another request started it
  auto queued = m_queue->enqueue({c, a.identifier, a.wildcard, m_cfg.account_uri_prefix + acct.id, key_authorization(acct, c.token),
                                  audit::current_request_id(), acct.id});
  if (!queued) {
    validation_ended(id);
    return fail(std::move(queued).error());
  }
  m_log.info("challenge processing", {{"account", acct.id}, {"challenge", id}, {"type", c.type},
                                      {"identifier", a.identifier.type + ":" + a.identifier.value}});
  c.status = Status::Processing;
  return c;
}

Result<int> RegistrationAuthority::resume_validations() {
  if (!m_queue) return fail(ErrorKind::Internal, "no validator is running");
  PKI_TRY_ASSIGN(auto pending, m_store.processing_challenges());
  int n = 0;
  for (const auto& c : pending) {
    PKI_TRY_ASSIGN(auto a, m_store.authz_by_id(c.authz_id));
    if (!a) continue;
    PKI_TRY_ASSIGN(auto acct, m_store.account_by_id(a->account_id));
    if (!acct) continue;
    if (!validation_started(c.id)) continue;
    if (auto q = m_queue->enqueue({c, a->identifier, a->wildcard, m_cfg.account_uri_prefix + acct->id, key_authorization(*acct, c.token), "", acct->id});
        !q) {
      validation_ended(c.id);
      return fail(std::move(q).error());
    }
    ++n;
  }
  if (n) m_log.info("interrupted validations resumed", {{"count", n}});
  return n;
}

void RegistrationAuthority::complete_validation(const ValidationJob& job, const ValidationOutcome& outcome) {
  acme::Challenge ch = job.challenge;
  ch.status = outcome.valid ? Status::Valid : Status::Invalid;
  ch.validated = m_clock.now();
  ch.error = outcome.problem;
  audit::Event ev;
  ev.type = "challenge.validated";
  ev.decision = outcome.valid ? "allow" : "deny";
  ev.actor = "validator";
  ev.details = {{"challenge", ch.id}, {"authorization", ch.authz_id}, {"type", ch.type}, {"valid", outcome.valid},
                {"problem", outcome.problem ? *outcome.problem : json()}, {"evidence", outcome.records}};
  ev.account_id = job.account_id;
  ev.identifiers = {job.identifier.type + ":" + (job.wildcard ? "*." : "") + job.identifier.value};
  // Nobody waits for this write to reach the disk: whoever reads it next (the held answer to the
  // challenge, a client polling the authorization) waits for the sync that covers it. A crash
  // before then leaves the challenge pending if no answer went out (the client answers again), or
  // processing if one did, to be validated again at start (resume_validations).
  m_store.begin_deferred();
  auto r = m_store.record_validation(ch, ch.status, &ev);
  (void)m_store.end_deferred();
  m_log.write(outcome.valid ? log::Level::Info : log::Level::Warn, "validation finished",
              {{"challenge", ch.id}, {"authz", ch.authz_id}, {"type", ch.type}, {"valid", outcome.valid},
               {"problem", outcome.problem ? *outcome.problem : json()}, {"records", outcome.records},
               {"stored", r.has_value()}});
  validation_ended(ch.id);
}

bool RegistrationAuthority::validation_started(const std::string& id) {
  std::lock_guard lock(m_running_mutex);
  return m_running.try_emplace(id).second;
}

bool RegistrationAuthority::validation_running(const std::string& id) {
  std::lock_guard lock(m_running_mutex);
  return m_running.count(id) != 0;
}

void RegistrationAuthority::show_running(acme::Challenge& c) {
  if (c.status == Status::Pending && validation_running(c.id)) c.status = Status::Processing;
}

Result<void> RegistrationAuthority::still_validating(const std::string& id) {
  if (!validation_running(id)) return {};
  // From pending only: an outcome recorded meanwhile (valid or invalid) stays.
  PKI_TRY(m_store.transition_challenge(id, Status::Pending, Status::Processing));
  return {};
}

void RegistrationAuthority::validation_ended(const std::string& id) {
  std::vector<std::function<void()>> waiting;
  {
    std::lock_guard lock(m_running_mutex);
    const auto it = m_running.find(id);
    if (it == m_running.end()) return;
    waiting = std::move(it->second);
    m_running.erase(it);
  }
  for (auto& done : waiting) done();
}

void RegistrationAuthority::when_validated(const std::string& id, std::function<void()> done) {
  {
    std::lock_guard lock(m_running_mutex);
    const auto it = m_running.find(id);
    if (it != m_running.end()) {
      it->second.push_back(std::move(done));
      return;
    }
  }
  done();
}

// ---- finalize and certificates

Result<void> RegistrationAuthority::check_csr_matches(const acme::Order& o, const x509::VerifiedCsr& csr) {
  // RFC 8555 §7.4: "The CSR MUST indicate the exact same set of requested identifiers as the
  // initial newOrder request."
  std::set<acme::Identifier> in_csr;
  for (const auto& san : csr.requested_sans()) {
    if (san.type == x509::GeneralNameType::Dns) in_csr.insert({"dns", util::to_lower(san.value)});
    else if (san.type == x509::GeneralNameType::Ip) in_csr.insert({"ip", san.value});
    else return fail(ErrorKind::BadCsr, "the CSR requests a " + std::string(x509::to_string(san.type)) + " name, which ACME orders cannot authorize");
  }
  const std::set<acme::Identifier> ordered(o.identifiers.begin(), o.identifiers.end());
  const std::string cn = util::to_lower(csr.common_name());
  if (!cn.empty()) {
    const bool is_ip = x509::ip_bytes(cn).has_value();
    const acme::Identifier cn_ident{is_ip ? "ip" : "dns", is_ip ? *x509::canonical_ip(cn) : cn};
    if (!ordered.count(cn_ident)) return fail(ErrorKind::BadCsr, "the CSR's common name \"" + cn + "\" is not one of the order's identifiers");
    in_csr.insert(cn_ident);
  }
  if (in_csr != ordered) {
    std::string missing, extra;
    for (const auto& i : ordered) if (!in_csr.count(i)) missing += " " + i.type + ":" + i.value;
    std::string hint;
    for (const auto& i : in_csr) {
      if (ordered.count(i)) continue;
      extra += " " + i.type + ":" + i.value;
      if (i.type == "dns" && i.value.ends_with('.') && hint.empty())
        hint = " (\"" + i.value + "\" ends in a dot: name it in the CSR without the trailing dot)";
    }
    return fail(ErrorKind::BadCsr, "the CSR's identifiers differ from the order's" + (missing.empty() ? "" : "; missing:" + missing) +
                                       (extra.empty() ? "" : "; not in the order:" + extra) + hint);
  }
  return {};
}

Result<x509::CertificateSpec> RegistrationAuthority::certificate_spec(const acme::Order& o, const x509::VerifiedCsr& csr, const policy::Binding& binding,
                                                                      const policy::Profile& profile) {
  const auto& issuer = m_ca.issuer->certificate();
  x509::CertificateSpec spec;
  // The subject CN: the one the CSR asked for (check_csr_matches made sure it is one of the
  // order's identifiers), as cert-manager's commonName and every CSR-writing client expect, or
  // else the first DNS identifier. Never an IP address, nor a name over the CN's 64 characters.
  std::string cn;
  const std::string asked = util::to_lower(csr.common_name());
  for (const auto& i : o.identifiers) {
    spec.sans.push_back({i.type == "dns" ? x509::GeneralNameType::Dns : x509::GeneralNameType::Ip, i.value});
    if (i.type == "dns" && i.value.size() <= 64 && (cn.empty() || i.value == asked)) cn = i.value;
  }
  if (!profile.keep_cn) cn.clear();
  if (!cn.empty()) {
    PKI_TRY_ASSIGN(spec.subject_der, x509::parse_name("CN=" + cn));
  } else {
    spec.subject_der = x509::empty_name_der();
    spec.sans_critical = true;  // RFC 5280 §4.2.1.6: critical when the subject is empty
  }
  spec.basic_constraints = x509::BasicConstraints{false, std::nullopt};
  spec.key_usage = profile.key_usage ? profile.key_usage : x509::DigitalSignature | (csr.public_key().info().algorithm == "RSA" ? x509::KeyEncipherment : 0u);
  spec.subject_spki = csr.spki();  // as the subject sent it, not re-encoded
  spec.extended_key_usage = profile.ext_key_usage;
  spec.policy_oids = profile.policy_oids;
  const auto lifetimes = policy::Policy::lifetimes(binding, profile, m_cfg.default_cert_lifetime, m_cfg.max_cert_lifetime);
  const TimePoint now = m_clock.now();
  spec.not_before = o.not_before ? *o.not_before : std::max(now - m_cfg.backdate, issuer.not_before());
  spec.not_after = o.not_after ? *o.not_after : spec.not_before + lifetimes.default_lifetime;
  if (spec.not_after > issuer.not_after()) spec.not_after = issuer.not_after();
  if (!m_cfg.crl_url.empty() && spec.not_after - spec.not_before >= m_cfg.crl_exempt_below)
    spec.crl_distribution_points = {m_cfg.crl_url};
  if (!m_cfg.ca_issuers_url.empty()) spec.ca_issuers_urls = {m_cfg.ca_issuers_url};
  return spec;
}

std::vector<std::string> RegistrationAuthority::offered_types(const acme::Identifier& ident, const policy::Binding& binding) const {
  auto types = m_challenges.offered(ident);
  std::erase_if(types, [&](const std::string& t) { return !binding.allows_challenge(t); });
  return types;
}

std::string RegistrationAuthority::why_no_challenge(const acme::Identifier& ident, const policy::Binding& binding) const {
  if (auto why = m_challenges.why_none(ident); !why.empty()) return why;
  if (!offered_types(ident, binding).empty()) return {};
  return "binding " + binding.name + " may use only " + util::join(binding.challenges) + ", and none of them can validate " + ident.type + ":" + ident.value;
}

Result<acme::Order> RegistrationAuthority::deny(const acme::Account& acct, const std::string& rule, Error e) {
  metrics::registry().inc("pkictl_policy_denials_total", {{"rule", rule}});
  m_log.info("policy refused", {{"account", acct.id}, {"binding", acct.binding}, {"rule", rule}, {"reason", e.detail}});
  auto ev = event_for("policy.refused", acct);
  ev.decision = "deny";
  ev.details = {{"rule", rule}, {"reason", e.detail}, {"problem", std::string(to_string(e.kind))}};
  audit::record(m_store, ev, m_log);
  return fail(std::move(e));
}

Result<acme::Order> RegistrationAuthority::fail_order(acme::Order o, const Error& e) {
  const json problem = acme::problem_json(e);
  audit::Event ev;
  ev.type = "order.invalid";
  ev.decision = e.kind == ErrorKind::LintFailed ? "deny" : "";
  ev.account_id = o.account_id;
  ev.identifiers = shown(o.identifiers);
  ev.actor = e.kind == ErrorKind::LintFailed ? "pre-issuance lint" : "issuer";
  ev.details = {{"order", o.id}, {"problem", problem}};
  // From where it is: processing once claimed, ready (or pending) if the lint refused it first.
  (void)m_store.transition_order(o.id, o.status, Status::Invalid, problem, &ev);
  metrics::registry().inc("pkictl_orders_total", {{"state", "invalid"}});
  m_log.error("issuance failed", {{"order", o.id}, {"error", e.detail}, {"internal", e.internal}});
  return fail(e);
}

Result<acme::Order> RegistrationAuthority::finalize(const acme::Account& acct, const std::string& order_id, std::string_view csr_der) {
  // Step 1: the order is this account's and ready — stored so, or pending with every authorization
  // valid now (then claimed straight from pending in step 5); repeats of a finished finalize get
  // the order.
  PKI_TRY_ASSIGN(auto stored, m_store.order_by_id(order_id));
  if (!stored) return fail(ErrorKind::NotFound, "no order " + order_id);
  if (stored->account_id != acct.id) return fail(ErrorKind::Unauthorized, "order " + order_id + " belongs to another account");
  acme::Order o = std::move(*stored);
  Status derived = o.status;
  if (o.status == Status::Pending || o.status == Status::Ready) {
    PKI_TRY_ASSIGN(auto authzs, authzs_of(o));
    derived = acme::derive_order_status(o, authzs, m_clock.now());
    if (derived != Status::Ready) {
      PKI_TRY_ASSIGN(o, refresh(o));  // record what it is now (e.g. invalid)
    }
  }
  if (o.status == Status::Processing || o.status == Status::Valid) return o;
  if (derived != Status::Ready)
    return fail(ErrorKind::OrderNotReady, "the order is " + std::string(acme::to_string(o.status)) +
                                              (o.status == Status::Pending ? "; complete its authorizations first" : ""));
  // Step 2: the policy again (it may have been reloaded since newOrder): binding, profile.
  const auto pol = policy();
  auto binding_r = pol->binding_for(acct.binding);
  if (!binding_r) return deny(acct, "binding", std::move(binding_r).error());
  const policy::Binding& binding = **binding_r;
  auto profile_r = pol->profile_for(binding, o.profile);
  if (!profile_r) return deny(acct, "profile", std::move(profile_r).error());
  const policy::Profile& profile = **profile_r;
  // Step 3: the CSR — signature, key, identifiers.
  PKI_TRY_ASSIGN(auto untrusted, x509::UntrustedCsr::parse(csr_der));
  PKI_TRY_ASSIGN(auto csr, untrusted.verify());
  if (auto k = pol->check_key(profile, csr.public_key()); !k) return fail(Error{ErrorKind::BadCsr, "CSR key: " + k.error().detail, {}, {}, {}});
  PKI_TRY_ASSIGN(auto acct_key, account_key(acct));
  if (csr.public_key().equals(acct_key)) return fail(ErrorKind::BadCsr, "the CSR must not use the account key");
  PKI_TRY_ASSIGN(auto blocked, m_store.key_blocked(util::to_hex(csr.spki_fingerprint())));
  if (blocked) return fail(ErrorKind::BadPublicKey, "the CSR's key was revoked as compromised (" + *blocked + "); generate a new key");
  PKI_TRY(check_csr_matches(o, csr));
  // Step 4: re-judge the identifiers and the lifetime under the policy in force now.
  for (const auto& i : o.identifiers) {
    const auto d = pol->judge(binding, i);
    if (!d.allowed)
      return deny(acct, d.rule_id, Error{ErrorKind::RejectedIdentifier, i.type + ":" + i.value + " is no longer allowed for binding " + binding.name + ": refused by " + d.rule, {}, {}, {}});
  }
  const auto lifetimes = policy::Policy::lifetimes(binding, profile, m_cfg.default_cert_lifetime, m_cfg.max_cert_lifetime);
  if (o.not_after && *o.not_after - (o.not_before ? *o.not_before : m_clock.now()) > lifetimes.max_lifetime)
    return deny(acct, "lifetime", Error{ErrorKind::Malformed, "the order's notAfter exceeds the maximum lifetime now in force (" +
                                                                  util::format_duration(lifetimes.max_lifetime) + ")", {}, {}, {}});
  if (binding.certificates_per_hour > 0) {
    PKI_TRY_ASSIGN(int recent, m_store.count_certificates_since(acct.id, m_clock.now() - std::chrono::hours(1) - m_cfg.backdate));
    if (recent >= binding.certificates_per_hour)
      return deny(acct, "bindings." + binding.name + ".certificates_per_hour",
                  Error{ErrorKind::RateLimited, "binding " + binding.name + " allows " + std::to_string(binding.certificates_per_hour) +
                                                    " certificates per hour per account (" + pol->source() + "): retry later", {}, {}, std::chrono::seconds(60)});
  }
  // Step 5: the certificate. Failures from here on mark the order invalid.
  auto spec = certificate_spec(o, csr, binding, profile);
  if (!spec) return fail_order(o, spec.error());
  const auto sign_start = std::chrono::steady_clock::now();
  // Pre-issuance lint: the exact certificate, against the profile, the issuer and the policy.
  lint::Expectations ex = lint::policy_expectations(*pol, binding, profile, lifetimes.max_lifetime);
  ex.issuer = &m_ca.issuer->certificate();
  ex.check_signature = false;
  ex.key_checked = true;  // the CSR's key, checked in step 3 of this finalize (curve point, ROCA, Fermat, blocked list)
  ex.subject_key = &csr.public_key();
  ex.subject_spki_sha256 = csr.spki_fingerprint();
  std::optional<audit::Event> intent;
  auto pre_issuance = [&](const x509::Certificate& tbs) -> Result<void> {
    const auto findings = lint::lint_certificate(tbs, ex);
    for (const auto& f : findings)
      if (f.severity == lint::Finding::Severity::Warning) m_log.warn("pre-issuance lint warning", {{"order", o.id}, {"lint", f.id}, {"message", f.message}});
    if (!lint::has_errors(findings)) {
      // The intent (serial, TBS hash) is recorded with the claim, before the issuing key signs: a
      // crash between signing and storing leaves this event without its certificate.issued.
      intent = event_for("certificate.intent", acct);
      intent->decision = "allow";
      intent->binding = binding.name;
      intent->identifiers = shown(o.identifiers);
      intent->serial = tbs.serial_hex();
      json warnings = json::array();
      for (const auto& f : findings) warnings.push_back(f.id);
      intent->details = {{"order", o.id}, {"profile", profile.name}, {"tbs_sha256", util::to_hex(crypto::sha256(ossl::to_der(tbs.get(), i2d_re_X509_tbs)))},
                         {"lint_warnings", warnings}};
      return {};
    }
    for (const auto& f : findings)
      if (f.severity == lint::Finding::Severity::Error) metrics::registry().inc("pkictl_lint_failures_total", {{"lint", f.id}});
    return fail(ErrorKind::LintFailed, "pre-issuance lint refused the certificate: " + lint::error_summary(findings));
  };
  // The linted certificate's serial is reserved in one transaction with the claim of the order
  // (only one finalize wins; the others see it processing) and the certificate.intent event.
  IssuanceClaim claim(m_store, m_ca.key_id_hex, o, intent);
  auto cert = m_ca.issuer->issue(*spec, csr.public_key(), claim, pre_issuance);
  if (claim.lost()) return order(acct, order_id);
  if (claim.claimed()) o.status = Status::Processing;
  metrics::registry().observe("pkictl_signing_duration_seconds", {}, std::chrono::duration<double>(std::chrono::steady_clock::now() - sign_start).count());
  if (!cert) return fail_order(o, cert.error());
  acme::CertificateRecord rec;
  rec.id = acme::new_object_id();
  rec.serial_hex = cert->serial_hex();
  rec.issuer_key_id = m_ca.key_id_hex;
  rec.account_id = acct.id;
  rec.order_id = o.id;
  rec.der = cert->der();
  rec.spki_sha256 = util::to_hex(cert->spki_fingerprint());
  rec.not_before = cert->not_before();
  rec.not_after = cert->not_after();
  json sans = json::array();
  for (const auto& s : cert->sans()) sans.push_back(s.display());
  auto ev = event_for("certificate.issued", acct);
  ev.decision = "allow";
  ev.binding = binding.name;
  ev.identifiers = shown(o.identifiers);
  ev.serial = rec.serial_hex;
  ev.details = {{"order", o.id}, {"certificate", rec.id}, {"sans", sans}, {"profile", profile.name}, {"ext_key_usage", profile.ext_key_usage},
                {"not_before", util::format_time(rec.not_before)}, {"not_after", util::format_time(rec.not_after)},
                {"issuer", m_ca.key_id_hex}, {"issuer_subject", m_ca.issuer->certificate().subject_text()},
                {"csr_key", csr.public_key().info().describe()}, {"csr_key_sha256", rec.spki_sha256}};
  if (auto stored = m_store.finish_issuance(rec, &ev); !stored) return fail_order(o, stored.error());
  metrics::registry().inc("pkictl_certificates_issued_total", {{"profile", profile.name}, {"issuer", m_ca.key_id_hex.substr(0, 16)}});
  metrics::registry().inc("pkictl_orders_total", {{"state", "valid"}});
  m_log.info("certificate issued", {{"account", acct.id}, {"order", o.id}, {"serial", rec.serial_hex}, {"sans", sans}, {"binding", binding.name}, {"profile", profile.name},
                                    {"not_after", util::format_time(rec.not_after)}, {"key", csr.public_key().info().describe()}});
  // What finish_issuance stored: valid, with its certificate (no need to read it back).
  o.status = Status::Valid;
  o.certificate_id = rec.id;
  return o;
}

json RegistrationAuthority::readiness() {
  json checks = json::object();
  auto stamp = m_store.revocation_stamp(m_ca.key_id_hex);
  checks["store"] = stamp ? "ok" : stamp.error().detail;
  checks["issuing_key"] = m_ca.issuer->key_matches() ? "ok" : "the signer does not hold the issuing CA's key";
  const auto left = m_ca.issuer->certificate().not_after() - m_clock.now();
  checks["issuing_ca"] = left > m_cfg.max_cert_lifetime ? "ok"
                                                      : "the issuing CA expires " + util::format_time(m_ca.issuer->certificate().not_after()) +
                                                            ", sooner than max_lifetime: certificates would be cut short";
  bool ready = true;
  for (const auto& [k, v] : checks.items()) ready = ready && v == "ok";
  return json{{"ready", ready}, {"checks", checks}};
}

Result<json> RegistrationAuthority::renewal_info(const std::string& cert_id) {
  PKI_TRY_ASSIGN(auto cid, acme::parse_ari_cert_id(cert_id));
  PKI_TRY_ASSIGN(auto rec, m_store.certificate_by_serial(cid.aki_hex, cid.serial_hex));
  if (!rec) return fail(ErrorKind::NotFound, "this server issued no certificate " + cert_id);
  const auto w = acme::renewal_window(rec->not_before, rec->not_after, rec->serial_hex, rec->revoked_at);
  json j = {{"suggestedWindow", {{"start", util::format_time(w.start)}, {"end", util::format_time(w.end)}}}};
  return j;
}

Result<acme::CertificateRecord> RegistrationAuthority::certificate(const acme::Account& acct, const std::string& id) {
  PKI_TRY_ASSIGN(auto c, m_store.certificate_by_id(id));
  if (!c) return fail(ErrorKind::NotFound, "no certificate " + id);
  if (c->account_id != acct.id) return fail(ErrorKind::Unauthorized, "certificate " + id + " belongs to another account");
  return *c;
}

const x509::Certificate* IssuingCa::by_fingerprint(const std::string& sha256_hex) const {
  auto find = [&](const std::vector<x509::Certificate>& certs) -> const x509::Certificate* {
    for (const auto& c : certs)
      if (util::to_hex(c.fingerprint()) == sha256_hex) return &c;
    return nullptr;
  };
  if (const auto* c = find(chain)) return c;
  for (const auto& alt : alternates)
    if (const auto* c = find(alt)) return c;
  return nullptr;
}

std::string RegistrationAuthority::pem_chain(const acme::CertificateRecord& c, std::size_t which) const {
  const auto& chain = which == 0 ? m_ca.chain : m_ca.alternates.at(which - 1);
  return x509::der_to_pem(c.der) + x509::to_pem_bundle(chain);
}

Result<void> RegistrationAuthority::revoke(const acme::Account* acct, const crypto::PublicKey* key, std::string_view cert_der, int reason) {
  if (!ra::subscriber_revocation_reason(reason)) {
    const std::string_view name = ra::revocation_reason_name(reason);
    return fail(ErrorKind::BadRevocationReason,
                "revocation reason " + std::to_string(reason) + (name.empty() ? " is no RFC 5280 reason code" : " (" + std::string(name) + ") cannot be requested over ACME") +
                    ": use 0 (unspecified), 1 (keyCompromise), 3 (affiliationChanged), 4 (superseded) or 5 (cessationOfOperation)" +
                    (ra::valid_revocation_reason(reason) ? "; the CA's operator can revoke with it (pkictl cert revoke)" : ""));
  }
  auto cert = x509::Certificate::parse(cert_der);
  if (!cert) return fail(ErrorKind::Malformed, "\"certificate\" is not a DER certificate");
  PKI_TRY_ASSIGN(auto rec, m_store.certificate_by_serial(m_ca.key_id_hex, cert->serial_hex()));
  if (!rec || rec->der != cert_der) return fail(ErrorKind::NotFound, "this server did not issue that certificate");
  std::string by = acct ? "ACME account " + acct->id : "ACME, the certificate's key";
  if (acct && rec->account_id != acct->id) {
    // RFC 8555 §7.6: an account holding authorizations for all of the certificate's identifiers
    // may revoke it too (someone who lost a server's account key, say). It cannot claim the key
    // compromised: that blocks the key everywhere, and only the key itself shows it.
    PKI_TRY_ASSIGN(const bool authorized, holds_authorizations(*acct, *cert));
    if (!authorized)
      return fail(ErrorKind::Unauthorized, "the certificate was issued to another account, and this account holds no valid authorization for "
                                           "one or more of its names: revoke it with the issuing account or the certificate's key, or "
                                           "validate all its names with this account first (RFC 8555 section 7.6)");
    if (reason == ra::reason_key_compromise)
      return fail(ErrorKind::BadRevocationReason, "only the issuing account or the certificate's key can revoke for keyCompromise: sign the "
                                                  "request with the certificate's key (jwk), which shows the key is out");
    by += " (holding authorizations for every name in it)";
  }
  if (!acct && (!key || !key->equals(cert->public_key())))
    return fail(ErrorKind::Unauthorized, "the request is signed neither by the issuing account nor by the certificate's key");
  PKI_TRY(ra::revoke_certificate(m_store, *rec, reason, m_clock.now(), m_log, by));
  return {};
}

Result<bool> RegistrationAuthority::holds_authorizations(const acme::Account& acct, const x509::Certificate& cert) {
  const auto sans = cert.sans();
  if (sans.empty()) return false;
  for (const auto& san : sans) {
    if (san.type != x509::GeneralNameType::Dns && san.type != x509::GeneralNameType::Ip) return false;
    const acme::Identifier name{std::string(x509::to_string(san.type)), san.value};
    PKI_TRY_ASSIGN(auto authz, m_store.reusable_authz(acct.id, name.base(), name.wildcard(), m_clock.now()));  // a valid one first
    if (!authz || authz->status != Status::Valid) return false;
  }
  return true;
}

}  // namespace pkictl::ra
