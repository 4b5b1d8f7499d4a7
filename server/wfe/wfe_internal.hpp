#pragma once
// What the WFE's handler files share: the authenticated request.
#include <optional>

#include "core/acme/jws.hpp"
#include "server/wfe/wfe.hpp"

namespace pkictl::server {

struct Wfe::Authenticated {
  acme::Jws jws;
  std::optional<acme::Account> account;  // set for "kid" requests
  nlohmann::json jwk;                    // set for "jwk" requests
  std::optional<crypto::PublicKey> key;  // the key that signed
  nlohmann::json payload;                // parsed payload; null for POST-as-GET
  bool post_as_get = false;
};

}  // namespace pkictl::server
