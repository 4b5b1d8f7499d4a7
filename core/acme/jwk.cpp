#include "core/acme/jwk.hpp"

#include <openssl/core_names.h>

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/text.hpp"

namespace pkictl::acme {
namespace {
using nlohmann::json;

Result<std::string> member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return fail(ErrorKind::Malformed, std::string("JWK lacks the string member \"") + name + "\"");
  return it->get<std::string>();
}

Result<util::Bytes> b64_member(const json& jwk, const char* name) {
  PKI_TRY_ASSIGN(auto s, member(jwk, name));
  auto b = util::base64url_decode(s);
  if (!b) return fail(ErrorKind::Malformed, std::string("JWK member \"") + name + "\" is not base64url");
  return b;
}

/** An EC coordinate as the curve's `len` octets. RFC 7518 §6.2.1.2 wants exactly `len`, but clients
 * that encode it as an integer drop its leading zero octets (Ruby's acme-client up to 2.0.9 does, for
 * about one P-256 key in 128) or add one: the value is what counts, so it is padded or trimmed. */
Result<util::Bytes> coordinate(const json& jwk, const char* name, std::size_t len, const std::string& crv) {
  PKI_TRY_ASSIGN(auto b, b64_member(jwk, name));
  const auto first = std::find_if(b.begin(), b.end(), [](std::uint8_t o) { return o != 0; });
  const auto significant = static_cast<std::size_t>(b.end() - first);
  if (b.empty() || significant > len)
    return fail(ErrorKind::BadPublicKey, std::string("EC JWK coordinate \"") + name + "\" must be " + std::to_string(len) + " bytes for " + crv + ", not " +
                                             std::to_string(b.size()));
  util::Bytes out(len - significant, 0);
  out.insert(out.end(), first, b.end());
  return out;
}

/** The full public-key check OpenSSL offers (a JWK is anyone's input, checked once and cached). */
Result<crypto::PublicKey> checked(crypto::PublicKey key) {
  ossl::Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ossl::drain_errors();
    return fail(ErrorKind::BadPublicKey, "the JWK is not a valid public key (point not on the curve?)");
  }
  return key;
}

Result<crypto::PublicKey> from_params(const char* type, ossl::Ptr<OSSL_PARAM_BLD>& bld) {
  ossl::Ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return ossl::fail("building the JWK public key", ErrorKind::BadPublicKey);
  return checked(crypto::PublicKey(ossl::Ptr<EVP_PKEY>(raw)));
}

Result<util::Bytes> bn_param(const crypto::PublicKey& key, const char* name, std::size_t pad = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), name, &raw) != 1) return ossl::fail("reading a key parameter", ErrorKind::BadPublicKey);
  ossl::Ptr<BIGNUM> bn(raw);
  const std::size_t n = std::max<std::size_t>(pad, static_cast<std::size_t>(BN_num_bytes(bn.get())));
  util::Bytes out(n);
  if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(n)) < 0) return ossl::fail("BN_bn2binpad");
  return out;
}

}  // namespace

