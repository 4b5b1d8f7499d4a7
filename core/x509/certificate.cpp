#include "core/x509/certificate.hpp"

#include <openssl/pem.h>

#include <ctime>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/util/atomic_file.hpp"
#include "core/x509/name.hpp"

namespace pkictl::x509 {
namespace {

bool looks_like_pem(std::string_view data) { return data.find("-----BEGIN ") != std::string_view::npos; }

/** Certificates parsed lately, by their exact DER. A parse costs ~400 µs under OpenSSL 3.0 (its key
 * decoder), and the same CA certificates come back again and again (every chain an ACME client
 * downloads ends in the same intermediate). Entries are shared the way copies of a Certificate
 * are (one X509, reference-counted, never modified after parsing). Bounded: cleared when full. */
class ParseCache {
 public:
  std::optional<Certificate> find(std::string_view der) {
    std::lock_guard lock(m_mutex);
    auto it = m_certs.find(std::string(der));
    if (it == m_certs.end()) return std::nullopt;
    return it->second;
  }
  void add(std::string_view der, const Certificate& c) {
    std::lock_guard lock(m_mutex);
    if (m_certs.size() >= capacity) m_certs.clear();
    m_certs.emplace(std::string(der), c);
  }

 private:
  static constexpr std::size_t capacity = 64;
  std::mutex m_mutex;
  std::unordered_map<std::string, Certificate> m_certs;
};

ParseCache& parse_cache() {
  static ParseCache cache;
  return cache;
}

Result<Certificate> parse_der(std::string_view der) {
  if (auto hit = parse_cache().find(der)) return std::move(*hit);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return ossl::fail("parsing a DER certificate", ErrorKind::Malformed);
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return fail(ErrorKind::Malformed, "trailing data after the DER certificate");
  Certificate c(std::move(x));
  parse_cache().add(der, c);
  return c;
}

}  // namespace

Result<std::vector<std::string>> certificate_ders(std::string_view data) {
  std::vector<std::string> out;
  if (!looks_like_pem(data)) {
    out.emplace_back(data);
    return out;
  }
  auto bio = ossl::mem_bio(data);
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* body = nullptr;
    long len = 0;
    ossl::ErrorMark mark;  // PEM_read_bio reports "no start line" at the end of input
    if (PEM_read_bio(bio.get(), &name, &header, &body, &len) != 1) break;
    const std::string label(name);
    std::string der(reinterpret_cast<char*>(body), static_cast<std::size_t>(len));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(body);
    if (label != "CERTIFICATE" && label != "TRUSTED CERTIFICATE")
      return fail(ErrorKind::Malformed, "expected a CERTIFICATE PEM block, found '" + label + "'");
    out.push_back(std::move(der));
  }
  if (out.empty()) return fail(ErrorKind::Malformed, "no certificate found in the PEM data");
  return out;
}

Result<std::vector<Certificate>> Certificate::parse_all(std::string_view data) {
  PKI_TRY_ASSIGN(auto ders, certificate_ders(data));
  std::vector<Certificate> out;
  for (const auto& der : ders) {
    PKI_TRY_ASSIGN(auto c, parse_der(der));
    out.push_back(std::move(c));
  }
  return out;
}

Result<Certificate> Certificate::parse(std::string_view data) {
  PKI_TRY_ASSIGN(auto all, parse_all(data));
  if (all.size() != 1)
    return fail(ErrorKind::Malformed, "expected one certificate, found " + std::to_string(all.size()));
  return std::move(all.front());
}

Result<Certificate> Certificate::load(const std::string& path) {
  PKI_TRY_ASSIGN(auto data, util::read_file(path));
  auto c = parse(data);
  if (!c) return fail(std::move(c.error().context(path)));
  return c;
}

Result<std::vector<Certificate>> Certificate::load_all(const std::string& path) {
  PKI_TRY_ASSIGN(auto data, util::read_file(path));
  auto c = parse_all(data);
  if (!c) return fail(std::move(c.error().context(path)));
  return c;
}

std::string Certificate::der() const {
  return ossl::to_der(m_x509.get(), i2d_X509);
}

std::string Certificate::pem() const {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), m_x509.get());
  return ossl::bio_to_string(bio.get());
}

std::string Certificate::subject_text() const { return name_to_text(X509_get_subject_name(m_x509.get())); }
std::string Certificate::issuer_text() const { return name_to_text(X509_get_issuer_name(m_x509.get())); }
std::string Certificate::subject_der() const { return name_to_der(X509_get_subject_name(m_x509.get())); }
std::string Certificate::issuer_der() const { return name_to_der(X509_get_issuer_name(m_x509.get())); }
std::string Certificate::common_name() const { return x509::common_name(X509_get_subject_name(m_x509.get())); }

