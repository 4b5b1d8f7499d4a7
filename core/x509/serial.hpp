#pragma once
#include "core/util/result.hpp"
#include "core/util/text.hpp"

namespace pkictl::x509 {

/** Serial length in bytes: 16 bytes of CSPRNG output, positive (top bit clear), first byte
 * non-zero so the DER length is fixed: 127 bits of entropy, well over the 64 required. */
inline constexpr std::size_t serial_bytes = 16;

/** A fresh random serial. Errors: Crypto (CSPRNG failure). */
[[nodiscard]] Result<util::Bytes> random_serial();

}  // namespace pkictl::x509
