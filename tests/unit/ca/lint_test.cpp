// Pre-issuance lints and weak-key detection: each lint fires on a certificate built to break it
// and stays quiet on a good one; the Issuer's lint hook refuses before the issuing key signs.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "core/lint/certificate_lint.hpp"
#include "core/x509/csr.hpp"
#include "core/policy/key_policy.hpp"
#include "tests/unit/x509/x509_test_util.hpp"

using namespace pkictl;
using test::t0;

namespace {

// 2048-bit moduli made for these tests (Python, fixed seed): ROCA_N = p·q with both primes of
// Infineon's form k·M + (65537^a mod M), M the product of the primes 3…167; FERMAT_N = p·q with
// q - p < 2^201, so Fermat's method finds them at once.
const char* const ROCA_N =
    "ab572132c52e80229d6f551b94937b12d295b893dc846b001be8ceda74effeff8852572dad7a8aa01cba29f323caea74"
    "8edd2967fc126657cc3c8a067fa5b3b8dc08138de2c40664dc8d45b45ae22659f6a822de02db4130efc5cd5b5a729694"
    "703d49695aeadd586796a410919e53a110af69db6d0345a05d0aa3945c8d78622df5212d7c03405f51183ed33285dde6"
    "6ed68788edab1de38ff714ffcb8158654615ee689e17957815e3fb2cb39e4278dbdfda05d33f6a02e0b660a6471417ee"
    "558251cd9762b24f2056bf3be01e82ae23ec4753d17db7c207317c77f52bb8b2dbecae4fd6ebb035d2746abd0e7a4a5d"
    "7efb796494f8eb3064ae4bb4d66f3d39";
const char* const FERMAT_N =
    "a69f157e20c5d725817f6f4a84468aa99e962c8961a23c3a4cf27e6856e82542cf75345c06d70fc98e244dd39a3cc6b3"
    "4533323c78b25418d547b1163be4e3afba3a42b32a5516501be84de55b89f878dd63a99dd0d5cf3afdfa9bc64d863ccf"
    "f821057144ec9d9c596412d486171b08bcbe573bad419031e9d25701c59157aaded9b761ab83aca64e5799ffe203607a"
    "45a221313f58b2508dc74600fe993e397240bdba0c2aafaee9f53e35d10f3e6a02e67674cce0dcac2479e9e53fb767e5"
    "bd083c39f2ba965ae4b1af9b4ef6f50ad3dafdbaca8d1e638ed70b5d0ff96bbff8ccb1d7ce10c8f9acf022df7d575af8"
    "90fe845517ac6ef08ca0ce626d8efcb5";

crypto::PublicKey rsa_public(const char* hex_n) {
  BIGNUM* n = nullptr;
  BN_hex2bn(&n, hex_n);
  ossl::Ptr<BIGNUM> nn(n), e(BN_new());
  BN_set_word(e.get(), 65537);
  ossl::Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, nn.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld.get());
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  EXPECT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
  OSSL_PARAM_free(params);
  return crypto::PublicKey(ossl::Ptr<EVP_PKEY>(pkey));
}

