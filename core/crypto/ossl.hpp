#pragma once
// RAII for every OpenSSL handle: Free<T> per type, Ptr<T> = unique_ptr<T, Free<T>>.
// No *_free call anywhere else in the code base.
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/kdf.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string_view>

#include "core/util/result.hpp"

namespace pkictl::ossl {

template <class T>
struct Free;

#define PKICTL_OSSL_FREE(T, fn)                         \
  template <>                                           \
  struct Free<T> {                                      \
    void operator()(T* p) const noexcept { fn(p); }     \
  };

PKICTL_OSSL_FREE(EVP_PKEY, EVP_PKEY_free)
PKICTL_OSSL_FREE(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
PKICTL_OSSL_FREE(EVP_MD_CTX, EVP_MD_CTX_free)
PKICTL_OSSL_FREE(EVP_MD, EVP_MD_free)
PKICTL_OSSL_FREE(EVP_CIPHER, EVP_CIPHER_free)
PKICTL_OSSL_FREE(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
PKICTL_OSSL_FREE(EVP_MAC, EVP_MAC_free)
PKICTL_OSSL_FREE(EVP_MAC_CTX, EVP_MAC_CTX_free)
PKICTL_OSSL_FREE(X509, X509_free)
PKICTL_OSSL_FREE(X509_REQ, X509_REQ_free)
PKICTL_OSSL_FREE(X509_CRL, X509_CRL_free)
PKICTL_OSSL_FREE(X509_REVOKED, X509_REVOKED_free)
PKICTL_OSSL_FREE(X509_NAME, X509_NAME_free)
PKICTL_OSSL_FREE(X509_EXTENSION, X509_EXTENSION_free)
PKICTL_OSSL_FREE(X509_STORE, X509_STORE_free)
PKICTL_OSSL_FREE(X509_STORE_CTX, X509_STORE_CTX_free)
PKICTL_OSSL_FREE(X509_VERIFY_PARAM, X509_VERIFY_PARAM_free)
PKICTL_OSSL_FREE(X509_SIG, X509_SIG_free)
PKICTL_OSSL_FREE(X509_ALGOR, X509_ALGOR_free)
PKICTL_OSSL_FREE(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)
PKICTL_OSSL_FREE(BIO, BIO_free_all)
PKICTL_OSSL_FREE(BIGNUM, BN_free)
PKICTL_OSSL_FREE(BN_CTX, BN_CTX_free)
PKICTL_OSSL_FREE(ASN1_STRING, ASN1_STRING_free)  // also ASN1_INTEGER, ASN1_TIME, ASN1_OCTET_STRING, …
PKICTL_OSSL_FREE(ASN1_OBJECT, ASN1_OBJECT_free)
PKICTL_OSSL_FREE(GENERAL_NAME, GENERAL_NAME_free)
PKICTL_OSSL_FREE(GENERAL_NAMES, GENERAL_NAMES_free)
PKICTL_OSSL_FREE(GENERAL_SUBTREE, GENERAL_SUBTREE_free)
PKICTL_OSSL_FREE(NAME_CONSTRAINTS, NAME_CONSTRAINTS_free)
PKICTL_OSSL_FREE(BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free)
PKICTL_OSSL_FREE(EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free)
PKICTL_OSSL_FREE(AUTHORITY_KEYID, AUTHORITY_KEYID_free)
PKICTL_OSSL_FREE(CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free)
PKICTL_OSSL_FREE(POLICYINFO, POLICYINFO_free)
PKICTL_OSSL_FREE(CRL_DIST_POINTS, CRL_DIST_POINTS_free)
PKICTL_OSSL_FREE(DIST_POINT, DIST_POINT_free)
PKICTL_OSSL_FREE(SSL_CTX, SSL_CTX_free)
PKICTL_OSSL_FREE(SSL, SSL_free)
PKICTL_OSSL_FREE(X509_PUBKEY, X509_PUBKEY_free)
PKICTL_OSSL_FREE(PKCS7, PKCS7_free)
PKICTL_OSSL_FREE(PKCS12, PKCS12_free)
PKICTL_OSSL_FREE(EVP_KDF, EVP_KDF_free)
PKICTL_OSSL_FREE(EVP_KDF_CTX, EVP_KDF_CTX_free)
PKICTL_OSSL_FREE(AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free)
PKICTL_OSSL_FREE(ACCESS_DESCRIPTION, ACCESS_DESCRIPTION_free)
PKICTL_OSSL_FREE(DIST_POINT_NAME, DIST_POINT_NAME_free)
PKICTL_OSSL_FREE(ISSUING_DIST_POINT, ISSUING_DIST_POINT_free)
PKICTL_OSSL_FREE(ECDSA_SIG, ECDSA_SIG_free)
PKICTL_OSSL_FREE(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
PKICTL_OSSL_FREE(OSSL_PARAM, OSSL_PARAM_free)

inline void free_x509_stack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
PKICTL_OSSL_FREE(STACK_OF(X509), free_x509_stack)
#undef PKICTL_OSSL_FREE

template <class T>
using Ptr = std::unique_ptr<T, Free<T>>;

/** Adds a reference to a shared handle and returns an owning Ptr. */
inline Ptr<X509> up_ref(X509* p) { X509_up_ref(p); return Ptr<X509>(p); }
inline Ptr<EVP_PKEY> up_ref(EVP_PKEY* p) { EVP_PKEY_up_ref(p); return Ptr<EVP_PKEY>(p); }
inline Ptr<X509_CRL> up_ref(X509_CRL* p) { X509_CRL_up_ref(p); return Ptr<X509_CRL>(p); }

/** Drains the whole OpenSSL error queue into an Error{kind, "<what> failed", internal=queue}. */
Error error(std::string_view what, ErrorKind kind = ErrorKind::Crypto);
/** `return ossl::fail("X509_sign");` */
inline Unexpected<Error> fail(std::string_view what, ErrorKind kind = ErrorKind::Crypto) {
  return Unexpected<Error>(error(what, kind));
}
/** The text of the error queue, drained. */
std::string drain_errors();

/** The DER encoding by an OpenSSL i2d_* function; "" if it fails (the caller says what failed). */
template <class T, class I2d>
std::string to_der(T* obj, I2d i2d) {
  unsigned char* buf = nullptr;
  const int n = obj ? i2d(obj, &buf) : 0;
  std::string out(n > 0 ? reinterpret_cast<char*>(buf) : "", n > 0 ? static_cast<std::size_t>(n) : 0);
  OPENSSL_free(buf);
  return out;
}

/** RAII ERR_set_mark / ERR_pop_to_mark: probing calls leave no stale errors behind. */
class ErrorMark final {
 public:
  ErrorMark() { ERR_set_mark(); }
  ~ErrorMark() { ERR_pop_to_mark(); }
  ErrorMark(const ErrorMark&) = delete;
  ErrorMark& operator=(const ErrorMark&) = delete;
};

/** A memory BIO reading `data` (not copied: data must outlive the BIO). */
Ptr<BIO> mem_bio(std::string_view data);
/** The contents of a memory BIO. */
std::string bio_to_string(BIO* bio);

}  // namespace pkictl::ossl
