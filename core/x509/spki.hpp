#pragma once
// A SubjectPublicKeyInfo on OpenSSL's ASN.1 templates, kept as algorithm + BIT STRING: every d2i of
// an X509_PUBKEY (inside X509, X509_REQ, …) runs OpenSSL 3.0's key decoder (~140 µs, and it
// serialises threads on global locks). Parsers that need the key only after the structure is
// known to be sound (CSRs, certificates a client just obtained) embed this instead.
#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "core/crypto/key.hpp"
#include "core/util/result.hpp"

namespace pkictl::x509 {

struct RawSpki {
  X509_ALGOR* algor;
  ASN1_BIT_STRING* bits;
};
DECLARE_ASN1_ITEM(RawSpki)

/** The key: EC (named curves) and Ed25519 imported from their bits (the import checks the point is
 * on the curve), any other type through the decoder. Errors: BadPublicKey. */
[[nodiscard]] Result<crypto::PublicKey> raw_spki_key(const RawSpki& spki);

}  // namespace pkictl::x509
