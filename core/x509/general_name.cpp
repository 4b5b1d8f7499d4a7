#include "core/x509/general_name.hpp"

#include <arpa/inet.h>
#include <idn2.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace pkictl::x509 {
namespace {

ossl::Ptr<ASN1_STRING> ia5(std::string_view v) {
  ossl::Ptr<ASN1_STRING> s(ASN1_IA5STRING_new());
  if (s && ASN1_STRING_set(s.get(), v.data(), static_cast<int>(v.size())) != 1) s.reset();
  return s;
}

Result<ossl::Ptr<GENERAL_NAME>> make_gn(int type, ossl::Ptr<ASN1_STRING> value) {
  if (!value) return ossl::fail("building a general name");
  ossl::Ptr<GENERAL_NAME> gn(GENERAL_NAME_new());
  if (!gn) return ossl::fail("GENERAL_NAME_new");
  GENERAL_NAME_set0_value(gn.get(), type, value.release());
  return gn;
}

/** Whether an xn-- label is a valid A-label: it decodes (Punycode, IDNA2008) and encodes back to
 * itself. A malformed one could compare equal to nothing or to anything in a name constraint or a
 * policy. */
bool valid_a_label(const std::string& label) {
  char* u = nullptr;
  int rc = idn2_to_unicode_8z8z(label.c_str(), &u, 0);
  std::string again;
  if (rc == IDN2_OK) {
    char* a = nullptr;
    rc = idn2_to_ascii_8z(u, &a, IDN2_NONTRANSITIONAL);
    if (rc == IDN2_OK) again = util::to_lower(a);
    idn2_free(a);
  }
  idn2_free(u);
  return rc == IDN2_OK && again == label;
}

/** Why `v` (lower case) is not a DNS name in preferred syntax (RFC 1034 §3.5 with RFC 1123's
 * leading digits and RFC 5890's A-labels; "_" allowed, as service and legacy internal names use
 * it; "*." first for a wildcard), or nothing when it is one. */
std::optional<std::string> dns_name_problem(std::string_view v, bool allow_leading_dot) {
  if (allow_leading_dot && !v.empty() && v.front() == '.') v.remove_prefix(1);
  if (v.empty()) return "it is empty";
  if (v.size() > 253) return "it is longer than 253 characters";
  if (v.rfind("*.", 0) == 0) v.remove_prefix(2);
  for (const auto& label : util::split(v, '.')) {
    if (label.empty()) return "it has an empty label";
    if (label.size() > 63) return "label '" + label.substr(0, 20) + "...' is longer than 63 characters";
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        return c == '*' ? std::string("'*' may only be the whole first label") : "label '" + label + "' has a character other than a-z, 0-9, '-' and '_'";
    if (label.front() == '-' || label.back() == '-') return "label '" + label + "' begins or ends with '-'";
    if (label.size() >= 4 && label.compare(2, 2, "--") == 0) {
      if (label.rfind("xn--", 0) != 0) return "label '" + label + "' has '--' in its third and fourth characters, which only an A-label (xn--) may";
      if (!valid_a_label(label)) return "label '" + label + "' is not a valid A-label (IDNA2008 Punycode)";
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(GeneralNameType t) {
  switch (t) {
    case GeneralNameType::Dns: return "dns";
    case GeneralNameType::Ip: return "ip";
    case GeneralNameType::Uri: return "uri";
    case GeneralNameType::Email: return "email";
  }
  return "dns";
}

std::string GeneralName::display() const {
  switch (type) {
    case GeneralNameType::Dns: return "DNS:" + value;
    case GeneralNameType::Ip: return "IP:" + value;
    case GeneralNameType::Uri: return "URI:" + value;
    case GeneralNameType::Email: return "email:" + value;
  }
  return value;
}

std::string NameSubtree::display() const {
  return GeneralName{type, value}.display();
}

Result<util::Bytes> ip_bytes(std::string_view text) {
  const std::string s(text);
  util::Bytes out(16);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) { out.resize(4); return out; }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return out;
  return fail(ErrorKind::InvalidArgument, "'" + s + "' is not an IPv4 or IPv6 address");
}

Result<std::string> canonical_ip(std::string_view text) {
  PKI_TRY_ASSIGN(auto bytes, ip_bytes(text));
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return std::string(buf);
}

Result<GeneralName> parse_general_name(std::string_view text) {
  const auto colon = text.find(':');
  std::string prefix = colon == std::string_view::npos ? "" : util::to_lower(text.substr(0, colon));
  std::string_view value = text;
  if (prefix == "dns" || prefix == "ip" || prefix == "uri" || prefix == "email") {
    value = text.substr(colon + 1);
  } else {
    prefix = ip_bytes(text) ? "ip" : "dns";
  }
  if (value.empty()) return fail(ErrorKind::InvalidArgument, "empty " + prefix + " name");
  if (prefix == "ip") {
    PKI_TRY_ASSIGN(auto ip, canonical_ip(value));
    return GeneralName{GeneralNameType::Ip, ip};
  }
  if (prefix == "uri") {
    if (value.find("://") == std::string_view::npos && value.find(':') == std::string_view::npos)
      return fail(ErrorKind::InvalidArgument, "URI '" + std::string(value) + "' needs a scheme (e.g. spiffe://corp.internal/ns/x)");
    return GeneralName{GeneralNameType::Uri, std::string(value)};
  }
  if (prefix == "email") {
    if (value.find('@') == std::string_view::npos)
      return fail(ErrorKind::InvalidArgument, "email address '" + std::string(value) + "' has no @");
    return GeneralName{GeneralNameType::Email, std::string(value)};
  }
  std::string dns = util::to_lower(value);
  if (!dns.empty() && dns.back() == '.') dns.pop_back();
  if (auto why = dns_name_problem(dns, false))
    return fail(ErrorKind::InvalidArgument, "'" + std::string(value) + "' is not a valid DNS name: " + *why);
  return GeneralName{GeneralNameType::Dns, dns};
}

Result<ossl::Ptr<GENERAL_NAME>> to_openssl(const GeneralName& name) {
  switch (name.type) {
    case GeneralNameType::Dns: return make_gn(GEN_DNS, ia5(name.value));
    case GeneralNameType::Uri: return make_gn(GEN_URI, ia5(name.value));
    case GeneralNameType::Email: return make_gn(GEN_EMAIL, ia5(name.value));
    case GeneralNameType::Ip: {
      PKI_TRY_ASSIGN(auto bytes, ip_bytes(name.value));
      ossl::Ptr<ASN1_STRING> os(ASN1_OCTET_STRING_new());
      if (!os || ASN1_OCTET_STRING_set(os.get(), bytes.data(), static_cast<int>(bytes.size())) != 1)
        return ossl::fail("ASN1_OCTET_STRING_set");
      return make_gn(GEN_IPADD, std::move(os));
    }
  }
  return fail(ErrorKind::Internal, "unknown general name type");
}

std::optional<GeneralName> from_openssl(const GENERAL_NAME* gn) {
  int type = 0;
  const auto* v = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
  if (!v) return std::nullopt;
  const std::string raw(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                        static_cast<std::size_t>(ASN1_STRING_length(v)));
  switch (type) {
    case GEN_DNS: return GeneralName{GeneralNameType::Dns, raw};
    case GEN_URI: return GeneralName{GeneralNameType::Uri, raw};
    case GEN_EMAIL: return GeneralName{GeneralNameType::Email, raw};
    case GEN_IPADD: {
      char buf[INET6_ADDRSTRLEN] = {0};
      if (raw.size() == 4) inet_ntop(AF_INET, raw.data(), buf, sizeof buf);
      else if (raw.size() == 16) inet_ntop(AF_INET6, raw.data(), buf, sizeof buf);
      else return std::nullopt;
      return GeneralName{GeneralNameType::Ip, buf};
    }
    default: return std::nullopt;
  }
}

Result<util::Bytes> cidr_bytes(std::string_view cidr) {
  const auto slash = cidr.find('/');
  const std::string hint = " (use CIDR form, e.g. 10.0.0.0/8 or fd00::/8)";
  auto addr = ip_bytes(cidr.substr(0, slash));
  if (!addr) return fail(ErrorKind::InvalidArgument, "'" + std::string(cidr) + "' is not an IP range" + hint);
  const int max_bits = static_cast<int>(addr->size() * 8);
  int prefix = max_bits;
  if (slash != std::string_view::npos) {
    const std::string p(cidr.substr(slash + 1));
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(p) > max_bits)
      return fail(ErrorKind::InvalidArgument, "'" + std::string(cidr) + "' has a bad prefix length" + hint);
    prefix = std::stoi(p);
  }
  util::Bytes out = *addr;
  for (std::size_t i = 0; i < addr->size(); ++i) {
    const int bits = std::clamp(prefix - static_cast<int>(i) * 8, 0, 8);
    const auto mask = static_cast<std::uint8_t>(bits == 0 ? 0 : (0xFF << (8 - bits)) & 0xFF);
    if ((*addr)[i] & ~mask)
      return fail(ErrorKind::InvalidArgument, "'" + std::string(cidr) + "' has host bits set beyond the /" +
                                                  std::to_string(prefix) + " prefix" + hint);
    out.push_back(mask);
  }
  return out;
}

Result<ossl::Ptr<GENERAL_NAME>> to_openssl(const NameSubtree& subtree) {
  switch (subtree.type) {
    case GeneralNameType::Dns: {
      std::string v = util::to_lower(subtree.value);
      if (auto why = dns_name_problem(v, true))
        return fail(ErrorKind::InvalidArgument, "'" + subtree.value + "' is not a valid DNS name constraint (e.g. .corp.internal): " + *why);
      return make_gn(GEN_DNS, ia5(v));
    }
    case GeneralNameType::Email: return make_gn(GEN_EMAIL, ia5(subtree.value));
    case GeneralNameType::Uri: return make_gn(GEN_URI, ia5(subtree.value));
    case GeneralNameType::Ip: {
      // RFC 5280 §4.2.1.10: the address followed by its mask, 8 octets for IPv4, 32 for IPv6.
      PKI_TRY_ASSIGN(auto bytes, cidr_bytes(subtree.value));
      ossl::Ptr<ASN1_STRING> os(ASN1_OCTET_STRING_new());
      if (!os || ASN1_OCTET_STRING_set(os.get(), bytes.data(), static_cast<int>(bytes.size())) != 1)
        return ossl::fail("ASN1_OCTET_STRING_set");
      return make_gn(GEN_IPADD, std::move(os));
    }
  }
  return fail(ErrorKind::Internal, "unknown subtree type");
}

}  // namespace pkictl::x509
