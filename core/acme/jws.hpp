#pragma once
// JWS in the flattened JSON serialization (RFC 7515 §7.2.2), as ACME uses it (RFC 8555 §6.2).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/key.hpp"
#include "core/util/result.hpp"

namespace pkictl::acme {

/** The algorithms we accept, in the order advertised in badSignatureAlgorithm problems. */
const std::vector<std::string>& supported_algs();

/** A parsed but not yet verified JWS. */
struct Jws {
  nlohmann::json protected_header;
  std::string protected_b64;
  std::string payload_b64;
  std::string signature;  // raw bytes
  std::string payload;    // decoded; empty for POST-as-GET
  std::string alg() const { return protected_header.value("alg", ""); }
  std::string nonce() const { return protected_header.value("nonce", ""); }
  std::string url() const { return protected_header.value("url", ""); }
  std::optional<std::string> kid() const;
  const nlohmann::json* jwk() const;
};

/**
 * Parses a flattened JWS. Refuses the compact and general serializations, an unprotected header,
 * missing or non-string members, bad base64url. Errors: Malformed, BadSignatureAlgorithm.
 */
[[nodiscard]] Result<Jws> parse_jws(std::string_view body, bool nonce_required = true);

/**
 * Verifies the JWS signature with `key`: the alg must be supported and fit the key (ES256 needs
 * P-256, RS256 needs RSA ≥ 2048, EdDSA needs Ed25519). Errors: BadSignatureAlgorithm, Malformed
 * (the signature does not verify).
 */
[[nodiscard]] Result<void> verify_jws(const Jws& jws, const crypto::PublicKey& key);

/** Signs payload with `key` into a flattened JWS (the client side and tests). */
[[nodiscard]] Result<nlohmann::json> sign_jws(const crypto::PrivateKey& key, const nlohmann::json& protected_header,
                                              std::string_view payload);

/** ECDSA signatures: JOSE r||s ⇄ DER. */
[[nodiscard]] Result<std::string> ecdsa_raw_to_der(std::string_view raw);
[[nodiscard]] Result<std::string> ecdsa_der_to_raw(std::string_view der, std::size_t coord_len);

}  // namespace pkictl::acme
