#include "core/acme/eab.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "core/acme/objects.hpp"
#include "core/crypto/digest.hpp"
#include "core/crypto/ossl.hpp"
#include "core/util/text.hpp"

namespace pkictl::acme {

Result<SealingKey> eab_sealing_key(const Secret& secret) {
  ossl::Ptr<EVP_KDF> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return ossl::fail("EVP_KDF_fetch(HKDF)");
  ossl::Ptr<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(kdf.get()));
  std::string ikm(secret.view());
  std::string info = "pkictl EAB HMAC key sealing v1";
  std::string salt = "pkictl";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm.data(), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  SealingKey out{};
  const int ok = ctx && EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
  OPENSSL_cleanse(ikm.data(), ikm.size());
  if (!ok) return ossl::fail("deriving the EAB sealing key");
  return out;
}

Result<std::string> seal(const SealingKey& key, std::string_view plaintext, std::string_view associated) {
  PKI_TRY_ASSIGN(auto nonce, crypto::random_bytes(12));
  ossl::Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string ct(plaintext.size(), '\0');
  unsigned char tag[16];
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()), static_cast<int>(associated.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()), &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1 || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
    return ossl::fail("sealing the EAB key");
  return std::string(reinterpret_cast<char*>(nonce.data()), nonce.size()) + ct + std::string(reinterpret_cast<char*>(tag), 16);
}

Result<std::string> unseal(const SealingKey& key, std::string_view blob, std::string_view associated) {
  if (blob.size() < 28) return fail(ErrorKind::Crypto, "a sealed EAB key is too short");
  const auto* nonce = reinterpret_cast<const unsigned char*>(blob.data());
  const std::string_view ct = blob.substr(12, blob.size() - 28);
  std::string tag(blob.substr(blob.size() - 16));
  ossl::Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string pt(ct.size(), '\0');
  const bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) == 1 &&
                  EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()), static_cast<int>(associated.size())) == 1 &&
                  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(pt.data()), &len, reinterpret_cast<const unsigned char*>(ct.data()),
                                    static_cast<int>(ct.size())) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 && EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) == 1;
  ossl::drain_errors();
  if (!ok) return fail(ErrorKind::Crypto, "the EAB key cannot be unsealed: the database was altered or the server secret changed");
  return pt;
}

Result<MintedEab> mint_eab_key(const SealingKey& sealing, const std::string& binding, std::optional<TimePoint> expires,
                               bool single_use, TimePoint now) {
  PKI_TRY_ASSIGN(auto kid_bytes, crypto::random_bytes(12));
  PKI_TRY_ASSIGN(auto hmac, crypto::random_bytes(32));
  // A key printed as "-…" is read as an option by certbot's and lego's argument parsers
  // ("--eab-hmac-key -x…: expected one argument"): draw again (1 in 64; costs 0.02 bits).
  for (int i = 0; i < 64 && util::base64url_encode(hmac).front() == '-'; ++i) {
    OPENSSL_cleanse(hmac.data(), hmac.size());
    PKI_TRY_ASSIGN(hmac, crypto::random_bytes(32));
  }
  MintedEab out;
  out.key.kid = "kid-" + util::base64url_encode(kid_bytes);
  out.key.binding = binding;
  out.key.created = now;
  out.key.expires = expires;
  out.key.single_use = single_use;
  std::string raw(hmac.begin(), hmac.end());
  auto sealed = seal(sealing, raw, out.key.kid);
  OPENSSL_cleanse(raw.data(), raw.size());
  if (!sealed) return fail(std::move(sealed).error());
  out.key.sealed_hmac = std::move(*sealed);
  out.hmac_b64u = util::base64url_encode(hmac);
  OPENSSL_cleanse(hmac.data(), hmac.size());
  return out;
}

Result<EabJws> parse_eab(const nlohmann::json& eab) {
  if (!eab.is_object() || !eab.contains("protected") || !eab.contains("payload") || !eab.contains("signature") ||
      !eab["protected"].is_string() || !eab["payload"].is_string() || !eab["signature"].is_string())
    return fail(ErrorKind::Malformed, "externalAccountBinding must be a flattened JWS (protected, payload, signature)");
  EabJws out;
  const std::string p64 = eab["protected"], pl64 = eab["payload"];
  auto prot_raw = util::base64url_decode(p64);
  auto payload_raw = util::base64url_decode(pl64);
  auto mac = util::base64url_decode(eab["signature"].get<std::string>());
  if (!prot_raw || !payload_raw || !mac) return fail(ErrorKind::Malformed, "externalAccountBinding is not base64url");
  const auto prot = nlohmann::json::parse(prot_raw->begin(), prot_raw->end(), nullptr, false);
  out.payload = nlohmann::json::parse(payload_raw->begin(), payload_raw->end(), nullptr, false);
  if (!prot.is_object() || out.payload.is_discarded()) return fail(ErrorKind::Malformed, "externalAccountBinding: the protected header or payload is not JSON");
  // RFC 8555 §7.3.4: alg a MAC algorithm, kid the key identifier, url the newAccount URL, no nonce.
  if (prot.contains("nonce")) return fail(ErrorKind::Malformed, "externalAccountBinding must not carry a nonce");
  PKI_TRY_ASSIGN(out.alg, acme::optional_string(prot, "alg"));
  PKI_TRY_ASSIGN(out.kid, acme::optional_string(prot, "kid"));
  PKI_TRY_ASSIGN(out.url, acme::optional_string(prot, "url"));
  if (out.alg != "HS256" && out.alg != "HS384" && out.alg != "HS512")
    return fail(ErrorKind::Malformed, "externalAccountBinding alg must be HS256, HS384 or HS512, not \"" + out.alg + "\"");
  if (out.kid.empty()) return fail(ErrorKind::Malformed, "externalAccountBinding has no kid");
  out.signing_input = p64 + "." + pl64;
  out.mac.assign(mac->begin(), mac->end());
  return out;
}

Result<void> verify_eab_mac(const EabJws& eab, std::string_view hmac_key) {
  const EVP_MD* md = eab.alg == "HS512" ? EVP_sha512() : eab.alg == "HS384" ? EVP_sha384() : EVP_sha256();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(md, hmac_key.data(), static_cast<int>(hmac_key.size()), reinterpret_cast<const unsigned char*>(eab.signing_input.data()),
            eab.signing_input.size(), out, &n))
    return ossl::fail("computing the EAB MAC");
  if (n != eab.mac.size() || CRYPTO_memcmp(out, eab.mac.data(), n) != 0)
    return fail(ErrorKind::Unauthorized, "the externalAccountBinding MAC does not verify with the key of " + eab.kid);
  return {};
}

}  // namespace pkictl::acme