std::vector<std::string> ids(const std::vector<lint::Finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.id);
  return out;
}
bool has(const std::vector<lint::Finding>& f, const std::string& id) {
  auto v = ids(f);
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

TEST(WeakKeys, RocaAndFermatAreRefused) {
  auto roca = policy::check_key(rsa_public(ROCA_N));
  ASSERT_FALSE(roca);
  EXPECT_NE(roca.error().detail.find("ROCA"), std::string::npos) << roca.error().detail;
  auto fermat = policy::check_key(rsa_public(FERMAT_N));
  ASSERT_FALSE(fermat);
  EXPECT_NE(fermat.error().detail.find("Fermat"), std::string::npos) << fermat.error().detail;
  for (int i = 0; i < 3; ++i) {  // real keys pass
    auto k = crypto::PrivateKey::generate(crypto::KeyType::Rsa2048);
    EXPECT_TRUE(policy::check_key(k->public_key()));
  }
}

TEST(CertificateLint, GoodLeafIsClean) {
  auto ca = test::make_root();
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto leaf = *test::issue_under(ca, test::leaf_spec({{x509::GeneralNameType::Dns, "api.corp.internal"}}), key.public_key());
  lint::Expectations ex;
  ex.issuer = &ca.cert;
  ex.ext_key_usage = std::vector<std::string>{"serverAuth"};
  ex.key_usage = x509::DigitalSignature;
  ex.max_lifetime = Seconds(86400);
  ex.key_types = {"ec-p256"};
  const auto f = lint::lint_certificate(leaf, ex);
  EXPECT_TRUE(f.empty()) << lint::error_summary(f);
}

TEST(CertificateLint, EachLintFires) {
  auto ca = test::make_root();
  auto other = test::make_root("CN=Other Root", t0(), Seconds(100LL * 86400));
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto spec = test::leaf_spec({{x509::GeneralNameType::Dns, "api.corp.internal"}}, t0(), Seconds(500LL * 86400));
  spec.subject_der = *x509::parse_name("CN=not-a-san.corp.internal");
  spec.key_usage = x509::DigitalSignature | x509::KeyCertSign;
  spec.extended_key_usage = {"serverAuth", "clientAuth"};
  auto leaf = *test::issue_under(ca, spec, key.public_key());
  lint::Expectations ex;
  ex.issuer = &other.cert;
  ex.ext_key_usage = std::vector<std::string>{"clientAuth"};
  ex.key_usage = x509::DigitalSignature;
  ex.max_lifetime = Seconds(86400);
  ex.key_types = {"rsa-3072"};
  ex.policy_oids = {"1.3.6.1.4.1.55555.1"};
  ex.unauthorised = [](const x509::GeneralName& g) { return g.value == "api.corp.internal" ? std::string("not in this team's names") : std::string(); };
  const auto f = lint::lint_certificate(leaf, ex);
  for (const char* want : {"cn-not-in-san", "ku-ca-bits", "eku-mismatch", "ku-mismatch", "lifetime-exceeds-profile", "long-lifetime", "key-not-allowed",
                           "policy-missing", "san-unauthorised", "issuer-name-mismatch", "aki-mismatch", "signature", "validity-outside-issuer"})
    EXPECT_TRUE(has(f, want)) << want << " in " << lint::error_summary(f);
  EXPECT_TRUE(lint::has_errors(f));
}

TEST(CertificateLint, NameConstraintsAndEmptySubject) {
  auto root = test::make_root();
  auto sub_key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto sub_spec = test::ca_spec("CN=Constrained CA", t0(), Seconds(5LL * 365 * 86400), 0);
  sub_spec.name_constraints.permitted.push_back({x509::GeneralNameType::Dns, ".corp.internal"});
  auto sub = *test::issue_under(root, sub_spec, sub_key.public_key());
  test::TestCa sub_ca{test::copy_key(sub_key), sub};
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  auto spec = test::leaf_spec({{x509::GeneralNameType::Dns, "api.elsewhere.example"}});
  spec.subject_der = x509::empty_name_der();  // and the SAN not critical
  auto leaf = *test::issue_under(sub_ca, spec, key.public_key());
  lint::Expectations ex;
  ex.issuer = &sub;
  const auto f = lint::lint_certificate(leaf, ex);
  EXPECT_TRUE(has(f, "name-constraints")) << lint::error_summary(f);
  EXPECT_TRUE(has(f, "san-not-critical")) << lint::error_summary(f);
  auto nosan = test::leaf_spec({{x509::GeneralNameType::Dns, "a.corp.internal"}});
  nosan.sans.clear();
  auto bare = *test::issue_under(sub_ca, nosan, key.public_key());
  EXPECT_TRUE(has(lint::lint_certificate(bare, ex), "san-missing"));
}

TEST(Issuer, PreIssuanceLintRefusesBeforeSigningAndSignsWhatWasChecked) {
  auto ca = test::make_root();
  ca::KeySigner signer(test::copy_key(ca.key));
  ca::Issuer issuer(ca.cert, signer);
  ca::MemorySerialRegistry serials;
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  const auto spec = test::leaf_spec({{x509::GeneralNameType::Dns, "api.corp.internal"}});
  std::string seen_tbs;
  auto good = issuer.issue(spec, key.public_key(), serials, [&](const x509::Certificate& tbs) -> Result<void> {
    seen_tbs = ossl::to_der(tbs.get(), i2d_re_X509_tbs);
    EXPECT_FALSE(tbs.signed_by(ca.cert.public_key()));  // a throwaway key signed it
    auto f = lint::lint_certificate(tbs, {&ca.cert, false});
    if (lint::has_errors(f)) return fail(ErrorKind::LintFailed, lint::error_summary(f));
    return {};
  });
  ASSERT_TRUE(good) << good.error().detail;
  EXPECT_TRUE(good->signed_by(ca.cert.public_key()));
  EXPECT_EQ(ossl::to_der(good->get(), i2d_re_X509_tbs), seen_tbs);  // the bytes linted are the bytes signed
  auto refused = issuer.issue(spec, key.public_key(), serials, [](const x509::Certificate&) -> Result<void> {
    return fail(ErrorKind::InvalidArgument, "cn-not-in-san: test refusal");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::LintFailed);
  EXPECT_NE(refused.error().detail.find("test refusal"), std::string::npos);
}

TEST(Issuer, CopiesTheCsrSpkiByteForByteAndTheLintComparesIt) {
  auto ca = test::make_root();
  ca::KeySigner signer(test::copy_key(ca.key));
  ca::Issuer issuer(ca.cert, signer);
  ca::MemorySerialRegistry serials;
  for (auto type : {crypto::KeyType::EcP256, crypto::KeyType::EcP384, crypto::KeyType::Ed25519, crypto::KeyType::Rsa2048}) {
    auto key = *crypto::PrivateKey::generate(type);
    auto csr = x509::UntrustedCsr::parse(*x509::make_csr_pem(x509::empty_name_der(), {{x509::GeneralNameType::Dns, "a.corp.internal"}}, key));
    ASSERT_TRUE(csr);
    auto verified = csr->verify();
    ASSERT_TRUE(verified);
    auto spec = test::leaf_spec({{x509::GeneralNameType::Dns, "a.corp.internal"}});
    spec.sans_critical = true;
    spec.subject_spki = verified->spki();
    lint::Expectations ex{&ca.cert, false};
    ex.subject_key = &verified->public_key();
    ex.subject_spki_sha256 = verified->spki_fingerprint();
    auto cert = issuer.issue(spec, verified->public_key(), serials, [&](const x509::Certificate& tbs) -> Result<void> {
      auto f = lint::lint_certificate(tbs, ex);
      if (lint::has_errors(f)) return fail(ErrorKind::LintFailed, lint::error_summary(f));
      return {};
    });
    ASSERT_TRUE(cert) << cert.error().detail;
    EXPECT_EQ(cert->spki_fingerprint(), verified->spki_fingerprint());
    // The key is decoded on demand and is the CSR's; a relying party's parse agrees.
    EXPECT_TRUE(cert->public_key().equals(key.public_key()));
    auto reparsed = x509::Certificate::parse(cert->der());
    ASSERT_TRUE(reparsed);
    EXPECT_TRUE(reparsed->public_key().equals(key.public_key()));
    EXPECT_TRUE(reparsed->signed_by(ca.cert.public_key()));
    // A certificate whose key is not the CSR's fails the lint.
    auto other = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
    auto wrong = test::issue_under(ca, test::leaf_spec({{x509::GeneralNameType::Dns, "a.corp.internal"}}), other.public_key());
    ASSERT_TRUE(wrong);
    EXPECT_TRUE(has(lint::lint_certificate(*wrong, ex), "key-mismatch"));
  }
}

TEST(Issuer, WithACheckTheSerialIsReservedOnlyAfterItPassedAndATakenOneIsDrawnAgain) {
  auto ca = test::make_root();
  ca::KeySigner signer(test::copy_key(ca.key));
  ca::Issuer issuer(ca.cert, signer);
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::EcP256);
  const auto spec = test::leaf_spec({{x509::GeneralNameType::Dns, "api.corp.internal"}});
  // Refuses the first serial it is offered (taken meanwhile), then records what it reserves.
  struct Registry final : ca::SerialRegistry {
    int offered = 0;
    std::vector<std::string> reserved;
    Result<void> reserve(const util::Bytes& serial) override {
      if (offered++ == 0) return fail(ErrorKind::Conflict, "taken");
      reserved.push_back(util::to_hex(serial));
      return {};
    }
  } serials;
  std::vector<std::string> checked;
  auto cert = issuer.issue(spec, key.public_key(), serials, [&](const x509::Certificate& tbs) -> Result<void> {
    EXPECT_EQ(static_cast<int>(checked.size()), serials.offered);  // checked before it is reserved
    checked.push_back(tbs.serial_hex());
    return {};
  });
  ASSERT_TRUE(cert) << cert.error().detail;
  ASSERT_EQ(checked.size(), 2u);  // the second serial got a new TBS and a new check
  EXPECT_NE(checked[0], checked[1]);
  ASSERT_EQ(serials.reserved.size(), 1u);
  EXPECT_EQ(util::to_lower(cert->serial_hex()), util::to_lower(serials.reserved[0]));
  EXPECT_EQ(cert->serial_hex(), checked[1]);
  // A check that refuses reserves nothing.
  Registry none;
  none.offered = 1;
  auto refused = issuer.issue(spec, key.public_key(), none, [](const x509::Certificate&) -> Result<void> {
    return fail(ErrorKind::LintFailed, "refused");
  });
  ASSERT_FALSE(refused);
  EXPECT_TRUE(none.reserved.empty());
}
