#include "core/x509/builder.hpp"

#include <openssl/sha.h>

#include "core/x509/name.hpp"

namespace pkictl::x509 {
namespace {

template <class T>
Result<void> add_ext(X509* x, int nid, T* value, bool critical) {
  if (X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
    return ossl::fail(std::string("adding extension ") + OBJ_nid2sn(nid));
  return {};
}

Result<ossl::Ptr<ASN1_STRING>> octets(const util::Bytes& b) {
  ossl::Ptr<ASN1_STRING> os(ASN1_OCTET_STRING_new());
  if (!os || ASN1_OCTET_STRING_set(os.get(), b.data(), static_cast<int>(b.size())) != 1)
    return ossl::fail("ASN1_OCTET_STRING_set");
  return os;
}

Result<void> set_time(X509* x, TimePoint t, bool not_before) {
  ossl::Ptr<ASN1_TIME> at(ASN1_TIME_set(nullptr, static_cast<time_t>(t.time_since_epoch().count())));
  if (!at) return ossl::fail("ASN1_TIME_set");
  const int rc = not_before ? X509_set1_notBefore(x, at.get()) : X509_set1_notAfter(x, at.get());
  if (rc != 1) return ossl::fail("setting the validity");
  return {};
}

Result<ossl::Ptr<GENERAL_NAMES>> uri_names(const std::vector<std::string>& uris) {
  ossl::Ptr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  for (const auto& u : uris) {
    PKI_TRY_ASSIGN(auto gn, to_openssl(GeneralName{GeneralNameType::Uri, u}));
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) <= 0) return ossl::fail("sk_GENERAL_NAME_push");
    (void)gn.release();
  }
  return names;
}

Result<void> add_basic_constraints(X509* x, const BasicConstraints& spec) {
  ossl::Ptr<BASIC_CONSTRAINTS> bc(BASIC_CONSTRAINTS_new());
  if (!bc) return ossl::fail("BASIC_CONSTRAINTS_new");
  bc->ca = spec.ca ? 0xFF : 0;
  if (spec.ca && spec.path_len) {
    if (*spec.path_len < 0) return fail(ErrorKind::InvalidArgument, "path length must be ≥ 0");
    bc->pathlen = ASN1_INTEGER_new();
    if (!bc->pathlen || ASN1_INTEGER_set(bc->pathlen, *spec.path_len) != 1) return ossl::fail("ASN1_INTEGER_set");
  }
  return add_ext(x, NID_basic_constraints, bc.get(), true);
}

Result<void> add_key_usage(X509* x, unsigned bits) {
  ossl::Ptr<ASN1_STRING> bs(ASN1_BIT_STRING_new());
  if (!bs) return ossl::fail("ASN1_BIT_STRING_new");
  for (int i = 0; i < 9; ++i)
    if ((bits & (1u << i)) && ASN1_BIT_STRING_set_bit(bs.get(), i, 1) != 1) return ossl::fail("ASN1_BIT_STRING_set_bit");
  return add_ext(x, NID_key_usage, bs.get(), true);
}

Result<void> add_eku(X509* x, const std::vector<std::string>& ekus) {
  ossl::Ptr<EXTENDED_KEY_USAGE> eku(sk_ASN1_OBJECT_new_null());
  for (const auto& e : ekus) {
    PKI_TRY_ASSIGN(const auto name, parse_eku(e));
    ossl::Ptr<ASN1_OBJECT> obj(OBJ_txt2obj(name.c_str(), 0));
    if (!obj) return fail(ErrorKind::InvalidArgument, "unknown extended key usage '" + e + "'");
    if (sk_ASN1_OBJECT_push(eku.get(), obj.get()) <= 0) return ossl::fail("sk_ASN1_OBJECT_push");
    (void)obj.release();
  }
  return add_ext(x, NID_ext_key_usage, eku.get(), false);
}

Result<void> add_sans(X509* x, const std::vector<GeneralName>& sans, bool critical) {
  ossl::Ptr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  for (const auto& san : sans) {
    PKI_TRY_ASSIGN(auto gn, to_openssl(san));
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) <= 0) return ossl::fail("sk_GENERAL_NAME_push");
    (void)gn.release();
  }
  return add_ext(x, NID_subject_alt_name, names.get(), critical);
}

