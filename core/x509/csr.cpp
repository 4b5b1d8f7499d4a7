#include "core/x509/csr.hpp"

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/asn1t.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "core/crypto/digest.hpp"
#include "core/x509/builder.hpp"
#include "core/x509/name.hpp"
#include "core/x509/spki.hpp"

namespace pkictl::x509 {

// PKCS#10 (RFC 2986) on OpenSSL's ASN.1 templates, as X509_REQ is, except that the
// SubjectPublicKeyInfo stays an algorithm and a BIT STRING (RawSpki): d2i_X509_REQ runs OpenSSL
// 3.0's key decoder on it, and the key is needed only once the structure is known to be sound.
struct CsrInfo {
  ASN1_ENCODING enc;  // the info as received: the signature is checked over these bytes
  ASN1_INTEGER* version;
  X509_NAME* subject;
  RawSpki* spki;
  STACK_OF(X509_ATTRIBUTE)* attributes;
};
struct CsrAsn1 {
  CsrInfo* info;
  X509_ALGOR* sig_alg;
  ASN1_BIT_STRING* signature;
};

namespace {
ASN1_SEQUENCE_enc(CsrInfo, enc, 0) = {
    ASN1_SIMPLE(CsrInfo, version, ASN1_INTEGER),
    ASN1_SIMPLE(CsrInfo, subject, X509_NAME),
    ASN1_SIMPLE(CsrInfo, spki, RawSpki),
    ASN1_IMP_SET_OF_OPT(CsrInfo, attributes, X509_ATTRIBUTE, 0),  // [0], as lenient as X509_REQ_INFO
} ASN1_SEQUENCE_END_enc(CsrInfo, CsrInfo)

ASN1_SEQUENCE(CsrAsn1) = {
    ASN1_SIMPLE(CsrAsn1, info, CsrInfo),
    ASN1_SIMPLE(CsrAsn1, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(CsrAsn1, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(CsrAsn1)

Result<crypto::PublicKey> spki_key(const RawSpki& spki) {
  auto key = raw_spki_key(spki);
  if (!key) return fail(ErrorKind::BadCsr, "the CSR's public key cannot be read: " + key.error().detail);
  return key;
}

/** The CSR's signature algorithm must be one without a broken hash: ECDSA, RSA PKCS#1 v1.5 or
 * RSASSA-PSS over SHA-256/384/512, or Ed25519 (Boulder refuses SHA-1 requests too). OpenSSL
 * would verify sha1WithRSAEncryption or md5WithRSAEncryption as readily. */
Result<void> acceptable_signature(const X509_ALGOR& alg) {
  const int nid = OBJ_obj2nid(alg.algorithm);
  if (nid == NID_ED25519) return {};
  int md = NID_undef;
  if (nid == NID_rsassaPss) {
    md = NID_sha1;  // the hash is in the parameters; absent, it is SHA-1 (RFC 4055 §3.1)
    if (alg.parameter) {
      std::unique_ptr<RSA_PSS_PARAMS, decltype(&RSA_PSS_PARAMS_free)> pss(
          static_cast<RSA_PSS_PARAMS*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg.parameter)), &RSA_PSS_PARAMS_free);
      if (!pss) return fail(ErrorKind::BadCsr, "the CSR's RSASSA-PSS parameters cannot be read");
      if (pss->hashAlgorithm) md = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
    }
  } else if (int pkey = NID_undef; OBJ_find_sigid_algs(nid, &md, &pkey) != 1) {
    md = NID_undef;
  }
  if (md == NID_sha256 || md == NID_sha384 || md == NID_sha512) return {};
  char name[80];
  OBJ_obj2txt(name, sizeof name, alg.algorithm, nid == NID_undef ? 1 : 0);  // an unknown one by its OID
  // A PSS signature's name does not say its hash.
  const std::string hash = nid == NID_rsassaPss && md != NID_undef ? std::string(" over ") + OBJ_nid2sn(md) : "";
  return fail(ErrorKind::BadCsr, std::string("the CSR is signed with ") + name + hash +
                                     "; sign it with SHA-256, SHA-384 or SHA-512 (ECDSA, RSA or RSASSA-PSS) or with Ed25519");
}

}  // namespace

struct CsrParts {
  explicit CsrParts(CsrAsn1* p, std::string d) : asn1(p), der(std::move(d)) {}
  ~CsrParts() { ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(asn1), ASN1_ITEM_rptr(CsrAsn1)); }
  CsrParts(const CsrParts&) = delete;
  CsrParts& operator=(const CsrParts&) = delete;
  CsrAsn1* asn1;
  std::string der;  // as received
};

Result<UntrustedCsr> UntrustedCsr::parse(std::string_view data) {
  std::string der;
  if (data.find("-----BEGIN ") != std::string_view::npos) {
    if (data.find("-----BEGIN CERTIFICATE REQUEST-----") == std::string_view::npos &&
        data.find("-----BEGIN NEW CERTIFICATE REQUEST-----") == std::string_view::npos)
      return fail(ErrorKind::BadCsr, "expected a PEM block labelled CERTIFICATE REQUEST");
    auto bio = ossl::mem_bio(data);
    unsigned char* bytes = nullptr;
    long n = 0;
    if (PEM_bytes_read_bio(&bytes, &n, nullptr, PEM_STRING_X509_REQ, bio.get(), nullptr, nullptr) != 1)
      return ossl::fail("reading the PEM CSR", ErrorKind::BadCsr);
    der.assign(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(n));
    OPENSSL_free(bytes);
  } else {
    der.assign(data);
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  auto* asn1 = reinterpret_cast<CsrAsn1*>(ASN1_item_d2i(nullptr, &p, static_cast<long>(der.size()), ASN1_ITEM_rptr(CsrAsn1)));
  if (!asn1) return ossl::fail("parsing the CSR", ErrorKind::BadCsr);
  auto parts = std::make_shared<const CsrParts>(asn1, der);
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return fail(ErrorKind::BadCsr, "trailing data after the DER CSR");
  return UntrustedCsr(std::move(parts));
}

Result<VerifiedCsr> UntrustedCsr::verify() const {
  const CsrAsn1& r = *m_parts->asn1;
  PKI_TRY(acceptable_signature(*r.sig_alg));
  PKI_TRY_ASSIGN(auto key, spki_key(*r.info->spki));
  if (ASN1_item_verify_ex(ASN1_ITEM_rptr(CsrInfo), r.sig_alg, r.signature, r.info, nullptr, key.get(), nullptr, nullptr) != 1) {
    Error e = ossl::error("verifying the CSR signature", ErrorKind::BadCsr);
    e.detail = "the CSR signature does not verify with its own public key";
    return fail(std::move(e));
  }
  std::shared_ptr<X509_PUBKEY> spki(X509_PUBKEY_new(), X509_PUBKEY_free);
  if (!spki) return ossl::fail("X509_PUBKEY_new");
  PKI_TRY(set_spki(spki.get(), r.info->spki->algor, ASN1_STRING_get0_data(r.info->spki->bits), ASN1_STRING_length(r.info->spki->bits)));
  return VerifiedCsr(m_parts, std::move(spki), std::move(key));
}

std::string VerifiedCsr::subject_der() const { return name_to_der(m_parts->asn1->info->subject); }
std::string VerifiedCsr::subject_text() const { return name_to_text(m_parts->asn1->info->subject); }
std::string VerifiedCsr::common_name() const { return x509::common_name(m_parts->asn1->info->subject); }

std::vector<GeneralName> VerifiedCsr::requested_sans() const {
  // The extensionRequest attribute (PKCS#9; Microsoft's older OID too), as X509_REQ_get_extensions reads it.
  std::vector<GeneralName> out;
  const STACK_OF(X509_ATTRIBUTE)* attrs = m_parts->asn1->info->attributes;
  int idx = -1;
  for (const int nid : {NID_ext_req, NID_ms_ext_req})
    if ((idx = X509at_get_attr_by_NID(attrs, nid, -1)) >= 0) break;
  if (idx < 0) return out;
  const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(X509at_get_attr(attrs, idx), 0);
  if (!value || value->type != V_ASN1_SEQUENCE) return out;
  auto* exts = static_cast<STACK_OF(X509_EXTENSION)*>(ASN1_item_unpack(value->value.sequence, ASN1_ITEM_rptr(X509_EXTENSIONS)));
  if (!exts) return out;
  ossl::Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts, NID_subject_alt_name, nullptr, nullptr)));
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i)
    if (auto gn = from_openssl(sk_GENERAL_NAME_value(names.get(), i))) out.push_back(*gn);
  return out;
}

