#include "core/policy/key_policy.hpp"

#include <openssl/core_names.h>

#include <algorithm>

namespace pkictl::policy {

Result<void> check_key(const crypto::PublicKey& key, const KeyPolicy& policy) {
  const auto info = key.info();
  if (info.algorithm == "RSA") {
    if (info.bits < policy.min_rsa_bits)
      return fail(ErrorKind::BadPublicKey, "RSA key of " + std::to_string(info.bits) + " bits is too weak (minimum " +
                                               std::to_string(policy.min_rsa_bits) + ")");
    if (info.bits > policy.max_rsa_bits)
      return fail(ErrorKind::BadPublicKey, "RSA key of " + std::to_string(info.bits) + " bits is larger than the maximum " +
                                               std::to_string(policy.max_rsa_bits));
    BIGNUM* e_raw = nullptr;
    if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e_raw) != 1) return ossl::fail("reading the RSA exponent", ErrorKind::BadPublicKey);
    ossl::Ptr<BIGNUM> e(e_raw);
    if (!BN_is_odd(e.get()) || BN_cmp(e.get(), BN_value_one()) <= 0 || BN_num_bits(e.get()) < 2)
      return fail(ErrorKind::BadPublicKey, "RSA public exponent is invalid");
  } else if (info.algorithm == "EC") {
    if (std::find(policy.curves.begin(), policy.curves.end(), info.curve) == policy.curves.end())
      return fail(ErrorKind::BadPublicKey, "EC curve '" + info.curve + "' is not allowed (allowed: P-256, P-384, P-521)");
  } else if (info.algorithm == "Ed25519") {
    if (!policy.allow_ed25519) return fail(ErrorKind::BadPublicKey, "Ed25519 keys are not allowed");
  } else {
    return fail(ErrorKind::BadPublicKey, info.describe() + " keys are not supported (use EC P-256/P-384, RSA ≥2048 or Ed25519)");
  }
  // The point is on the curve, the modulus is sane: OpenSSL's public key check.
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) {
    ossl::drain_errors();
    return fail(ErrorKind::BadPublicKey, "the public key fails validation (not a valid " + info.describe() + " key)");
  }
  return {};
}

}  // namespace pkictl::policy
