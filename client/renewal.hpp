#pragma once
// When to renew: inside the server's ACME Renewal Information window (RFC 9773, at a random point
// of it) when the directory offers renewalInfo, else after two thirds of the lifetime minus up to
// 5 % jitter, so a fleet issued together does not renew together.
#include <string>

#include "client/acme_client.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::client {

struct RenewalDecision {
  bool due = false;
  std::string why;  // the window or threshold that decided
};

[[nodiscard]] Result<RenewalDecision> renewal_due(AcmeClient& acme, const x509::Certificate& leaf, TimePoint now);

}  // namespace pkictl::client
