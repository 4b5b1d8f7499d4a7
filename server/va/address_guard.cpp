#include "core/x509/general_name.hpp"
#include "server/va/validator.hpp"

namespace pkictl::server::va {
namespace {

bool in_range(const util::Bytes& addr, const util::Bytes& range) {
  const std::size_t n = range.size() / 2;
  if (addr.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if ((addr[i] & range[n + i]) != range[i]) return false;
  return true;
}

// Targets a validator on the Internet must never reach, and that a private deployment must opt
// into explicitly: loopback, RFC 1918, CGNAT, link-local, ULA, multicast, unspecified.
const std::vector<std::pair<const char*, const char*>>& reserved_ranges() {
  static const std::vector<std::pair<const char*, const char*>> r = {
      {"0.0.0.0/8", "unspecified"},   {"127.0.0.0/8", "loopback"},     {"10.0.0.0/8", "private"},
      {"172.16.0.0/12", "private"},   {"192.168.0.0/16", "private"},   {"100.64.0.0/10", "shared (CGNAT)"},
      {"169.254.0.0/16", "link-local"}, {"224.0.0.0/4", "multicast"},  {"240.0.0.0/4", "reserved"},
      {"::/128", "unspecified"},      {"::1/128", "loopback"},         {"fc00::/7", "unique-local"},
      {"fe80::/10", "link-local"},    {"ff00::/8", "multicast"},       {"::ffff:0:0/96", "IPv4-mapped"},
  };
  return r;
}

}  // namespace

Result<AddressGuard> AddressGuard::create(const std::vector<std::string>& allow_private) {
  AddressGuard g;
  for (const auto& cidr : allow_private) {
    auto b = x509::cidr_bytes(cidr);
    if (!b) return fail(ErrorKind::Config, "validation.allow_private: " + b.error().detail);
    g.m_allowed.push_back(*b);
  }
  return g;
}

Result<void> AddressGuard::check(const std::string& ip) const {
  auto addr = x509::ip_bytes(ip);
  if (!addr) return fail(ErrorKind::Connection, "\"" + ip + "\" is not an IP address");
  for (const auto& allowed : m_allowed)
    if (in_range(*addr, allowed)) return {};
  for (const auto& [cidr, what] : reserved_ranges())
    if (in_range(*addr, *x509::cidr_bytes(cidr)))
      return fail(ErrorKind::Connection, "validation of " + ip + " refused: it is a " + std::string(what) +
                                             " address and not in [validation] allow_private");
  return {};
}

}  // namespace pkictl::server::va
