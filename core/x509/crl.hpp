#pragma once
// CRLs (RFC 5280 §5): v2, with CRL number, authority key identifier, per-entry reason codes and
// nextUpdate; signed through a Signer so HSM keys work the same.
#include <optional>
#include <string>
#include <vector>

#include "core/ca/signer.hpp"
#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::x509 {

struct RevokedEntry {
  std::string serial_hex;
  TimePoint revoked_at{};
  int reason = 0;  // RFC 5280 CRLReason; 0 (unspecified) is not encoded
};

struct CrlSpec {
  std::int64_t number = 1;
  TimePoint this_update{}, next_update{};
  std::vector<RevokedEntry> revoked;
};

/** A signed DER CRL for `issuer` (which must have a subject key identifier). Errors: Crypto, Malformed. */
[[nodiscard]] Result<std::string> make_crl(const Certificate& issuer, const ca::Signer& signer, const CrlSpec& spec);

/** A parsed CRL, for tests and `pkictl crl inspect`-style reads. */
struct CrlInfo {
  std::int64_t number = 0;
  TimePoint this_update{}, next_update{};
  std::vector<RevokedEntry> revoked;
  std::string issuer_text;
};
/** Parses DER or PEM and checks the signature with `issuer`'s key. Errors: Malformed, Crypto. */
[[nodiscard]] Result<CrlInfo> read_crl(std::string_view data, const Certificate& issuer);

}  // namespace pkictl::x509
