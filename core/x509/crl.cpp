#include "core/x509/crl.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/util/text.hpp"

namespace pkictl::x509 {
namespace {

Result<ossl::Ptr<ASN1_TIME>> asn1_time(TimePoint t) {
  ossl::Ptr<ASN1_TIME> a(ASN1_TIME_set(nullptr, static_cast<time_t>(t.time_since_epoch().count())));
  if (!a) return ossl::fail("encoding a CRL time");
  return a;
}

}  // namespace

Result<std::string> make_crl(const Certificate& issuer, const ca::Signer& signer, const CrlSpec& spec) {
  auto ski = issuer.subject_key_id();
  if (!ski) return fail(ErrorKind::Malformed, "the issuer certificate has no subject key identifier");
  ossl::Ptr<X509_CRL> crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.get())) != 1)
    return ossl::fail("X509_CRL_new");
  PKI_TRY_ASSIGN(auto last, asn1_time(spec.this_update));
  PKI_TRY_ASSIGN(auto next, asn1_time(spec.next_update));
  if (X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 || X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1)
    return ossl::fail("setting the CRL times");
  for (const auto& r : spec.revoked) {
    ossl::Ptr<X509_REVOKED> rev(X509_REVOKED_new());
    auto bytes = util::from_hex(r.serial_hex);
    if (!bytes) return fail(ErrorKind::Malformed, "bad serial " + r.serial_hex);
    ossl::Ptr<BIGNUM> bn(BN_bin2bn(bytes->data(), static_cast<int>(bytes->size()), nullptr));
    ossl::Ptr<ASN1_INTEGER> serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    PKI_TRY_ASSIGN(auto when, asn1_time(r.revoked_at));
    if (!rev || !serial || X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(rev.get(), when.get()) != 1)
      return ossl::fail("adding a revoked entry");
    if (r.reason > 0) {  // RFC 5280 §5.3.1: unspecified SHOULD be absent
      ossl::Ptr<ASN1_ENUMERATED> reason(ASN1_ENUMERATED_new());
      if (!reason || ASN1_ENUMERATED_set(reason.get(), r.reason) != 1 ||
          X509_REVOKED_add1_ext_i2d(rev.get(), NID_crl_reason, reason.get(), 0, 0) != 1)
        return ossl::fail("adding a revocation reason");
    }
    if (X509_CRL_add0_revoked(crl.get(), rev.get()) != 1) return ossl::fail("X509_CRL_add0_revoked");
    (void)rev.release();
  }
  X509_CRL_sort(crl.get());
  ossl::Ptr<ASN1_INTEGER> number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_int64(number.get(), spec.number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1)
    return ossl::fail("adding the CRL number");
  ossl::Ptr<AUTHORITY_KEYID> aki(AUTHORITY_KEYID_new());
  ossl::Ptr<ASN1_OCTET_STRING> kid(ASN1_OCTET_STRING_new());
  if (!aki || !kid || ASN1_OCTET_STRING_set(kid.get(), ski->data(), static_cast<int>(ski->size())) != 1)
    return ossl::fail("building the AKI");
  aki->keyid = kid.release();
  if (X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, aki.get(), 0, 0) != 1) return ossl::fail("adding the AKI");
  PKI_TRY(signer.sign_crl(crl.get()));
  std::string der = ossl::to_der(crl.get(), i2d_X509_CRL);
  if (der.empty()) return ossl::fail("encoding the CRL");
  return der;
}

Result<CrlInfo> read_crl(std::string_view data, const Certificate& issuer) {
  ossl::Ptr<X509_CRL> crl;
  if (data.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    auto bio = ossl::mem_bio(data);
    crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
  }
  if (!crl) return ossl::fail("parsing the CRL", ErrorKind::Malformed);
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(issuer.get())) != 1) return ossl::fail("the CRL signature does not verify with the issuer key");
  CrlInfo info;
  info.this_update = asn1_time_to_point(X509_CRL_get0_lastUpdate(crl.get()));
  info.next_update = asn1_time_to_point(X509_CRL_get0_nextUpdate(crl.get()));
  ossl::Ptr<ASN1_INTEGER> num(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  if (num) ASN1_INTEGER_get_int64(&info.number, num.get());
  STACK_OF(X509_REVOKED)* revs = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revs); ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(revs, i);
    const ASN1_INTEGER* s = X509_REVOKED_get0_serialNumber(r);
    RevokedEntry e;
    e.serial_hex = util::to_hex(std::span<const std::uint8_t>(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s))));
    e.revoked_at = asn1_time_to_point(X509_REVOKED_get0_revocationDate(r));
    ossl::Ptr<ASN1_ENUMERATED> reason(static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr)));
    e.reason = reason ? static_cast<int>(ASN1_ENUMERATED_get(reason.get())) : 0;
    info.revoked.push_back(e);
  }
  return info;
}

}  // namespace pkictl::x509
