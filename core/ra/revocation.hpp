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

/** RFC 5280 §5.3.1 reason codes usable in revocations: 0-10 except 7. */
inline bool valid_revocation_reason(int reason) { return reason >= 0 && reason <= 10 && reason != 7; }
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
