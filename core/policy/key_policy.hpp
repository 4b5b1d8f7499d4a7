#pragma once
// Which subject keys are acceptable: type, size, curve, and sanity of the key itself.
#include <string>
#include <vector>

#include "core/crypto/key.hpp"
#include "core/util/result.hpp"

namespace pkictl::policy {

struct KeyPolicy {
  int min_rsa_bits = 2048;
  int max_rsa_bits = 8192;
  std::vector<std::string> curves = {"P-256", "P-384", "P-521"};
  bool allow_ed25519 = true;
};

/** Refuses weak or unsupported keys with a reason. Errors: BadPublicKey. */
[[nodiscard]] Result<void> check_key(const crypto::PublicKey& key, const KeyPolicy& policy = {});

}  // namespace pkictl::policy
