#include "core/x509/csr.hpp"

#include <openssl/pem.h>

#include "core/crypto/digest.hpp"
#include "core/x509/name.hpp"

namespace pkictl::x509 {

Result<UntrustedCsr> UntrustedCsr::parse(std::string_view data) {
  ossl::Ptr<X509_REQ> req;
  if (data.find("-----BEGIN ") != std::string_view::npos) {
    if (data.find("-----BEGIN CERTIFICATE REQUEST-----") == std::string_view::npos &&
        data.find("-----BEGIN NEW CERTIFICATE REQUEST-----") == std::string_view::npos)
      return fail(ErrorKind::BadCsr, "expected a PEM block labelled CERTIFICATE REQUEST");
    auto bio = ossl::mem_bio(data);
    req.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    req.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(data.size())));
    if (req && p != reinterpret_cast<const unsigned char*>(data.data()) + data.size())
      return fail(ErrorKind::BadCsr, "trailing data after the DER CSR");
  }
  if (!req) return ossl::fail("parsing the CSR", ErrorKind::BadCsr);
  return UntrustedCsr(std::shared_ptr<X509_REQ>(req.release(), X509_REQ_free));
}

Result<VerifiedCsr> UntrustedCsr::verify() const {
  EVP_PKEY* pk = X509_REQ_get0_pubkey(m_req.get());
  if (!pk) return ossl::fail("reading the CSR public key", ErrorKind::BadCsr);
  if (X509_REQ_verify(m_req.get(), pk) != 1) {
    Error e = ossl::error("verifying the CSR signature", ErrorKind::BadCsr);
    e.detail = "the CSR signature does not verify with its own public key";
    return fail(std::move(e));
  }
  crypto::PublicKey key(ossl::up_ref(pk));
  return VerifiedCsr(m_req, std::move(key));
}

std::string VerifiedCsr::subject_der() const { return name_to_der(X509_REQ_get_subject_name(m_req.get())); }
std::string VerifiedCsr::subject_text() const { return name_to_text(X509_REQ_get_subject_name(m_req.get())); }
std::string VerifiedCsr::common_name() const { return x509::common_name(X509_REQ_get_subject_name(m_req.get())); }

std::vector<GeneralName> VerifiedCsr::requested_sans() const {
  std::vector<GeneralName> out;
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(m_req.get());
  if (!exts) return out;
  ossl::Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts, NID_subject_alt_name, nullptr, nullptr)));
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i)
    if (auto gn = from_openssl(sk_GENERAL_NAME_value(names.get(), i))) out.push_back(*gn);
  return out;
}

crypto::Sha256 VerifiedCsr::spki_fingerprint() const {
  return crypto::sha256(ossl::to_der(X509_REQ_get_X509_PUBKEY(m_req.get()), i2d_X509_PUBKEY));
}

std::string VerifiedCsr::der() const {
  return ossl::to_der(m_req.get(), i2d_X509_REQ);
}

Result<std::string> make_csr_pem(std::string_view subject_der, const std::vector<GeneralName>& sans,
                                 const crypto::PrivateKey& key) {
  ossl::Ptr<X509_REQ> req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) return ossl::fail("X509_REQ_new");
  PKI_TRY_ASSIGN(auto name, name_from_der(subject_der));
  if (X509_REQ_set_subject_name(req.get(), name.get()) != 1) return ossl::fail("X509_REQ_set_subject_name");
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1) return ossl::fail("X509_REQ_set_pubkey");
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
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  return ossl::bio_to_string(bio.get());
}

}  // namespace pkictl::x509
