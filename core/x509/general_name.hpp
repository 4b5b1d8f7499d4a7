#pragma once
// Subject alternative names and name-constraint subtrees as plain values.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/ossl.hpp"
#include "core/util/result.hpp"
#include "core/util/text.hpp"

namespace pkictl::x509 {

enum class GeneralNameType { Dns, Ip, Uri, Email };

std::string_view to_string(GeneralNameType t);  // "dns", "ip", "uri", "email"

struct GeneralName {
  GeneralNameType type = GeneralNameType::Dns;
  std::string value;  // DNS lower-cased; IP in canonical inet_ntop form; URI/email as given
  bool operator==(const GeneralName&) const = default;
  /** "DNS:example.internal", "IP:10.0.0.1", "URI:spiffe://…", "email:a@b" */
  std::string display() const;
};

/**
 * "dns:name", "ip:10.0.0.1", "ip:::1", "uri:spiffe://corp/ns/x", "email:a@b"; a bare value is an
 * IP address if it parses as one, else a DNS name. Errors: InvalidArgument.
 */
[[nodiscard]] Result<GeneralName> parse_general_name(std::string_view text);
/** Canonical text of an IPv4/IPv6 address, or an error. */
[[nodiscard]] Result<std::string> canonical_ip(std::string_view text);
/** Raw bytes of an IP address (4 or 16). */
[[nodiscard]] Result<util::Bytes> ip_bytes(std::string_view text);
[[nodiscard]] Result<ossl::Ptr<GENERAL_NAME>> to_openssl(const GeneralName& name);
std::optional<GeneralName> from_openssl(const GENERAL_NAME* gn);

/** A name-constraints subtree: DNS ".corp.internal" or "corp.internal", IP "10.0.0.0/8",
 * email "example.com", URI host ".corp.internal". */
struct NameSubtree {
  GeneralNameType type = GeneralNameType::Dns;
  std::string value;
  bool operator==(const NameSubtree&) const = default;
  std::string display() const;
};
[[nodiscard]] Result<ossl::Ptr<GENERAL_NAME>> to_openssl(const NameSubtree& subtree);
/** "10.0.0.0/8" → address bytes followed by mask bytes (8 or 32 octets). Errors: InvalidArgument. */
[[nodiscard]] Result<util::Bytes> cidr_bytes(std::string_view cidr);

struct NameConstraints {
  std::vector<NameSubtree> permitted;
  std::vector<NameSubtree> excluded;
  bool empty() const { return permitted.empty() && excluded.empty(); }
};

}  // namespace pkictl::x509