Result<crypto::PublicKey> jwk_to_key(const json& jwk) {
  if (!jwk.is_object()) return fail(ErrorKind::Malformed, "the JWK is not a JSON object");
  PKI_TRY_ASSIGN(auto kty, member(jwk, "kty"));
  // A JWK in a request is a public key (RFC 7515 §4.1.3, RFC 8555 §6.2). Private members mean the
  // client sent its private key: refused, and never used as an account key, so that the client
  // finds out. RFC 7518 §6.2.2 (EC, OKP as RFC 8037 §2 reuses "d") and §6.3.2 (RSA).
  for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
    if (jwk.contains(priv))
      return fail(ErrorKind::BadPublicKey, std::string("the JWK holds the private member \"") + priv +
                                               "\": send only the public key, and treat this private key as exposed (replace it)");
  }
  ossl::Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld) return ossl::fail("OSSL_PARAM_BLD_new");
  if (kty == "EC") {
    PKI_TRY_ASSIGN(auto crv, member(jwk, "crv"));
    const char* group = crv == "P-256" ? "P-256" : crv == "P-384" ? "P-384" : crv == "P-521" ? "P-521" : nullptr;
    if (!group) return fail(ErrorKind::BadPublicKey, "unsupported EC curve \"" + crv + "\" (P-256, P-384, P-521)");
    const std::size_t len = crv == "P-256" ? 32 : crv == "P-384" ? 48 : 66;
    PKI_TRY_ASSIGN(auto x, coordinate(jwk, "x", len, crv));
    PKI_TRY_ASSIGN(auto y, coordinate(jwk, "y", len, crv));
    std::string point(1, '\x04');
    point.append(x.begin(), x.end());
    point.append(y.begin(), y.end());
    auto key = crypto::PublicKey::from_ec_point(group, point);
    if (!key) return fail(ErrorKind::BadPublicKey, "building the JWK public key: " + key.error().detail);
    return checked(std::move(*key));
  }
  if (kty == "RSA") {
    PKI_TRY_ASSIGN(auto n, b64_member(jwk, "n"));
    PKI_TRY_ASSIGN(auto e, b64_member(jwk, "e"));
    ossl::Ptr<BIGNUM> bn_n(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
    ossl::Ptr<BIGNUM> bn_e(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
    if (!bn_n || !bn_e) return ossl::fail("BN_bin2bn");
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    return from_params("RSA", bld);
  }
  if (kty == "OKP") {
    PKI_TRY_ASSIGN(auto crv, member(jwk, "crv"));
    if (crv != "Ed25519") return fail(ErrorKind::BadPublicKey, "unsupported OKP curve \"" + crv + "\" (Ed25519)");
    PKI_TRY_ASSIGN(auto x, b64_member(jwk, "x"));
    auto key = crypto::PublicKey::from_ed25519(std::string_view(reinterpret_cast<const char*>(x.data()), x.size()));
    if (!key) return fail(ErrorKind::BadPublicKey, "reading the Ed25519 JWK: " + key.error().detail);
    return key;
  }
  return fail(ErrorKind::BadPublicKey, "unsupported JWK key type \"" + kty + "\" (EC, RSA, OKP)");
}

Result<json> key_to_jwk(const crypto::PublicKey& key) {
  const auto info = key.info();
  if (info.algorithm == "EC") {
    const std::size_t len = info.curve == "P-256" ? 32 : info.curve == "P-384" ? 48 : 66;
    util::Bytes point(1 + 2 * len);
    size_t out_len = 0;
    if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(), &out_len) != 1 ||
        out_len != point.size())
      return ossl::fail("reading the EC point", ErrorKind::BadPublicKey);
    return json{{"crv", info.curve}, {"kty", "EC"},
                {"x", util::base64url_encode(std::span(point).subspan(1, len))},
                {"y", util::base64url_encode(std::span(point).subspan(1 + len, len))}};
  }
  if (info.algorithm == "RSA") {
    PKI_TRY_ASSIGN(auto n, bn_param(key, OSSL_PKEY_PARAM_RSA_N));
    PKI_TRY_ASSIGN(auto e, bn_param(key, OSSL_PKEY_PARAM_RSA_E));
    return json{{"e", util::base64url_encode(e)}, {"kty", "RSA"}, {"n", util::base64url_encode(n)}};
  }
  if (info.algorithm == "Ed25519") {
    util::Bytes raw(32);
    size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), raw.data(), &len) != 1) return ossl::fail("reading the Ed25519 key", ErrorKind::BadPublicKey);
    return json{{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", util::base64url_encode(raw)}};
  }
  return fail(ErrorKind::BadPublicKey, info.describe() + " keys cannot be expressed as a JWK here");
}

Result<std::string> jwk_thumbprint(const json& jwk) {
  // Re-derive the required members from the key itself so extra members never change the result.
  PKI_TRY_ASSIGN(auto key, jwk_to_key(jwk));
  PKI_TRY_ASSIGN(auto canonical, key_to_jwk(key));
  // nlohmann::json objects are sorted by key and dump() without spaces: RFC 7638 §3.
  const auto digest = crypto::sha256(canonical.dump());
  return util::base64url_encode(digest);
}

Result<std::string> required_members(const json& jwk) {
  PKI_TRY(jwk_to_key(jwk));
  // RFC 7638 §3.2; jwk_to_key accepted only these three types.
  static const std::vector<std::string> ec{"crv", "kty", "x", "y"}, rsa{"e", "kty", "n"}, okp{"crv", "kty", "x"};
  const auto kty = jwk["kty"].get<std::string>();
  json out = json::object();
  for (const auto& name : kty == "EC" ? ec : kty == "RSA" ? rsa : okp) out[name] = jwk[name];
  return out.dump();
}

std::string thumbprint_as_written(std::string_view members) { return util::base64url_encode(crypto::sha256(members)); }

std::string natural_alg(const crypto::PublicKey& key) { return natural_alg(key.info()); }

std::string natural_alg(const crypto::KeyInfo& info) {
  if (info.algorithm == "EC") return info.curve == "P-256" ? "ES256" : info.curve == "P-384" ? "ES384" : "ES512";
  if (info.algorithm == "RSA") return "RS256";
  if (info.algorithm == "Ed25519") return "EdDSA";
  return "";
}

}  // namespace pkictl::acme
