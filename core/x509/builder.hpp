#pragma once
// Builds the to-be-signed certificate from a CertificateSpec. Signing is ca::Signer's job.
#include "core/crypto/key.hpp"
#include "core/util/result.hpp"
#include "core/x509/certificate.hpp"
#include "core/x509/profile.hpp"

namespace pkictl::x509 {

/** Who signs: its subject name and key identifier (for the AKI). Self-signed: nullopt. */
struct IssuerRef {
  std::string subject_der;
  util::Bytes key_id;
};

/**
 * An unsigned X509 (v3) for `spec`, for `subject_key`, with the given serial. The subject key
 * identifier is the SHA-1 of the public key bits (RFC 5280 §4.2.1.2 method 1); the AKI names the
 * issuer's SKI, or the certificate's own for a self-signed one.
 * Errors: InvalidArgument (bad spec values), Crypto.
 */
[[nodiscard]] Result<ossl::Ptr<X509>> build_tbs(const CertificateSpec& spec, const crypto::PublicKey& subject_key,
                                                const std::optional<IssuerRef>& issuer, const util::Bytes& serial);

/** The issuer reference of a CA certificate. Errors: Malformed if it has no SKI. */
[[nodiscard]] Result<IssuerRef> issuer_ref(const Certificate& ca);

/** Sets `to` to the algorithm (with its parameters) and key bits given, copied, without decoding
 * the key (OpenSSL 3.0 decodes on X509_PUBKEY_set and on parsing). Errors: Crypto. */
[[nodiscard]] Result<void> set_spki(X509_PUBKEY* to, const X509_ALGOR* algor, const unsigned char* bits, int len);

/** SHA-1 of the subjectPublicKey BIT STRING: the key identifier of RFC 5280 §4.2.1.2 (1). */
util::Bytes key_identifier(const crypto::PublicKey& key);

}  // namespace pkictl::x509
