#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"
#include "tests/unit/util/temp_dir.hpp"

using namespace pkictl;

namespace {
using test::account;
}  // namespace

TEST(SqliteStore, SerialsAreUniquePerIssuer) {
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  ASSERT_TRUE(store->reserve_serial("issuer-a", "01", "o1"));
  auto dup = store->reserve_serial("issuer-a", "01", "o2");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, ErrorKind::Conflict);
  EXPECT_TRUE(store->reserve_serial("issuer-b", "01", "o3"));
}

TEST(SqliteStore, AccountsAreUniqueByKeyAndSurviveReopening) {
  test::TempDir db;
  {
    auto store = *store::open_sqlite_store(db.db());
    ASSERT_TRUE(store->insert_account(account("a1", "tp1")));
    auto dup = store->insert_account(account("a2", "tp1"));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().kind, ErrorKind::Conflict);
  }
  auto store = *store::open_sqlite_store(db.db());
  auto a = store->account_by_thumbprint("tp1");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->id, "a1");
  EXPECT_EQ((*a)->contact, std::vector<std::string>{"mailto:a@b.c"});
}

TEST(SqliteStore, OrderTransitionsAreCompareAndSet) {
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  ASSERT_TRUE(store->insert_account(account("a1", "tp1")));
  acme::Authorization az = test::authz("z1", "a1", "c1");
  acme::Order o = test::order("o1", "a1");
  o.authz_ids = {"z1"};
  ASSERT_TRUE(store->insert_order(o, {az}));
  EXPECT_TRUE(*store->transition_order("o1", acme::Status::Ready, acme::Status::Processing, std::nullopt));
  EXPECT_FALSE(*store->transition_order("o1", acme::Status::Ready, acme::Status::Processing, std::nullopt));  // only one finalize wins
  EXPECT_TRUE(*store->transition_challenge("c1", acme::Status::Pending, acme::Status::Processing));
  EXPECT_FALSE(*store->transition_challenge("c1", acme::Status::Pending, acme::Status::Processing));
  auto loaded = *store->authz_by_id("z1");
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->challenges.size(), 1u);
  EXPECT_EQ(loaded->challenges[0].status, acme::Status::Processing);
  // A certificate row and the order's valid status are written together.
  acme::CertificateRecord c;
  c.id = "cert1";
  c.serial_hex = "0a";
  c.issuer_key_id = "ik";
  c.account_id = "a1";
  c.order_id = "o1";
  c.der = std::string("\x30\x00", 2);
  ASSERT_TRUE(store->finish_issuance(c));
  EXPECT_EQ((*store->order_by_id("o1"))->status, acme::Status::Valid);
  c.id = "cert2";
  c.serial_hex = "0b";
  auto again = store->finish_issuance(c);  // the order is no longer processing: nothing is written
  ASSERT_FALSE(again);
  EXPECT_FALSE(*store->certificate_by_id("cert2"));
}

TEST(SqliteStore, DeferredWritesReturnATicketThatBecomesDurable) {
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  // Nothing touched: nothing to wait for.
  store->begin_deferred();
  EXPECT_EQ(store->end_deferred(), 0u);
  // A write inside the scope returns before its fsync and yields a ticket.
  store->begin_deferred();
  ASSERT_TRUE(store->insert_account(account("a1", "tp1")));
  const auto ticket = store->end_deferred();
  EXPECT_GT(ticket, 0u);
  // A read on another thread sees the committed row; its own ticket covers it too.
  std::uint64_t reader_ticket = 0;
  std::thread([&] {
    store->begin_deferred();
    auto a = store->account_by_id("a1");
    EXPECT_TRUE(a && *a);
    reader_ticket = store->end_deferred();
  }).join();
  EXPECT_GE(reader_ticket, ticket);
  // when_durable completes (from the sync thread) for every waiter.
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  for (auto t : {ticket, reader_ticket})
    store->when_durable(t, [&](Result<void> r) {
      EXPECT_TRUE(r);
      std::lock_guard lock(mu);
      ++done;
      cv.notify_all();
    });
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == 2; }));
  lock.unlock();
  // Once durable, a read of it has nothing left to wait for; outside a scope writes sync themselves.
  store->begin_deferred();
  (void)store->account_by_id("a1");
  EXPECT_EQ(store->end_deferred(), 0u);
  ASSERT_TRUE(store->insert_account(account("a2", "tp2")));
  store->begin_deferred();
  (void)store->account_by_id("a2");
  EXPECT_EQ(store->end_deferred(), 0u);
}

