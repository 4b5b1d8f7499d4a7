#pragma once
// External Account Binding (RFC 8555 §7.3.4): HMAC keys handed out of band, each tied to a policy
// binding. The keys are stored sealed (AES-256-GCM under a key derived from the server's secret),
// so a copy of the database alone cannot mint accounts.
#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/util/secret.hpp"

namespace pkictl::acme {

struct EabKey {
  std::string kid;
  std::string binding;
  std::string sealed_hmac;          // nonce || ciphertext || tag
  TimePoint created{};
  std::optional<TimePoint> expires;
  bool single_use = false;
  std::string used_by;              // the first account bound with it
  int uses = 0;
  std::optional<TimePoint> revoked_at;
};

/** The sealing key: HKDF-SHA256 of the server secret (the issuing CA key's passphrase). */
using SealingKey = std::array<std::uint8_t, 32>;
[[nodiscard]] Result<SealingKey> eab_sealing_key(const Secret& server_secret);
[[nodiscard]] Result<std::string> seal(const SealingKey& key, std::string_view plaintext, std::string_view associated);
/** Errors: Crypto when the blob was altered or sealed under another secret. */
[[nodiscard]] Result<std::string> unseal(const SealingKey& key, std::string_view blob, std::string_view associated);

struct MintedEab {
  EabKey key;             // to store (its HMAC key sealed)
  std::string hmac_b64u;  // to hand out once
};
/** A fresh key id and 256-bit HMAC key for `binding`, the HMAC key sealed (AAD = key id). */
[[nodiscard]] Result<MintedEab> mint_eab_key(const SealingKey& sealing, const std::string& binding, std::optional<TimePoint> expires,
                                             bool single_use, TimePoint now);

/** The inner JWS of newAccount's externalAccountBinding, parsed but not yet verified. */
struct EabJws {
  std::string kid, alg, url;
  std::string signing_input;  // protected "." payload
  std::string mac;            // raw bytes
  nlohmann::json payload;     // must equal the account JWK
};
/** Errors: Malformed (shape, nonce present, not HS256/384/512, bad base64url). */
[[nodiscard]] Result<EabJws> parse_eab(const nlohmann::json& eab);
/** Checks the MAC with the HMAC key (constant time). Errors: Unauthorized. */
[[nodiscard]] Result<void> verify_eab_mac(const EabJws& eab, std::string_view hmac_key);

}  // namespace pkictl::acme
