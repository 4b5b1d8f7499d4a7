#include "core/crypto/ossl.hpp"

#include <openssl/err.h>

namespace pkictl::ossl {

std::string drain_errors() {
  std::string text;
  unsigned long code;
  const char* file = nullptr;
  int line = 0;
  while ((code = ERR_get_error_all(&file, &line, nullptr, nullptr, nullptr)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text;
}

Error error(std::string_view what, ErrorKind kind) {
  Error e;
  e.kind = kind;
  e.detail = std::string(what) + " failed";
  e.internal = drain_errors();
  return e;
}

Ptr<BIO> mem_bio(std::string_view data) {
  return Ptr<BIO>(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_to_string(BIO* bio) {
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace pkictl::ossl
