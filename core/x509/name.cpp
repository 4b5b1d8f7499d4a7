#include "core/x509/name.hpp"

#include <algorithm>
#include <vector>

#include "core/util/text.hpp"

namespace pkictl::x509 {
namespace {

struct Rdn {
  std::string attr;
  std::string value;
};

Result<std::vector<Rdn>> split_rfc4514(std::string_view text) {
  std::vector<Rdn> out;
  std::string cur;
  bool escaped = false;
  auto flush = [&]() -> Result<void> {
    const auto eq = cur.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(ErrorKind::InvalidArgument, "bad name component '" + cur + "' (expected ATTR=value, e.g. CN=Example Root CA)");
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(' '));
      s.erase(s.find_last_not_of(' ') + 1);
      return s;
    };
    out.push_back({trim(cur.substr(0, eq)), trim(cur.substr(eq + 1))});
    cur.clear();
    return {};
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (escaped) {
      cur.push_back(c);
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ',') {
      PKI_TRY(flush());
    } else if (c == '+') {
      return fail(ErrorKind::InvalidArgument, "multi-valued RDNs ('+') are not supported; escape a literal + as \\+");
    } else {
      cur.push_back(c);
    }
  }
  if (escaped) return fail(ErrorKind::InvalidArgument, "name ends with a lone backslash");
  PKI_TRY(flush());
  return out;
}

Result<std::vector<Rdn>> split_slash(std::string_view text) {
  std::vector<Rdn> out;
  std::size_t i = 1;
  while (i <= text.size()) {
    std::size_t j = i;
    std::string part;
    while (j < text.size() && text[j] != '/') {
      if (text[j] == '\\' && j + 1 < text.size()) ++j;
      part.push_back(text[j++]);
    }
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(ErrorKind::InvalidArgument, "bad name component '" + part + "' (expected /ATTR=value)");
    out.push_back({part.substr(0, eq), part.substr(eq + 1)});
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string empty_name_der() {
  ossl::Ptr<X509_NAME> empty(X509_NAME_new());
  return name_to_der(empty.get());
}

Result<std::string> parse_name(std::string_view text) {
  if (text.empty()) return fail(ErrorKind::InvalidArgument, "empty subject name (e.g. --subject \"CN=Example Root CA,O=Example\")");
  std::vector<Rdn> rdns;
  if (text.front() == '/') {
    PKI_TRY_ASSIGN(rdns, split_slash(text));
  } else {
    PKI_TRY_ASSIGN(rdns, split_rfc4514(text));
    std::reverse(rdns.begin(), rdns.end());  // RFC 4514 lists the last RDN first
  }
  ossl::Ptr<X509_NAME> name(X509_NAME_new());
  if (!name) return ossl::fail("X509_NAME_new");
  for (const auto& r : rdns) {
    if (r.value.empty()) return fail(ErrorKind::InvalidArgument, "empty value for " + r.attr + " in the name");
    if (OBJ_txt2nid(r.attr.c_str()) == NID_undef)
      return fail(ErrorKind::InvalidArgument, "unknown name attribute '" + r.attr + "' (use CN, O, OU, C, L, ST, DC, serialNumber, …)");
    if (util::to_lower(r.attr) == "c" && r.value.size() != 2)
      return fail(ErrorKind::InvalidArgument, "country (C) must be a two-letter code, got '" + r.value + "'");
    if (X509_NAME_add_entry_by_txt(name.get(), r.attr.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(r.value.data()),
                                   static_cast<int>(r.value.size()), -1, 0) != 1)
      return ossl::fail("adding " + r.attr + "=" + r.value + " to the name", ErrorKind::InvalidArgument);
  }
  return name_to_der(name.get());
}

std::string name_to_der(const X509_NAME* name) {
  return ossl::to_der(name, i2d_X509_NAME);
}

Result<ossl::Ptr<X509_NAME>> name_from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Ptr<X509_NAME> n(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
  if (!n) return ossl::fail("parsing a distinguished name", ErrorKind::Malformed);
  return n;
}

std::string name_to_text(const X509_NAME* name) {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return ossl::bio_to_string(bio.get());
}

std::string name_der_to_text(std::string_view der) {
  auto n = name_from_der(der);
  return n ? name_to_text(n->get()) : std::string("<unparsable name>");
}

std::string common_name(const X509_NAME* name) {
  const int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace pkictl::x509
