#include "core/trust/bundle.hpp"

#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/acme/jwk.hpp"
#include "core/crypto/digest.hpp"
#include "core/util/text.hpp"

namespace pkictl::trust {
namespace {

std::string fp(const x509::Certificate& c) { return util::to_hex(c.fingerprint()); }

std::string slug(const x509::Certificate& c) {
  std::string s;
  for (char ch : util::to_lower(c.common_name().empty() ? c.subject_text() : c.common_name())) {
    if (std::isalnum(static_cast<unsigned char>(ch))) s += ch;
    else if (!s.empty() && s.back() != '-') s += '-';
  }
  while (!s.empty() && s.back() == '-') s.pop_back();
  return (s.empty() ? "ca" : s) + "-" + fp(c).substr(0, 8);
}

Result<std::string> pkcs12(const std::vector<x509::Certificate>& certs, const std::string& password) {
  // Certificate bags only, each marked trusted for Java (the Oracle "trusted key usage" attribute,
  // 2.16.840.1.113894.746875.1.1 = anyExtendedKeyUsage) so keytool lists trustedCertEntry items.
  STACK_OF(PKCS12_SAFEBAG)* bags = nullptr;
  ossl::Ptr<ASN1_OBJECT> any_eku(OBJ_nid2obj(NID_anyExtendedKeyUsage));
  std::string all_der;
  for (const auto& c : certs) {
    PKCS12_SAFEBAG* bag = PKCS12_add_cert(&bags, c.get());
    if (!bag) return ossl::fail("adding a certificate bag");
    const std::string alias = slug(c);
    PKCS12_add_friendlyname_utf8(bag, alias.c_str(), static_cast<int>(alias.size()));
    if (PKCS12_add1_attr_by_txt(bag, "2.16.840.1.113894.746875.1.1", V_ASN1_OBJECT, reinterpret_cast<const unsigned char*>(any_eku.get()), -1) != 1)
      return ossl::fail("marking the certificate trusted");
    all_der += c.der();
  }
  std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), void (*)(STACK_OF(PKCS12_SAFEBAG)*)> bag_guard(
      bags, [](STACK_OF(PKCS12_SAFEBAG)* b) { sk_PKCS12_SAFEBAG_pop_free(b, PKCS12_SAFEBAG_free); });
  STACK_OF(PKCS7)* safes = nullptr;
  // nid -1: the certificate safe is not encrypted (public data, and no random IV).
  if (!PKCS12_add_safe(&safes, bags, -1, 0, password.c_str())) return ossl::fail("building the PKCS#12 safe");
  std::unique_ptr<STACK_OF(PKCS7), void (*)(STACK_OF(PKCS7)*)> safe_guard(safes, [](STACK_OF(PKCS7)* s) { sk_PKCS7_pop_free(s, PKCS7_free); });
  ossl::Ptr<PKCS12> p12(PKCS12_add_safes(safes, 0));
  if (!p12) return ossl::fail("building PKCS#12");
  // The MAC salt comes from the content: same certificates, same file.
  const auto d = crypto::sha256(all_der);
  if (PKCS12_set_mac(p12.get(), password.c_str(), -1, const_cast<unsigned char*>(d.data()), 16, 2048, EVP_sha256()) != 1)
    return ossl::fail("adding the PKCS#12 MAC");
  std::string out = ossl::to_der(p12.get(), i2d_PKCS12);
  if (out.empty()) return ossl::fail("encoding PKCS#12");
  return out;
}

Result<std::string> spiffe(const std::vector<x509::Certificate>& certs) {
  // SPIFFE Trust Domain and Bundle §4: a JWK Set; X.509 authorities have "use": "x509-svid" and
  // exactly one certificate in "x5c" (standard base64 DER).
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& c : certs) {
    PKI_TRY_ASSIGN(auto jwk, acme::key_to_jwk(c.public_key()));
    jwk["use"] = "x509-svid";
    jwk["x5c"] = {util::base64_encode(c.der())};
    keys.push_back(jwk);
  }
  return nlohmann::json{{"keys", keys}}.dump(2) + "\n";
}

std::string configmap(const std::vector<x509::Certificate>& certs, const ExportOptions& o) {
  std::string y = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + o.name + "\n";
  if (!o.k8s_namespace.empty()) y += "  namespace: " + o.k8s_namespace + "\n";
  y += "data:\n  ca.crt: |\n";
  const std::string pem = x509::to_pem_bundle(certs);
  std::size_t start = 0;
  while (start < pem.size()) {
    const auto nl = pem.find('\n', start);
    y += "    " + pem.substr(start, nl - start) + "\n";
    start = nl == std::string::npos ? pem.size() : nl + 1;
  }
  return y;
}

}  // namespace

const std::vector<std::string>& format_names() {
  static const std::vector<std::string> n = {"pem", "der", "p7b", "p12", "debian", "k8s", "spiffe"};
  return n;
}

