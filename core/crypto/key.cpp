#include "core/crypto/key.hpp"

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <cstring>
#include <mutex>
#include <vector>

namespace pkictl::crypto {
namespace {

struct KeyTypeName {
  KeyType type;
  std::string_view name;
};
constexpr KeyTypeName key_type_table[] = {
    {KeyType::EcP256, "ec-p256"},   {KeyType::EcP384, "ec-p384"},
    {KeyType::Ed25519, "ed25519"},  {KeyType::Rsa2048, "rsa-2048"},
    {KeyType::Rsa3072, "rsa-3072"}, {KeyType::Rsa4096, "rsa-4096"},
};

std::string curve_display_name(std::string_view group) {
  if (group == "prime256v1" || group == "P-256" || group == "secp256r1") return "P-256";
  if (group == "secp384r1" || group == "P-384") return "P-384";
  if (group == "secp521r1" || group == "P-521") return "P-521";
  return std::string(group);
}

/** A named curve's domain parameters as a key without key material, built once per curve and
 * then only read (shared by threads). Building the group from its name is most of the cost of
 * generating or importing a key on it (~30 of 64 µs for a P-256 key, ~30 of 41 µs for an import);
 * a key made from the template copies the built group. nullptr: not a curve OpenSSL knows. */
EVP_PKEY* curve_template(std::string_view group) {
  struct Entry {
    std::string name;
    ossl::Ptr<EVP_PKEY> params;
  };
  static std::mutex mutex;
  static std::vector<Entry> cache;  // the curves in use: a handful
  std::lock_guard lock(mutex);
  for (const auto& e : cache)
    if (e.name == group) return e.params.get();
  const std::string name(group);
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_group_name(ctx.get(), name.c_str()) != 1 ||
      EVP_PKEY_paramgen(ctx.get(), &raw) != 1) {
    ossl::drain_errors();
    return nullptr;
  }
  cache.push_back({name, ossl::Ptr<EVP_PKEY>(raw)});
  return raw;
}

/** RFC 5915 ECPrivateKey as it sits in a PKCS#8 PrivateKeyInfo: the curve is named by the
 * AlgorithmIdentifier, so [0] parameters stays absent (as OpenSSL writes it). */
struct EcPrivateKeyAsn1 {
  int32_t version;
  ASN1_OCTET_STRING* private_key;
  ASN1_OBJECT* parameters;
  ASN1_BIT_STRING* public_key;
};

// scrypt N=2^14, r=8, p=1: 16 MiB, within OpenSSL's default PKCS#8 decryption memory cap.
constexpr std::uint64_t scrypt_n = 1u << 14;
constexpr std::uint64_t scrypt_r = 8;
constexpr std::uint64_t scrypt_p = 1;

ASN1_SEQUENCE(EcPrivateKeyAsn1) = {
    ASN1_EMBED(EcPrivateKeyAsn1, version, INT32),
    ASN1_SIMPLE(EcPrivateKeyAsn1, private_key, ASN1_OCTET_STRING),
    ASN1_EXP_OPT(EcPrivateKeyAsn1, parameters, ASN1_OBJECT, 0),
    ASN1_EXP_OPT(EcPrivateKeyAsn1, public_key, ASN1_BIT_STRING, 1),
} static_ASN1_SEQUENCE_END(EcPrivateKeyAsn1)

/** Frees an OPENSSL_malloc'd buffer that held key material, clearing it first. */
struct ClearFree {
  std::size_t size = 0;
  void operator()(unsigned char* p) const { OPENSSL_clear_free(p, size); }
};

/** The PKCS#8 PrivateKeyInfo of an EC (named curve) or Ed25519 key, built on ASN.1 templates from
 * the key's parameters; nullptr (nothing queued) for other keys. OpenSSL 3.0's encoder, which
 * does the same, spends ~140 µs finding itself; this takes a few. */
ossl::Ptr<PKCS8_PRIV_KEY_INFO> pkcs8_of(EVP_PKEY* pkey) {
  unsigned char* inner = nullptr;
  int inner_len = -1;
  int alg_nid = NID_undef, ptype = V_ASN1_UNDEF;
  ASN1_OBJECT* curve_oid = nullptr;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64];
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, nullptr) != 1) return nullptr;
    const int curve = OBJ_sn2nid(group);
    const int order_bits = EVP_PKEY_get_bits(pkey);
    unsigned char pub[133];  // an uncompressed P-521 point
    std::size_t pub_len = 0;
    BIGNUM* d = nullptr;
    if (curve == NID_undef || order_bits <= 0 || EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &pub_len) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1)
      return nullptr;
    const std::size_t scalar_len = (static_cast<std::size_t>(order_bits) + 7) / 8;
    unsigned char scalar[66];
    const bool fits = scalar_len <= sizeof scalar && BN_bn2binpad(d, scalar, static_cast<int>(scalar_len)) == static_cast<int>(scalar_len);
    BN_clear_free(d);
    if (!fits) return nullptr;
    EcPrivateKeyAsn1 v{1, ASN1_OCTET_STRING_new(), nullptr, ASN1_BIT_STRING_new()};
    bool ok = v.private_key && v.public_key && ASN1_OCTET_STRING_set(v.private_key, scalar, static_cast<int>(scalar_len)) == 1 &&
              ASN1_BIT_STRING_set(v.public_key, pub, static_cast<int>(pub_len)) == 1;
    OPENSSL_cleanse(scalar, sizeof scalar);
    if (ok) {
      v.public_key->flags = (v.public_key->flags & ~0x07L) | ASN1_STRING_FLAG_BITS_LEFT;  // a whole number of bytes
      inner_len = ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(&v), &inner, ASN1_ITEM_rptr(EcPrivateKeyAsn1));
    }
    ASN1_STRING_clear_free(v.private_key);
    ASN1_BIT_STRING_free(v.public_key);
    alg_nid = NID_X9_62_id_ecPublicKey;
    ptype = V_ASN1_OBJECT;
    curve_oid = OBJ_nid2obj(curve);
  } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
    unsigned char seed[32];
    std::size_t seed_len = sizeof seed;
    if (EVP_PKEY_get_raw_private_key(pkey, seed, &seed_len) != 1 || seed_len != sizeof seed) return nullptr;
    ossl::Ptr<ASN1_OCTET_STRING> os(ASN1_OCTET_STRING_new());
    if (os && ASN1_OCTET_STRING_set(os.get(), seed, sizeof seed) == 1) inner_len = i2d_ASN1_OCTET_STRING(os.get(), &inner);
    OPENSSL_cleanse(seed, sizeof seed);
    if (os) OPENSSL_cleanse(os->data, static_cast<std::size_t>(os->length));
    alg_nid = NID_ED25519;
  } else {
    return nullptr;
  }
  std::unique_ptr<unsigned char, ClearFree> owned(inner, ClearFree{static_cast<std::size_t>(std::max(inner_len, 0))});
  if (inner_len <= 0) return nullptr;
  ossl::Ptr<PKCS8_PRIV_KEY_INFO> p8(PKCS8_PRIV_KEY_INFO_new());
  if (!p8 || PKCS8_pkey_set0(p8.get(), OBJ_nid2obj(alg_nid), 0, ptype, curve_oid, owned.get(), inner_len) != 1) return nullptr;
  (void)owned.release();  // p8 owns it now (and clears it when freed)
  return p8;
}

}  // namespace

