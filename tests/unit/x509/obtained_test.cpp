#include <gtest/gtest.h>

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