Result<Format> parse_format(std::string_view name) {
  static const std::map<std::string, Format, std::less<>> m = {{"pem", Format::Pem},       {"der", Format::Der},
                                                               {"p7b", Format::Pkcs7},     {"pkcs7", Format::Pkcs7},
                                                               {"p12", Format::Pkcs12},    {"pkcs12", Format::Pkcs12},
                                                               {"debian", Format::Debian}, {"k8s", Format::Kubernetes},
                                                               {"spiffe", Format::Spiffe}};
  auto it = m.find(name);
  if (it == m.end()) return fail(ErrorKind::InvalidArgument, "unknown bundle format \"" + std::string(name) + "\" (pem, der, p7b, p12, debian, k8s, spiffe)");
  return it->second;
}

bool is_directory_format(Format f) { return f == Format::Debian; }

std::vector<x509::Certificate> normalise(std::vector<x509::Certificate> roots, std::vector<x509::Certificate> intermediates) {
  auto order = [](std::vector<x509::Certificate>& v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return std::make_pair(a.subject_text(), fp(a)) < std::make_pair(b.subject_text(), fp(b));
    });
  };
  order(roots);
  order(intermediates);
  std::vector<x509::Certificate> out;
  for (auto* group : {&roots, &intermediates})
    for (auto& c : *group)
      if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o == c; })) out.push_back(std::move(c));
  return out;
}

Result<std::map<std::string, std::string>> render(const std::vector<x509::Certificate>& certs, Format format, const ExportOptions& options) {
  if (certs.empty()) return fail(ErrorKind::InvalidArgument, "no certificates to export");
  std::map<std::string, std::string> out;
  switch (format) {
    case Format::Pem: out[""] = x509::to_pem_bundle(certs); break;
    case Format::Der:
      if (certs.size() != 1)
        return fail(ErrorKind::InvalidArgument, "DER holds one certificate and there are " + std::to_string(certs.size()) + "; use pem or p7b");
      out[""] = certs.front().der();
      break;
    case Format::Pkcs7: { PKI_TRY_ASSIGN(out[""], x509::to_pkcs7_certs_only(certs)); break; }
    case Format::Pkcs12: { PKI_TRY_ASSIGN(out[""], pkcs12(certs, options.p12_password)); break; }
    case Format::Debian:
      for (const auto& c : certs) out[slug(c) + ".crt"] = c.pem();
      break;
    case Format::Kubernetes: out[""] = configmap(certs, options); break;
    case Format::Spiffe: { PKI_TRY_ASSIGN(out[""], spiffe(certs)); break; }
  }
  return out;
}

Result<std::vector<x509::Certificate>> read_bundle(std::string_view data, const std::string& password) {
  if (data.find("-----BEGIN") != std::string_view::npos) return x509::Certificate::parse_all(data);
  {  // PKCS#7
    ossl::ErrorMark mark;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    ossl::Ptr<PKCS7> p7(d2i_PKCS7(nullptr, &p, static_cast<long>(data.size())));
    if (p7 && PKCS7_type_is_signed(p7.get()) && p7->d.sign && p7->d.sign->cert) {
      std::vector<x509::Certificate> out;
      for (int i = 0; i < sk_X509_num(p7->d.sign->cert); ++i) out.emplace_back(ossl::up_ref(sk_X509_value(p7->d.sign->cert, i)));
      return out;
    }
  }
  {  // PKCS#12
    ossl::ErrorMark mark;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    ossl::Ptr<PKCS12> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())));
    if (p12) {
      EVP_PKEY* key = nullptr;
      X509* cert = nullptr;
      STACK_OF(X509)* ca = nullptr;
      if (PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca) != 1) return ossl::fail("reading PKCS#12 (wrong password?)", ErrorKind::Malformed);
      EVP_PKEY_free(key);
      std::vector<x509::Certificate> out;
      if (cert) out.emplace_back(ossl::Ptr<X509>(cert));
      for (int i = 0; ca && i < sk_X509_num(ca); ++i) out.emplace_back(ossl::up_ref(sk_X509_value(ca, i)));
      sk_X509_pop_free(ca, X509_free);
      return out;
    }
  }
  return x509::Certificate::parse_all(data);  // DER: one certificate
}

Difference diff(const std::vector<x509::Certificate>& before, const std::vector<x509::Certificate>& after) {
  Difference d;
  auto has = [](const std::vector<x509::Certificate>& v, const x509::Certificate& c) { return std::any_of(v.begin(), v.end(), [&](const auto& o) { return o == c; }); };
  for (const auto& c : after) (has(before, c) ? d.kept : d.added).push_back(c);
  for (const auto& c : before)
    if (!has(after, c)) d.removed.push_back(c);
  return d;
}

}  // namespace pkictl::trust
