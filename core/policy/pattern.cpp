#include "core/policy/pattern.hpp"

#include <idn2.h>

#include <algorithm>

#include "core/util/text.hpp"
#include "core/x509/general_name.hpp"

namespace pkictl::policy {
namespace {

Error bad(const std::string& what) { return Error{ErrorKind::InvalidArgument, what, {}, {}, {}}; }

bool ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

/** "a.b" is strictly below ".b"-suffix? */
bool below(std::string_view name, std::string_view dot_suffix) {
  return name.size() > dot_suffix.size() && name.compare(name.size() - dot_suffix.size(), dot_suffix.size(), dot_suffix) == 0;
}

/** A DNS name (optionally "*."-prefixed) to its canonical form: lower case, no trailing dot,
 * U-labels converted to A-labels (IDNA2008, UTS #46 non-transitional), every xn-- label checked
 * (by x509::parse_general_name). */
Result<std::string> canonical_dns(std::string_view in) {
  std::string v(in);
  if (!v.empty() && v.back() == '.') v.pop_back();
  const bool wild = v.rfind("*.", 0) == 0;
  std::string base = wild ? v.substr(2) : v;
  if (!ascii(base)) {
    char* out = nullptr;
    const int rc = idn2_to_ascii_8z(base.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) return fail(bad("'" + std::string(in) + "' is not a valid internationalised name: " + idn2_strerror(rc)));
    base = out;
    idn2_free(out);
  }
  base = util::to_lower(base);
  const std::string out = (wild ? "*." : "") + base;
  // parse_general_name checks each label, A-labels included (they must decode and re-encode).
  auto gn = x509::parse_general_name("dns:" + out);
  if (!gn) return fail(bad(gn.error().detail));
  return gn->value;
}

/** A URI for prefix matching: scheme and host lower-cased; refused when it could be read two ways. */
Result<std::string> canonical_uri(std::string_view in) {
  const std::string v(in);
  const auto sep = v.find("://");
  if (sep == std::string::npos || sep == 0) return fail(bad("URI '" + v + "' needs a scheme and authority, e.g. spiffe://corp.internal/ns/x"));
  if (!ascii(v) || v.find_first_of(" \t\r\n\"<>\\^`{|}") != std::string::npos) return fail(bad("URI '" + v + "' has characters a URI cannot contain"));
  if (v.find('%') != std::string::npos) return fail(bad("URI '" + v + "' uses percent-encoding, which policy cannot judge safely"));
  if (v.find_first_of("?#") != std::string::npos) return fail(bad("URI '" + v + "' has a query or fragment"));
  const auto path_at = v.find('/', sep + 3);
  const std::string authority = v.substr(sep + 3, path_at == std::string::npos ? std::string::npos : path_at - sep - 3);
  if (authority.empty() || authority.find('@') != std::string::npos) return fail(bad("URI '" + v + "' needs a host and no user information"));
  const std::string path = path_at == std::string::npos ? "" : v.substr(path_at);
  for (const auto& seg : util::split(path, '/'))
    if (seg == "." || seg == "..") return fail(bad("URI '" + v + "' has a dot-segment (. or ..)"));
  if (path.find("//") != std::string::npos) return fail(bad("URI '" + v + "' has an empty path segment"));
  return util::to_lower(v.substr(0, sep)) + "://" + util::to_lower(authority) + path;
}

Result<std::string> canonical_email(std::string_view in) {
  const std::string v(in);
  const auto at = v.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == v.size()) return fail(bad("'" + v + "' is not an email address (local@domain)"));
  const std::string local = v.substr(0, at);
  if (!ascii(local) || local.find_first_of(" \t\r\n<>()[]\\,;:\"@") != std::string::npos)
    return fail(bad("'" + v + "' has a local part policy cannot judge (quoted, non-ASCII or with special characters)"));
  PKI_TRY_ASSIGN(auto domain, canonical_dns(v.substr(at + 1)));
  if (domain.rfind("*.", 0) == 0) return fail(bad("'" + v + "': an email domain cannot be a wildcard"));
  return local + "@" + domain;
}

bool dns_covers(const Pattern::DnsPart& p, std::string_view name) {
  const bool wild = name.rfind("*.", 0) == 0;
  switch (p.kind) {
    case Pattern::Kind::AnyDns: return true;
    case Pattern::Kind::DnsExact: return !wild && name == p.value;
    case Pattern::Kind::DnsBelow: {
      if (!wild) return below(name, p.value);
      const std::string_view base = name.substr(1);  // ".y": every l.y is below x when y == x or y is below x
      return base == p.value || below(base, p.value);
    }
    default: return false;
  }
}

bool dns_touches(const Pattern::DnsPart& p, std::string_view name) {
  if (name.rfind("*.", 0) != 0 || p.kind == Pattern::Kind::AnyDns) return dns_covers(p, name);
  const std::string_view base = name.substr(1);  // ".y"
  if (p.kind == Pattern::Kind::DnsExact)         // v is one label directly below y
    return below(p.value, base) && p.value.find('.') == p.value.size() - base.size();
  return base == p.value || below(base, p.value);
}

/** Every name of `a` is a name of `b`. */
bool dns_within(const Pattern::DnsPart& a, const Pattern::DnsPart& b) {
  if (b.kind == Pattern::Kind::AnyDns) return true;
  if (a.kind == Pattern::Kind::AnyDns) return false;
  if (a.kind == Pattern::Kind::DnsExact) return dns_covers(b, a.value);
  return b.kind == Pattern::Kind::DnsBelow && (a.value == b.value || below(a.value, b.value));
}

bool dns_overlaps(const Pattern::DnsPart& a, const Pattern::DnsPart& b) { return dns_within(a, b) || dns_within(b, a); }

bool uri_prefix_matches(const std::string& prefix, const std::string& uri) {
  if (uri.rfind(prefix, 0) != 0) return false;
  return prefix.back() == '/' || uri.size() == prefix.size() || uri[prefix.size()] == '/';
}

bool ip_in(const std::string& addr, const std::string& net, const std::string& mask) {
  if (addr.size() != net.size()) return false;
  for (std::size_t i = 0; i < addr.size(); ++i)
    if ((static_cast<unsigned char>(addr[i]) & static_cast<unsigned char>(mask[i])) != static_cast<unsigned char>(net[i])) return false;
  return true;
}

}  // namespace

