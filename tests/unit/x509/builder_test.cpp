#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/x509/chain_verify.hpp"
#include "core/x509/inspect.hpp"
#include "tests/unit/x509/x509_test_util.hpp"

using namespace pkictl;
using x509::GeneralName;
using x509::GeneralNameType;

TEST(Builder, RootHasCriticalCaConstraintsAndKeyIdentifiers) {
  auto root = test::make_root("CN=Example Root CA,O=Example");
  const auto j = x509::describe(root.cert);
  EXPECT_EQ(j["subject"], "CN=Example Root CA,O=Example");
  EXPECT_TRUE(j["self_signed"].get<bool>());
  EXPECT_TRUE(j["extensions"]["basic_constraints"]["critical"].get<bool>());
  EXPECT_TRUE(j["extensions"]["basic_constraints"]["ca"].get<bool>());
  EXPECT_TRUE(j["extensions"]["key_usage"]["critical"].get<bool>());
  EXPECT_EQ(j["extensions"]["key_usage"]["usages"], nlohmann::json({"keyCertSign", "cRLSign"}));
  ASSERT_TRUE(root.cert.subject_key_id());
  EXPECT_EQ(*root.cert.subject_key_id(), *root.cert.authority_key_id());
  EXPECT_EQ(root.cert.serial().size(), 16u);
  EXPECT_EQ(root.cert.serial()[0] & 0x80, 0);
}

TEST(Builder, LeafCarriesEverySanTypeAndTheProfileExtensions) {
  auto root = test::make_root();
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto spec = test::leaf_spec({{GeneralNameType::Dns, "api.corp.internal"},
                               {GeneralNameType::Ip, "10.1.2.3"},
                               {GeneralNameType::Ip, "::1"},
                               {GeneralNameType::Uri, "spiffe://corp.internal/ns/payments/sa/api"},
                               {GeneralNameType::Email, "ops@corp.internal"}});
  spec.policy_oids = {"1.3.6.1.4.1.99999.1"};
  spec.crl_distribution_points = {"http://ca.corp.internal/crl/1.crl"};
  auto leaf = test::issue_under(root, spec, key.public_key());
  ASSERT_TRUE(leaf) << leaf.error().detail;
  const auto sans = leaf->sans();
  ASSERT_EQ(sans.size(), 5u);
  EXPECT_EQ(sans[1], (GeneralName{GeneralNameType::Ip, "10.1.2.3"}));
  EXPECT_EQ(sans[3].value, "spiffe://corp.internal/ns/payments/sa/api");
  const auto j = x509::describe(*leaf);
  EXPECT_EQ(j["extensions"]["extended_key_usage"]["usages"], nlohmann::json({"serverAuth"}));
  EXPECT_EQ(j["extensions"]["certificate_policies"], nlohmann::json({"1.3.6.1.4.1.99999.1"}));
  EXPECT_EQ(j["extensions"]["crl_distribution_points"], nlohmann::json({"http://ca.corp.internal/crl/1.crl"}));
  EXPECT_FALSE(j["extensions"]["basic_constraints"]["ca"].get<bool>());
  EXPECT_EQ(*leaf->authority_key_id(), *root.cert.subject_key_id());
  auto ok = x509::verify_chain({*leaf}, {root.cert}, {.at = test::t0() + Seconds(60), .purpose = "sslserver", .dns_name = "api.corp.internal"});
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->ok) << ok->reason;
}

TEST(Builder, KeyIdentifiersAndSpkiFingerprintMatchTheKey) {
  auto root = test::make_root();
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto leaf = test::issue_under(root, test::leaf_spec({{GeneralNameType::Dns, "k.internal"}}), key.public_key());
  ASSERT_TRUE(leaf) << leaf.error().detail;
  EXPECT_EQ(*leaf->subject_key_id(), x509::key_identifier(key.public_key()));
  EXPECT_EQ(leaf->spki_fingerprint(), key.public_key().fingerprint());
  EXPECT_TRUE(leaf->public_key().equals(key.public_key()));
}

