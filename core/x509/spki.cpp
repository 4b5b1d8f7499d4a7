#include "core/x509/spki.hpp"

#include <openssl/asn1t.h>
#include <openssl/objects.h>

#include <algorithm>

namespace pkictl::x509 {

ASN1_SEQUENCE(RawSpki) = {
    ASN1_SIMPLE(RawSpki, algor, X509_ALGOR),
    ASN1_SIMPLE(RawSpki, bits, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(RawSpki)

Result<crypto::PublicKey> raw_spki_key(const RawSpki& spki) {
  const ASN1_OBJECT* alg = nullptr;
  int ptype = V_ASN1_UNDEF;
  const void* pval = nullptr;
  X509_ALGOR_get0(&alg, &ptype, &pval, spki.algor);
  const int nid = OBJ_obj2nid(alg);
  const auto* bits = ASN1_STRING_get0_data(spki.bits);
  const int len = ASN1_STRING_length(spki.bits);
  const bool whole_bytes = !(spki.bits->flags & ASN1_STRING_FLAG_BITS_LEFT) || (spki.bits->flags & 0x07) == 0;
  const std::string_view key_bits(reinterpret_cast<const char*>(bits), static_cast<std::size_t>(std::max(len, 0)));
  const int curve = nid == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT ? OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(pval)) : NID_undef;
  if (curve != NID_undef && whole_bytes && len > 0) return crypto::PublicKey::from_ec_point(OBJ_nid2sn(curve), key_bits);
  if (nid == NID_ED25519 && ptype == V_ASN1_UNDEF && whole_bytes) return crypto::PublicKey::from_ed25519(key_bits);
  return crypto::PublicKey::from_spki_der(ossl::to_der(&spki, [](const RawSpki* s, unsigned char** out) {
    return ASN1_item_i2d(reinterpret_cast<const ASN1_VALUE*>(s), out, ASN1_ITEM_rptr(RawSpki));
  }));
}

}  // namespace pkictl::x509