util::Bytes Certificate::serial() const {
  const ASN1_INTEGER* s = X509_get0_serialNumber(m_x509.get());
  const auto* d = ASN1_STRING_get0_data(s);
  return util::Bytes(d, d + ASN1_STRING_length(s));
}

std::string Certificate::serial_hex() const { return util::to_hex(serial()); }

TimePoint asn1_time_to_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return TimePoint{};
  return TimePoint(Seconds(timegm(&tm)));
}

TimePoint Certificate::not_before() const { return asn1_time_to_point(X509_get0_notBefore(m_x509.get())); }
TimePoint Certificate::not_after() const { return asn1_time_to_point(X509_get0_notAfter(m_x509.get())); }

crypto::PublicKey Certificate::public_key() const {
  if (EVP_PKEY* k = X509_get0_pubkey(m_x509.get())) return crypto::PublicKey(ossl::up_ref(k));
  // Built from a copied SubjectPublicKeyInfo (CertificateSpec::subject_spki): decode it now.
  auto decoded = crypto::PublicKey::from_spki_der(ossl::to_der(X509_get_X509_PUBKEY(m_x509.get()), i2d_X509_PUBKEY));
  return decoded ? std::move(*decoded) : crypto::PublicKey(ossl::Ptr<EVP_PKEY>());
}

crypto::Sha256 Certificate::fingerprint() const { return crypto::sha256(der()); }

crypto::Sha256 Certificate::spki_fingerprint() const {
  // Encodes the stored SubjectPublicKeyInfo; cheaper than going through the key's encoder.
  return crypto::sha256(ossl::to_der(X509_get_X509_PUBKEY(m_x509.get()), i2d_X509_PUBKEY));
}

std::optional<util::Bytes> Certificate::subject_key_id() const {
  const ASN1_OCTET_STRING* s = X509_get0_subject_key_id(m_x509.get());
  if (!s) return std::nullopt;
  const auto* d = ASN1_STRING_get0_data(s);
  return util::Bytes(d, d + ASN1_STRING_length(s));
}

std::optional<util::Bytes> Certificate::authority_key_id() const {
  const ASN1_OCTET_STRING* s = X509_get0_authority_key_id(m_x509.get());
  if (!s) return std::nullopt;
  const auto* d = ASN1_STRING_get0_data(s);
  return util::Bytes(d, d + ASN1_STRING_length(s));
}

bool Certificate::is_ca() const { return X509_check_ca(m_x509.get()) == 1 && (X509_get_extension_flags(m_x509.get()) & EXFLAG_CA); }

std::optional<long> Certificate::path_len() const {
  const long n = X509_get_pathlen(m_x509.get());
  if (n < 0) return std::nullopt;
  return n;
}

bool Certificate::is_self_issued() const {
  return X509_NAME_cmp(X509_get_subject_name(m_x509.get()), X509_get_issuer_name(m_x509.get())) == 0;
}

std::vector<GeneralName> Certificate::sans() const {
  std::vector<GeneralName> out;
  ossl::Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(m_x509.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i)
    if (auto gn = from_openssl(sk_GENERAL_NAME_value(names.get(), i))) out.push_back(*gn);
  return out;
}

bool Certificate::signed_by(const crypto::PublicKey& issuer) const {
  const bool ok = X509_verify(m_x509.get(), issuer.get()) == 1;
  ossl::drain_errors();
  return ok;
}

std::string der_to_pem(std::string_view der) {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio(bio.get(), "CERTIFICATE", "", reinterpret_cast<const unsigned char*>(der.data()),
                            static_cast<long>(der.size())) <= 0)
    return {};
  return ossl::bio_to_string(bio.get());
}

std::string to_pem_bundle(const std::vector<Certificate>& certs) {
  std::string out;
  for (const auto& c : certs) out += c.pem();
  return out;
}

Result<std::string> to_pkcs7_certs_only(const std::vector<Certificate>& certs) {
  ossl::Ptr<PKCS7> p7(PKCS7_new());
  // Detached: the encapsulated content is absent (openssl crl2pkcs7 -nocrl writes the same).
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 || PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1 ||
      PKCS7_set_detached(p7.get(), 1) != 1)
    return ossl::fail("building the PKCS #7 bundle");
  for (const auto& c : certs)
    if (PKCS7_add_certificate(p7.get(), c.get()) != 1) return ossl::fail("adding a certificate to the PKCS #7 bundle");
  std::string der = ossl::to_der(p7.get(), i2d_PKCS7);
  if (der.empty()) return ossl::fail("encoding the PKCS #7 bundle");
  return der;
}

}  // namespace pkictl::x509