TEST(Builder, SerialsAreFreshForEveryCertificate) {
  auto root = test::make_root();
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto a = test::issue_under(root, test::leaf_spec({{GeneralNameType::Dns, "a.internal"}}), key.public_key());
  auto b = test::issue_under(root, test::leaf_spec({{GeneralNameType::Dns, "a.internal"}}), key.public_key());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->serial(), b->serial());
}

TEST(Builder, NameConstraintsAreCriticalAndEnforcedByTheVerifier) {
  auto root = test::make_root();
  auto inter_key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto spec = test::ca_spec("CN=Issuing", test::t0(), Seconds(365 * 86400), 0);
  spec.name_constraints.permitted = {{GeneralNameType::Dns, ".corp.internal"}, {GeneralNameType::Ip, "10.0.0.0/8"}};
  spec.name_constraints.excluded = {{GeneralNameType::Dns, "secret.corp.internal"}};
  auto inter = test::issue_under(root, spec, inter_key.public_key());
  ASSERT_TRUE(inter) << inter.error().detail;
  const auto j = x509::describe(*inter);
  EXPECT_TRUE(j["extensions"]["name_constraints"]["critical"].get<bool>());
  EXPECT_EQ(j["extensions"]["name_constraints"]["permitted"], nlohmann::json({"DNS:.corp.internal", "IP:10.0.0.0/8"}));
  test::TestCa ica{test::copy_key(inter_key), *inter};
  auto leaf_key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  struct Case { const char* name; GeneralName san; bool ok; };
  for (const Case& c : {Case{"ok/inside", {GeneralNameType::Dns, "api.corp.internal"}, true},
                        Case{"ok/ip-inside", {GeneralNameType::Ip, "10.9.8.7"}, true},
                        Case{"fail/outside", {GeneralNameType::Dns, "api.example.com"}, false},
                        Case{"fail/suffix-without-dot", {GeneralNameType::Dns, "evilcorp.internal"}, false},
                        Case{"fail/excluded", {GeneralNameType::Dns, "x.secret.corp.internal"}, false},
                        Case{"fail/ip-outside", {GeneralNameType::Ip, "192.168.1.1"}, false}}) {
    SCOPED_TRACE(c.name);
    auto leaf = test::issue_under(ica, test::leaf_spec({c.san}), leaf_key.public_key());
    ASSERT_TRUE(leaf);
    auto r = x509::verify_chain({*leaf, *inter}, {root.cert}, {.at = test::t0() + Seconds(60)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ok, c.ok) << r->reason;
  }
}

TEST(Builder, RefusesValidityOutsideTheIssuer) {
  auto root = test::make_root("CN=Short Root", test::t0(), Seconds(30 * 86400));
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto late = test::issue_under(root, test::leaf_spec({{GeneralNameType::Dns, "a.internal"}}, test::t0(), Seconds(31 * 86400)), key.public_key());
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::InvalidArgument);
  auto early = test::issue_under(root, test::leaf_spec({{GeneralNameType::Dns, "a.internal"}}, test::t0() - Seconds(10)), key.public_key());
  ASSERT_FALSE(early);
}

TEST(Builder, RefusesASignerThatDoesNotHoldTheIssuerKey) {
  auto root = test::make_root();
  auto other = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  ca::KeySigner signer(test::copy_key(other));
  ca::Issuer issuer(root.cert, signer);
  ca::MemorySerialRegistry serials;
  auto r = issuer.issue(test::leaf_spec({{GeneralNameType::Dns, "a.internal"}}), other.public_key(), serials);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Crypto);
}