Result<KeyType> parse_key_type(std::string_view raw) {
  std::string name = util::to_lower(raw);
  if (name == "p256" || name == "ecdsa-p256" || name == "ec256" || name == "prime256v1") name = "ec-p256";
  if (name == "p384" || name == "ecdsa-p384" || name == "ec384" || name == "secp384r1") name = "ec-p384";
  if (name == "rsa2048" || name == "rsa") name = "rsa-2048";
  if (name == "rsa3072") name = "rsa-3072";
  if (name == "rsa4096") name = "rsa-4096";
  for (const auto& e : key_type_table)
    if (e.name == name) return e.type;
  return fail(ErrorKind::InvalidArgument,
              "unknown key type '" + std::string(raw) +
                  "' (use ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072 or rsa-4096)");
}

std::string_view to_string(KeyType type) {
  for (const auto& e : key_type_table)
    if (e.type == type) return e.name;
  return "unknown";
}

const std::vector<std::string>& key_type_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& e : key_type_table) v.emplace_back(e.name);
    return v;
  }();
  return names;
}

std::string KeyInfo::describe() const {
  if (algorithm == "EC") return "EC " + curve;
  if (algorithm == "RSA") return "RSA " + std::to_string(bits);
  return algorithm;
}

KeyInfo key_info(const EVP_PKEY* pkey) {
  KeyInfo info;
  info.bits = EVP_PKEY_get_bits(pkey);
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC: {
      info.algorithm = "EC";
      char group[80] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1)
        info.curve = curve_display_name(group);
      break;
    }
    case EVP_PKEY_RSA: info.algorithm = "RSA"; break;
    case EVP_PKEY_RSA_PSS: info.algorithm = "RSA-PSS"; break;
    case EVP_PKEY_ED25519: info.algorithm = "Ed25519"; break;
    case EVP_PKEY_ED448: info.algorithm = "Ed448"; break;
    case EVP_PKEY_DSA: info.algorithm = "DSA"; break;
    default: {
      const char* n = EVP_PKEY_get0_type_name(pkey);
      info.algorithm = n ? n : "unknown";
    }
  }
  return info;
}