crypto::Sha256 VerifiedCsr::spki_fingerprint() const { return crypto::sha256(ossl::to_der(m_spki.get(), i2d_X509_PUBKEY)); }

std::string VerifiedCsr::der() const { return m_parts->der; }

namespace {

/** The request's SubjectPublicKeyInfo from the key's parameters. X509_REQ_set_pubkey encodes the
 * key with OpenSSL 3.0's encoder and decodes the result again (~150 µs); EC and Ed25519 keys are
 * written directly (algorithm, curve, point), other types go that way. */
bool set_public_key(X509_REQ* req, EVP_PKEY* pkey) {
  X509_PUBKEY* spki = X509_REQ_get_X509_PUBKEY(req);
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64];
    std::size_t glen = 0;
    unsigned char point[133];
    std::size_t plen = 0;
    const int curve = EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) == 1 ? OBJ_sn2nid(group) : NID_undef;
    if (spki && curve != NID_undef &&
        EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point, &plen) == 1) {
      auto* buf = static_cast<unsigned char*>(OPENSSL_memdup(point, plen));
      if (buf && X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT, OBJ_nid2obj(curve), buf,
                                        static_cast<int>(plen)) == 1)
        return true;
      OPENSSL_free(buf);
    }
  } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
    unsigned char raw[32];
    std::size_t rlen = sizeof raw;
    if (spki && EVP_PKEY_get_raw_public_key(pkey, raw, &rlen) == 1) {
      auto* buf = static_cast<unsigned char*>(OPENSSL_memdup(raw, rlen));
      if (buf && X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_ED25519), V_ASN1_UNDEF, nullptr, buf, static_cast<int>(rlen)) == 1) return true;
      OPENSSL_free(buf);
    }
  }
  ossl::drain_errors();
  return X509_REQ_set_pubkey(req, pkey) == 1;
}

}  // namespace

