#pragma once
// Path building and validation with OpenSSL's verifier, explaining a failure in one line.
#include <optional>
#include <string>
#include <vector>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::x509 {

struct VerifyOptions {
  std::optional<TimePoint> at;     // verification time; default now
  std::string purpose;             // "", "sslserver", "sslclient", "any"
  std::string dns_name;            // host name the leaf must match
  std::string ip;                  // IP address the leaf must match
};

struct VerifyOutcome {
  bool ok = false;
  std::string reason;                 // "certificate has expired" …
  int depth = -1;                     // where it failed
  std::string failing_subject;
  std::vector<std::string> path;      // subjects, leaf first, when ok
};

/**
 * Verifies `chain` (leaf first, then untrusted intermediates) against `roots`.
 * A validation failure is an outcome (ok=false), not an error. Errors: InvalidArgument, Crypto.
 */
[[nodiscard]] Result<VerifyOutcome> verify_chain(const std::vector<Certificate>& chain,
                                                 const std::vector<Certificate>& roots,
                                                 const VerifyOptions& opts = {});

}  // namespace pkictl::x509