std::string default_digest_for(const EVP_PKEY* pkey) {
  const KeyInfo info = key_info(pkey);
  if (info.algorithm == "Ed25519" || info.algorithm == "Ed448") return "";
  if (info.curve == "P-384") return "SHA384";
  if (info.curve == "P-521") return "SHA512";
  return "SHA256";
}

// ---- PublicKey

}  // namespace pkictl::crypto

namespace pkictl::crypto::detail {

/** A key's DigestSign or DigestVerify context for its natural digest, initialised once (OpenSSL
 * 3.0's init fetches the method and walks its name map: ~7 µs, against ~0.3 for a copy). */
struct DigestContexts {
  std::once_flag info_once;
  KeyInfo info;  // key_info of the key, once (OpenSSL 3.0's parameter queries take microseconds)
  std::once_flag once;
  std::string natural;             // default_digest_for the key, "" for EdDSA
  ossl::Ptr<EVP_MD_CTX> prepared;  // initialised for `natural`; null if that failed

  enum class Op { Sign, Verify };

  static bool init(EVP_MD_CTX* ctx, Op op, const std::string& md, EVP_PKEY* key) {
    const char* name = md.empty() ? nullptr : md.c_str();
    return (op == Op::Sign ? EVP_DigestSignInit_ex(ctx, nullptr, name, nullptr, nullptr, key, nullptr)
                           : EVP_DigestVerifyInit_ex(ctx, nullptr, name, nullptr, nullptr, key, nullptr)) == 1;
  }

  /** A context ready for one operation with `digest` ("" = the natural one): a copy of the prepared
   * one when the digest is the natural one, else initialised here. Null on failure. Thread-safe. */
  static ossl::Ptr<EVP_MD_CTX> get(DigestContexts* self, EVP_PKEY* key, Op op, std::string_view digest) {
    std::string md(digest);
    ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx) return ctx;
    if (self) {
      std::call_once(self->once, [&] {
        self->natural = default_digest_for(key);
        ossl::Ptr<EVP_MD_CTX> prepared(EVP_MD_CTX_new());
        if (prepared && init(prepared.get(), op, self->natural, key)) self->prepared = std::move(prepared);
        ossl::drain_errors();
      });
      if (md.empty()) md = self->natural;
      if (md == self->natural && self->prepared && EVP_MD_CTX_copy_ex(ctx.get(), self->prepared.get()) == 1) return ctx;
    } else if (md.empty()) {
      md = default_digest_for(key);  // a moved-from key: nothing prepared
    }
    if (!init(ctx.get(), op, md, key)) ctx.reset();
    return ctx;
  }
};

}  // namespace pkictl::crypto::detail

namespace pkictl::crypto {

using detail::DigestContexts;

PublicKey::PublicKey(ossl::Ptr<EVP_PKEY> pkey) : m_pkey(std::move(pkey)), m_verifier(std::make_shared<DigestContexts>()) {}

Result<PublicKey> PublicKey::from_spki_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Ptr<EVP_PKEY> k(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!k) return ossl::fail("parsing SubjectPublicKeyInfo", ErrorKind::BadPublicKey);
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return fail(ErrorKind::BadPublicKey, "trailing data after SubjectPublicKeyInfo");
  return PublicKey(std::move(k));
}

Result<PublicKey> PublicKey::from_ec_point(std::string_view group, std::string_view point) {
  // A copy of the curve's template with the point set (decoded and checked to be on the curve).
  EVP_PKEY* tmpl = curve_template(group);
  if (!tmpl) return fail(ErrorKind::BadPublicKey, "importing the " + std::string(group) + " public key: not a supported curve");
  ossl::Ptr<EVP_PKEY> k(EVP_PKEY_dup(tmpl));
  if (!k || EVP_PKEY_set1_encoded_public_key(k.get(), reinterpret_cast<const unsigned char*>(point.data()), point.size()) != 1)
    return ossl::fail("importing the " + std::string(group) + " public key", ErrorKind::BadPublicKey);
  return PublicKey(std::move(k));
}

