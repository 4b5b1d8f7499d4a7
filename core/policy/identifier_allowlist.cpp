#include "core/policy/identifier_allowlist.hpp"

#include "core/util/text.hpp"
#include "core/x509/general_name.hpp"

namespace pkictl::policy {

Result<IdentifierAllowList> IdentifierAllowList::parse(const std::vector<std::string>& patterns) {
  IdentifierAllowList list;
  for (const auto& raw : patterns) {
    const std::string p = util::to_lower(raw);
    if (p == "*") {
      list.m_rules.push_back({raw, "any", ""});
    } else if (p.rfind("ip:", 0) == 0) {
      auto bytes = x509::cidr_bytes(p.substr(3));
      if (!bytes) return fail(ErrorKind::Config, "allowed identifier \"" + raw + "\": " + bytes.error().detail);
      list.m_rules.push_back({raw, "ip-range", std::string(bytes->begin(), bytes->end())});
    } else {
      std::string name = p.rfind("dns:", 0) == 0 ? p.substr(4) : p;
      const bool suffix = name.rfind("*.", 0) == 0;
      if (suffix) name = name.substr(1);  // ".corp.internal"
      auto gn = x509::parse_general_name("dns:" + (suffix ? "x" + name : name));
      if (!gn || name.empty()) return fail(ErrorKind::Config, "allowed identifier \"" + raw + "\" is not a DNS name or pattern");
      list.m_rules.push_back({raw, suffix ? "dns-suffix" : "dns-exact", name});
    }
  }
  return list;
}

Result<std::string> IdentifierAllowList::allows(const acme::Identifier& ident) const {
  for (const auto& r : m_rules) {
    if (r.type == "any") return r.pattern;
    if (ident.type == "dns") {
      const std::string name = ident.wildcard() ? ident.value.substr(1) : ident.value;  // "*.a.b" → ".a.b"
      if (r.type == "dns-exact" && ident.value == r.value) return r.pattern;
      if (r.type == "dns-suffix" && name.size() > r.value.size() && name.compare(name.size() - r.value.size(), r.value.size(), r.value) == 0)
        return r.pattern;
    } else if (ident.type == "ip" && r.type == "ip-range") {
      auto addr = x509::ip_bytes(ident.value);
      const std::size_t n = r.value.size() / 2;
      if (!addr || addr->size() != n) continue;
      bool match = true;
      for (std::size_t i = 0; i < n && match; ++i)
        match = ((*addr)[i] & static_cast<std::uint8_t>(r.value[n + i])) == static_cast<std::uint8_t>(r.value[i]);
      if (match) return r.pattern;
    }
  }
  return fail(ErrorKind::RejectedIdentifier, "no rule of the server's allowed_identifiers permits " + ident.type + ":" + ident.value);
}

}  // namespace pkictl::policy
