#include "core/ca/issuer.hpp"

#include <algorithm>

#include "core/util/text.hpp"
#include "core/x509/serial.hpp"

namespace pkictl::ca {
namespace {

constexpr int serial_attempts = 3;

Result<ossl::Ptr<X509>> build_with_fresh_serial(const x509::CertificateSpec& spec, const crypto::PublicKey& key,
                                                const std::optional<x509::IssuerRef>& issuer,
                                                SerialRegistry& serials) {
  for (int attempt = 0; attempt < serial_attempts; ++attempt) {
    PKI_TRY_ASSIGN(auto serial, x509::random_serial());
    auto reserved = serials.reserve(serial);
    if (!reserved) {
      if (reserved.error().kind == ErrorKind::Conflict) continue;
      return fail(std::move(reserved).error());
    }
    return x509::build_tbs(spec, key, issuer, serial);
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

Result<x509::Certificate> Issuer::issue(const x509::CertificateSpec& spec, const crypto::PublicKey& subject_key,
                                        SerialRegistry& serials) const {
  if (!key_matches())
    return fail(ErrorKind::Crypto, "the signing key does not belong to the issuer certificate " + m_cert.subject_text());
  if (spec.not_after > m_cert.not_after())
    return fail(ErrorKind::InvalidArgument, "the requested validity ends " + util::format_time(spec.not_after) +
                                                ", after the issuer's own notAfter " + util::format_time(m_cert.not_after()));
  if (spec.not_before < m_cert.not_before())
    return fail(ErrorKind::InvalidArgument, "the requested validity starts " + util::format_time(spec.not_before) +
                                                ", before the issuer's own notBefore " + util::format_time(m_cert.not_before()));
  PKI_TRY_ASSIGN(auto ref, x509::issuer_ref(m_cert));
  PKI_TRY_ASSIGN(auto tbs, build_with_fresh_serial(spec, subject_key, ref, serials));
  return sign_and_check(std::move(tbs), m_signer, false);
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
