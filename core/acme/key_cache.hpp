#pragma once
// Parsed account keys by their stored JWK text. Building an EVP_PKEY from a JWK (import + the
// public-key check) costs more than verifying the JWS it signs, and every authenticated request
// needs its account's key: the cache makes that a hash lookup. Bounded; safe across threads.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/crypto/key.hpp"
#include "core/util/result.hpp"

namespace pkictl::acme {

class KeyCache final {
 public:
  explicit KeyCache(std::size_t capacity = 16384) : m_capacity(capacity) {}
  /** The key of `jwk_text` (a JWK as stored). Errors: as jwk_to_key. */
  [[nodiscard]] Result<crypto::PublicKey> get(const std::string& jwk_text);
  std::size_t size() const;

 private:
  std::size_t m_capacity;
  mutable std::mutex m_mu;
  std::unordered_map<std::string, crypto::PublicKey> m_keys;
};

}  // namespace pkictl::acme
