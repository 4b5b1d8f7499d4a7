#pragma once
// Small text helpers: hex, base64url (via OpenSSL), durations ("90d"), RFC 3339 times.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace pkictl::util {

/** The items (strings) with `sep` between them: join({"a", "b"}) == "a, b". */
template <class Range>
std::string join(const Range& items, std::string_view sep = ", ") {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += sep;
    out += item;
    first = false;
  }
  return out;
}

using Bytes = std::vector<std::uint8_t>;

std::string to_hex(std::span<const std::uint8_t> bytes, char sep = 0, bool upper = false);
/** Hex (either case, optional ':' separators) to bytes. Errors: InvalidArgument. */
[[nodiscard]] Result<Bytes> from_hex(std::string_view text);
std::string base64url_encode(std::span<const std::uint8_t> bytes);
/** RFC 4648 base32, lower case, no padding (DNS labels: dns-account-01). */
std::string base32_lower(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);
/** Strict: unpadded base64url only. Errors: Malformed. */
[[nodiscard]] Result<Bytes> base64url_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

/** "90d", "24h", "30m", "45s", "20y" (365 days), "2w", or combinations like "1d12h".
 * Errors: InvalidArgument. */
[[nodiscard]] Result<Seconds> parse_duration(std::string_view text);
std::string format_duration(Seconds d);

/** RFC 3339 UTC with a Z ("2026-11-30T00:30:00Z"). */
std::string format_time(TimePoint t);
/** Accepts RFC 3339 with Z or an offset, fractional seconds ignored. Errors: InvalidArgument. */
[[nodiscard]] Result<TimePoint> parse_time(std::string_view text);

std::string to_lower(std::string_view s);
/** `s` without leading and trailing spaces and tabs (HTTP's optional whitespace). */
std::string trim(std::string_view s);
/** A URL (or path) without its trailing slashes: "https://a/" → "https://a"; "/" → "". */
std::string without_trailing_slashes(std::string_view s);
/** "a.b..c" split on '.' → {"a", "b", "", "c"}; "" → {""}. */
std::vector<std::string> split(std::string_view s, char sep);

}  // namespace pkictl::util
