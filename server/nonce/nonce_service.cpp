#include "server/nonce/nonce_service.hpp"

#include <cstring>

#include "core/crypto/digest.hpp"
#include <openssl/crypto.h>

#include "core/util/text.hpp"

namespace pkictl::server {
namespace {
constexpr std::size_t tag_bytes = 16;
constexpr std::size_t nonce_bytes = 4 + 8 + tag_bytes;
}  // namespace

NonceService::NonceService(std::uint64_t window) : m_window(window), m_used((window + 63) / 64, 0) {
  auto key = crypto::random_bytes(32);
  m_key = std::make_unique<crypto::HmacSha256Key>(std::string_view(reinterpret_cast<const char*>(key->data()), key->size()));
  auto epoch = crypto::random_bytes(4);
  std::memcpy(&m_epoch, epoch->data(), 4);
}

std::string NonceService::tag(std::uint64_t counter) const {
  char msg[12];
  std::memcpy(msg, &m_epoch, 4);
  std::memcpy(msg + 4, &counter, 8);
  const auto mac = m_key->mac(std::string_view(msg, sizeof msg));
  return std::string(reinterpret_cast<const char*>(mac.data()), tag_bytes);
}

std::string NonceService::issue() {
  std::uint64_t counter;
  {
    std::lock_guard lock(m_mutex);
    counter = ++m_counter;
    const std::uint64_t slot = counter % m_window;
    m_used[slot / 64] &= ~(1ull << (slot % 64));  // the slot now belongs to this counter
  }
  std::string raw(12, '\0');
  std::memcpy(raw.data(), &m_epoch, 4);
  std::memcpy(raw.data() + 4, &counter, 8);
  raw += tag(counter);
  return util::base64url_encode(raw);
}

bool NonceService::redeem(const std::string& nonce) {
  auto raw = util::base64url_decode(nonce);
  if (!raw || raw->size() != nonce_bytes) return false;
  std::uint32_t epoch;
  std::uint64_t counter;
  std::memcpy(&epoch, raw->data(), 4);
  std::memcpy(&counter, raw->data() + 4, 8);
  if (epoch != m_epoch) return false;
  const std::string want = tag(counter);
  if (CRYPTO_memcmp(want.data(), raw->data() + 12, tag_bytes) != 0) return false;
  std::lock_guard lock(m_mutex);
  const std::uint64_t latest = m_counter.load();
  if (counter == 0 || counter > latest || latest - counter >= m_window) return false;
  const std::uint64_t slot = counter % m_window;
  const std::uint64_t bit = 1ull << (slot % 64);
  if (m_used[slot / 64] & bit) return false;
  m_used[slot / 64] |= bit;
  return true;
}

}  // namespace pkictl::server
