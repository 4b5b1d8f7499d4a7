#pragma once
// Key custody by Shamir's secret sharing over GF(256) (libgfshare, randomness from OpenSSL's
// CSPRNG): m of n shares rebuild the secret; fewer reveal nothing about it. Shares are text for
// files or paper, each with a checksum, the key's fingerprint and its number.
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "core/util/secret.hpp"

namespace pkictl::ceremony {

struct Share {
  std::string label;        // the ceremony or key name, for people
  std::string key_sha256;   // SPKI SHA-256 of the key the secret is (hex)
  int number = 0;           // 1..n (the share's x coordinate)
  int total = 0, threshold = 0;
  std::string data;         // the share bytes
};

/** Splits `secret` into `n` shares, any `m` of which rebuild it (2 <= m <= n <= 255). Errors: InvalidArgument. */
[[nodiscard]] Result<std::vector<Share>> split(const Secret& secret, int m, int n, const std::string& label, const std::string& key_sha256);
/** Rebuilds the secret. Errors: InvalidArgument (fewer than the threshold, mixed or repeated shares). */
[[nodiscard]] Result<Secret> combine(const std::vector<Share>& shares);

/** The text form: header lines, the data in base64 lines, a checksum line. */
std::string to_text(const Share& s);
/** Parses the text form; a wrong checksum is refused (a mistyped paper share). Errors: Malformed. */
[[nodiscard]] Result<Share> parse_share(std::string_view text);

}  // namespace pkictl::ceremony
