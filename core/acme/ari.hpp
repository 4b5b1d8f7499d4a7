#pragma once
// ACME Renewal Information (RFC 9773): certificate identifiers and suggested renewal windows.
#include <optional>
#include <string>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace pkictl::acme {

/** "base64url(AKI keyIdentifier).base64url(serial DER contents)" (RFC 9773 §4.1), as hex. */
struct AriCertId {
  std::string aki_hex;
  std::string serial_hex;
  std::string text;  // re-encoded: one spelling per certificate (base64url's unused low bits cleared)
};
/** Errors: Malformed with what is wrong. */
[[nodiscard]] Result<AriCertId> parse_ari_cert_id(std::string_view text);

struct RenewalWindow {
  TimePoint start, end;
};

/**
 * When a certificate should be renewed: inside [notBefore + 60 % of its life, notBefore + 90 %],
 * a window 2 % of the life long (at least a minute) placed by a hash of the serial, so that a fleet
 * issued in one second spreads its renewals over the whole interval. A revoked certificate's window
 * lies just before the revocation, i.e. it is due now.
 */
RenewalWindow renewal_window(TimePoint not_before, TimePoint not_after, const std::string& serial_hex,
                             const std::optional<TimePoint>& revoked_at);

}  // namespace pkictl::acme
