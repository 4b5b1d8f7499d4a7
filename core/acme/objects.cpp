#include "core/acme/objects.hpp"

#include <chrono>

#include "core/crypto/digest.hpp"
#include "core/x509/general_name.hpp"

namespace pkictl::acme {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::Pending: return "pending";
    case Status::Ready: return "ready";
    case Status::Processing: return "processing";
    case Status::Valid: return "valid";
    case Status::Invalid: return "invalid";
    case Status::Deactivated: return "deactivated";
    case Status::Expired: return "expired";
    case Status::Revoked: return "revoked";
  }
  return "invalid";
}

Result<Status> parse_status(std::string_view s) {
  for (auto st : {Status::Pending, Status::Ready, Status::Processing, Status::Valid, Status::Invalid,
                  Status::Deactivated, Status::Expired, Status::Revoked})
    if (to_string(st) == s) return st;
  return fail(ErrorKind::Malformed, "unknown status \"" + std::string(s) + "\"");
}

bool has_value(const nlohmann::json& obj, const char* name) {
  if (!obj.is_object()) return false;
  const auto it = obj.find(name);
  return it != obj.end() && !it->is_null();
}

Result<bool> optional_bool(const nlohmann::json& obj, const char* name, bool fallback) {
  if (!has_value(obj, name)) return fallback;
  const auto& v = obj[name];
  if (!v.is_boolean()) return fail(ErrorKind::Malformed, std::string("\"") + name + "\" must be true or false, not " + v.dump());
  return v.get<bool>();
}

Result<std::string> optional_string(const nlohmann::json& obj, const char* name) {
  if (!has_value(obj, name)) return std::string();
  const auto& v = obj[name];
  if (!v.is_string()) return fail(ErrorKind::Malformed, std::string("\"") + name + "\" must be a string, not " + v.dump());
  return v.get<std::string>();
}

Result<Identifier> normalise_identifier(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("type") || !j.contains("value") || !j["type"].is_string() || !j["value"].is_string())
    return fail(ErrorKind::Malformed, "an identifier must be an object with string \"type\" and \"value\"");
  const std::string type = j["type"].get<std::string>();
  const std::string value = j["value"].get<std::string>();
  if (type == "dns") {
    // The absolute form "name." would be ordered as "name", and a CSR that repeats the client's
    // spelling would then not match it: refused here, where the client can still fix it (Boulder too).
    if (!value.empty() && value.back() == '.')
      return fail(ErrorKind::RejectedIdentifier, "\"" + value + "\" ends in a dot: name it without the trailing dot");
    auto gn = x509::parse_general_name("dns:" + value);
    if (!gn) return fail(ErrorKind::RejectedIdentifier, gn.error().detail);
    if (x509::ip_bytes(value)) return fail(ErrorKind::Malformed, "\"" + value + "\" is an IP address: use an identifier of type \"ip\" (RFC 8738)");
    return Identifier{"dns", gn->value};
  }
  if (type == "ip") {
    auto ip = x509::canonical_ip(value);
    if (!ip) {
      std::string hint;
      if (value.size() > 2 && value.front() == '[' && value.back() == ']') hint = ": write the IPv6 address without the brackets";
      else if (value.find('%') != std::string::npos) hint = ": a zone index (%...) names an interface, which a certificate cannot";
      return fail(ErrorKind::Malformed, "\"" + value + "\" is not an IPv4 or IPv6 address" + hint);
    }
    return Identifier{"ip", *ip};
  }
  return fail(ErrorKind::UnsupportedIdentifier, "identifier type \"" + type + "\" is not supported (dns, ip)");
}

Status Authorization::effective_status(TimePoint now) const {
  if ((status == Status::Pending || status == Status::Valid) && now >= expires) return Status::Expired;
  return status;
}

std::string Order::identifiers_key() const {
  std::string k = profile.empty() ? "" : "profile=" + profile + ";";
  for (const auto& i : identifiers) k += i.type + ":" + i.value + ",";
  return k;
}

Status derive_order_status(const Order& order, const std::vector<Authorization>& authzs, TimePoint now) {
  if (order.status == Status::Processing || order.status == Status::Valid || order.status == Status::Invalid) return order.status;
  if (now >= order.expires) return Status::Invalid;
  bool all_valid = true;
  for (const auto& a : authzs) {
    const Status s = a.effective_status(now);
    if (s == Status::Invalid || s == Status::Deactivated || s == Status::Expired || s == Status::Revoked) return Status::Invalid;
    if (s != Status::Valid) all_valid = false;
  }
  return all_valid && !authzs.empty() ? Status::Ready : Status::Pending;
}

std::string new_object_id() {
  // 7 characters of milliseconds since the epoch (42 bits, until 2109) in an alphabet whose ASCII
  // order is its value order (the base64url characters, sorted), then 96 random bits. Ids made
  // together sort together, so the store's id indexes grow at one edge instead of touching a
  // random page of every index on every insert (which, once the indexes outgrow the page cache,
  // costs reads: 10,000 orders at C=32 took 8 % more CPU per order with random ids). The first
  // character is never '-' (that needs a time before 1972): an id on a command line is no option.
  static constexpr std::string_view sortable = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::string id(7, '-');
  for (int i = 6; i >= 0; --i, ms >>= 6) id[static_cast<std::size_t>(i)] = sortable[ms & 63];
  auto bytes = crypto::random_bytes(12);
  return id + util::base64url_encode(*bytes);
}

}  // namespace pkictl::acme