Result<acme::Identifier> normalise_name(std::string_view type, std::string_view value) {
  const std::string t = util::to_lower(type);
  if (t == "dns") {
    if (x509::ip_bytes(value)) return fail(bad("'" + std::string(value) + "' is an IP address: use ip:"));
    PKI_TRY_ASSIGN(auto v, canonical_dns(value));
    return acme::Identifier{"dns", v};
  }
  if (t == "ip") {
    auto ip = x509::canonical_ip(value);
    if (!ip) return fail(bad("'" + std::string(value) + "' is not an IPv4 or IPv6 address"));
    return acme::Identifier{"ip", *ip};
  }
  if (t == "uri") {
    PKI_TRY_ASSIGN(auto v, canonical_uri(value));
    return acme::Identifier{"uri", v};
  }
  if (t == "email") {
    PKI_TRY_ASSIGN(auto v, canonical_email(value));
    return acme::Identifier{"email", v};
  }
  return fail(bad("unknown identifier type '" + t + "' (dns, ip, uri, email)"));
}

Result<acme::Identifier> normalise_name(std::string_view typed) {
  const auto colon = typed.find(':');
  if (colon == std::string_view::npos) return fail(bad("'" + std::string(typed) + "' needs a type: dns:, ip:, uri: or email:"));
  return normalise_name(typed.substr(0, colon), typed.substr(colon + 1));
}

Result<Pattern> Pattern::parse(std::string_view text) {
  Pattern p;
  p.m_text = std::string(text);
  const auto colon = text.find(':');
  const std::string type = colon == std::string_view::npos ? "" : util::to_lower(text.substr(0, colon));
  const std::string value = colon == std::string_view::npos ? "" : std::string(text.substr(colon + 1));
  auto dns_part = [&](const std::string& v, DnsPart& out) -> Result<void> {
    if (v == "*") {
      out.kind = Kind::AnyDns;
      return {};
    }
    if (v.find('*') != std::string::npos && (v.rfind("*.", 0) != 0 || v.find('*', 1) != std::string::npos))
      return fail(bad("'" + v + "': a wildcard must be the whole leftmost label, as in *.corp.internal"));
    auto canon = canonical_dns(v);
    if (!canon) return fail(std::move(canon).error());
    const bool wild = v.rfind("*.", 0) == 0;
    out.kind = wild ? Kind::DnsBelow : Kind::DnsExact;
    out.value = wild ? canon->substr(1) : *canon;
    return {};
  };
  if (type == "dns") {
    if (x509::ip_bytes(value)) return fail(bad("'" + p.m_text + "' is an IP address: write ip:" + value));
    PKI_TRY(dns_part(value, p.m_dns));
    p.m_kind = p.m_dns.kind;
  } else if (type == "ip") {
    std::string cidr = value;
    if (cidr.find('/') == std::string::npos) {
      auto b = x509::ip_bytes(cidr);
      if (!b) return fail(bad("'" + value + "' is not an IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)"));
      cidr += b->size() == 4 ? "/32" : "/128";
    }
    auto bytes = x509::cidr_bytes(cidr);
    if (!bytes) return fail(bad(bytes.error().detail));
    const std::size_t n = bytes->size() / 2;
    p.m_kind = Kind::IpRange;
    p.m_addr.assign(bytes->begin(), bytes->begin() + static_cast<long>(n));
    p.m_mask.assign(bytes->begin() + static_cast<long>(n), bytes->end());
    p.m_prefix_len = std::stoi(cidr.substr(cidr.find('/') + 1));
  } else if (type == "uri") {
    PKI_TRY_ASSIGN(p.m_uri, canonical_uri(value));
    p.m_kind = Kind::UriPrefix;
  } else if (type == "email") {
    const auto at = value.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == value.size())
      return fail(bad("'" + p.m_text + "' must be email:local@domain, email:*@domain or email:*@*.domain"));
    p.m_local = value.substr(0, at);
    if (p.m_local != "*") {
      PKI_TRY_ASSIGN(auto canon, canonical_email(value));
      p.m_local = canon.substr(0, canon.rfind('@'));
    }
    PKI_TRY(dns_part(value.substr(at + 1), p.m_dns));
    p.m_kind = Kind::Email;
  } else {
    return fail(bad("'" + p.m_text + "' needs a type prefix: dns:, ip:, uri: or email: (e.g. dns:*.corp.internal)"));
  }
  return p;
}

