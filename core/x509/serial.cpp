#include "core/x509/serial.hpp"

#include "core/crypto/digest.hpp"

namespace pkictl::x509 {

Result<util::Bytes> random_serial() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    PKI_TRY_ASSIGN(auto bytes, crypto::random_bytes(serial_bytes));
    bytes[0] &= 0x7f;  // positive INTEGER
    if (bytes[0] != 0) return bytes;
  }
  return fail(ErrorKind::Crypto, "the CSPRNG returned a zero leading byte 64 times");
}

}  // namespace pkictl::x509