TEST(Builder, ASerialCollisionIsRetriedAndTheRegistryDecides) {
  struct AlwaysTaken final : ca::SerialRegistry {
    int calls = 0;
    Result<void> reserve(const util::Bytes&) override { ++calls; return fail(ErrorKind::Conflict, "taken"); }
  } taken;
  auto root = test::make_root();
  ca::KeySigner signer(test::copy_key(root.key));
  ca::Issuer issuer(root.cert, signer);
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto r = issuer.issue(test::leaf_spec({{GeneralNameType::Dns, "a.internal"}}), key.public_key(), taken);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(taken.calls, 3);
}

TEST(ChainVerify, ExplainsExpiryAndAMissingRoot) {
  auto root = test::make_root("CN=Root A", test::t0(), Seconds(86400 * 10));
  auto other = test::make_root("CN=Root B");
  auto expired = x509::verify_chain({root.cert}, {root.cert}, {.at = test::t0() + Seconds(86400 * 11)});
  ASSERT_TRUE(expired);
  EXPECT_FALSE(expired->ok);
  EXPECT_NE(expired->reason.find("expired"), std::string::npos);
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto leaf = test::issue_under(root, test::leaf_spec({{GeneralNameType::Dns, "a.internal"}}), key.public_key());
  auto untrusted = x509::verify_chain({*leaf}, {other.cert}, {.at = test::t0() + Seconds(60)});
  ASSERT_TRUE(untrusted);
  EXPECT_FALSE(untrusted->ok);
  EXPECT_EQ(untrusted->depth, 0);
}

TEST(Certificate, AParsedCertificateIsSharedByLaterParsesOfTheSameBytes) {
  auto a = test::make_root("CN=Cache A");
  auto b = test::make_root("CN=Cache B");
  const std::string der = a.cert.der();
  auto first = x509::Certificate::parse(der);
  auto again = x509::Certificate::parse(x509::der_to_pem(der));  // PEM of the same DER
  auto other = x509::Certificate::parse(b.cert.der());
  ASSERT_TRUE(first && again && other);
  EXPECT_EQ(first->get(), again->get());  // one X509, as copies of a Certificate share one
  EXPECT_NE(first->get(), other->get());
  EXPECT_EQ(again->subject_text(), "CN=Cache A");
  EXPECT_EQ(other->subject_text(), "CN=Cache B");
  auto trailing = x509::Certificate::parse(der + std::string(1, '\0'));  // other bytes: parsed, and refused
  ASSERT_FALSE(trailing);
  EXPECT_EQ(trailing.error().kind, ErrorKind::Malformed);
}

TEST(Certificate, APkcs7BundleHoldsTheCertificatesInOrderAndNothingElse) {
  auto root = test::make_root("CN=P7 Root");
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto leaf = test::issue_under(root, test::leaf_spec({{GeneralNameType::Dns, "p7.internal"}}), key.public_key());
  ASSERT_TRUE(leaf);
  auto der = x509::to_pkcs7_certs_only({*leaf, root.cert});
  ASSERT_TRUE(der) << der.error().detail;
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  ossl::Ptr<PKCS7> p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der->size())));
  ASSERT_TRUE(p7);
  EXPECT_EQ(p, reinterpret_cast<const unsigned char*>(der->data()) + der->size());  // no trailing bytes
  ASSERT_EQ(OBJ_obj2nid(p7->type), NID_pkcs7_signed);
  const PKCS7_SIGNED* signed_data = p7->d.sign;
  EXPECT_EQ(sk_PKCS7_SIGNER_INFO_num(signed_data->signer_info), 0);  // certs-only: no signers
  EXPECT_EQ(OBJ_obj2nid(signed_data->contents->type), NID_pkcs7_data);
  EXPECT_EQ(signed_data->contents->d.data, nullptr);  // and no content
  ASSERT_EQ(sk_X509_num(signed_data->cert), 2);
  EXPECT_EQ(x509::Certificate(ossl::up_ref(sk_X509_value(signed_data->cert, 0))).der(), leaf->der());
  EXPECT_EQ(x509::Certificate(ossl::up_ref(sk_X509_value(signed_data->cert, 1))).der(), root.cert.der());
}
