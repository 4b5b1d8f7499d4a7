#include "core/acme/jws.hpp"

#include "core/acme/jwk.hpp"
#include "core/util/text.hpp"

namespace pkictl::acme {
namespace {
using nlohmann::json;

Result<std::string> decode_member(const json& j, const char* name, bool required) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (required) return fail(ErrorKind::Malformed, std::string("JWS lacks \"") + name + "\"");
    return std::string();
  }
  if (!it->is_string()) return fail(ErrorKind::Malformed, std::string("JWS member \"") + name + "\" is not a string");
  return it->get<std::string>();
}

std::string bytes_to_string(const util::Bytes& b) { return std::string(b.begin(), b.end()); }

std::size_t coord_len_for(const std::string& alg) { return alg == "ES256" ? 32 : alg == "ES384" ? 48 : 66; }

}  // namespace

const std::vector<std::string>& supported_algs() {
  static const std::vector<std::string> algs = {"ES256", "ES384", "ES512", "RS256", "EdDSA"};
  return algs;
}

std::optional<std::string> Jws::kid() const {
  auto it = protected_header.find("kid");
  if (it == protected_header.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

const json* Jws::jwk() const {
  auto it = protected_header.find("jwk");
  return it == protected_header.end() ? nullptr : &*it;
}

Result<Jws> parse_jws(std::string_view body, bool nonce_required) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorKind::Malformed, "the request body is not a JSON object (a flattened JWS)");
  if (j.contains("signatures")) return fail(ErrorKind::Malformed, "the general JWS serialization is not allowed; use the flattened one");
  if (j.contains("header")) return fail(ErrorKind::Malformed, "unprotected JWS headers are not allowed");
  Jws jws;
  PKI_TRY_ASSIGN(jws.protected_b64, decode_member(j, "protected", true));
  PKI_TRY_ASSIGN(jws.payload_b64, decode_member(j, "payload", true));
  PKI_TRY_ASSIGN(auto sig_b64, decode_member(j, "signature", true));
  auto header_bytes = util::base64url_decode(jws.protected_b64);
  if (!header_bytes) return fail(ErrorKind::Malformed, "the JWS protected header is not base64url");
  jws.protected_header = json::parse(bytes_to_string(*header_bytes), nullptr, false);
  if (jws.protected_header.is_discarded() || !jws.protected_header.is_object())
    return fail(ErrorKind::Malformed, "the JWS protected header is not a JSON object");
  auto payload = util::base64url_decode(jws.payload_b64);
  if (!payload) return fail(ErrorKind::Malformed, "the JWS payload is not base64url");
  jws.payload = bytes_to_string(*payload);
  auto sig = util::base64url_decode(sig_b64);
  if (!sig) return fail(ErrorKind::Malformed, "the JWS signature is not base64url");
  jws.signature = bytes_to_string(*sig);
  for (const char* m : {"alg", "nonce", "url"}) {
    if (!nonce_required && std::string_view(m) == "nonce" && !jws.protected_header.contains("nonce")) continue;
    auto it = jws.protected_header.find(m);
    if (it == jws.protected_header.end() || !it->is_string())
      return fail(ErrorKind::Malformed, std::string("the JWS protected header lacks the string \"") + m + "\"");
  }
  // RFC 7515 §4.1.11: an extension marked critical that we do not implement (none is: ACME uses
  // none, and "b64": false would change what the signature covers) makes the JWS invalid.
  if (jws.protected_header.contains("crit"))
    return fail(ErrorKind::Malformed, "the JWS protected header marks extensions critical (\"crit\": " + jws.protected_header["crit"].dump() +
                                          "); this server implements none, so it cannot accept them");
  if (jws.protected_header.contains("kid") == jws.protected_header.contains("jwk"))
    return fail(ErrorKind::Malformed, "the JWS protected header must have exactly one of \"jwk\" and \"kid\"");
  const auto alg = jws.alg();
  if (std::find(supported_algs().begin(), supported_algs().end(), alg) == supported_algs().end()) {
    Error e{ErrorKind::BadSignatureAlgorithm, "JWS algorithm \"" + alg + "\" is not supported", {}, {}, {}};
    return fail(std::move(e));
  }
  return jws;
}

Result<std::string> ecdsa_raw_to_der(std::string_view raw) {
  if (raw.empty() || raw.size() % 2) return fail(ErrorKind::Malformed, "bad ECDSA signature length");
  const auto half = static_cast<int>(raw.size() / 2);
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ossl::Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(p, half, nullptr);
  BIGNUM* s = BN_bin2bn(p + half, half, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return ossl::fail("ECDSA_SIG_set0");
  }
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return ossl::fail("i2d_ECDSA_SIG");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

Result<std::string> ecdsa_der_to_raw(std::string_view der, std::size_t coord_len) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Ptr<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return ossl::fail("d2i_ECDSA_SIG");
  std::string out(2 * coord_len, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, static_cast<int>(coord_len)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + coord_len, static_cast<int>(coord_len)) < 0)
    return ossl::fail("BN_bn2binpad");
  return out;
}

Result<void> verify_jws(const Jws& jws, const crypto::PublicKey& key) {
  const std::string alg = jws.alg();
  const auto info = key.info();
  const bool fits = (alg == "ES256" && info.curve == "P-256") || (alg == "ES384" && info.curve == "P-384") ||
                    (alg == "ES512" && info.curve == "P-521") || (alg == "RS256" && info.algorithm == "RSA") ||
                    (alg == "EdDSA" && info.algorithm == "Ed25519");
  if (!fits)
    return fail(ErrorKind::BadSignatureAlgorithm, "JWS algorithm \"" + alg + "\" does not fit the " + info.describe() + " key");
  if (alg == "RS256" && info.bits < 2048)
    return fail(ErrorKind::BadPublicKey, "RSA account keys must have at least 2048 bits");
  std::string sig = jws.signature;
  if (alg.rfind("ES", 0) == 0) {
    if (sig.size() != 2 * coord_len_for(alg)) return fail(ErrorKind::Malformed, "the JWS signature has the wrong length for " + alg);
    PKI_TRY_ASSIGN(sig, ecdsa_raw_to_der(sig));
  }
  const std::string signing_input = jws.protected_b64 + "." + jws.payload_b64;
  const std::string md = alg == "EdDSA" ? "" : alg == "ES384" ? "SHA384" : alg == "ES512" ? "SHA512" : "SHA256";
  PKI_TRY_ASSIGN(auto ok, key.verify(signing_input, sig, md));
  if (!ok) return fail(ErrorKind::Malformed, "the JWS signature does not verify");
  return {};
}

Result<json> sign_jws(const crypto::PrivateKey& key, const json& protected_header, std::string_view payload) {
  const std::string alg = natural_alg(key.info());
  json header = protected_header;
  header["alg"] = alg;
  const std::string p64 = util::base64url_encode(header.dump());
  const std::string pl64 = util::base64url_encode(payload);
  const std::string md = alg == "EdDSA" ? "" : alg == "ES384" ? "SHA384" : alg == "ES512" ? "SHA512" : "SHA256";
  PKI_TRY_ASSIGN(auto sig, key.sign(p64 + "." + pl64, md));
  if (alg.rfind("ES", 0) == 0) {
    PKI_TRY_ASSIGN(sig, ecdsa_der_to_raw(sig, coord_len_for(alg)));
  }
  return json{{"protected", p64}, {"payload", pl64}, {"signature", util::base64url_encode(sig)}};
}

}  // namespace pkictl::acme
