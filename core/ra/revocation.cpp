#include "core/ra/revocation.hpp"

#include <array>

#include "core/metrics/metrics.hpp"
#include "core/util/text.hpp"
#include "core/x509/crl.hpp"

namespace pkictl::ra {
namespace {
audit::Event revoked_event(const acme::CertificateRecord& rec, int reason, const std::string& by) {
  audit::Event e;
  e.type = "certificate.revoked";
  e.account_id = rec.account_id;
  e.serial = rec.serial_hex;
  e.actor = by;
  e.details = {{"reason", reason}, {"issuer", rec.issuer_key_id}, {"certificate", rec.id}};
  return e;
}

constexpr std::array<std::string_view, 11> reason_names = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation",
    "certificateHold", "", "removeFromCRL", "privilegeWithdrawn", "aACompromise"};
}

std::string_view revocation_reason_name(int reason) {
  return reason >= 0 && static_cast<std::size_t>(reason) < reason_names.size() ? reason_names[static_cast<std::size_t>(reason)] : "";
}

Result<int> parse_revocation_reason(std::string_view text) {
  for (std::size_t i = 0; i < reason_names.size(); ++i)
    if (valid_revocation_reason(static_cast<int>(i)) && util::to_lower(std::string(reason_names[i])) == util::to_lower(std::string(text)))
      return static_cast<int>(i);
  if (text.size() <= 2 && !text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
    const int n = std::stoi(std::string(text));
    if (valid_revocation_reason(n)) return n;
  }
  return fail(ErrorKind::BadRevocationReason, "unknown revocation reason \"" + std::string(text) +
                                                  "\" (unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
                                                  "cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise, or 0-10 but 7 and 8; "
                                                  "removeFromCRL belongs in delta CRLs only)");
}

Result<std::vector<std::string>> revoke_certificate(store::Store& store, const acme::CertificateRecord& rec, int reason, TimePoint now,
                                                    log::Logger& log, const std::string& by) {
  const auto ev = revoked_event(rec, reason, by);
  PKI_TRY_ASSIGN(bool revoked, store.revoke_certificate(rec.id, reason, now, &ev));
  if (!revoked) return fail(ErrorKind::AlreadyRevoked, "certificate " + rec.serial_hex + " is already revoked");
  log.info("certificate revoked", {{"serial", rec.serial_hex}, {"reason", reason}, {"by", by}});
  metrics::registry().inc("pkictl_revocations_total", {{"reason", std::to_string(reason)}});
  std::vector<std::string> out{rec.serial_hex};
  if (reason == reason_key_compromise) {
    PKI_TRY_ASSIGN(auto more, revoke_key(store, rec.spki_sha256, now, log, by));
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

Result<std::vector<std::string>> revoke_key(store::Store& store, const std::string& spki_sha256, TimePoint now, log::Logger& log,
                                            const std::string& by) {
  audit::Event blocked;
  blocked.type = "key.blocked";
  blocked.actor = by;
  blocked.details = {{"spki_sha256", spki_sha256}, {"reason", "keyCompromise"}};
  PKI_TRY(store.block_key(spki_sha256, "keyCompromise (" + by + ")", now, &blocked));
  log.warn("key blocked as compromised", {{"spki_sha256", spki_sha256}, {"by", by}});
  std::vector<std::string> out;
  PKI_TRY_ASSIGN(auto certs, store.certificates_with_key(spki_sha256, now));
  for (const auto& c : certs) {
    if (c.revoked_at) continue;
    const auto ev = revoked_event(c, reason_key_compromise, by + " (same compromised key)");
    PKI_TRY_ASSIGN(bool r, store.revoke_certificate(c.id, reason_key_compromise, now, &ev));
    if (!r) continue;
    log.info("certificate revoked", {{"serial", c.serial_hex}, {"reason", reason_key_compromise}, {"by", by + " (same compromised key)"}});
    out.push_back(c.serial_hex);
  }
  return out;
}

Result<std::string> CrlPublisher::current(TimePoint now) {
  const std::string ski = util::to_hex(*m_issuer.subject_key_id());
  PKI_TRY_ASSIGN(auto stamp, m_store.revocation_stamp(ski));
  std::lock_guard lock(m_mu);
  if (!m_der.empty() && stamp == m_stamp && now < m_made + m_validity / 2) return m_der;
  PKI_TRY_ASSIGN(auto revoked, m_store.revoked_unexpired(ski, now));
  x509::CrlSpec spec;
  PKI_TRY_ASSIGN(spec.number, m_store.next_crl_number(ski));
  spec.this_update = now;
  spec.next_update = now + m_validity;
  for (const auto& r : revoked) {
    // Short-lived certificates carried no CRL distribution point: they are left to expire.
    if (r.not_after - r.not_before < m_omit_below) continue;
    spec.revoked.push_back({r.serial_hex, *r.revoked_at, r.revocation_reason < 0 ? 0 : r.revocation_reason});
  }
  PKI_TRY_ASSIGN(m_der, x509::make_crl(m_issuer, m_signer, spec));
  m_stamp = stamp;
  m_made = now;
  return m_der;
}

}  // namespace pkictl::ra
