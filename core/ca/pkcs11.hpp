#pragma once
// Keys in a PKCS#11 token (an HSM; SoftHSM2 in tests), named by RFC 7512 URIs:
//   pkcs11:token=Root%20CA;object=root-2026?module-path=/usr/lib/softhsm/libsofthsm2.so
// Keys are generated on the token (sensitive, never extractable) and sign there, behind the same
// ca::Signer interface as file keys. The PIN comes from the passphrase options, never the URI.
#include <memory>
#include <string>

#include "core/ca/signer.hpp"
#include "core/util/result.hpp"
#include "core/util/secret.hpp"

namespace pkictl::ca {

struct Pkcs11Uri {
  std::string token;   // token label
  std::string object;  // key label
  std::string module;  // module-path; default $PKCS11_MODULE, else Debian's SoftHSM2 module
  /** Errors: InvalidArgument naming the missing or unknown attribute. */
  [[nodiscard]] static Result<Pkcs11Uri> parse(std::string_view uri);
  std::string str() const;
};

bool is_pkcs11_uri(std::string_view s);

/** Generates a key pair on the token: EC P-256/P-384 or RSA; private half sensitive and not
 * extractable. Errors: Conflict (a key with that label exists), NotFound (no such token),
 * BadPassphrase (wrong PIN), Crypto. */
[[nodiscard]] Result<void> pkcs11_generate_key(const Pkcs11Uri& uri, crypto::KeyType type, const Secret& pin);

/** A Signer over the token key `uri` names. Errors: NotFound, BadPassphrase, Crypto. */
[[nodiscard]] Result<std::unique_ptr<Signer>> open_pkcs11_signer(const Pkcs11Uri& uri, const Secret& pin);

}  // namespace pkictl::ca
