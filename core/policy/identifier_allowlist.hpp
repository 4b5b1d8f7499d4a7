#pragma once
// The server's identifier allow-list until the full policy engine lands: fails closed (an empty
// list allows nothing). Patterns: "*" (anything, dev only), "*.corp.internal" (names below, at a
// label boundary), "dns:api.corp.internal" or a bare name (exactly), "ip:10.0.0.0/8" (a range).
#include <string>
#include <vector>

#include "core/acme/objects.hpp"
#include "core/util/result.hpp"

namespace pkictl::policy {

class IdentifierAllowList final {
 public:
  /** Errors: Config for a pattern that cannot be parsed. */
  [[nodiscard]] static Result<IdentifierAllowList> parse(const std::vector<std::string>& patterns);
  /** Which pattern allowed `ident`, or RejectedIdentifier saying none did. */
  [[nodiscard]] Result<std::string> allows(const acme::Identifier& ident) const;

 private:
  struct Rule {
    std::string pattern;
    std::string type;    // "any", "dns-suffix", "dns-exact", "ip-range"
    std::string value;   // suffix with leading dot, exact name, or address+mask bytes
  };
  std::vector<Rule> m_rules;
};

}  // namespace pkictl::policy
