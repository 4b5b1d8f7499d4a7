#include "core/acme/challenge_records.hpp"

#include <algorithm>
#include <charconv>

#include "core/crypto/digest.hpp"
#include "core/util/text.hpp"
#include "core/x509/general_name.hpp"

namespace pkictl::acme {
namespace {

}  // namespace

std::string dns01_txt_value(const std::string& key_authorization) {
  const auto d = crypto::sha256(key_authorization);
  return util::base64url_encode(std::span<const std::uint8_t>(d.data(), d.size()));
}

std::string tls_alpn01_digest(const std::string& key_authorization) {
  const auto d = crypto::sha256(key_authorization);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string dns01_record_name(const std::string& domain) { return "_acme-challenge." + domain; }

std::string dns_account01_record_name(const std::string& account_uri, const std::string& domain) {
  const auto d = crypto::sha256(account_uri);
  return "_" + util::base32_lower(std::span<const std::uint8_t>(d.data(), 10)) + "._acme-challenge." + domain;
}

std::string dns_persist01_record_name(const std::string& domain) { return "_validation-persist." + domain; }

Result<std::string> reverse_dns_name(const std::string& ip) {
  auto bytes = x509::ip_bytes(ip);
  if (!bytes) return fail(ErrorKind::Malformed, "\"" + ip + "\" is not an IP address");
  std::string out;
  if (bytes->size() == 4) {
    for (int i = 3; i >= 0; --i) out += std::to_string((*bytes)[static_cast<std::size_t>(i)]) + ".";
    return out + "in-addr.arpa";
  }
  static constexpr char hex[] = "0123456789abcdef";
  for (auto it = bytes->rbegin(); it != bytes->rend(); ++it) {
    out += hex[*it & 0xf];
    out += '.';
    out += hex[*it >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

Result<IssueValue> parse_issue_value(const std::string& text) {
  // RFC 8659 §4: issue-value = *WSP [issuer-domain-name *WSP] [";" *WSP [parameters *WSP]]
  IssueValue v;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto semi = text.find(';', start);
    parts.push_back(util::trim(std::string_view(text).substr(start, semi == std::string::npos ? std::string::npos : semi - start)));
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  v.issuer_domain_name = util::to_lower(parts.front());
  if (v.issuer_domain_name.empty()) return fail(ErrorKind::Malformed, "no issuer domain name before the first ';'");
  for (char c : v.issuer_domain_name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'))
      return fail(ErrorKind::Malformed, "\"" + parts.front() + "\" is not a domain name");
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    const auto eq = parts[i].find('=');
    if (eq == std::string::npos || eq == 0) return fail(ErrorKind::Malformed, "parameter \"" + parts[i] + "\" is not tag=value");
    const std::string tag = util::to_lower(util::trim(std::string_view(parts[i]).substr(0, eq)));
    if (v.params.count(tag)) return fail(ErrorKind::Malformed, "parameter \"" + tag + "\" appears twice");
    v.params[tag] = util::trim(std::string_view(parts[i]).substr(eq + 1));
  }
  return v;
}

std::string dns_persist01_mismatch(const IssueValue& v, const std::vector<std::string>& issuer_domain_names,
                                   const std::string& account_uri, bool wildcard, TimePoint now) {
  if (std::find(issuer_domain_names.begin(), issuer_domain_names.end(), v.issuer_domain_name) == issuer_domain_names.end())
    return "names issuer \"" + v.issuer_domain_name + "\", not this CA";
  const auto acct = v.params.find("accounturi");
  if (acct == v.params.end()) return "has no accounturi parameter";
  if (acct->second != account_uri) return "is for account " + acct->second + ", not " + account_uri;
  if (wildcard) {
    const auto pol = v.params.find("policy");
    if (pol == v.params.end() || util::to_lower(pol->second) != "wildcard")
      return "lacks policy=wildcard, which a wildcard name requires";
  }
  if (const auto until = v.params.find("persistuntil"); until != v.params.end()) {
    long long t = 0;
    auto [p, ec] = std::from_chars(until->second.data(), until->second.data() + until->second.size(), t);
    if (ec != std::errc() || p != until->second.data() + until->second.size()) return "has a persistUntil that is not a number";
    if (TimePoint(Seconds(t)) < now) return "expired at persistUntil=" + until->second;
  }
  return {};
}

}  // namespace pkictl::acme