Result<std::string> make_csr_pem(std::string_view subject_der, const std::vector<GeneralName>& sans, const crypto::PrivateKey& key) {
  PKI_TRY_ASSIGN(auto der, make_csr_der(subject_der, sans, key));
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio(bio.get(), "CERTIFICATE REQUEST", "", reinterpret_cast<const unsigned char*>(der.data()), static_cast<long>(der.size())) <= 0)
    return ossl::fail("writing the CSR as PEM");
  return ossl::bio_to_string(bio.get());
}

Result<std::string> make_csr_der(std::string_view subject_der, const std::vector<GeneralName>& sans, const crypto::PrivateKey& key) {
  ossl::Ptr<X509_REQ> req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) return ossl::fail("X509_REQ_new");
  PKI_TRY_ASSIGN(auto name, name_from_der(subject_der));
  if (X509_REQ_set_subject_name(req.get(), name.get()) != 1) return ossl::fail("X509_REQ_set_subject_name");
  if (!set_public_key(req.get(), key.get())) return ossl::fail("setting the CSR public key");
  if (!sans.empty()) {
    ossl::Ptr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
    for (const auto& s : sans) {
      PKI_TRY_ASSIGN(auto gn, to_openssl(s));
      if (sk_GENERAL_NAME_push(names.get(), gn.get()) <= 0) return ossl::fail("sk_GENERAL_NAME_push");
      (void)gn.release();
    }
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get());
    const bool ok = exts && ext && sk_X509_EXTENSION_push(exts, ext) > 0;
    if (!ok) X509_EXTENSION_free(ext);
    const bool added = ok && X509_REQ_add_extensions(req.get(), exts) == 1;
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (!added) return ossl::fail("adding SANs to the CSR");
  }
  const std::string md = key.default_digest();
  if (X509_REQ_sign(req.get(), key.get(), md.empty() ? nullptr : EVP_get_digestbyname(md.c_str())) <= 0)
    return ossl::fail("signing the CSR");
  std::string der = ossl::to_der(req.get(), i2d_X509_REQ);
  if (der.empty()) return ossl::fail("encoding the CSR");
  return der;
}

}  // namespace pkictl::x509
