#include "core/ca/issuer.hpp"

#include <algorithm>

#include "core/util/text.hpp"
#include "core/x509/serial.hpp"

namespace pkictl::ca {
namespace {

constexpr int serial_attempts = 3;

/** A TBS with a fresh serial: built, passed to `vet` when there is one (the pre-issuance check), and
 * only then reserved, so a registry can record the check's outcome with the serial. A serial taken
 * meanwhile: a new one, a new TBS, vetted again. */
Result<ossl::Ptr<X509>> build_with_fresh_serial(const x509::CertificateSpec& spec, const crypto::PublicKey& key,
                                                const std::optional<x509::IssuerRef>& issuer, SerialRegistry& serials,
                                                const std::function<Result<void>(X509*)>& vet = {}) {
  for (int attempt = 0; attempt < serial_attempts; ++attempt) {
    PKI_TRY_ASSIGN(auto serial, x509::random_serial());
    PKI_TRY_ASSIGN(auto tbs, x509::build_tbs(spec, key, issuer, serial));
    if (vet) PKI_TRY(vet(tbs.get()));
    auto reserved = serials.reserve(serial);
    if (!reserved) {
      if (reserved.error().kind == ErrorKind::Conflict) continue;
      return fail(std::move(reserved).error());
    }
    return tbs;
  }
  return fail(ErrorKind::Conflict, "could not reserve a unique serial number");
}

Result<x509::Certificate> sign_and_check(ossl::Ptr<X509> tbs, const Signer& signer, bool reparse) {
  PKI_TRY(signer.sign_certificate(tbs.get()));
  x509::Certificate cert(std::move(tbs));
  if (reparse) {
    // A new root: re-parse the DER as a relying party would before anyone trusts it.
    PKI_TRY_ASSIGN(auto reparsed, x509::Certificate::parse(cert.der()));
    cert = std::move(reparsed);
  }
  // The signature is over the DER encoding of the TBS (X509_verify re-encodes it), so a
  // signer that produced a bad signature (a faulty HSM, a key mix-up) is caught here.
  if (!cert.signed_by(signer.public_key()))
    return fail(ErrorKind::Crypto, "the new certificate's signature does not verify with the issuer key");
  return cert;
}

}  // namespace

Result<x509::IssuerRef> Issuer::admit(const x509::CertificateSpec& spec) const {
  if (!key_matches())
    return fail(ErrorKind::Crypto, "the signing key does not belong to the issuer certificate " + m_cert.subject_text());
  if (spec.not_after > m_cert.not_after())
    return fail(ErrorKind::InvalidArgument, "the requested validity ends " + util::format_time(spec.not_after) +
                                                ", after the issuer's own notAfter " + util::format_time(m_cert.not_after()));
  if (spec.not_before < m_cert.not_before())
    return fail(ErrorKind::InvalidArgument, "the requested validity starts " + util::format_time(spec.not_before) +
                                                ", before the issuer's own notBefore " + util::format_time(m_cert.not_before()));
  return x509::issuer_ref(m_cert);
}

Result<ossl::Ptr<X509>> Issuer::prepare(const x509::CertificateSpec& spec, const crypto::PublicKey& subject_key, SerialRegistry& serials) const {
  PKI_TRY_ASSIGN(auto ref, admit(spec));
  return build_with_fresh_serial(spec, subject_key, ref, serials);
}

Result<x509::Certificate> Issuer::issue(const x509::CertificateSpec& spec, const crypto::PublicKey& subject_key,
                                        SerialRegistry& serials) const {
  PKI_TRY_ASSIGN(auto tbs, prepare(spec, subject_key, serials));
  return sign_and_check(std::move(tbs), m_signer, false);
}

Result<const Signer*> Issuer::throwaway() const {
  std::lock_guard lock(m_throwaway_mutex);
  if (m_throwaway) return m_throwaway.get();
  const auto info = m_signer.public_key().info();
  std::optional<crypto::KeyType> type;
  if (info.algorithm == "EC" && info.curve == "P-256") type = crypto::KeyType::EcP256;
  else if (info.algorithm == "EC" && info.curve == "P-384") type = crypto::KeyType::EcP384;
  else if (info.algorithm == "Ed25519") type = crypto::KeyType::Ed25519;
  else if (info.algorithm == "RSA" && info.bits == 2048) type = crypto::KeyType::Rsa2048;
  else if (info.algorithm == "RSA" && info.bits == 3072) type = crypto::KeyType::Rsa3072;
  else if (info.algorithm == "RSA" && info.bits == 4096) type = crypto::KeyType::Rsa4096;
  if (!type) return fail(ErrorKind::Crypto, "pre-issuance linting has no throwaway key type for a " + info.describe() + " issuer");
  PKI_TRY_ASSIGN(auto key, crypto::PrivateKey::generate(*type));
  m_throwaway = std::make_unique<KeySigner>(std::move(key));
  return m_throwaway.get();
}

Result<x509::Certificate> Issuer::issue(const x509::CertificateSpec& spec, const crypto::PublicKey& subject_key, SerialRegistry& serials,
                                        const PreIssuanceCheck& check) const {
  PKI_TRY_ASSIGN(auto ref, admit(spec));
  PKI_TRY_ASSIGN(const Signer* scratch, throwaway());
  std::string checked_tbs;
  PKI_TRY_ASSIGN(auto tbs, build_with_fresh_serial(spec, subject_key, ref, serials, [&](X509* t) -> Result<void> {
    // Sign with the throwaway key: the TBS now holds the same signature algorithm the issuing key will use.
    PKI_TRY(scratch->sign_certificate(t));
    checked_tbs = ossl::to_der(t, i2d_re_X509_tbs);
    if (checked_tbs.empty()) return ossl::fail("encoding the to-be-signed certificate");
    // The check sees the same object (a reference, not a copy: copying re-parses it, and OpenSSL
    // 3.0 decodes the key again for that); it is const to the check, and the TBS bytes are
    // compared after the real signature anyway.
    if (auto r = check(x509::Certificate(ossl::up_ref(t))); !r) {
      Error e = std::move(r).error();
      if (e.kind != ErrorKind::Internal) e.kind = ErrorKind::LintFailed;
      return fail(std::move(e));
    }
    return {};
  }));
  PKI_TRY_ASSIGN(auto cert, sign_and_check(std::move(tbs), m_signer, false));
  if (ossl::to_der(cert.get(), i2d_re_X509_tbs) != checked_tbs)
    return fail(ErrorKind::Crypto, "the to-be-signed certificate changed between the pre-issuance lint and signing");
  return cert;
}

Result<x509::Certificate> Issuer::self_sign(const x509::CertificateSpec& spec, const Signer& signer,
                                            SerialRegistry& serials) {
  PKI_TRY_ASSIGN(auto tbs, build_with_fresh_serial(spec, signer.public_key(), std::nullopt, serials));
  return sign_and_check(std::move(tbs), signer, true);
}

Result<void> MemorySerialRegistry::reserve(const util::Bytes& serial) {
  if (std::find(m_used.begin(), m_used.end(), serial) != m_used.end())
    return fail(ErrorKind::Conflict, "serial " + util::to_hex(serial) + " was used before");
  m_used.push_back(serial);
  return {};
}

}  // namespace pkictl::ca