Result<void> add_subtrees(STACK_OF(GENERAL_SUBTREE) * *where, const std::vector<NameSubtree>& subtrees) {
  if (subtrees.empty()) return {};
  *where = sk_GENERAL_SUBTREE_new_null();
  if (!*where) return ossl::fail("sk_GENERAL_SUBTREE_new_null");
  for (const auto& st : subtrees) {
    PKI_TRY_ASSIGN(auto gn, to_openssl(st));
    ossl::Ptr<GENERAL_SUBTREE> sub(GENERAL_SUBTREE_new());
    if (!sub) return ossl::fail("GENERAL_SUBTREE_new");
    sub->base = gn.release();
    if (sk_GENERAL_SUBTREE_push(*where, sub.get()) <= 0) return ossl::fail("sk_GENERAL_SUBTREE_push");
    (void)sub.release();
  }
  return {};
}

Result<void> add_name_constraints(X509* x, const NameConstraints& nc) {
  ossl::Ptr<NAME_CONSTRAINTS> ext(NAME_CONSTRAINTS_new());
  if (!ext) return ossl::fail("NAME_CONSTRAINTS_new");
  PKI_TRY(add_subtrees(&ext->permittedSubtrees, nc.permitted));
  PKI_TRY(add_subtrees(&ext->excludedSubtrees, nc.excluded));
  // RFC 5280 §4.2.1.10: "Conforming CAs MUST mark this extension as critical".
  return add_ext(x, NID_name_constraints, ext.get(), true);
}

Result<void> add_policies(X509* x, const std::vector<std::string>& oids) {
  ossl::Ptr<CERTIFICATEPOLICIES> cps(sk_POLICYINFO_new_null());
  for (const auto& oid : oids) {
    ossl::Ptr<POLICYINFO> pi(POLICYINFO_new());
    if (!pi) return ossl::fail("POLICYINFO_new");
    ASN1_OBJECT_free(pi->policyid);
    pi->policyid = OBJ_txt2obj(oid.c_str(), 1);
    if (!pi->policyid) return fail(ErrorKind::InvalidArgument, "'" + oid + "' is not a dotted policy OID");
    if (sk_POLICYINFO_push(cps.get(), pi.get()) <= 0) return ossl::fail("sk_POLICYINFO_push");
    (void)pi.release();
  }
  return add_ext(x, NID_certificate_policies, cps.get(), false);
}

Result<void> add_crl_distribution_points(X509* x, const std::vector<std::string>& urls) {
  ossl::Ptr<CRL_DIST_POINTS> cdp(sk_DIST_POINT_new_null());
  ossl::Ptr<DIST_POINT> dp(DIST_POINT_new());
  ossl::Ptr<DIST_POINT_NAME> dpn(DIST_POINT_NAME_new());
  if (!cdp || !dp || !dpn) return ossl::fail("building CRL distribution points");
  PKI_TRY_ASSIGN(auto names, uri_names(urls));
  dpn->type = 0;  // fullName
  dpn->name.fullname = names.release();
  dp->distpoint = dpn.release();
  if (sk_DIST_POINT_push(cdp.get(), dp.get()) <= 0) return ossl::fail("sk_DIST_POINT_push");
  (void)dp.release();
  return add_ext(x, NID_crl_distribution_points, cdp.get(), false);
}

