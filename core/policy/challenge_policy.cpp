#include "core/policy/challenge_policy.hpp"

#include <algorithm>
#include <array>

namespace pkictl::policy {
namespace {
constexpr std::array<std::string_view, 5> all_types = {"http-01", "dns-01", "tls-alpn-01", "dns-account-01", "dns-persist-01"};
}

bool known_challenge_type(std::string_view type) {
  return std::find(all_types.begin(), all_types.end(), type) != all_types.end();
}

bool dns_based_challenge(std::string_view type) {
  return type == "dns-01" || type == "dns-account-01" || type == "dns-persist-01";
}

std::vector<std::string> ChallengePolicy::offered(const acme::Identifier& ident) const {
  std::vector<std::string> out;
  for (const auto& t : m_enabled) {
    if (ident.type == "ip" && dns_based_challenge(t)) continue;
    if (ident.wildcard() && !dns_based_challenge(t)) continue;
    out.push_back(t);
  }
  return out;
}

std::string ChallengePolicy::why_none(const acme::Identifier& ident) const {
  if (!offered(ident).empty()) return {};
  if (ident.wildcard()) return "wildcard names can only be validated by dns-01, dns-account-01 or dns-persist-01, and none is enabled";
  if (ident.type == "ip") return "IP addresses can only be validated by http-01 or tls-alpn-01, and neither is enabled";
  return "no challenge type is enabled for this identifier";
}

}  // namespace pkictl::policy
