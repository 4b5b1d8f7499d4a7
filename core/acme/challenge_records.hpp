#pragma once
// What the DNS-based challenges expect to find, as pure functions (the validator looks, these
// decide): dns-01 (RFC 8555 §8.4), dns-account-01 (draft-ietf-acme-dns-account-label),
// dns-persist-01 (draft-ietf-acme-dns-persist), and the tls-alpn-01 digest (RFC 8737).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace pkictl::acme {

/** base64url(SHA-256(key authorization)): the TXT value of dns-01 and dns-account-01. */
std::string dns01_txt_value(const std::string& key_authorization);
/** SHA-256(key authorization): the acmeIdentifier extension value of tls-alpn-01. */
std::string tls_alpn01_digest(const std::string& key_authorization);
/** "_acme-challenge.<domain>" */
std::string dns01_record_name(const std::string& domain);
/** "_" + base32(SHA-256(account URI)[0:10]) + "._acme-challenge.<domain>" */
std::string dns_account01_record_name(const std::string& account_uri, const std::string& domain);
/** "_validation-persist.<domain>" */
std::string dns_persist01_record_name(const std::string& domain);
/** The reverse-DNS name of an IP address ("4.3.2.1.in-addr.arpa", nibbles ".ip6.arpa"): the
 * tls-alpn-01 SNI for IP identifiers (RFC 8738 §6). Errors: Malformed. */
Result<std::string> reverse_dns_name(const std::string& ip);

/** An RFC 8659 issue-value: "issuer.example; accounturi=...; policy=wildcard; persistUntil=...". */
struct IssueValue {
  std::string issuer_domain_name;             // lower case
  std::map<std::string, std::string> params;  // keys lower case, values as written
};
/** Errors: Malformed with what is wrong. */
Result<IssueValue> parse_issue_value(const std::string& text);

/** Does a dns-persist-01 record authorise `account_uri` for this identifier? Returns "" when it
 * does, else the reason it does not. */
std::string dns_persist01_mismatch(const IssueValue& v, const std::vector<std::string>& issuer_domain_names,
                                   const std::string& account_uri, bool wildcard, TimePoint now);

}  // namespace pkictl::acme
