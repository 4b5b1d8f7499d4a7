#pragma once
// Revocation and its publication, shared by ACME revokeCert and `pkictl cert revoke`: both end in
// the same store rows and so in the same CRL. A key-compromise revocation also blocks the key for
// all future issuance and revokes every unexpired certificate that carries it.
#include <mutex>
#include <string>
#include <vector>

#include "core/ca/signer.hpp"
#include "core/log/logger.hpp"
#include "core/store/store.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::ra {

constexpr int reason_key_compromise = 1;

/** RFC 5280 §5.3.1 reason codes a revocation may carry: 0-10 except 7 (unused) and 8
 * (removeFromCRL, which only delta CRLs carry, for a held certificate taken off hold). */
inline bool valid_revocation_reason(int reason) { return reason >= 0 && reason <= 10 && reason != 7 && reason != 8; }
/** The reasons a subscriber may give over ACME (RFC 8555 §7.6 lets the server allow a subset):
 * unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, as Boulder
 * allows and certbot offers. CA and AA compromise, hold and privilegeWithdrawn are for the
 * operator to state (pkictl cert revoke). */
inline bool subscriber_revocation_reason(int reason) { return reason == 0 || reason == 1 || (reason >= 3 && reason <= 5); }
/** The RFC 5280 name of a reason code ("keyCompromise"), or "" for none. */
std::string_view revocation_reason_name(int reason);
/** RFC 5280 reason names ("keyCompromise", "superseded", …) or numbers. Errors: BadRevocationReason. */
[[nodiscard]] Result<int> parse_revocation_reason(std::string_view text);

/** Revokes `rec` (AlreadyRevoked if it was). Returns every serial revoked by this call. */
[[nodiscard]] Result<std::vector<std::string>> revoke_certificate(store::Store& store, const acme::CertificateRecord& rec, int reason,
                                                                  TimePoint now, log::Logger& log, const std::string& by);
/** Blocks the key (SPKI SHA-256, hex) and revokes every unexpired certificate with it. */
[[nodiscard]] Result<std::vector<std::string>> revoke_key(store::Store& store, const std::string& spki_sha256, TimePoint now,
                                                          log::Logger& log, const std::string& by);

/** The CRL of one issuing CA, regenerated when a revocation happened or half its validity passed. */
class CrlPublisher final {
 public:
  CrlPublisher(store::Store& store, x509::Certificate issuer, const ca::Signer& signer, Seconds validity, Seconds omit_below)
      : m_store(store), m_issuer(std::move(issuer)), m_signer(signer), m_validity(validity), m_omit_below(omit_below) {}
  /** The current DER CRL. Errors: from the store or the signer. */
  [[nodiscard]] Result<std::string> current(TimePoint now);
  const x509::Certificate& issuer() const { return m_issuer; }

 private:
  store::Store& m_store;
  x509::Certificate m_issuer;
  const ca::Signer& m_signer;
  Seconds m_validity, m_omit_below;
  std::mutex m_mu;
  std::string m_der, m_stamp;
  TimePoint m_made{};
};

}  // namespace pkictl::ra
