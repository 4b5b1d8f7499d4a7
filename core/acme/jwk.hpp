#pragma once
// JSON Web Keys (RFC 7517/7518) for ACME account keys, and thumbprints (RFC 7638).
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "core/crypto/key.hpp"
#include "core/util/result.hpp"

namespace pkictl::acme {

/** The public key of a JWK: EC (P-256/384/521), RSA, OKP (Ed25519). Errors: Malformed, BadPublicKey. */
[[nodiscard]] Result<crypto::PublicKey> jwk_to_key(const nlohmann::json& jwk);
/** The JWK of a public key with only the required members. Errors: BadPublicKey. */
[[nodiscard]] Result<nlohmann::json> key_to_jwk(const crypto::PublicKey& key);
/** RFC 7638: base64url(SHA-256(canonical JSON of the required members, sorted, no spaces)), the
 * members re-derived from the key: the key's identity however its JWK was written. */
[[nodiscard]] Result<std::string> jwk_thumbprint(const nlohmann::json& jwk);
/** The required members of an acceptable JWK exactly as the client wrote them, as sorted compact
 * JSON: what the client hashes for its key authorizations. It differs from the canonical form only
 * when a client wrote a value with too few or too many leading zero octets. Errors: as jwk_to_key. */
[[nodiscard]] Result<std::string> required_members(const nlohmann::json& jwk);
/** RFC 7638 over required_members' output: the thumbprint the client computes from its own JWK;
 * equal to jwk_thumbprint for every JWK written as RFC 7518 says. */
std::string thumbprint_as_written(std::string_view members);
/** The JWS "alg" values a key can produce: ES256/ES384/ES512, RS256, EdDSA. */
std::string natural_alg(const crypto::PublicKey& key);
std::string natural_alg(const crypto::KeyInfo& info);

}  // namespace pkictl::acme
