#pragma once
// Certificate lints: the checks run on every certificate before the issuing key signs it (on the
// exact to-be-signed certificate, see ca::Issuer) and by `pkictl cert lint` on any certificate.
// Each finding has a stable id (pkictl-cert(1) lists them) and says what is wrong.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/util/clock.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::lint {

struct Finding {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  std::string id;       // e.g. "cn-not-in-san"
  std::string message;
};

/** What the certificate must be, where known (a profile, the issuer, the policy's decision). */
struct Expectations {
  const x509::Certificate* issuer = nullptr;     // validity, AKI, issuer name, name constraints, signature
  bool check_signature = true;                   // false before signing (a throwaway key signed it)
  bool key_checked = false;                      // the subject key passed policy::check_key already (the CSR's)
  // The subject key the certificate must carry (the CSR's) and the SHA-256 of its SPKI: the
  // certificate's SPKI is compared with it, and the key stands in for decoding the certificate's.
  const crypto::PublicKey* subject_key = nullptr;
  std::optional<crypto::Sha256> subject_spki_sha256;
  std::optional<std::vector<std::string>> ext_key_usage;  // the exact set (parse_eku names)
  std::optional<unsigned> key_usage;             // the exact x509::KeyUsageBit mask
  std::optional<Seconds> max_lifetime;
  std::vector<std::string> key_types;            // allowed (policy::key_type_of names); empty: any acceptable key
  std::vector<std::string> policy_oids;          // must all be present
  /** "" when a SAN is authorised for the requester, else why not. */
  std::function<std::string(const x509::GeneralName&)> unauthorised;
};

}  // namespace pkictl::lint
namespace pkictl::policy {
class Policy;
struct Binding;
struct Profile;
}  // namespace pkictl::policy
namespace pkictl::lint {

/** What a profile and binding of `pol` expect of a certificate: usages, key types, policy OIDs,
 * `max_lifetime` (if any), and SANs judged by the policy. `pol` and `binding` must outlive it. */
Expectations policy_expectations(const policy::Policy& pol, const policy::Binding& binding, const policy::Profile& profile,
                                 std::optional<Seconds> max_lifetime);

[[nodiscard]] std::vector<Finding> lint_certificate(const x509::Certificate& cert, const Expectations& ex = {});
bool has_errors(const std::vector<Finding>& findings);
/** The errors as "id: message; id: message", for a refusal. */
std::string error_summary(const std::vector<Finding>& findings);

}  // namespace pkictl::lint
