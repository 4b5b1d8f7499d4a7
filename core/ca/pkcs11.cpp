// libp11.h declares RSA_METHOD/EC_KEY_METHOD accessors: this file alone sees the deprecated names.
#undef OPENSSL_NO_DEPRECATED
#include "core/ca/pkcs11.hpp"

#include <dlfcn.h>
#include <libp11.h>
#include <openssl/objects.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/util/text.hpp"

namespace pkictl::ca {
namespace {

std::string pct_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto b = util::from_hex(s.substr(i + 1, 2));
      if (b && b->size() == 1) {
        out += static_cast<char>((*b)[0]);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string pct_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += "%" + util::to_hex(std::span<const std::uint8_t>(&c, 1), 0, true);
  }
  return out;
}

/** A loaded module with an initialised Cryptoki function list (raw API for key generation). */
struct Module {
  void* handle = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;
  ~Module() {
    if (f) f->C_Finalize(nullptr);
    if (handle) dlclose(handle);
  }
};

Result<std::unique_ptr<Module>> load_module(const std::string& path) {
  auto m = std::make_unique<Module>();
  m->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m->handle) return fail(ErrorKind::NotFound, "cannot load the PKCS#11 module " + path + " (install softhsm2, or set module-path)");
  auto get = reinterpret_cast<CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR)>(dlsym(m->handle, "C_GetFunctionList"));
  if (!get || get(&m->f) != CKR_OK) return fail(ErrorKind::Crypto, path + " is not a PKCS#11 module");
  const CK_RV rv = m->f->C_Initialize(nullptr);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) return fail(ErrorKind::Crypto, "C_Initialize failed (" + std::to_string(rv) + ")");
  return m;
}

std::string trim_label(const unsigned char* label, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(label), n);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

bool is_pkcs11_uri(std::string_view s) { return s.rfind("pkcs11:", 0) == 0; }

Result<Pkcs11Uri> Pkcs11Uri::parse(std::string_view uri) {
  if (!is_pkcs11_uri(uri)) return fail(ErrorKind::InvalidArgument, "\"" + std::string(uri) + "\" is not a pkcs11: URI (RFC 7512)");
  Pkcs11Uri u;
  std::string_view rest = uri.substr(7);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  for (const auto& attr : util::split(rest, ';')) {
    const auto eq = attr.find('=');
    if (attr.empty()) continue;
    const std::string k = attr.substr(0, eq), v = eq == std::string::npos ? "" : pct_decode(attr.substr(eq + 1));
    if (k == "token") u.token = v;
    else if (k == "object") u.object = v;
    else if (k == "type" && v == "private") continue;
    else return fail(ErrorKind::InvalidArgument, "pkcs11 URI attribute \"" + k + "\" is not supported (token, object; ?module-path=)");
  }
  for (const auto& attr : util::split(query, '&')) {
    const auto eq = attr.find('=');
    if (attr.empty()) continue;
    const std::string k = attr.substr(0, eq), v = eq == std::string::npos ? "" : pct_decode(attr.substr(eq + 1));
    if (k == "module-path") u.module = v;
    else if (k == "pin-value" || k == "pin-source") return fail(ErrorKind::InvalidArgument, "put no PIN in the URI: it comes from --passphrase-file or the environment");
    else return fail(ErrorKind::InvalidArgument, "pkcs11 URI query \"" + k + "\" is not supported (module-path)");
  }
  if (u.token.empty() || u.object.empty()) return fail(ErrorKind::InvalidArgument, "a pkcs11 URI needs token= and object= (e.g. pkcs11:token=Root;object=root-key)");
  if (u.module.empty()) {
    const char* env = std::getenv("PKCS11_MODULE");
    u.module = env && *env ? env : "/usr/lib/softhsm/libsofthsm2.so";
  }
  return u;
}

std::string Pkcs11Uri::str() const {
  return "pkcs11:token=" + pct_encode(token) + ";object=" + pct_encode(object) + "?module-path=" + pct_encode(module);
}

