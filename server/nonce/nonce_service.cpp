#include "server/nonce/nonce_service.hpp"

#include <cstring>

#include "core/crypto/digest.hpp"
#include <openssl/crypto.h>

#include "core/util/text.hpp"

namespace pkictl::server {
namespace {
constexpr std::size_t tag_bytes = 16;
constexpr std::size_t nonce_bytes = 4 + 8 + tag_bytes;
constexpr std::size_t key_bytes = 32;
}  // namespace

NonceService::NonceService(std::uint64_t window) : m_window(window), m_used((window + 63) / 64, 0) {
  auto key = crypto::random_bytes(key_bytes);
  m_key_bytes.assign(key->begin(), key->end());
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

namespace {
constexpr std::string_view state_magic = "pkictl-nonces-1\n";

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_u64(std::string_view in, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}
}  // namespace

// Layout: magic, saved-at (unix seconds), window, counter, epoch (4 bytes), key, the used bitmap;
// integers little-endian.
std::string NonceService::export_state(std::int64_t now_unix) {
  std::lock_guard lock(m_mutex);
  std::string out(state_magic);
  put_u64(out, static_cast<std::uint64_t>(now_unix));
  put_u64(out, m_window);
  put_u64(out, m_counter.load());
  out.append(reinterpret_cast<const char*>(&m_epoch), 4);
  out.append(reinterpret_cast<const char*>(m_key_bytes.data()), m_key_bytes.size());
  for (std::uint64_t word : m_used) put_u64(out, word);
  return out;
}

bool NonceService::import_state(std::string_view state, std::int64_t now_unix, std::int64_t max_age_s) {
  const std::size_t head = state_magic.size() + 3 * 8 + 4 + key_bytes;
  if (state.size() != head + 8 * m_used.size() || state.substr(0, state_magic.size()) != state_magic) return false;
  std::size_t at = state_magic.size();
  const auto saved_at = static_cast<std::int64_t>(get_u64(state, at));
  if (get_u64(state, at + 8) != m_window) return false;
  if (saved_at > now_unix + 60 || now_unix - saved_at > max_age_s) return false;
  const std::uint64_t counter = get_u64(state, at + 16);
  at += 24;
  std::lock_guard lock(m_mutex);
  std::memcpy(&m_epoch, state.data() + at, 4);
  at += 4;
  m_key_bytes.assign(state.begin() + static_cast<std::ptrdiff_t>(at), state.begin() + static_cast<std::ptrdiff_t>(at + key_bytes));
  m_key = std::make_unique<crypto::HmacSha256Key>(std::string_view(reinterpret_cast<const char*>(m_key_bytes.data()), key_bytes));
  at += key_bytes;
  for (auto& word : m_used) word = get_u64(state, at), at += 8;
  m_counter = counter;
  return true;
}

}  // namespace pkictl::server