std::string_view Pattern::type() const {
  switch (m_kind) {
    case Kind::AnyDns: case Kind::DnsExact: case Kind::DnsBelow: return "dns";
    case Kind::IpRange: return "ip";
    case Kind::UriPrefix: return "uri";
    case Kind::Email: return "email";
  }
  return "";
}

bool Pattern::covers(const acme::Identifier& n) const {
  if (n.type != type()) return false;
  switch (m_kind) {
    case Kind::AnyDns: case Kind::DnsExact: case Kind::DnsBelow: return dns_covers(m_dns, n.value);
    case Kind::IpRange: {
      auto b = x509::ip_bytes(n.value);
      return b && ip_in(std::string(b->begin(), b->end()), m_addr, m_mask);
    }
    case Kind::UriPrefix: return uri_prefix_matches(m_uri, n.value);
    case Kind::Email: {
      const auto at = n.value.rfind('@');
      if (at == std::string::npos) return false;
      return (m_local == "*" || m_local == n.value.substr(0, at)) && dns_covers(m_dns, n.value.substr(at + 1));
    }
  }
  return false;
}

bool Pattern::touches(const acme::Identifier& n) const {
  if (n.type == "dns" && type() == "dns") return dns_touches(m_dns, n.value);
  return covers(n);
}

bool Pattern::within(const Pattern& o) const {
  if (type() != o.type()) return false;
  switch (m_kind) {
    case Kind::AnyDns: case Kind::DnsExact: case Kind::DnsBelow: return dns_within(m_dns, o.m_dns);
    case Kind::IpRange: return m_addr.size() == o.m_addr.size() && m_prefix_len >= o.m_prefix_len && ip_in(m_addr, o.m_addr, o.m_mask);
    case Kind::UriPrefix: return uri_prefix_matches(o.m_uri, m_uri);
    case Kind::Email: return (o.m_local == "*" || o.m_local == m_local) && dns_within(m_dns, o.m_dns);
  }
  return false;
}

bool Pattern::overlaps(const Pattern& o) const {
  if (type() != o.type()) return false;
  switch (m_kind) {
    case Kind::AnyDns: case Kind::DnsExact: case Kind::DnsBelow: return dns_overlaps(m_dns, o.m_dns);
    case Kind::Email: return (m_local == "*" || o.m_local == "*" || m_local == o.m_local) && dns_overlaps(m_dns, o.m_dns);
    default: return within(o) || o.within(*this);
  }
}

std::string Pattern::broad_reason() const {
  switch (m_kind) {
    case Kind::AnyDns: return "matches every DNS name";
    case Kind::DnsBelow:
      if (m_dns.value.find('.', 1) == std::string::npos) return "matches every name in the top-level domain " + m_dns.value.substr(1);
      return {};
    case Kind::IpRange:
      if (m_addr.size() == 4 && m_prefix_len < 8) return "an IPv4 range wider than /8";
      if (m_addr.size() == 16 && m_prefix_len < 32) return "an IPv6 range wider than /32";
      return {};
    case Kind::UriPrefix:
      if (m_uri.find('/', m_uri.find("://") + 3) == std::string::npos) return "a URI prefix without a path matches every ID of its trust domain";
      return {};
    case Kind::Email:
      if (m_dns.kind == Kind::AnyDns) return "matches every email address";
      return {};
    default: return {};
  }
}

}  // namespace pkictl::policy
