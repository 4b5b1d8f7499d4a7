// The audit trail at the unit level: events and their state change commit together (a refused
// write appends nothing), the chain verifies, and each kind of tampering is found at its event.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "core/audit/trail.hpp"
#include "tests/unit/store/store_test_util.hpp"
#include "tests/unit/util/temp_dir.hpp"

using namespace pkictl;

namespace {
using test::account;

audit::Event ev(const std::string& type, const std::string& account = "") {
  audit::Event e;
  e.type = type;
  e.account_id = account;
  e.identifiers = {"dns:a.corp", "ip:10.0.0.1"};
  e.details = {{"n", 1}};
  return e;
}

void sql(const std::string& path, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}
}  // namespace

TEST(Audit, EventsCommitWithTheirChangeOnly) {
  test::TempDir t;
  auto store = *store::open_sqlite_store(t.db());
  const auto e1 = ev("account.created", "A");
  ASSERT_TRUE(store->insert_account(account("A", "tp-a"), &e1));
  // Same thumbprint: the insert fails, and its event must not be appended.
  const auto e2 = ev("account.created", "B");
  EXPECT_FALSE(store->insert_account(account("B", "tp-a"), &e2));
  // A compare-and-set that does not apply appends nothing either.
  const auto e3 = ev("eab.revoked");
  auto r = store->revoke_eab("no-such-kid", TimePoint(Seconds(1'800'000'000)), &e3);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  auto all = *store->audit_events({});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].seq, 1);
  EXPECT_EQ(all[0].type, "account.created");
  EXPECT_EQ(all[0].prev_hash, audit::genesis);
  EXPECT_EQ(all[0].hash, audit::chain_hash(audit::genesis, audit::canonical_body(all[0])));
}

TEST(Audit, QueriesFilter) {
  test::TempDir t;
  auto store = *store::open_sqlite_store(t.db());
  for (int i = 0; i < 5; ++i) {
    auto e = ev(i % 2 ? "order.refused" : "order.created", "acct" + std::to_string(i % 2));
    e.decision = i % 2 ? "deny" : "allow";
    e.identifiers = {"dns:host" + std::to_string(i) + ".payments.corp"};
    ASSERT_TRUE(store->append_audit(e));
  }
  store::Store::AuditQuery q;
  q.decision = "deny";
  EXPECT_EQ(store->audit_events(q)->size(), 2u);
  q = {};
  q.identifier = "dns:*.payments.corp";
  EXPECT_EQ(store->audit_events(q)->size(), 5u);
  q.identifier = "dns:host3.*";
  EXPECT_EQ(store->audit_events(q)->size(), 1u);
  q = {};
  q.account = "acct0";
  q.type = "order.created";
  EXPECT_EQ(store->audit_events(q)->size(), 3u);
  q = {};
  q.limit = 2;
  q.newest_first = true;
  auto last = *store->audit_events(q);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].seq, 4);  // the last two, oldest first
  EXPECT_EQ(last[1].seq, 5);
}

TEST(Audit, VerifyFindsEachTampering) {
  test::TempDir t;
  {
    auto store = *store::open_sqlite_store(t.db());
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(store->append_audit(ev("order.created", "acct")));
  }
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::Ed25519);
  {
    auto store = *store::open_sqlite_store(t.db());
    auto c = audit::checkpoint(*store, key, TimePoint(Seconds(1'800'000'000)));
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((*c)->seq, 8);
    EXPECT_FALSE(*audit::checkpoint(*store, key, TimePoint(Seconds(1'800'000'001))));  // nothing new
    auto ok = *audit::verify_store(*store, key.public_key());
    EXPECT_TRUE(ok.ok) << ok.problem;
    EXPECT_EQ(ok.events, 8);
    EXPECT_EQ(ok.checkpoints, 1);
  }
  const auto pristine = t.path / "pristine.db";
  std::filesystem::copy_file(t.db(), pristine);
  struct Case {
    const char* sql;
    std::int64_t at;
    const char* says;
  } cases[] = {
      {"UPDATE audit_events SET body = replace(body, 'a.corp', 'b.corp') WHERE seq = 3", 3, "edited"},
      {"UPDATE audit_events SET type = 'certificate.issued' WHERE seq = 2", 2, "searchable columns"},
      {"DELETE FROM audit_events WHERE seq = 5", 5, "missing"},
      {"UPDATE audit_events SET seq = 100 WHERE seq = 4; UPDATE audit_events SET seq = 4 WHERE seq = 5; UPDATE audit_events SET seq = 5 WHERE seq = 100", 4,
       "does not link"},
      {"DELETE FROM audit_events WHERE seq >= 7", 7, "tail was cut"},
      // (a head starting with "ff", one run in 256, must still change)
      {"UPDATE audit_checkpoints SET head_hash = CASE WHEN head_hash LIKE 'ff%' THEN '00' ELSE 'ff' END || substr(head_hash, 3)", 8,
       "differs from the one the checkpoint"},
  };
  for (const auto& c : cases) {
    std::filesystem::copy_file(pristine, t.db(), std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(t.db() + "-wal");
    std::filesystem::remove(t.db() + "-shm");
    sql(t.db(), c.sql);
    auto store = *store::open_sqlite_store(t.db());
    auto r = *audit::verify_store(*store, key.public_key());
    EXPECT_FALSE(r.ok) << c.sql;
    EXPECT_EQ(r.first_bad, c.at) << c.sql << ": " << r.problem;
    EXPECT_NE(r.problem.find(c.says), std::string::npos) << c.sql << ": " << r.problem;
  }
  // Another key did not sign these checkpoints.
  std::filesystem::copy_file(pristine, t.db(), std::filesystem::copy_options::overwrite_existing);
  auto store = *store::open_sqlite_store(t.db());
  auto other = *crypto::PrivateKey::generate(crypto::KeyType::Ed25519);
  auto r = *audit::verify_store(*store, other.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("another audit key"), std::string::npos) << r.problem;
}

TEST(Audit, KeyIsCreatedOnceEncryptedAndPrivate) {
  test::TempDir t;
  const Secret pass("audit test passphrase");
  auto k1 = audit::ensure_audit_key(t.path, pass);
  ASSERT_TRUE(k1);
  EXPECT_EQ(std::filesystem::status(audit::audit_key_path(t.path)).permissions() & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto k2 = audit::ensure_audit_key(t.path, pass);
  ASSERT_TRUE(k2);
  EXPECT_TRUE(k1->public_key().equals(k2->public_key()));
  EXPECT_TRUE(audit::load_audit_public_key(t.path)->equals(k1->public_key()));
  auto wrong = audit::ensure_audit_key(t.path, Secret("wrong"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::BadPassphrase);
}
