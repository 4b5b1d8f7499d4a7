#pragma once
// Issues certificates under one CA: checks the request against the issuer, builds the TBS with a
// fresh serial, reserves the serial in a SerialRegistry once the TBS is built (and has passed the
// pre-issuance check, when there is one), signs through the Signer, and checks the result.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "core/ca/signer.hpp"
#include "core/x509/builder.hpp"
#include "core/x509/certificate.hpp"
#include "core/x509/profile.hpp"

namespace pkictl::ca {

/** Where serials are made unique: the store for the server, the root's ledger offline. */
class SerialRegistry {
 public:
  virtual ~SerialRegistry() = default;
  /** Claims `serial` for this issuer. Errors: Conflict if it was used before. */
  [[nodiscard]] virtual Result<void> reserve(const util::Bytes& serial) = 0;
};

/** Judges the exact certificate about to be signed (signed by a throwaway key of the issuer's
 * type); an error refuses the issuance. */
using PreIssuanceCheck = std::function<Result<void>(const x509::Certificate& tbs)>;

class Issuer final {
 public:
  /** An issuer whose certificate is `ca_cert`, signing with `signer` (must hold its key). */
  Issuer(x509::Certificate ca_cert, const Signer& signer)
      : m_cert(std::move(ca_cert)), m_signer(signer), m_key_matches(m_signer.public_key().equals(m_cert.public_key())) {}

  /**
   * Issues `spec` for `subject_key`. Refuses a validity outside the issuer's own
   * (InvalidArgument), a serial collision after retries (Conflict), a signature that does not
   * verify with the issuer certificate's key (Crypto).
   */
  [[nodiscard]] Result<x509::Certificate> issue(const x509::CertificateSpec& spec,
                                                const crypto::PublicKey& subject_key,
                                                SerialRegistry& serials) const;
  /**
   * As above, with a pre-issuance check: the to-be-signed certificate is built, signed with a
   * throwaway key of the issuer's key type and handed to `check`; only if it passes are the same
   * TBS bytes signed with the issuing key (and compared, so what was checked is what is signed).
   * The serial is reserved after the check passed (a Conflict draws a new serial and checks again);
   * any other error of `serials` ends the issuance with that error.
   * Errors: LintFailed (the check's error), and those of issue().
   */
  [[nodiscard]] Result<x509::Certificate> issue(const x509::CertificateSpec& spec, const crypto::PublicKey& subject_key,
                                                SerialRegistry& serials, const PreIssuanceCheck& check) const;

  /** A self-signed certificate for `signer`'s own key (a root). */
  [[nodiscard]] static Result<x509::Certificate> self_sign(const x509::CertificateSpec& spec, const Signer& signer,
                                                           SerialRegistry& serials);

  const x509::Certificate& certificate() const { return m_cert; }
  /** Does the signer hold the private key of the issuer certificate? */
  bool key_matches() const { return m_key_matches; }

 private:
  /** The checks of a spec against this issuer; the issuer's name and key id for the TBS. */
  Result<x509::IssuerRef> admit(const x509::CertificateSpec& spec) const;
  Result<ossl::Ptr<X509>> prepare(const x509::CertificateSpec& spec, const crypto::PublicKey& subject_key, SerialRegistry& serials) const;
  Result<const Signer*> throwaway() const;

  x509::Certificate m_cert;
  const Signer& m_signer;
  bool m_key_matches;
  mutable std::mutex m_throwaway_mutex;
  mutable std::unique_ptr<Signer> m_throwaway;  // made on first use: RSA key generation is slow
};

/** A registry that only checks a set in memory (tests, one-off tools). */
class MemorySerialRegistry final : public SerialRegistry {
 public:
  [[nodiscard]] Result<void> reserve(const util::Bytes& serial) override;

 private:
  std::vector<util::Bytes> m_used;
};

}  // namespace pkictl::ca
