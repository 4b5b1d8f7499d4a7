#include <gtest/gtest.h>

#include "core/policy/key_policy.hpp"
#include "core/x509/csr.hpp"
#include "core/x509/name.hpp"

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cctype>
#include <tuple>
#include <vector>

using namespace pkictl;

TEST(Csr, RoundTripsSubjectKeyAndSans) {
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP384);
  auto pem = x509::make_csr_pem(*x509::parse_name("CN=svc.internal"),
                                {{x509::GeneralNameType::Dns, "svc.internal"}, {x509::GeneralNameType::Ip, "10.0.0.5"}}, key);
  ASSERT_TRUE(pem);
  auto csr = x509::UntrustedCsr::parse(*pem);
  ASSERT_TRUE(csr);
  auto v = csr->verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->public_key().equals(key.public_key()));
  EXPECT_EQ(v->common_name(), "svc.internal");
  ASSERT_EQ(v->requested_sans().size(), 2u);
  EXPECT_EQ(v->requested_sans()[1].value, "10.0.0.5");
  // DER works as well.
  auto der = x509::UntrustedCsr::parse(v->der());
  ASSERT_TRUE(der);
  EXPECT_TRUE(der->verify());
}

TEST(Csr, ABadSignatureIsBadCsr) {
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto pem = *x509::make_csr_pem(*x509::parse_name("CN=x"), {}, key);
  std::string der = (*x509::UntrustedCsr::parse(pem)->verify()).der();
  der[der.size() - 5] ^= 0x5a;  // inside the signature value
  auto csr = x509::UntrustedCsr::parse(der);
  ASSERT_TRUE(csr);
  auto v = csr->verify();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::BadCsr);
}

TEST(Csr, GarbageIsBadCsr) {
  for (const char* bad : {"hello", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}) {
    auto r = x509::UntrustedCsr::parse(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::BadCsr);
  }
}

TEST(KeyPolicy, RefusesWeakAndUnsupportedKeys) {
  ossl::Ptr<EVP_PKEY> weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)));
  ASSERT_TRUE(weak);
  auto r = policy::check_key(crypto::PublicKey(std::move(weak)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::BadPublicKey);
  ossl::Ptr<EVP_PKEY> k1(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  ASSERT_TRUE(k1);
  EXPECT_FALSE(policy::check_key(crypto::PublicKey(std::move(k1))));
  ossl::Ptr<EVP_PKEY> ed448(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"));
  EXPECT_FALSE(policy::check_key(crypto::PublicKey(std::move(ed448))));
  for (auto t : {crypto::KeyType::EcP256, crypto::KeyType::EcP384, crypto::KeyType::Ed25519, crypto::KeyType::Rsa2048})
    EXPECT_TRUE(policy::check_key(crypto::PrivateKey::generate(t)->public_key()));
}

TEST(Csr, TheDirectlyWrittenKeyIsTheEncodingOpenSslWouldMake) {
  // EC and Ed25519 keys are written into the request without OpenSSL's encoder; RSA goes through it.
  // Either way the SubjectPublicKeyInfo must be the key's standard encoding and the request verify.
  for (auto t : {crypto::KeyType::EcP256, crypto::KeyType::EcP384, crypto::KeyType::Ed25519, crypto::KeyType::Rsa2048}) {
    auto key = *crypto::PrivateKey::generate(t);
    auto der = x509::make_csr_der(x509::empty_name_der(), {{x509::GeneralNameType::Dns, "a.internal"}}, key);
    ASSERT_TRUE(der) << der.error().detail;
    auto csr = x509::UntrustedCsr::parse(*der);
    ASSERT_TRUE(csr);
    auto v = csr->verify();
    ASSERT_TRUE(v) << v.error().detail;
    EXPECT_TRUE(v->public_key().equals(key.public_key()));
    EXPECT_EQ(v->spki_fingerprint(), crypto::sha256(key.public_key().spki_der()));
    EXPECT_EQ(v->der(), *der);
    EXPECT_NE(x509::make_csr_pem(x509::empty_name_der(), {}, key)->find("-----BEGIN CERTIFICATE REQUEST-----"), std::string::npos);
  }
}

TEST(Csr, RefusesTrailingDataAndKeysThatAreNotOnTheirCurve) {
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  const std::string der = *x509::make_csr_der(x509::empty_name_der(), {{x509::GeneralNameType::Dns, "a.internal"}}, key);
  auto trailing = x509::UntrustedCsr::parse(der + std::string(1, '\0'));
  ASSERT_FALSE(trailing);
  EXPECT_EQ(trailing.error().kind, ErrorKind::BadCsr);
  // The uncompressed point follows 04 in the BIT STRING; change its last byte: off the curve.
  const std::string spki = key.public_key().spki_der();
  const auto at = der.find(spki);
  ASSERT_NE(at, std::string::npos);
  std::string bad = der;
  bad[at + spki.size() - 1] ^= 0x01;
  auto parsed = x509::UntrustedCsr::parse(bad);
  ASSERT_TRUE(parsed);  // well-formed DER
  auto v = parsed->verify();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::BadCsr);
}

TEST(Csr, ReadsTheOldPemLabelAndRequestsWithoutExtensions) {
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::Ed25519);
  std::string pem = *x509::make_csr_pem(*x509::parse_name("CN=old.internal"), {}, key);
  for (const std::string marker : {"-----BEGIN ", "-----END "}) {
    const auto at = pem.find(marker + "CERTIFICATE REQUEST");
    ASSERT_NE(at, std::string::npos);
    pem.insert(at + marker.size(), "NEW ");
  }
  auto csr = x509::UntrustedCsr::parse(pem);
  ASSERT_TRUE(csr) << csr.error().detail;
  auto v = csr->verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->requested_sans().empty());
  EXPECT_EQ(v->common_name(), "old.internal");
}

