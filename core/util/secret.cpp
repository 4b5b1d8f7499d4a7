#include "core/util/secret.hpp"

#include <openssl/crypto.h>

namespace pkictl {

void Secret::wipe() noexcept {
  // The whole capacity: a moved-from short string keeps its old bytes in the SSO buffer.
  OPENSSL_cleanse(m_value.data(), m_value.capacity());
  m_value.clear();
}

}  // namespace pkictl