TEST(SqliteStore, AReadByIdWaitsOnlyForTheCommitsThatWroteWhatItRead) {
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  ASSERT_TRUE(store->insert_account(account("a1", "tp1")));  // not deferred: on disk at once
  acme::Order o1 = test::order("o1", "a1");
  o1.authz_ids = {"z1"};
  // A deferred write that nobody waits for: committed, not known to be on disk.
  store->begin_deferred();
  ASSERT_TRUE(store->insert_order(o1, {test::authz("z1", "a1", "c1")}));
  const auto t1 = store->end_deferred();
  ASSERT_GT(t1, 0u);
  const auto read_ticket = [&](auto&& read) {
    store->begin_deferred();
    read();
    return store->end_deferred();
  };
  // Reads by id of what that commit wrote are covered by it, the order's and the authorization's
  // (with its challenge) alike; the account, on disk before, has nothing to wait for.
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->order_by_id("o1")); }), t1);
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->authz_by_id("z1")); }), t1);
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->challenge_by_id("c1")); }), t1);
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->account_by_id("a1")); }), 0u);
  EXPECT_EQ(read_ticket([&] { EXPECT_FALSE(*store->order_by_id("absent")); }), 0u);  // rows are never deleted
  // A second deferred commit on another order: a read of the first still waits for t1 only,
  // a query that is not by id for everything committed.
  acme::Order o2 = test::order("o2", "a1");
  o2.authz_ids = {"z2"};
  store->begin_deferred();
  ASSERT_TRUE(store->insert_order(o2, {test::authz("z2", "a1", "c2")}));
  const auto t2 = store->end_deferred();
  ASSERT_GT(t2, t1);
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->order_by_id("o1")); }), t1);
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->authz_by_id("z2")); }), t2);
  EXPECT_EQ(read_ticket([&] { (void)store->processing_challenges(); }), t2);
  // A validation recorded for z1's challenge: reads of the challenge and its authorization wait for it.
  acme::Challenge c1 = (*store->authz_by_id("z1"))->challenges.at(0);
  c1.status = acme::Status::Valid;
  store->begin_deferred();
  ASSERT_TRUE(store->record_validation(c1, acme::Status::Valid));
  const auto t3 = store->end_deferred();
  ASSERT_GT(t3, t2);
  EXPECT_EQ(read_ticket([&] { EXPECT_EQ((*store->authz_by_id("z1"))->status, acme::Status::Valid); }), t3);
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->challenge_by_id("c1")); }), t3);
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->order_by_id("o1")); }), t1);
  // Once everything is on disk, nothing is left to wait for.
  std::mutex mu;
  std::condition_variable cv;
  bool durable = false;
  store->when_durable(t3, [&](Result<void> r) {
    EXPECT_TRUE(r);
    std::lock_guard lock(mu);
    durable = true;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return durable; }));
  lock.unlock();
  EXPECT_EQ(read_ticket([&] { EXPECT_TRUE(*store->authz_by_id("z1")); }), 0u);
}

TEST(SqliteStore, CachedAccountsFollowEveryUpdate) {
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  ASSERT_TRUE(store->insert_account(account("a1", "tp1")));
  ASSERT_EQ((*store->account_by_id("a1"))->status, acme::Status::Valid);  // now cached
  auto changed = **store->account_by_id("a1");
  changed.thumbprint = "tp2";
  changed.jwk = R"({"new":true})";
  ASSERT_TRUE(store->update_account(changed));
  EXPECT_EQ((*store->account_by_id("a1"))->thumbprint, "tp2");  // a key change is seen at once
  changed.status = acme::Status::Deactivated;
  ASSERT_TRUE(store->update_account(changed));
  EXPECT_EQ((*store->account_by_id("a1"))->status, acme::Status::Deactivated);
  // A refused update (the key is another account's) leaves the cached row as stored.
  ASSERT_TRUE(store->insert_account(account("a2", "tp3")));
  auto clash = changed;
  clash.thumbprint = "tp3";
  ASSERT_FALSE(store->update_account(clash));
  EXPECT_EQ((*store->account_by_id("a1"))->thumbprint, "tp2");
  EXPECT_FALSE(*store->account_by_id("nobody"));
}