Result<PublicKey> PublicKey::from_ed25519(std::string_view raw) {
  ossl::Ptr<EVP_PKEY> k(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!k) return ossl::fail("importing the Ed25519 public key", ErrorKind::BadPublicKey);
  return PublicKey(std::move(k));
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  auto bio = ossl::mem_bio(pem);
  ossl::Ptr<EVP_PKEY> k(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!k) return ossl::fail("reading a PEM public key (expected -----BEGIN PUBLIC KEY-----)", ErrorKind::Malformed);
  return PublicKey(std::move(k));
}

std::string PublicKey::spki_der() const {
  return ossl::to_der(m_pkey.get(), i2d_PUBKEY);
}

std::string PublicKey::to_pem() const {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), m_pkey.get());
  return ossl::bio_to_string(bio.get());
}

KeyInfo PublicKey::info() const {
  std::call_once(m_verifier->info_once, [&] { m_verifier->info = key_info(m_pkey.get()); });
  return m_verifier->info;
}

Sha256 PublicKey::fingerprint() const { return sha256(spki_der()); }

bool PublicKey::equals(const PublicKey& other) const {
  return EVP_PKEY_eq(m_pkey.get(), other.m_pkey.get()) == 1;
}

bool PrivateKey::pairs_with(const PublicKey& pub) const {
  return EVP_PKEY_eq(m_pkey.get(), pub.get()) == 1;  // the public components and parameters
}

Result<bool> PublicKey::verify(std::string_view data, std::string_view sig, std::string_view digest) const {
  auto ctx = DigestContexts::get(m_verifier.get(), m_pkey.get(), DigestContexts::Op::Verify, digest);
  if (!ctx) return ossl::fail("EVP_DigestVerifyInit_ex");
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                  reinterpret_cast<const unsigned char*>(data.data()), data.size());
  ossl::drain_errors();  // a bad signature leaves errors on the queue; the answer is `false`
  return rc == 1;
}

// ---- PrivateKey

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  EVP_PKEY* raw = nullptr;
  const auto on_curve = [&raw](const char* curve) {
    EVP_PKEY* tmpl = curve_template(curve);
    ossl::Ptr<EVP_PKEY_CTX> ctx(tmpl ? EVP_PKEY_CTX_new_from_pkey(nullptr, tmpl, nullptr) : nullptr);
    if (ctx && EVP_PKEY_keygen_init(ctx.get()) == 1) (void)EVP_PKEY_generate(ctx.get(), &raw);
  };
  switch (type) {
    case KeyType::EcP256: on_curve("P-256"); break;
    case KeyType::EcP384: on_curve("P-384"); break;
    case KeyType::Ed25519: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    case KeyType::Rsa2048: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)); break;
    case KeyType::Rsa3072: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072)); break;
    case KeyType::Rsa4096: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096)); break;
  }
  ossl::Ptr<EVP_PKEY> k(raw);
  if (!k) return ossl::fail("generating a " + std::string(to_string(type)) + " key");
  return PrivateKey(std::move(k));
}

namespace {
int pem_password_cb(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* secret = static_cast<const Secret*>(u);
  if (!secret) return -1;
  const auto v = secret->view();
  if (v.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, v.data(), v.size());
  return static_cast<int>(v.size());
}
}  // namespace

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem, const Secret* passphrase, bool allow_unencrypted) {
  const bool encrypted = pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos;
  const bool plain = !encrypted && (pem.find("-----BEGIN PRIVATE KEY-----") != std::string_view::npos ||
                                    pem.find("-----BEGIN EC PRIVATE KEY-----") != std::string_view::npos ||
                                    pem.find("-----BEGIN RSA PRIVATE KEY-----") != std::string_view::npos);
  if (!encrypted && !plain) return fail(ErrorKind::Malformed, "not a PEM private key");
  if (plain && !allow_unencrypted)
    return fail(ErrorKind::Malformed, "the private key is not encrypted; CA keys must be encrypted PKCS#8");
  if (plain && pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos && !passphrase)
    return fail(ErrorKind::BadPassphrase, "the private key is encrypted: a passphrase is needed");
  if (encrypted && (!passphrase || passphrase->empty()))
    return fail(ErrorKind::BadPassphrase, "the private key is encrypted: a passphrase is needed");
  auto bio = ossl::mem_bio(pem);
  ossl::Ptr<EVP_PKEY> k(PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, pem_password_cb,
                                                   const_cast<Secret*>(passphrase), nullptr, nullptr));
  if (!k) {
    if (encrypted) {
      Error e = ossl::error("decrypting the private key", ErrorKind::BadPassphrase);
      e.detail = "wrong passphrase for the private key (or the key file is corrupt)";
      return fail(std::move(e));
    }
    return ossl::fail("reading the private key", ErrorKind::Malformed);
  }
  return PrivateKey(std::move(k));
}

