#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/ca/offline_ca.hpp"
#include "core/util/atomic_file.hpp"
#include "core/x509/chain_verify.hpp"
#include "core/x509/csr.hpp"
#include "core/x509/name.hpp"
#include "tests/unit/util/temp_dir.hpp"

using namespace pkictl;
namespace fs = std::filesystem;

namespace {

class OfflineCa : public ::testing::Test {
 protected:

  ca::RootInitParams root_params() {
    ca::RootInitParams p;
    p.subject = "CN=Test Root,O=Example";
    p.key_type = crypto::KeyType::EcP256;
    p.validity = Seconds(10LL * 365 * 86400);
    p.out_dir = dir / "root";
    return p;
  }
  ca::SignParams sign_params() {
    ca::SignParams s;
    s.root_dir = dir / "root";
    s.csr_path = dir / "iss" / "intermediate.csr";
    s.out = dir / "iss" / "intermediate.crt";
    s.validity = Seconds(365 * 86400);
    return s;
  }
  void make_root_and_csr() {
    ASSERT_TRUE(ca::root_init(root_params(), pass, clock));
    ASSERT_TRUE(ca::intermediate_csr({"CN=Issuing 1", crypto::KeyType::EcP256, dir / "iss", "intermediate", false}, pass));
  }

  test::TempDir tmp;
  const fs::path dir = tmp.path;
  Secret pass{"correct horse"};
  FakeClock clock{TimePoint(Seconds(1'790'000'000))};
};

unsigned mode_of(const fs::path& p) {
  struct stat st{};
  stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

}  // namespace

TEST_F(OfflineCa, RootInitWritesKeyCertAndRecord) {
  auto r = ca::root_init(root_params(), pass, clock);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(mode_of(dir / "root" / "root.key"), 0600u);
  EXPECT_EQ(mode_of(dir / "root"), 0700u);
  auto record = nlohmann::json::parse(*util::read_file(dir / "root" / "root.json"));
  EXPECT_EQ(record["operation"], "root init");
  EXPECT_EQ(record["certificate"]["serial"], r->certificate.serial_hex());
  EXPECT_EQ(record["files"]["root.key"]["sha256"], crypto::sha256_hex(*util::read_file(dir / "root" / "root.key")));
  EXPECT_EQ(r->certificate.not_after() - r->certificate.not_before(), Seconds(10LL * 365 * 86400));
  // A second run refuses to overwrite.
  auto again = ca::root_init(root_params(), pass, clock);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::Conflict);
}

TEST_F(OfflineCa, SignsAnIntermediateThatChainsToTheRoot) {
  make_root_and_csr();
  auto s = sign_params();
  s.permit_dns = {".corp.internal"};
  s.permit_ip = {"10.0.0.0/8"};
  auto r = ca::intermediate_sign(s, pass, clock);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->certificate.path_len(), 0);
  auto root = *x509::Certificate::load((dir / "root" / "root.crt").string());
  auto v = x509::verify_chain({r->certificate}, {root}, {.at = clock.now() + Seconds(60)});
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << v->reason;
  const auto ledger = *util::read_file(dir / "root" / "ledger.jsonl");
  EXPECT_NE(ledger.find(r->certificate.serial_hex()), std::string::npos);
}

TEST_F(OfflineCa, RefusesAWrongRootPassphrase) {
  make_root_and_csr();
  auto r = ca::intermediate_sign(sign_params(), Secret("wrong"), clock);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::BadPassphrase);
  EXPECT_FALSE(fs::exists(dir / "iss" / "intermediate.crt"));
}

TEST_F(OfflineCa, RefusesAValidityThatOutlivesTheRoot) {
  make_root_and_csr();
  auto s = sign_params();
  s.validity = Seconds(11LL * 365 * 86400);
  auto r = ca::intermediate_sign(s, pass, clock);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgument);
  EXPECT_NE(r.error().detail.find("outlive the root"), std::string::npos);
}

TEST_F(OfflineCa, RefusesAnExpiredOrNotYetValidRoot) {
  make_root_and_csr();
  FakeClock later(clock.now() + Seconds(11LL * 365 * 86400));
  auto expired = ca::intermediate_sign(sign_params(), pass, later);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().kind, ErrorKind::InvalidArgument);
  EXPECT_NE(expired.error().detail.find("expired"), std::string::npos);
  FakeClock earlier(clock.now() - Seconds(3600));
  auto early = ca::intermediate_sign(sign_params(), pass, earlier);
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().detail.find("not valid until"), std::string::npos);
}

TEST_F(OfflineCa, RefusesACsrWithABadSignature) {
  make_root_and_csr();
  auto csr = *x509::UntrustedCsr::parse(*util::read_file(dir / "iss" / "intermediate.csr"));
  std::string der = csr.verify()->der();
  der[der.size() - 4] ^= 0x33;
  util::WriteOptions o;
  o.replace = true;
  ASSERT_TRUE(util::write_file_atomic(dir / "iss" / "intermediate.csr", der, o));
  auto r = ca::intermediate_sign(sign_params(), pass, clock);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::BadCsr);
}

TEST_F(OfflineCa, RefusesAWeakKey) {
  ASSERT_TRUE(ca::root_init(root_params(), pass, clock));
  ossl::Ptr<EVP_PKEY> weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)));
  crypto::PrivateKey key(std::move(weak));
  fs::create_directories(dir / "iss");
  ASSERT_TRUE(util::write_file_atomic(dir / "iss" / "intermediate.csr", *x509::make_csr_pem(*x509::parse_name("CN=weak"), {}, key)));
  auto r = ca::intermediate_sign(sign_params(), pass, clock);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::BadPublicKey);
}

TEST_F(OfflineCa, RefusesAPathLengthTheRootDoesNotAllow) {
  auto p = root_params();
  p.path_len = 0;
  ASSERT_TRUE(ca::root_init(p, pass, clock));
  ASSERT_TRUE(ca::intermediate_csr({"CN=Issuing 1", crypto::KeyType::EcP256, dir / "iss", "intermediate", false}, pass));
  auto r = ca::intermediate_sign(sign_params(), pass, clock);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgument);
}

TEST_F(OfflineCa, CsrKeyIsEncryptedAndPrivate) {
  make_root_and_csr();
  EXPECT_EQ(mode_of(dir / "iss" / "intermediate.key"), 0600u);
  EXPECT_FALSE(ca::load_private_key(dir / "iss" / "intermediate.key", Secret("nope")));
  EXPECT_TRUE(ca::load_private_key(dir / "iss" / "intermediate.key", pass));
}