Result<void> pkcs11_generate_key(const Pkcs11Uri& uri, crypto::KeyType type, const Secret& pin) {
  PKI_TRY_ASSIGN(auto m, load_module(uri.module));
  CK_ULONG n = 0;
  m->f->C_GetSlotList(CK_TRUE, nullptr, &n);
  std::vector<CK_SLOT_ID> slots(n);
  if (n == 0 || m->f->C_GetSlotList(CK_TRUE, slots.data(), &n) != CKR_OK) return fail(ErrorKind::NotFound, "no PKCS#11 token is present");
  std::optional<CK_SLOT_ID> slot;
  for (auto s : slots) {
    CK_TOKEN_INFO ti;
    if (m->f->C_GetTokenInfo(s, &ti) == CKR_OK && trim_label(ti.label, sizeof ti.label) == uri.token) slot = s;
  }
  if (!slot) return fail(ErrorKind::NotFound, "no PKCS#11 token labelled \"" + uri.token + "\"");
  CK_SESSION_HANDLE h = 0;
  if (m->f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h) != CKR_OK)
    return fail(ErrorKind::Crypto, "cannot open a session on token " + uri.token);
  struct Close {
    Module& m;
    CK_SESSION_HANDLE h;
    ~Close() { m.f->C_CloseSession(h); }
  } close{*m, h};
  std::string p(pin.view());
  const CK_RV lr = m->f->C_Login(h, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(p.data()), p.size());
  OPENSSL_cleanse(p.data(), p.size());
  if (lr != CKR_OK && lr != CKR_USER_ALREADY_LOGGED_IN) return fail(ErrorKind::BadPassphrase, "the token refused the PIN for " + uri.token);
  // Refuse to create a second key under the same label: signing would pick either.
  CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
  std::string label = uri.object;
  CK_ATTRIBUTE find[] = {{CKA_CLASS, &priv_class, sizeof priv_class}, {CKA_LABEL, label.data(), label.size()}};
  m->f->C_FindObjectsInit(h, find, 2);
  CK_OBJECT_HANDLE found = 0;
  CK_ULONG count = 0;
  m->f->C_FindObjects(h, &found, 1, &count);
  m->f->C_FindObjectsFinal(h);
  if (count > 0) return fail(ErrorKind::Conflict, "token " + uri.token + " already has a key labelled \"" + uri.object + "\"");
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::vector<unsigned char> id(label.begin(), label.end());
  CK_MECHANISM mech{};
  std::vector<CK_ATTRIBUTE> pub = {{CKA_TOKEN, &yes, sizeof yes}, {CKA_VERIFY, &yes, sizeof yes}, {CKA_LABEL, label.data(), label.size()},
                                   {CKA_ID, id.data(), id.size()}};
  std::vector<CK_ATTRIBUTE> priv = {{CKA_TOKEN, &yes, sizeof yes}, {CKA_PRIVATE, &yes, sizeof yes}, {CKA_SENSITIVE, &yes, sizeof yes},
                                    {CKA_EXTRACTABLE, &no, sizeof no}, {CKA_SIGN, &yes, sizeof yes}, {CKA_LABEL, label.data(), label.size()},
                                    {CKA_ID, id.data(), id.size()}};
  std::string ec_params;
  CK_ULONG bits = 0;
  CK_BYTE exponent[] = {0x01, 0x00, 0x01};
  if (type == crypto::KeyType::EcP256 || type == crypto::KeyType::EcP384) {
    ossl::Ptr<ASN1_OBJECT> curve(OBJ_nid2obj(type == crypto::KeyType::EcP256 ? NID_X9_62_prime256v1 : NID_secp384r1));
    ec_params = ossl::to_der(curve.get(), i2d_ASN1_OBJECT);  // the namedCurve OID, DER
    mech.mechanism = CKM_EC_KEY_PAIR_GEN;
    pub.push_back({CKA_EC_PARAMS, ec_params.data(), ec_params.size()});
  } else if (type == crypto::KeyType::Rsa2048 || type == crypto::KeyType::Rsa3072 || type == crypto::KeyType::Rsa4096) {
    bits = type == crypto::KeyType::Rsa2048 ? 2048 : type == crypto::KeyType::Rsa3072 ? 3072 : 4096;
    mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
    pub.push_back({CKA_MODULUS_BITS, &bits, sizeof bits});
    pub.push_back({CKA_PUBLIC_EXPONENT, exponent, sizeof exponent});
  } else {
    return fail(ErrorKind::InvalidArgument, std::string(crypto::to_string(type)) + " keys are not supported on PKCS#11 tokens here (ec-p256, ec-p384, rsa-*)");
  }
  CK_OBJECT_HANDLE pub_h = 0, priv_h = 0;
  const CK_RV rv = m->f->C_GenerateKeyPair(h, &mech, pub.data(), pub.size(), priv.data(), priv.size(), &pub_h, &priv_h);
  if (rv != CKR_OK) return fail(ErrorKind::Crypto, "C_GenerateKeyPair failed on token " + uri.token + " (" + std::to_string(rv) + ")");
  return {};
}

