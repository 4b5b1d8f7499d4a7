#pragma once
// Which challenge types are offered for an identifier: decided here and nowhere else. The RA
// creates only these challenges and accepts answers only to them.
//   dns names:  http-01, tls-alpn-01, dns-01, dns-account-01, dns-persist-01
//   wildcards:  only the DNS-based types (RFC 8555 §7.1.3: a wildcard cannot be proven by a host)
//   IP (RFC 8738): http-01 and tls-alpn-01, never the DNS-based types
// intersected with the configured (and, later, the binding's) list.
#include <string>
#include <string_view>
#include <vector>

#include "core/acme/objects.hpp"

namespace pkictl::policy {

bool known_challenge_type(std::string_view type);
bool dns_based_challenge(std::string_view type);

class ChallengePolicy final {
 public:
  explicit ChallengePolicy(std::vector<std::string> enabled) : m_enabled(std::move(enabled)) {}
  /** The types offered for `ident` (a wildcard is passed with its "*." prefix), in config order. */
  std::vector<std::string> offered(const acme::Identifier& ident) const;
  /** Why nothing is offered, for the refusal ("" when something is). */
  std::string why_none(const acme::Identifier& ident) const;

 private:
  std::vector<std::string> m_enabled;
};

}  // namespace pkictl::policy
