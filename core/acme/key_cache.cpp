#include "core/acme/key_cache.hpp"

#include <nlohmann/json.hpp>

#include "core/acme/jwk.hpp"

namespace pkictl::acme {

Result<crypto::PublicKey> KeyCache::get(const std::string& jwk_text) {
  {
    std::lock_guard lock(m_mu);
    if (auto it = m_keys.find(jwk_text); it != m_keys.end()) return it->second;
  }
  const auto jwk = nlohmann::json::parse(jwk_text, nullptr, false);
  if (jwk.is_discarded()) return fail(ErrorKind::Internal, "a stored account key is not JSON");
  PKI_TRY_ASSIGN(auto key, jwk_to_key(jwk));
  std::lock_guard lock(m_mu);
  // Wholesale eviction keeps this simple and bounded; refilling costs one import per account.
  if (m_keys.size() >= m_capacity) m_keys.clear();
  m_keys.emplace(jwk_text, key);
  return key;
}

std::size_t KeyCache::size() const {
  std::lock_guard lock(m_mu);
  return m_keys.size();
}

}  // namespace pkictl::acme
