#pragma once
// One allow or deny pattern of the policy language (pkictl-policy(5)), and the normalisation of
// the names it is matched against. Patterns are typed:
//   dns:api.corp.internal         exactly that name
//   dns:*.payments.corp.internal  any name strictly below, at a label boundary (any depth)
//   dns:*                         any DNS name (linted as over-broad)
//   ip:10.20.0.0/16, ip:fd00::/8, ip:10.1.2.3   an address range (a bare address is /32 or /128)
//   uri:spiffe://corp.internal/ns/payments/     a URI prefix, matched at a path-segment boundary
//   email:ops@corp.internal, email:*@corp.internal, email:*@*.corp.internal
// DNS names compare case-insensitively without a trailing dot; internationalised names compare in
// their A-label (xn--) form. Anything that cannot be judged safely (a malformed A-label, a URI with
// percent-encoding or dot-segments) is refused, never guessed.
#include <string>
#include <string_view>

#include "core/acme/objects.hpp"
#include "core/util/result.hpp"

namespace pkictl::policy {

/**
 * A name to judge, normalised: {"dns", "*.a.b"} / {"ip", canonical} / {"uri", …} / {"email", …}.
 * Accepts "dns:x", "ip:x", "uri:x", "email:x". Errors: InvalidArgument with the reason.
 */
[[nodiscard]] Result<acme::Identifier> normalise_name(std::string_view typed);
/** Normalises an identifier of a given type (see above). Errors: InvalidArgument. */
[[nodiscard]] Result<acme::Identifier> normalise_name(std::string_view type, std::string_view value);

class Pattern final {
 public:
  enum class Kind { AnyDns, DnsExact, DnsBelow, IpRange, UriPrefix, Email };
  /** Errors: InvalidArgument saying what is wrong and how to write it. */
  [[nodiscard]] static Result<Pattern> parse(std::string_view text);

  /** Is every name `n` stands for matched? (A wildcard identifier stands for one label below its base.) */
  bool covers(const acme::Identifier& n) const;
  /** Is any name `n` stands for matched? (For denies: a wildcard must not cover a denied name.) */
  bool touches(const acme::Identifier& n) const;
  /** Does every name this pattern matches also match `other`? (Shadowing, for lint.) */
  bool within(const Pattern& other) const;
  /** Could a name match both? (Overlapping grants, for lint.) */
  bool overlaps(const Pattern& other) const;

  const std::string& text() const { return m_text; }
  Kind kind() const { return m_kind; }
  std::string_view type() const;
  /** Over-broad for a grant: "*", a bare TLD wildcard, an IPv4 range wider than /8 (IPv6 /32), a URI without a path. */
  std::string broad_reason() const;

 /** The DNS part of a dns: or email: pattern. */
  struct DnsPart {
    Kind kind = Kind::DnsExact;  // AnyDns, DnsExact or DnsBelow
    std::string value;           // the name, or ".suffix" for DnsBelow
  };

 private:
  std::string m_text;
  Kind m_kind = Kind::DnsExact;
  DnsPart m_dns;        // dns: and the domain of email:
  std::string m_local;  // email: local part, or "*"
  std::string m_uri;    // uri: the normalised prefix
  std::string m_addr, m_mask;  // ip: address and mask bytes
  int m_prefix_len = 0;
};

}  // namespace pkictl::policy
