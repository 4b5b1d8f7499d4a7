#include "core/acme/ari.hpp"

#include <algorithm>

#include "core/crypto/digest.hpp"
#include "core/util/text.hpp"

namespace pkictl::acme {

Result<AriCertId> parse_ari_cert_id(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= text.size() || text.find('.', dot + 1) != std::string_view::npos)
    return fail(ErrorKind::Malformed, "a renewalInfo certificate identifier is AKI.SERIAL (two base64url parts)");
  auto aki = util::base64url_decode(text.substr(0, dot));
  auto serial = util::base64url_decode(text.substr(dot + 1));
  if (!aki || !serial || aki->empty() || serial->empty())
    return fail(ErrorKind::Malformed, "the renewalInfo certificate identifier is not base64url");
  return AriCertId{util::to_hex(*aki), util::to_hex(*serial), util::base64url_encode(*aki) + "." + util::base64url_encode(*serial)};
}

RenewalWindow renewal_window(TimePoint not_before, TimePoint not_after, const std::string& serial_hex,
                             const std::optional<TimePoint>& revoked_at) {
  if (revoked_at) return {*revoked_at - Seconds(3600), *revoked_at};
  const auto life = std::max(Seconds(60), not_after - not_before);
  const TimePoint from = not_before + life * 6 / 10;
  const auto span = life * 3 / 10;
  const auto length = std::max(Seconds(60), life / 50);
  const auto room = std::max(Seconds(0), span - length);
  const auto h = crypto::sha256(serial_hex);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | h[static_cast<std::size_t>(i)];
  const auto offset = room.count() > 0 ? Seconds(static_cast<long long>(v % static_cast<std::uint64_t>(room.count() + 1))) : Seconds(0);
  return {from + offset, from + offset + length};
}

}  // namespace pkictl::acme
