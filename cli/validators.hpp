#pragma once
// CLI11 validators for our value types, so bad values are usage errors (exit 2).
#include <CLI/CLI.hpp>

#include "core/crypto/key.hpp"
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

inline Seconds duration_of(const std::string& s) { return *util::parse_duration(s); }
inline crypto::KeyType key_type_of(const std::string& s) { return *crypto::parse_key_type(s); }

}  // namespace pkictl::cli