namespace {

/** Signs with a token key through libp11's EVP_PKEY (the private half never leaves the token). */
class Pkcs11Signer final : public Signer {
 public:
  Pkcs11Signer(PKCS11_CTX* ctx, PKCS11_SLOT* slots, unsigned int nslots, EVP_PKEY* priv, crypto::PublicKey pub)
      : m_ctx(ctx), m_slots(slots), m_nslots(nslots), m_priv(priv), m_pub(std::move(pub)) {}
  ~Pkcs11Signer() override {
    EVP_PKEY_free(m_priv);
    PKCS11_release_all_slots(m_ctx, m_slots, m_nslots);
    PKCS11_CTX_unload(m_ctx);
    PKCS11_CTX_free(m_ctx);
  }
  crypto::PublicKey public_key() const override { return m_pub; }
  Result<void> sign_certificate(X509* tbs) const override {
    if (X509_sign(tbs, m_priv, md()) <= 0) return ossl::fail("signing the certificate on the token");
    return {};
  }
  Result<void> sign_crl(X509_CRL* tbs) const override {
    if (X509_CRL_sign(tbs, m_priv, md()) <= 0) return ossl::fail("signing the CRL on the token");
    return {};
  }
  Result<std::string> sign(std::string_view data) const override {
    ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    std::size_t n = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md(), nullptr, m_priv) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
      return ossl::fail("signing on the token");
    std::string sig(n, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
      return ossl::fail("signing on the token");
    sig.resize(n);
    return sig;
  }

 private:
  const EVP_MD* md() const { return signature_digest(m_pub.get()); }
  PKCS11_CTX* m_ctx;
  PKCS11_SLOT* m_slots;
  unsigned int m_nslots;
  EVP_PKEY* m_priv;
  crypto::PublicKey m_pub;
};

}  // namespace

Result<std::unique_ptr<Signer>> open_pkcs11_signer(const Pkcs11Uri& uri, const Secret& pin) {
  PKCS11_CTX* ctx = PKCS11_CTX_new();
  if (!ctx) return fail(ErrorKind::Crypto, "libp11 could not start");
  PKCS11_SLOT* slots = nullptr;
  unsigned int nslots = 0;
  auto cleanup = [&] {
    if (slots) PKCS11_release_all_slots(ctx, slots, nslots);
    PKCS11_CTX_unload(ctx);
    PKCS11_CTX_free(ctx);
  };
  if (PKCS11_CTX_load(ctx, uri.module.c_str()) != 0) {
    PKCS11_CTX_free(ctx);
    return fail(ErrorKind::NotFound, "cannot load the PKCS#11 module " + uri.module);
  }
  if (PKCS11_enumerate_slots(ctx, &slots, &nslots) != 0) {
    cleanup();
    return fail(ErrorKind::Crypto, "cannot list the PKCS#11 slots");
  }
  PKCS11_SLOT* slot = nullptr;
  for (unsigned int i = 0; i < nslots; ++i)
    if (slots[i].token && slots[i].token->label && std::string(slots[i].token->label) == uri.token) slot = &slots[i];
  if (!slot) {
    cleanup();
    return fail(ErrorKind::NotFound, "no PKCS#11 token labelled \"" + uri.token + "\"");
  }
  std::string p(pin.view());
  const int lr = PKCS11_open_session(slot, 0) == 0 ? PKCS11_login(slot, 0, p.c_str()) : -1;
  OPENSSL_cleanse(p.data(), p.size());
  if (lr != 0) {
    cleanup();
    return fail(ErrorKind::BadPassphrase, "the token refused the PIN for " + uri.token);
  }
  PKCS11_KEY* keys = nullptr;
  unsigned int nkeys = 0;
  if (PKCS11_enumerate_keys(slot->token, &keys, &nkeys) != 0) {
    cleanup();
    return fail(ErrorKind::Crypto, "cannot list the keys of token " + uri.token);
  }
  PKCS11_KEY* key = nullptr;
  for (unsigned int i = 0; i < nkeys; ++i)
    if (keys[i].isPrivate && keys[i].label && std::string(keys[i].label) == uri.object) key = &keys[i];
  if (!key) {
    cleanup();
    return fail(ErrorKind::NotFound, "token " + uri.token + " has no private key labelled \"" + uri.object + "\"");
  }
  EVP_PKEY* priv = PKCS11_get_private_key(key);
  EVP_PKEY* pub = PKCS11_get_public_key(key);
  if (!priv || !pub) {
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    cleanup();
    return fail(ErrorKind::Crypto, "libp11 cannot use key \"" + uri.object + "\"");
  }
  // The public key as a plain provider key (SPKI round trip), for comparisons and verification.
  auto spki = ossl::to_der(pub, i2d_PUBKEY);
  EVP_PKEY_free(pub);
  auto pk = crypto::PublicKey::from_spki_der(spki);
  if (!pk) {
    EVP_PKEY_free(priv);
    cleanup();
    return fail(std::move(pk).error());
  }
  return std::unique_ptr<Signer>(std::make_unique<Pkcs11Signer>(ctx, slots, nslots, priv, std::move(*pk)));
}

}  // namespace pkictl::ca
