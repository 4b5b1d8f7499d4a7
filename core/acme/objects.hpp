#pragma once
// ACME's vocabulary (RFC 8555 §7.1) as plain values. No storage, no HTTP.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace pkictl::acme {

enum class Status { Pending, Ready, Processing, Valid, Invalid, Deactivated, Expired, Revoked };
std::string_view to_string(Status s);
[[nodiscard]] Result<Status> parse_status(std::string_view s);

struct Identifier {
  std::string type;   // "dns" or "ip"
  std::string value;  // normalised: DNS lower-case without trailing dot; IP canonical
  bool operator==(const Identifier&) const = default;
  bool operator<(const Identifier& o) const { return type != o.type ? type < o.type : value < o.value; }
  bool wildcard() const { return type == "dns" && value.rfind("*.", 0) == 0; }
  /** What its authorization names (RFC 8555 §7.1.4): a wildcard's base domain, else itself. */
  Identifier base() const { return wildcard() ? Identifier{type, value.substr(2)} : *this; }
  nlohmann::json to_json() const { return {{"type", type}, {"value", value}}; }
};

/** Validates and normalises one identifier from a request. Errors: Malformed, UnsupportedIdentifier, RejectedIdentifier. */
[[nodiscard]] Result<Identifier> normalise_identifier(const nlohmann::json& j);

/** An optional member of a request object: absent or null gives `fallback` (clients serialise an
 * unset member as null, and Go's JSON, which Boulder and Pebble use, reads null as unset); any
 * other type than the one wanted is Malformed, naming the member. */
[[nodiscard]] Result<bool> optional_bool(const nlohmann::json& obj, const char* name, bool fallback = false);
[[nodiscard]] Result<std::string> optional_string(const nlohmann::json& obj, const char* name);
/** Whether `obj` has member `name` with a value other than null. */
bool has_value(const nlohmann::json& obj, const char* name);

struct Account {
  std::string id;
  Status status = Status::Valid;
  std::vector<std::string> contact;
  std::string jwk;         // the JWK's required members as the client wrote them (acme::required_members)
  std::string thumbprint;  // RFC 7638 of the canonical JWK, base64url: the key's identity
  bool tos_agreed = false;
  TimePoint created{};
  std::string binding;     // the policy binding of its EAB key, for life ("" = none)
};

struct Challenge {
  std::string id;
  std::string authz_id;
  std::string type;   // "http-01", …
  std::string token;
  Status status = Status::Pending;
  std::optional<TimePoint> validated;
  std::optional<nlohmann::json> error;  // a problem document
};

struct Authorization {
  std::string id;
  std::string account_id;
  Identifier identifier;  // without the "*." for wildcards (RFC 8555 §7.1.4)
  bool wildcard = false;
  Status status = Status::Pending;
  TimePoint expires{};
  std::vector<Challenge> challenges;
  /** Pending/valid past `expires` are reported as expired. */
  Status effective_status(TimePoint now) const;
};

struct Order {
  std::string id;
  std::string account_id;
  Status status = Status::Pending;
  TimePoint created{};
  TimePoint expires{};
  std::vector<Identifier> identifiers;  // sorted
  std::optional<TimePoint> not_before, not_after;
  std::vector<std::string> authz_ids;
  std::optional<std::string> certificate_id;
  std::optional<nlohmann::json> error;
  std::string replaces;  // ARI: the certificate this order replaces, if any
  std::string profile;   // the certificate profile (ACME profiles draft)
  /** A stable key of the identifier set and profile, for "same order again" lookups. */
  std::string identifiers_key() const;
};

struct CertificateRecord {
  std::string id;
  std::string serial_hex;
  std::string issuer_key_id;  // hex SKI of the issuing CA: serials are unique per issuer
  std::string account_id;
  std::string order_id;
  std::string der;
  std::string spki_sha256;
  TimePoint not_before{}, not_after{};
  std::optional<TimePoint> revoked_at;
  int revocation_reason = -1;
};

/**
 * An order's status derived from its authorizations (RFC 8555 §7.1.6): invalid if any is
 * invalid, deactivated or expired; pending while any is pending; ready when all are valid.
 * Processing/valid/invalid orders keep their stored status.
 */
Status derive_order_status(const Order& order, const std::vector<Authorization>& authzs, TimePoint now);

/** A random, URL-safe identifier for a new object (96 bits). */
std::string new_object_id();

}  // namespace pkictl::acme
