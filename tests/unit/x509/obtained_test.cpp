#include <gtest/gtest.h>

#include <openssl/x509v3.h>

#include <functional>

#include "core/x509/builder.hpp"
#include "core/x509/certificate.hpp"
#include "core/x509/csr.hpp"
#include "tests/unit/x509/x509_test_util.hpp"

using namespace pkictl;
using x509::GeneralNameType;

TEST(ObtainedCertificate, ReadsTheKeyAndSansAsOpenSslDoesAndRefusesWhatIsNotOneCertificate) {
  const auto ca = test::make_root();
  for (crypto::KeyType type : {crypto::KeyType::EcP256, crypto::KeyType::EcP384, crypto::KeyType::Ed25519, crypto::KeyType::Rsa2048}) {
    SCOPED_TRACE(std::string(crypto::to_string(type)));
    auto key = *crypto::PrivateKey::generate(type);
    auto leaf = test::issue_under(ca, test::leaf_spec({{GeneralNameType::Dns, "a.test"}, {GeneralNameType::Ip, "192.0.2.7"}}), key.public_key());
    ASSERT_TRUE(leaf) << leaf.error().detail;
    auto read = x509::read_obtained_certificate(leaf->der());
    ASSERT_TRUE(read) << read.error().detail;
    EXPECT_TRUE(read->key.equals(key.public_key()));
    EXPECT_TRUE(read->key.equals(leaf->public_key()));
    const auto want = leaf->sans();
    ASSERT_EQ(read->sans.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(read->sans[i].type, want[i].type);
      EXPECT_EQ(read->sans[i].value, want[i].value);
    }
  }
  auto other = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto leaf = *test::issue_under(ca, test::leaf_spec({{GeneralNameType::Dns, "b.test"}}), other.public_key());
  const std::string der = leaf.der();
  EXPECT_FALSE(x509::read_obtained_certificate(der + std::string("\0", 1)));      // trailing data
  EXPECT_FALSE(x509::read_obtained_certificate(der.substr(0, der.size() - 1)));  // truncated
  EXPECT_FALSE(x509::read_obtained_certificate("not a certificate"));
  auto csr = *x509::make_csr_der(x509::empty_name_der(), {{GeneralNameType::Dns, "b.test"}}, other);
  EXPECT_FALSE(x509::read_obtained_certificate(csr));  // a CSR is not a certificate
  // The bundle splitter hands back the DER of each block, in order, unparsed.
  auto ders = x509::certificate_ders(leaf.pem() + ca.cert.pem());
  ASSERT_TRUE(ders);
  ASSERT_EQ(ders->size(), 2u);
  EXPECT_EQ((*ders)[0], der);
  EXPECT_EQ((*ders)[1], ca.cert.der());
  EXPECT_FALSE(x509::certificate_ders("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
}

TEST(ObtainedCertificate, RefusesASubjectAltNameItCannotReadOrFindsTwiceAndAKeyThatIsNotOnTheCurve) {
  const auto ca = test::make_root();
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  const auto leaf = *test::issue_under(ca, test::leaf_spec({{GeneralNameType::Dns, "a.test"}}), key.public_key());
  // Each case edits a copy of a good leaf and signs it again (the reader does not check signatures).
  auto edited = [&](const std::function<void(X509*)>& edit) {
    ossl::Ptr<X509> x(X509_dup(leaf.get()));
    edit(x.get());
    EXPECT_GT(X509_sign(x.get(), ca.key.get(), EVP_sha256()), 0);
    return ossl::to_der(x.get(), i2d_X509);
  };
  auto refusal = [](const std::string& der) {
    auto r = x509::read_obtained_certificate(der);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().detail;
  };
  const std::string twice = edited([&](X509* x) {
    ossl::Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
    ASSERT_TRUE(names);
    ASSERT_EQ(X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), 0, X509V3_ADD_APPEND), 1);
  });
  EXPECT_NE(refusal(twice).find("two subjectAltName"), std::string::npos);
  const std::string garbled = edited([&](X509* x) {
    X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_subject_alt_name, -1)));
    ossl::Ptr<ASN1_OCTET_STRING> junk(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(junk.get(), reinterpret_cast<const unsigned char*>("\x01\x02"), 2);
    X509_EXTENSION* ext = X509_EXTENSION_create_by_NID(nullptr, NID_subject_alt_name, 0, junk.get());
    ASSERT_TRUE(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  });
  EXPECT_NE(refusal(garbled).find("subjectAltName cannot be read"), std::string::npos);
  const std::string off_curve = edited([&](X509* x) {
    X509_ALGOR* algor = nullptr;
    ASSERT_EQ(X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &algor, X509_get_X509_PUBKEY(x)), 1);
    ossl::Ptr<X509_ALGOR> alg(X509_ALGOR_dup(algor));
    std::string point(65, '\x01');
    point[0] = '\x04';
    ASSERT_TRUE(x509::set_spki(X509_get_X509_PUBKEY(x), alg.get(), reinterpret_cast<const unsigned char*>(point.data()), 65));
  });
  EXPECT_NE(refusal(off_curve).find("public key cannot be read"), std::string::npos);
}