Result<void> add_aia(X509* x, const std::vector<std::string>& ocsp, const std::vector<std::string>& issuers) {
  ossl::Ptr<AUTHORITY_INFO_ACCESS> aia(sk_ACCESS_DESCRIPTION_new_null());
  auto push = [&](int nid, const std::string& url) -> Result<void> {
    ossl::Ptr<ACCESS_DESCRIPTION> ad(ACCESS_DESCRIPTION_new());
    PKI_TRY_ASSIGN(auto gn, to_openssl(GeneralName{GeneralNameType::Uri, url}));
    if (!ad) return ossl::fail("ACCESS_DESCRIPTION_new");
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(nid);
    GENERAL_NAME_free(ad->location);
    ad->location = gn.release();
    if (sk_ACCESS_DESCRIPTION_push(aia.get(), ad.get()) <= 0) return ossl::fail("sk_ACCESS_DESCRIPTION_push");
    (void)ad.release();
    return {};
  };
  for (const auto& u : ocsp) PKI_TRY(push(NID_ad_OCSP, u));
  for (const auto& u : issuers) PKI_TRY(push(NID_ad_ca_issuers, u));
  return add_ext(x, NID_info_access, aia.get(), false);
}

/** Sets the certificate's SubjectPublicKeyInfo to a copy of `from`: algorithm, its parameters
 * (a curve OID, NULL or absent, or an encoded structure) and the key bits, as they are. */
Result<void> copy_spki(X509* x, const X509_PUBKEY* from) {
  ASN1_OBJECT* alg = nullptr;
  const unsigned char* bits = nullptr;
  int len = 0;
  X509_ALGOR* algor = nullptr;
  if (X509_PUBKEY_get0_param(&alg, &bits, &len, &algor, from) != 1 || !alg || !bits || len <= 0)
    return ossl::fail("reading the subject public key info");
  return set_spki(X509_get_X509_PUBKEY(x), algor, bits, len);
}

}  // namespace

Result<void> set_spki(X509_PUBKEY* to, const X509_ALGOR* algor, const unsigned char* bits, int len) {
  const ASN1_OBJECT* alg = nullptr;
  int ptype = V_ASN1_UNDEF;
  const void* pval = nullptr;
  X509_ALGOR_get0(&alg, &ptype, &pval, algor);
  if (!to || !alg || !bits || len <= 0) return fail(ErrorKind::Crypto, "the subject public key info is empty");
  ossl::Ptr<ASN1_OBJECT> alg_copy(OBJ_dup(alg));
  void* param = nullptr;
  if (ptype == V_ASN1_OBJECT) param = OBJ_dup(static_cast<const ASN1_OBJECT*>(pval));
  else if (ptype == V_ASN1_SEQUENCE || ptype == V_ASN1_OCTET_STRING) param = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(pval));
  else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) return fail(ErrorKind::Crypto, "unsupported public key algorithm parameters");
  auto* key_bits = static_cast<unsigned char*>(OPENSSL_memdup(bits, static_cast<size_t>(len)));
  if (!alg_copy || !key_bits || ((ptype == V_ASN1_OBJECT || ptype == V_ASN1_SEQUENCE || ptype == V_ASN1_OCTET_STRING) && !param) ||
      X509_PUBKEY_set0_param(to, alg_copy.get(), ptype, param, key_bits, len) != 1) {
    OPENSSL_free(key_bits);
    if (ptype == V_ASN1_OBJECT) ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(param));
    else ASN1_STRING_free(static_cast<ASN1_STRING*>(param));
    return ossl::fail("copying the subject public key info");
  }
  (void)alg_copy.release();
  return {};
}

util::Bytes key_identifier(const crypto::PublicKey& key) {
  X509_PUBKEY* raw = nullptr;
  util::Bytes out(SHA_DIGEST_LENGTH);
  if (X509_PUBKEY_set(&raw, key.get()) != 1) return {};
  ossl::Ptr<X509_PUBKEY> xpk(raw);
  const unsigned char* bits = nullptr;
  int len = 0;
  if (X509_PUBKEY_get0_param(nullptr, &bits, &len, nullptr, xpk.get()) != 1) return {};
  SHA1(bits, static_cast<size_t>(len), out.data());
  return out;
}

