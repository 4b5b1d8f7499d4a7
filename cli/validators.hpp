#pragma once
// CLI11 validators for our value types, so bad values are usage errors (exit 2).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>

#include "core/crypto/key.hpp"
#include "core/ra/revocation.hpp"
#include "core/util/text.hpp"

namespace pkictl::cli {

inline CLI::Validator duration_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        auto r = util::parse_duration(s);
        return r ? std::string() : r.error().detail;
      },
      "DURATION");
}

inline CLI::Validator key_type_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        auto r = crypto::parse_key_type(s);
        return r ? std::string() : r.error().detail;
      },
      "KEYTYPE");
}

/** An RFC 5280 revocation reason number a revocation may carry (0-10 but 7 and 8). */
inline CLI::Validator revocation_reason_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        auto r = ra::parse_revocation_reason(s);
        return r && std::all_of(s.begin(), s.end(), ::isdigit) ? std::string() : "reason " + s + " is not a revocation reason code: 0-6, 9 or 10 (7 is unassigned, 8 is for delta CRLs)";
      },
      "REASON");
}

inline Seconds duration_of(const std::string& s) { return *util::parse_duration(s); }
inline crypto::KeyType key_type_of(const std::string& s) { return *crypto::parse_key_type(s); }

}  // namespace pkictl::cli