namespace {
/** A CSR signed by OpenSSL's own X509_REQ code with the digest (and, for RSA, padding) asked for. */
std::string csr_signed_with(EVP_PKEY* key, const EVP_MD* md, bool pss) {
  ossl::Ptr<X509_REQ> req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), key);
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key), 1);
  if (pss) {
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
  }
  EXPECT_GT(X509_REQ_sign_ctx(req.get(), ctx.get()), 0);
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(req.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}
}  // namespace

TEST(Csr, RefusesSignaturesOverBrokenHashes) {
  // OpenSSL verifies SHA-1 requests as readily as any; the request is refused before that.
  auto rsa = *crypto::PrivateKey::generate(crypto::KeyType::Rsa2048);
  auto ec = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  for (const auto& [key, md, pss, good] : std::vector<std::tuple<EVP_PKEY*, const EVP_MD*, bool, bool>>{
           {rsa.get(), EVP_sha1(), false, false},
           {ec.get(), EVP_sha1(), false, false},
           {rsa.get(), EVP_sha1(), true, false},
           {rsa.get(), EVP_sha256(), false, true},
           {rsa.get(), EVP_sha256(), true, true},
           {ec.get(), EVP_sha384(), false, true},
           {ec.get(), EVP_sha512(), false, true}}) {
    auto csr = x509::UntrustedCsr::parse(csr_signed_with(key, md, pss));
    ASSERT_TRUE(csr);
    auto v = csr->verify();
    EXPECT_EQ(static_cast<bool>(v), good) << EVP_MD_get0_name(md) << (pss ? " PSS" : "");
    if (!v) {
      EXPECT_EQ(v.error().kind, ErrorKind::BadCsr);
      EXPECT_NE(v.error().detail.find("SHA-256"), std::string::npos) << v.error().detail;
      std::string lower = v.error().detail;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      EXPECT_NE(lower.find(pss ? "rsassapss over sha1" : "sha1"), std::string::npos) << v.error().detail;
    }
  }
}

TEST(KeyPolicy, RefusesRsaExponentsBelow65537) {
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  ASSERT_EQ(EVP_PKEY_keygen_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048), 1);
  ossl::Ptr<BIGNUM> three(BN_new());
  BN_set_word(three.get(), 3);
  ASSERT_EQ(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), three.get()), 1);
  EVP_PKEY* raw = nullptr;
  ASSERT_EQ(EVP_PKEY_keygen(ctx.get(), &raw), 1);
  auto r = policy::check_key(crypto::PublicKey(ossl::Ptr<EVP_PKEY>(raw)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::BadPublicKey);
  EXPECT_NE(r.error().detail.find("exponent 3 "), std::string::npos) << r.error().detail;
}