Result<IssuerRef> issuer_ref(const Certificate& ca) {
  auto ski = ca.subject_key_id();
  if (!ski) return fail(ErrorKind::Malformed, "the CA certificate has no subject key identifier");
  return IssuerRef{ca.subject_der(), *ski};
}

Result<ossl::Ptr<X509>> build_tbs(const CertificateSpec& spec, const crypto::PublicKey& subject_key,
                                  const std::optional<IssuerRef>& issuer, const util::Bytes& serial) {
  if (spec.not_after <= spec.not_before)
    return fail(ErrorKind::InvalidArgument, "notAfter must be after notBefore");
  ossl::Ptr<X509> x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) return ossl::fail("X509_new");

  ossl::Ptr<BIGNUM> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  ossl::Ptr<ASN1_STRING> sn(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!sn || X509_set_serialNumber(x.get(), sn.get()) != 1) return ossl::fail("setting the serial number");

  PKI_TRY_ASSIGN(auto subject, name_from_der(spec.subject_der));
  if (X509_set_subject_name(x.get(), subject.get()) != 1) return ossl::fail("X509_set_subject_name");
  if (issuer) {
    PKI_TRY_ASSIGN(auto iname, name_from_der(issuer->subject_der));
    if (X509_set_issuer_name(x.get(), iname.get()) != 1) return ossl::fail("X509_set_issuer_name");
  } else if (X509_set_issuer_name(x.get(), subject.get()) != 1) {
    return ossl::fail("X509_set_issuer_name");
  }
  PKI_TRY(set_time(x.get(), spec.not_before, true));
  PKI_TRY(set_time(x.get(), spec.not_after, false));
  if (spec.subject_spki) PKI_TRY(copy_spki(x.get(), spec.subject_spki.get()));
  else if (X509_set_pubkey(x.get(), subject_key.get()) != 1) return ossl::fail("X509_set_pubkey");

  if (spec.basic_constraints) PKI_TRY(add_basic_constraints(x.get(), *spec.basic_constraints));
  if (spec.key_usage) PKI_TRY(add_key_usage(x.get(), spec.key_usage));
  if (!spec.extended_key_usage.empty()) PKI_TRY(add_eku(x.get(), spec.extended_key_usage));
  // RFC 5280 §4.2.1.2 method 1 over the key bits just set (no second encode of the key).
  util::Bytes ski(SHA_DIGEST_LENGTH);
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(x.get());
  if (!bits) return ossl::fail("reading the subject public key bits");
  SHA1(ASN1_STRING_get0_data(bits), static_cast<size_t>(ASN1_STRING_length(bits)), ski.data());
  PKI_TRY_ASSIGN(auto ski_os, octets(ski));
  PKI_TRY(add_ext(x.get(), NID_subject_key_identifier, ski_os.get(), false));
  {
    ossl::Ptr<AUTHORITY_KEYID> aki(AUTHORITY_KEYID_new());
    PKI_TRY_ASSIGN(auto kid, octets(issuer ? issuer->key_id : ski));
    if (!aki) return ossl::fail("AUTHORITY_KEYID_new");
    aki->keyid = kid.release();
    PKI_TRY(add_ext(x.get(), NID_authority_key_identifier, aki.get(), false));
  }
  if (!spec.sans.empty()) PKI_TRY(add_sans(x.get(), spec.sans, spec.sans_critical));
  if (!spec.name_constraints.empty()) PKI_TRY(add_name_constraints(x.get(), spec.name_constraints));
  if (!spec.policy_oids.empty()) PKI_TRY(add_policies(x.get(), spec.policy_oids));
  if (!spec.crl_distribution_points.empty()) PKI_TRY(add_crl_distribution_points(x.get(), spec.crl_distribution_points));
  if (!spec.ocsp_urls.empty() || !spec.ca_issuers_urls.empty())
    PKI_TRY(add_aia(x.get(), spec.ocsp_urls, spec.ca_issuers_urls));
  return x;
}

}  // namespace pkictl::x509