TEST(SqliteStore, CachedAuthorizationsFollowEveryUpdate) {
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  ASSERT_TRUE(store->insert_account(account("a1", "tp1")));
  acme::Authorization az = test::authz("z1", "a1", "c1");
  az.challenges.push_back({"c2", "z1", "dns-01", "tok2", acme::Status::Pending, std::nullopt, std::nullopt});
  acme::Order o = test::order("o1", "a1");
  o.authz_ids = {"z1"};
  ASSERT_TRUE(store->insert_order(o, {az}));
  auto status_of = [&](const std::string& chall) { return (*store->challenge_by_id(chall))->status; };
  auto authz_status = [&] { return (*store->authz_by_id("z1"))->status; };
  // The cache serves what a read of the file returns (a second connection has no cache entry).
  auto same_as_file = [&](const std::string& when) {
    SCOPED_TRACE(when);
    auto file = *store::open_sqlite_store(db.db());
    const auto a = **store->authz_by_id("z1");
    const auto b = **file->authz_by_id("z1");
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.expires, b.expires);
    EXPECT_EQ(a.identifier.value, b.identifier.value);
    ASSERT_EQ(a.challenges.size(), b.challenges.size());
    for (std::size_t i = 0; i < a.challenges.size(); ++i) {
      EXPECT_EQ(a.challenges[i].id, b.challenges[i].id);
      EXPECT_EQ(a.challenges[i].authz_id, b.challenges[i].authz_id);
      EXPECT_EQ(a.challenges[i].status, b.challenges[i].status);
      EXPECT_EQ(a.challenges[i].validated, b.challenges[i].validated);
      EXPECT_EQ(a.challenges[i].error.has_value(), b.challenges[i].error.has_value());
    }
  };
  same_as_file("after the insert");
  ASSERT_EQ(authz_status(), acme::Status::Pending);  // now cached, with both challenges
  EXPECT_EQ((*store->challenge_by_id("c2"))->token, "tok2");
  EXPECT_TRUE(*store->transition_challenge("c1", acme::Status::Pending, acme::Status::Processing));
  EXPECT_EQ(status_of("c1"), acme::Status::Processing);
  EXPECT_EQ((*store->authz_by_id("z1"))->challenges.at(1).status, acme::Status::Processing);  // ordered by type: http-01 second
  EXPECT_FALSE(*store->transition_challenge("c1", acme::Status::Pending, acme::Status::Processing));  // a lost CAS
  EXPECT_EQ(status_of("c1"), acme::Status::Processing);
  acme::Challenge done = **store->challenge_by_id("c1");
  ASSERT_EQ(authz_status(), acme::Status::Pending);  // cached again before each write below
  done.status = acme::Status::Valid;
  done.validated = TimePoint(Seconds(1'900'000'000));
  ASSERT_TRUE(store->record_validation(done, acme::Status::Valid));
  EXPECT_EQ(authz_status(), acme::Status::Valid);
  EXPECT_EQ(status_of("c1"), acme::Status::Valid);
  EXPECT_EQ((*store->challenge_by_id("c1"))->validated, done.validated);
  same_as_file("after the validation");
  auto reused = *store->reusable_authz("a1", {"dns", "a.test"}, false, TimePoint(Seconds(1'900'000'000)));
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->status, acme::Status::Valid);
  EXPECT_FALSE(*store->transition_authz("z1", acme::Status::Pending, acme::Status::Deactivated));  // refused: it is valid
  EXPECT_EQ(authz_status(), acme::Status::Valid);
  EXPECT_TRUE(*store->transition_authz("z1", acme::Status::Valid, acme::Status::Deactivated));
  EXPECT_EQ(authz_status(), acme::Status::Deactivated);
  same_as_file("after the deactivation");
  EXPECT_FALSE(*store->reusable_authz("a1", {"dns", "a.test"}, false, TimePoint(Seconds(1'900'000'000))));
  EXPECT_FALSE(*store->authz_by_id("nothing"));
  EXPECT_FALSE(*store->challenge_by_id("nothing"));
  // What the cache served is what a fresh store reads from the file.
  store.reset();
  auto again = *store::open_sqlite_store(db.db());
  EXPECT_EQ((*again->authz_by_id("z1"))->status, acme::Status::Deactivated);
  EXPECT_EQ((*again->challenge_by_id("c1"))->status, acme::Status::Valid);
}

TEST(SqliteStore, AnIssuanceClaimTakesTheOrderAndTheSerialTogetherOrNeither) {
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  ASSERT_TRUE(store->insert_account(account("a1", "tp1")));
  for (const char* id : {"o1", "o2"}) ASSERT_TRUE(store->insert_order(test::order(id, "a1"), {}));
  audit::Event intent;
  intent.type = "certificate.intent";
  intent.serial = "0a";
  const auto events = [&] { return store->audit_events({})->size(); };
  ASSERT_TRUE(*store->claim_issuance("o1", acme::Status::Ready, "issuer", "0a", &intent));
  EXPECT_EQ((*store->order_by_id("o1"))->status, acme::Status::Processing);
  EXPECT_EQ(events(), 1u);
  // A second finalize of o1 loses the compare-and-set: nothing written, no event.
  EXPECT_FALSE(*store->claim_issuance("o1", acme::Status::Ready, "issuer", "0b", &intent));
  EXPECT_TRUE(store->reserve_serial("issuer", "0b", "other"));  // 0b was not taken by the lost claim
  EXPECT_EQ(events(), 1u);
  // A serial taken meanwhile: Conflict, and o2 stays ready (the claim rolled back with it).
  auto taken = store->claim_issuance("o2", acme::Status::Ready, "issuer", "0a", &intent);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::Conflict);
  EXPECT_EQ((*store->order_by_id("o2"))->status, acme::Status::Ready);
  EXPECT_EQ(events(), 1u);
}

TEST(SqliteStore, TheWriteAheadLogIsCheckpointedUnderAuditedWrites) {
  // Every audited write reads the audit head inside its transaction. Left open, that read kept
  // COMMIT from checkpointing, and the WAL grew without bound (55 MB after 300 orders) while the
  // database file stayed empty. 3,000 events would be ~30 MB of WAL without checkpoints; SQLite's
  // auto-checkpoint keeps it near 1,000 pages (4 MiB).
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  store->begin_deferred();  // no fsync per event: this is about checkpoints, not durability
  for (int i = 0; i < 3000; ++i) {
    audit::Event e;
    e.type = "test.event";
    e.decision = "allow";
    e.account_id = "acct-" + std::to_string(i % 17);
    e.details = {{"n", i}, {"padding", std::string(600, 'x')}};
    ASSERT_TRUE(store->append_audit(e));
  }
  (void)store->end_deferred();
  namespace fs = std::filesystem;
  const auto wal = fs::file_size(db.db() + "-wal");
  EXPECT_LT(wal, 12u << 20) << "the WAL was not checkpointed";
  EXPECT_GT(fs::file_size(db.db()), 1u << 20) << "nothing reached the database file";
}

TEST(SqliteStore, TheOrdersListPagesNewestFirstAndLeavesOutInvalidAndExpiredOrders) {
  test::TempDir db;
  auto store = *store::open_sqlite_store(db.db());
  ASSERT_TRUE(store->insert_account(account("a1", "tp1")));
  ASSERT_TRUE(store->insert_account(account("a2", "tp2")));
  const TimePoint now(Seconds(1'900'000'000));
  // o0..o5 made one second apart; o2 invalid, o4 pending but expired; a2's order is not a1's.
  for (int i = 0; i < 6; ++i) {
    acme::Order o = test::order("o" + std::to_string(i), "a1");
    o.created = now - Seconds(100 - i);
    if (i == 4) {
      o.status = acme::Status::Pending;
      o.expires = now - Seconds(1);
    }
    ASSERT_TRUE(store->insert_order(o, {}));
  }
  ASSERT_TRUE(*store->transition_order("o2", acme::Status::Ready, acme::Status::Invalid, std::nullopt));
  ASSERT_TRUE(store->insert_order(test::order("other", "a2"), {}));
  EXPECT_EQ(*store->list_orders("a1", "", now, 2), (std::vector<std::string>{"o5", "o3"}));
  EXPECT_EQ(*store->list_orders("a1", "o3", now, 2), (std::vector<std::string>{"o1", "o0"}));
  EXPECT_EQ(*store->list_orders("a1", "o0", now, 2), std::vector<std::string>{});
  // A newer order does not move the pages after a cursor; another account's order is no cursor.
  acme::Order newer = test::order("o6", "a1");
  newer.created = now;
  ASSERT_TRUE(store->insert_order(newer, {}));
  EXPECT_EQ(*store->list_orders("a1", "o3", now, 2), (std::vector<std::string>{"o1", "o0"}));
  EXPECT_EQ(*store->list_orders("a1", "other", now, 2), std::vector<std::string>{});
}
