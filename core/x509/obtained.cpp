// read_obtained_certificate: a certificate (RFC 5280 §4.1) on OpenSSL's ASN.1 templates, as X509 is,
// except that the SubjectPublicKeyInfo is a RawSpki and nothing is cached or decoded beyond it.
#include <openssl/asn1t.h>
#include <openssl/x509v3.h>

#include "core/x509/certificate.hpp"
#include "core/x509/spki.hpp"

namespace pkictl::x509 {

struct ObtainedTbs {
  ASN1_INTEGER* version;
  ASN1_INTEGER* serial;
  X509_ALGOR* signature;
  X509_NAME* issuer;
  X509_VAL* validity;
  X509_NAME* subject;
  RawSpki* spki;
  ASN1_BIT_STRING* issuer_uid;
  ASN1_BIT_STRING* subject_uid;
  STACK_OF(X509_EXTENSION)* extensions;
};
struct ObtainedAsn1 {
  ObtainedTbs* tbs;
  X509_ALGOR* sig_alg;
  ASN1_BIT_STRING* signature;
};

namespace {
ASN1_SEQUENCE(ObtainedTbs) = {
    ASN1_EXP_OPT(ObtainedTbs, version, ASN1_INTEGER, 0),
    ASN1_SIMPLE(ObtainedTbs, serial, ASN1_INTEGER),
    ASN1_SIMPLE(ObtainedTbs, signature, X509_ALGOR),
    ASN1_SIMPLE(ObtainedTbs, issuer, X509_NAME),
    ASN1_SIMPLE(ObtainedTbs, validity, X509_VAL),
    ASN1_SIMPLE(ObtainedTbs, subject, X509_NAME),
    ASN1_SIMPLE(ObtainedTbs, spki, RawSpki),
    ASN1_IMP_OPT(ObtainedTbs, issuer_uid, ASN1_BIT_STRING, 1),
    ASN1_IMP_OPT(ObtainedTbs, subject_uid, ASN1_BIT_STRING, 2),
    ASN1_EXP_SEQUENCE_OF_OPT(ObtainedTbs, extensions, X509_EXTENSION, 3),
} ASN1_SEQUENCE_END(ObtainedTbs)

ASN1_SEQUENCE(ObtainedAsn1) = {
    ASN1_SIMPLE(ObtainedAsn1, tbs, ObtainedTbs),
    ASN1_SIMPLE(ObtainedAsn1, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(ObtainedAsn1, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(ObtainedAsn1)

struct Freed {
  void operator()(ObtainedAsn1* p) const { ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(p), ASN1_ITEM_rptr(ObtainedAsn1)); }
};
}  // namespace

Result<ObtainedCertificate> read_obtained_certificate(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ObtainedAsn1, Freed> cert(
      reinterpret_cast<ObtainedAsn1*>(ASN1_item_d2i(nullptr, &p, static_cast<long>(der.size()), ASN1_ITEM_rptr(ObtainedAsn1))));
  if (!cert) return ossl::fail("parsing the issued certificate", ErrorKind::Malformed);
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return fail(ErrorKind::Malformed, "trailing data after the DER certificate");
  auto key = raw_spki_key(*cert->tbs->spki);
  if (!key) return fail(ErrorKind::Malformed, "the issued certificate's public key cannot be read: " + key.error().detail);
  ObtainedCertificate out{std::move(*key), {}};
  int critical = 0;
  ossl::Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(cert->tbs->extensions, NID_subject_alt_name, &critical, nullptr)));
  if (!names && critical == -2) return fail(ErrorKind::Malformed, "the issued certificate has two subjectAltName extensions");
  if (!names && critical >= 0) return fail(ErrorKind::Malformed, "the issued certificate's subjectAltName cannot be read");
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i)
    if (auto gn = from_openssl(sk_GENERAL_NAME_value(names.get(), i))) out.sans.push_back(*gn);
  return out;
}

}  // namespace pkictl::x509