Result<std::string> PrivateKey::to_encrypted_pem(const Secret& passphrase) const {
  if (passphrase.empty()) return fail(ErrorKind::BadPassphrase, "an empty passphrase cannot protect a key");
  ossl::Ptr<PKCS8_PRIV_KEY_INFO> p8(EVP_PKEY2PKCS8(m_pkey.get()));
  if (!p8) return ossl::fail("EVP_PKEY2PKCS8");
  ossl::Ptr<X509_ALGOR> pbe(PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nullptr, 0, nullptr, scrypt_n, scrypt_r, scrypt_p));
  if (!pbe) return ossl::fail("PKCS5_pbe2_set_scrypt");
  ossl::Ptr<X509_SIG> sig(PKCS8_set0_pbe(passphrase.view().data(), static_cast<int>(passphrase.size()), p8.get(), pbe.get()));
  if (!sig) return ossl::fail("PKCS8_set0_pbe");
  (void)pbe.release();  // owned by `sig` now
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8(bio.get(), sig.get()) != 1) return ossl::fail("PEM_write_bio_PKCS8");
  return ossl::bio_to_string(bio.get());
}

Result<std::string> PrivateKey::to_unencrypted_pem() const {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio) return ossl::fail("BIO_new");
  if (auto p8 = pkcs8_of(m_pkey.get())) {
    if (PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio.get(), p8.get()) != 1) return ossl::fail("PEM_write_bio_PKCS8_PRIV_KEY_INFO");
  } else {  // RSA (or an EC key the fast path could not read): OpenSSL's encoder
    ossl::drain_errors();
    if (PEM_write_bio_PKCS8PrivateKey(bio.get(), m_pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
      return ossl::fail("PEM_write_bio_PKCS8PrivateKey");
  }
  return ossl::bio_to_string(bio.get());
}

PublicKey PrivateKey::public_key() const {
  // The public half through the key manager (export, import): ~25 µs, where a DER round trip
  // runs OpenSSL 3.0's encoder and decoder (~190 µs).
  OSSL_PARAM* params = nullptr;
  if (EVP_PKEY_todata(m_pkey.get(), EVP_PKEY_PUBLIC_KEY, &params) == 1) {
    ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, m_pkey.get(), nullptr));
    EVP_PKEY* pub = nullptr;
    const bool ok = ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 && EVP_PKEY_fromdata(ctx.get(), &pub, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    if (ok) return PublicKey(ossl::Ptr<EVP_PKEY>(pub));
    EVP_PKEY_free(pub);
    ossl::drain_errors();
  }
  unsigned char* buf = nullptr;
  const int n = i2d_PUBKEY(m_pkey.get(), &buf);
  const unsigned char* p = buf;
  ossl::Ptr<EVP_PKEY> pub(n > 0 ? d2i_PUBKEY(nullptr, &p, n) : nullptr);
  OPENSSL_free(buf);
  if (!pub) return PublicKey(ossl::up_ref(m_pkey.get()));  // cannot happen for keys we hold
  return PublicKey(std::move(pub));
}

KeyInfo PrivateKey::info() const { return key_info(m_pkey.get()); }

std::string PrivateKey::default_digest() const { return default_digest_for(m_pkey.get()); }

PrivateKey::PrivateKey(ossl::Ptr<EVP_PKEY> pkey) : m_pkey(std::move(pkey)), m_signer(std::make_shared<DigestContexts>()) {}

ossl::Ptr<EVP_MD_CTX> PrivateKey::signing_context() const {
  return DigestContexts::get(m_signer.get(), m_pkey.get(), DigestContexts::Op::Sign, "");
}

Result<std::string> PrivateKey::sign(std::string_view data, std::string_view digest) const {
  auto ctx = DigestContexts::get(m_signer.get(), m_pkey.get(), DigestContexts::Op::Sign, digest);
  if (!ctx) return ossl::fail("EVP_DigestSignInit_ex");
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) return ossl::fail("EVP_DigestSign");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, data.size()) != 1)
    return ossl::fail("EVP_DigestSign");
  sig.resize(len);
  return sig;
}

}  // namespace pkictl::crypto
