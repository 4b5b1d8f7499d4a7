#include "core/util/text.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace pkictl::util {

std::string to_hex(std::span<const std::uint8_t> bytes, char sep, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (sep && i) out.push_back(sep);
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0xf]);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

Result<Bytes> from_hex(std::string_view text) {
  Bytes out;
  int hi = -1;
  for (char c : text) {
    if (c == ':') continue;
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) return fail(ErrorKind::InvalidArgument, "\"" + std::string(text) + "\" is not hexadecimal");
    if (hi < 0) hi = v;
    else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0 || out.empty()) return fail(ErrorKind::InvalidArgument, "\"" + std::string(text) + "\" is not an even number of hex digits");
  return out;
}

std::string base32_lower(std::span<const std::uint8_t> bytes) {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<Bytes> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return fail(ErrorKind::Malformed, "invalid base64url length");
  std::string b64;
  b64.reserve(text.size() + 3);
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) b64.push_back(c);
    else if (c == '-') b64.push_back('+');
    else if (c == '_') b64.push_back('/');
    else return fail(ErrorKind::Malformed, "invalid character in base64url (padding and '+/' are not allowed)");
  }
  std::size_t pad = 0;
  while (b64.size() % 4) { b64.push_back('='); ++pad; }
  Bytes out(b64.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return fail(ErrorKind::Malformed, "invalid base64url");
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

Result<Seconds> parse_duration(std::string_view text) {
  if (text.empty()) return fail(ErrorKind::InvalidArgument, "empty duration (use e.g. 90d, 24h, 5y)");
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    long long n = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || p == text.data() + i || n < 0)
      return fail(ErrorKind::InvalidArgument, "bad duration '" + std::string(text) + "' (use e.g. 90d, 24h, 5y)");
    i = static_cast<std::size_t>(p - text.data());
    if (i >= text.size())
      return fail(ErrorKind::InvalidArgument, "duration '" + std::string(text) + "' needs a unit: s, m, h, d, w or y");
    long long unit = 0;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      case 'y': unit = 365 * 86400; break;
      default:
        return fail(ErrorKind::InvalidArgument, "unknown unit '" + std::string(1, text[i]) +
                                                    "' in duration '" + std::string(text) + "' (s, m, h, d, w, y)");
    }
    if (n > 1000LL * 365 * 86400 / unit) return fail(ErrorKind::InvalidArgument, "duration '" + std::string(text) + "' is too long");
    total += n * unit;
    ++i;
  }
  if (total <= 0) return fail(ErrorKind::InvalidArgument, "duration must be positive");
  return Seconds(total);
}

std::string format_duration(Seconds d) {
  long long s = d.count();
  std::string out;
  auto part = [&](long long unit, char c) {
    if (s >= unit) { out += std::to_string(s / unit) + c; s %= unit; }
  };
  part(86400, 'd');
  part(3600, 'h');
  part(60, 'm');
  if (s || out.empty()) out += std::to_string(s) + 's';
  return out;
}

std::string format_time(TimePoint t) {
  const std::time_t tt = t.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<TimePoint> parse_time(std::string_view text) {
  int Y, M, D, h, m, s;
  char rest[40] = {0};
  const std::string str(text.substr(0, 60));
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%39s", &Y, &M, &D, &h, &m, &s, rest) < 6 &&
      std::sscanf(str.c_str(), "%4d-%2d-%2dt%2d:%2d:%2d%39s", &Y, &M, &D, &h, &m, &s, rest) < 6)
    return fail(ErrorKind::InvalidArgument, "bad time '" + str + "' (use RFC 3339, e.g. 2026-01-02T15:04:05Z)");
  std::string_view r(rest);
  if (!r.empty() && r.front() == '.') {
    std::size_t k = 1;
    while (k < r.size() && std::isdigit(static_cast<unsigned char>(r[k]))) ++k;
    r.remove_prefix(k);
  }
  long offset = 0;
  if (r == "Z" || r == "z") {
  } else if (r.size() == 6 && (r[0] == '+' || r[0] == '-') && r[3] == ':') {
    const int oh = std::atoi(std::string(r.substr(1, 2)).c_str());
    const int om = std::atoi(std::string(r.substr(4, 2)).c_str());
    offset = (oh * 3600 + om * 60) * (r[0] == '+' ? 1 : -1);
  } else {
    return fail(ErrorKind::InvalidArgument, "time '" + str + "' needs a zone (Z or +hh:mm)");
  }
  using namespace std::chrono;
  const year_month_day ymd{year{Y}, month{static_cast<unsigned>(M)}, day{static_cast<unsigned>(D)}};
  if (!ymd.ok() || h > 23 || m > 59 || s > 60)
    return fail(ErrorKind::InvalidArgument, "time '" + str + "' is not a valid date");
  return TimePoint(sys_days(ymd).time_since_epoch() + hours(h) + minutes(m) + Seconds(s) - Seconds(offset));
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string without_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

}  // namespace pkictl::util
