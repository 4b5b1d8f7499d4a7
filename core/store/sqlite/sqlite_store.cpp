// The SQLite backend: one connection in WAL mode, serialised by a mutex, with prepared statements
// cached for the life of the connection. SQLite exceptions stop here and become Errors.
//
// Durability by group commit: commits run with synchronous=NORMAL (the WAL frames are written but
// not fsynced while the mutex is held); before a write operation returns, sync_through() makes it
// durable with one fdatasync of the WAL file, which covers every transaction committed before the
// sync started. Concurrent writers therefore share fsyncs instead of queueing one each behind the
// mutex. A caller never sees success for a change that is not on disk. If the WAL file cannot be
// opened (an unusual filesystem), the store falls back to synchronous=FULL.
//
// The server's request threads do not wait at all: inside begin_deferred()/end_deferred() a write
// returns once committed, the request's ticket is the highest commit it made or could have read,
// and when_durable() hands the ticket to one sync thread that fdatasyncs whatever has been
// committed and then completes every waiter it covered (their responses go out then).
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/metrics/metrics.hpp"
#include "core/store/sqlite/schema.hpp"
#include "core/store/store.hpp"
#include "core/util/text.hpp"

namespace pkictl::store {
namespace {

using nlohmann::json;
using acme::Identifier;

std::int64_t secs(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint tp(std::int64_t s) { return TimePoint(Seconds(s)); }

Error sql_error(const SQLite::Exception& e, std::string_view what) {
  const bool constraint = (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT;
  return Error{constraint ? ErrorKind::Conflict : ErrorKind::Io, std::string(what) + (constraint ? ": already exists" : " failed in the store"),
               e.what(), {}, {}};
}

/** BEGIN IMMEDIATE, COMMIT and ROLLBACK prepared once: exec() would parse the SQL every time. */
struct TxStatements {
  TxStatements(SQLite::Database& d, std::vector<SQLite::Statement*>& stepped_)
      : db(d), stepped(stepped_), begin(d, "BEGIN IMMEDIATE"), commit(d, "COMMIT"), rollback(d, "ROLLBACK") {}
  SQLite::Database& db;
  std::vector<SQLite::Statement*>& stepped;  // the store's statements used under the current lock
  SQLite::Statement begin, commit, rollback;
  /** A SELECT that returned a row and is not reset keeps the connection in a read transaction:
   * a COMMIT then cannot checkpoint (SQLITE_LOCKED, silently) and the WAL grows without bound, and
   * between operations it would stall the checkpoints of other connections too. */
  void reset_stepped() {
    for (auto* st : stepped) st->tryReset();
  }
};

/** BEGIN IMMEDIATE … COMMIT, rolled back by the destructor unless committed. */
class Tx final {
 public:
  /** Inside an open transaction (an audited write), a Tx joins it: the outer one commits. */
  explicit Tx(TxStatements& st) : m_st(st), m_owner(sqlite3_get_autocommit(st.db.getHandle()) != 0) {
    if (m_owner) run(m_st.begin);
  }
  ~Tx() {
    if (m_owner && !m_done) {
      try { run(m_st.rollback); } catch (...) {}
    }
  }
  void commit() {
    if (m_owner) {
      // The audit head's SELECT is open in every audited write: reset it (and anything else the
      // transaction read, taken out of its statements by now) so that the COMMIT can checkpoint.
      m_st.reset_stepped();
      run(m_st.commit);
    }
    m_done = true;
  }

 private:
  static void run(SQLite::Statement& st) {
    st.tryReset();
    st.exec();
    st.tryReset();
  }
  TxStatements& m_st;
  bool m_owner;
  bool m_done = false;
};

std::optional<json> opt_json(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return json::parse(c.getString(), nullptr, false);
}

void bind_opt_time(SQLite::Statement& st, int idx, const std::optional<TimePoint>& t) {
  if (t) st.bind(idx, static_cast<int64_t>(secs(*t)));
  else st.bind(idx);
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::string& path)
      : m_db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX) {
    m_db.exec("PRAGMA journal_mode=WAL");
    m_db.exec("PRAGMA synchronous=FULL");
    m_db.exec("PRAGMA foreign_keys=ON");
    m_db.exec("PRAGMA busy_timeout=10000");
    // 8 MiB of page cache (SQLite's default is 2 MiB): the secondary indexes (thumbprints, serials,
    // key hashes, identifiers) and the ids of databases older than time-sorted ids take inserts all
    // over their trees, and a small cache turns them into reads. Bounded, so memory stays flat.
    m_db.exec("PRAGMA cache_size=-8192");
    sqlite3_update_hook(m_db.getHandle(), &SqliteStore::row_changed, this);
    migrate();
    // The WAL file exists now (migrate() read the database in WAL mode) and keeps its inode while
    // this connection is open, so an fdatasync on our own descriptor flushes SQLite's writes.
    m_wal_fd = ::open((path + "-wal").c_str(), O_RDWR | O_CLOEXEC);
    if (m_wal_fd >= 0) m_db.exec("PRAGMA synchronous=NORMAL");
    m_op = {};  // what the migrations changed is committed and synced
  }
  ~SqliteStore() override {
    if (m_syncer.joinable()) {  // completes whoever still waits, then stops
      m_syncer.request_stop();
      m_syncer.join();
    }
    m_statements.clear();
    if (m_wal_fd >= 0) ::close(m_wal_fd);
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<void> insert_account(const Account& a, const audit::Event* ev) override {
    return audited(ev, "creating the account", [&]() -> Result<void> {
      insert_account_row(a);
      return {};
    });
  }

  Result<void> insert_eab(const acme::EabKey& k, const audit::Event* ev) override {
    return audited(ev, "storing the EAB key", [&]() -> Result<void> {
      SQLite::Statement& st = prepare("INSERT INTO eab_keys(kid, binding, sealed_hmac, created, expires, single_use) VALUES(?,?,?,?,?,?)");
      st.bind(1, k.kid); st.bind(2, k.binding); st.bind(3, k.sealed_hmac.data(), static_cast<int>(k.sealed_hmac.size()));
      st.bind(4, static_cast<int64_t>(secs(k.created))); bind_opt_time(st, 5, k.expires); st.bind(6, k.single_use ? 1 : 0);
      st.exec();
      return {};
    });
  }

  Result<std::optional<acme::EabKey>> eab_by_kid(const std::string& kid) override {
    PKI_TRY_ASSIGN(auto all, eabs_where("kid=?", kid));
    if (all.empty()) return std::optional<acme::EabKey>();
    return std::optional<acme::EabKey>(all.front());
  }

  Result<std::vector<acme::EabKey>> list_eabs() override { return eabs_where("1=1", ""); }

  Result<bool> revoke_eab(const std::string& kid, TimePoint at, const audit::Event* ev) override {
    return audited(ev, "revoking the EAB key", [&]() -> Result<bool> {
      SQLite::Statement& st = prepare("UPDATE eab_keys SET revoked_at=? WHERE kid=? AND revoked_at IS NULL");
      st.bind(1, static_cast<int64_t>(secs(at))); st.bind(2, kid);
      return st.exec() == 1;
    });
  }

  Result<void> insert_account_with_eab(const Account& a, const std::string& kid, const audit::Event* ev) override {
    return audited(ev, "creating the account", [&]() -> Result<void> {
      Tx tx(m_tx);
      SQLite::Statement& use = prepare("UPDATE eab_keys SET uses = uses + 1, used_by = CASE WHEN used_by = '' THEN ? ELSE used_by END "
                                       "WHERE kid=? AND revoked_at IS NULL AND (single_use = 0 OR uses = 0)");
      use.bind(1, a.id); use.bind(2, kid);
      if (use.exec() != 1) return fail(ErrorKind::Unauthorized, "EAB key " + kid + " was revoked or (single-use) used meanwhile");
      insert_account_row(a);
      tx.commit();
      return {};
    });
  }

  Result<std::optional<Account>> account_by_id(const std::string& id) override {
    // Every authenticated request reads its account, and the rows change only through this store
    // (a committed update_account drops the entry): a hit is the row as committed.
    return locked("reading the account", [&]() -> Result<std::optional<Account>> {
      exact_read();
      saw(AccountRow, id);
      if (auto it = m_accounts.find(id); it != m_accounts.end()) return std::optional<Account>(it->second);
      auto a = account_row("id", id);
      if (a && sqlite3_get_autocommit(m_db.getHandle())) {
        if (m_accounts.size() >= account_cache_size) m_accounts.clear();
        m_accounts.insert_or_assign(id, *a);
      }
      return a;
    });
  }
  Result<std::optional<Account>> account_by_thumbprint(const std::string& tp) override { return account_where("thumbprint", tp); }

  Result<void> update_account(const Account& a, const audit::Event* ev) override {
    return audited(ev, "updating the account", [&]() -> Result<void> {
      SQLite::Statement& st = prepare("UPDATE accounts SET thumbprint=?, jwk=?, status=?, contact=? WHERE id=?");
      wrote(AccountRow, a.id);
      st.bind(1, a.thumbprint); st.bind(2, a.jwk); st.bind(3, std::string(acme::to_string(a.status)));
      st.bind(4, json(a.contact).dump()); st.bind(5, a.id);
      if (st.exec() != 1) return fail(ErrorKind::NotFound, "no such account");
      after_commit([this, &a] { m_accounts.erase(a.id); });  // the next read has the row as written
      return {};
    });
  }

  Result<void> insert_order(const Order& o, const std::vector<Authorization>& new_authzs, const audit::Event* ev) override {
    return audited(ev, "creating the order", [&]() -> Result<void> {
      Tx tx(m_tx);
      for (const auto& a : new_authzs) {
        SQLite::Statement& st = prepare("INSERT INTO authzs(id, account_id, ident_type, ident_value, wildcard, status, expires) VALUES(?,?,?,?,?,?,?)");
        wrote(AuthzRow, a.id);
        st.bind(1, a.id); st.bind(2, a.account_id); st.bind(3, a.identifier.type); st.bind(4, a.identifier.value);
        st.bind(5, a.wildcard ? 1 : 0); st.bind(6, std::string(acme::to_string(a.status))); st.bind(7, static_cast<int64_t>(secs(a.expires)));
        st.exec();
        for (const auto& c : a.challenges) {
          SQLite::Statement& cs = prepare("INSERT INTO challenges(id, authz_id, type, token, status) VALUES(?,?,?,?,?)");
          wrote(ChallengeRow, c.id);
          cs.bind(1, c.id); cs.bind(2, a.id); cs.bind(3, c.type); cs.bind(4, c.token); cs.bind(5, std::string(acme::to_string(c.status)));
          cs.exec();
        }
      }
      json idents = json::array();
      for (const auto& i : o.identifiers) idents.push_back(i.to_json());
      SQLite::Statement& st = prepare("INSERT INTO orders(id, account_id, status, created, expires, identifiers, identifiers_key, not_before, not_after, authz_ids, replaces, profile) "
                           "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
      wrote(OrderRow, o.id);
      st.bind(1, o.id); st.bind(2, o.account_id); st.bind(3, std::string(acme::to_string(o.status)));
      st.bind(4, static_cast<int64_t>(secs(o.created))); st.bind(5, static_cast<int64_t>(secs(o.expires)));
      st.bind(6, idents.dump()); st.bind(7, o.identifiers_key());
      bind_opt_time(st, 8, o.not_before); bind_opt_time(st, 9, o.not_after);
      st.bind(10, json(o.authz_ids).dump()); st.bind(11, o.replaces); st.bind(12, o.profile);
      st.exec();
      tx.commit();
      return {};
    });
  }

  Result<std::optional<Order>> order_by_id(const std::string& id) override {
    return row_by_id<Order>("reading the order", OrderRow, order_columns, id, [this](SQLite::Statement& st) { return order_from(st); });
  }

  Result<std::optional<Order>> find_open_order(const std::string& account_id, const std::string& key, TimePoint now) override {
    return locked("looking up orders", [&]() -> Result<std::optional<Order>> {
      SQLite::Statement& st = prepare(std::string(order_columns) +
                                     " WHERE account_id=? AND identifiers_key=? AND status IN ('pending','ready') AND expires>? "
                                     "AND not_before IS NULL AND not_after IS NULL AND replaces='' ORDER BY created DESC LIMIT 1");
      st.bind(1, account_id); st.bind(2, key); st.bind(3, static_cast<int64_t>(secs(now)));
      if (!st.executeStep()) return std::optional<Order>();
      return std::optional<Order>(order_from(st));
    });
  }

  Result<std::vector<std::string>> list_orders(const std::string& account_id, const std::string& after, TimePoint now, int limit) override {
    return locked("listing orders", [&]() -> Result<std::vector<std::string>> {
      // (created, id) descending; the first page's bound is above every order.
      SQLite::Statement& st = prepare(
          "WITH bound(created, id) AS (SELECT created, id FROM orders WHERE id=?1 AND account_id=?2 UNION ALL "
          "SELECT 9223372036854775807, '' WHERE ?1='') "
          "SELECT o.id FROM orders o, bound b WHERE o.account_id=?2 AND (o.created < b.created OR (o.created = b.created AND o.id < b.id)) "
          "AND o.status != 'invalid' AND NOT (o.status IN ('pending','ready') AND o.expires <= ?3) "
          "ORDER BY o.created DESC, o.id DESC LIMIT ?4");
      st.bind(1, after); st.bind(2, account_id); st.bind(3, static_cast<int64_t>(secs(now))); st.bind(4, limit);
      std::vector<std::string> out;
      while (st.executeStep()) out.push_back(st.getColumn(0).getString());
      return out;
    });
  }

  Result<bool> transition_order(const std::string& id, Status from, Status to, const std::optional<json>& error, const audit::Event* ev) override {
    return audited(ev, "updating the order", [&]() -> Result<bool> {
      SQLite::Statement& st = prepare("UPDATE orders SET status=?, error=? WHERE id=? AND status=?");
      st.bind(1, std::string(acme::to_string(to)));
      if (error) st.bind(2, error->dump()); else st.bind(2);
      st.bind(3, id); st.bind(4, std::string(acme::to_string(from)));
      wrote(OrderRow, id);
      return st.exec() == 1;
    });
  }

  Result<std::optional<Authorization>> authz_by_id(const std::string& id) override {
    return locked("reading the authorization", [&]() -> Result<std::optional<Authorization>> {
      exact_read();
      saw(AuthzRow, id);
      std::optional<Authorization> a;
      if (auto it = m_authzs.find(id); it != m_authzs.end()) {
        a = it->second;
      } else {
        SQLite::Statement& st = prepare(std::string(authz_columns) + " WHERE id=?");
        st.bind(1, id);
        if (!st.executeStep()) return a;
        a = authz_from(st);
      }
      for (const auto& c : a->challenges) saw(ChallengeRow, c.id);
      return a;
    });
  }

  Result<std::optional<Authorization>> reusable_authz(const std::string& account_id, const Identifier& ident, bool wildcard,
                                                      TimePoint now) override {
    return locked("looking up authorizations", [&]() -> Result<std::optional<Authorization>> {
      SQLite::Statement& st = prepare(std::string(authz_columns) +
                                     " WHERE account_id=? AND ident_type=? AND ident_value=? AND wildcard=? AND status IN ('valid','pending') "
                                     "AND expires>? ORDER BY (status='valid') DESC, expires DESC LIMIT 1");
      st.bind(1, account_id); st.bind(2, ident.type); st.bind(3, ident.value); st.bind(4, wildcard ? 1 : 0);
      st.bind(5, static_cast<int64_t>(secs(now)));
      if (!st.executeStep()) return std::optional<Authorization>();
      return std::optional<Authorization>(authz_from(st));
    });
  }

  Result<bool> transition_authz(const std::string& id, Status from, Status to, const audit::Event* ev) override {
    return audited(ev, "updating the authorization", [&]() -> Result<bool> {
      SQLite::Statement& st = prepare("UPDATE authzs SET status=? WHERE id=? AND status=?");
      wrote(AuthzRow, id);
      st.bind(1, std::string(acme::to_string(to))); st.bind(2, id); st.bind(3, std::string(acme::to_string(from)));
      if (st.exec() != 1) return false;
      after_commit([this, &id, to] {
        if (auto it = m_authzs.find(id); it != m_authzs.end()) it->second.status = to;
      });
      return true;
    });
  }

  Result<std::optional<Challenge>> challenge_by_id(const std::string& id) override {
    return locked("reading the challenge", [&]() -> Result<std::optional<Challenge>> {
      exact_read();
      saw(ChallengeRow, id);
      if (const Challenge* c = cached_challenge(id)) return std::optional<Challenge>(*c);
      SQLite::Statement& st = prepare("SELECT id, authz_id, type, token, status, validated, error FROM challenges WHERE id=?");
      st.bind(1, id);
      if (!st.executeStep()) return std::optional<Challenge>();
      return std::optional<Challenge>(challenge_from(st));
    });
  }

  Result<std::vector<Challenge>> processing_challenges() override {
    return locked("listing challenges", [&]() -> Result<std::vector<Challenge>> {
      SQLite::Statement& st = prepare("SELECT id, authz_id, type, token, status, validated, error FROM challenges WHERE status='processing' ORDER BY rowid");
      std::vector<Challenge> out;
      while (st.executeStep()) out.push_back(challenge_from(st));
      return out;
    });
  }

  Result<bool> transition_challenge(const std::string& id, Status from, Status to) override {
    return locked("updating the challenge", [&]() -> Result<bool> {
      SQLite::Statement& st = prepare("UPDATE challenges SET status=? WHERE id=? AND status=?");
      wrote(ChallengeRow, id);
      st.bind(1, std::string(acme::to_string(to))); st.bind(2, id); st.bind(3, std::string(acme::to_string(from)));
      if (st.exec() != 1) return false;
      after_commit([this, &id, to] {
        if (Challenge* c = cached_challenge(id)) c->status = to;
      });
      return true;
    });
  }

  Result<void> record_validation(const Challenge& c, Status authz_status, const audit::Event* ev) override {
    return audited(ev, "recording the validation", [&]() -> Result<void> {
      Tx tx(m_tx);
      SQLite::Statement& st = prepare("UPDATE challenges SET status=?, validated=?, error=? WHERE id=?");
      wrote(ChallengeRow, c.id);
      wrote(AuthzRow, c.authz_id);
      st.bind(1, std::string(acme::to_string(c.status)));
      bind_opt_time(st, 2, c.validated);
      if (c.error) st.bind(3, c.error->dump()); else st.bind(3);
      st.bind(4, c.id);
      st.exec();
      SQLite::Statement& au = prepare("UPDATE authzs SET status=? WHERE id=? AND status='pending'");
      au.bind(1, std::string(acme::to_string(authz_status))); au.bind(2, c.authz_id);
      au.exec();
      tx.commit();
      after_commit([this, &c, authz_status] {
        if (Challenge* cached = cached_challenge(c.id)) *cached = c;
        if (auto it = m_authzs.find(c.authz_id); it != m_authzs.end() && it->second.status == Status::Pending)
          it->second.status = authz_status;
      });
      return {};
    });
  }

  Result<void> reserve_serial(const std::string& issuer, const std::string& serial, const std::string& order_id) override {
    return locked("reserving the serial number", [&]() -> Result<void> {
      insert_serial(issuer, serial, order_id);
      return {};
    });
  }

  Result<bool> claim_issuance(const std::string& order_id, Status from, const std::string& issuer, const std::string& serial,
                              const audit::Event* ev) override {
    return audited(ev, "claiming the order for issuance", [&]() -> Result<bool> {
      Tx tx(m_tx);
      SQLite::Statement& o = prepare("UPDATE orders SET status='processing' WHERE id=? AND status=?");
      wrote(OrderRow, order_id);
      o.bind(1, order_id); o.bind(2, std::string(acme::to_string(from)));
      if (o.exec() != 1) return false;
      insert_serial(issuer, serial, order_id);
      tx.commit();
      return true;
    });
  }

  Result<void> finish_issuance(const CertificateRecord& c, const audit::Event* ev) override {
    return audited(ev, "storing the certificate", [&]() -> Result<void> {
      Tx tx(m_tx);
      SQLite::Statement& st = prepare("INSERT INTO certificates(id, issuer_key_id, serial, account_id, order_id, der, spki_sha256, not_before, not_after) "
                           "VALUES(?,?,?,?,?,?,?,?,?)");
      wrote(CertificateRow, c.id);
      wrote(OrderRow, c.order_id);
      st.bind(1, c.id); st.bind(2, c.issuer_key_id); st.bind(3, c.serial_hex); st.bind(4, c.account_id); st.bind(5, c.order_id);
      st.bind(6, c.der.data(), static_cast<int>(c.der.size())); st.bind(7, c.spki_sha256);
      st.bind(8, static_cast<int64_t>(secs(c.not_before))); st.bind(9, static_cast<int64_t>(secs(c.not_after)));
      st.exec();
      SQLite::Statement& o = prepare("UPDATE orders SET status='valid', certificate_id=? WHERE id=? AND status='processing'");
      o.bind(1, c.id); o.bind(2, c.order_id);
      if (o.exec() != 1) return fail(ErrorKind::Conflict, "the order is no longer processing");
      tx.commit();
      return {};
    });
  }

  Result<std::optional<CertificateRecord>> certificate_by_id(const std::string& id) override {
    return row_by_id<CertificateRecord>("reading the certificate", CertificateRow, cert_columns, id, &SqliteStore::cert_from);
  }
  Result<std::optional<CertificateRecord>> certificate_by_serial(const std::string& issuer, const std::string& serial) override {
    return cert_where("issuer_key_id=? AND serial=?", {issuer, serial});
  }

  Result<std::vector<CertificateRecord>> certificates_with_key(const std::string& spki, TimePoint now) override {
    return certs_where("spki_sha256=? AND not_after>?", {spki, std::to_string(secs(now))}, "listing certificates by key");
  }

  Result<std::vector<CertificateRecord>> revoked_unexpired(const std::string& issuer, TimePoint now) override {
    return certs_where("issuer_key_id=? AND revoked_at IS NOT NULL AND not_after>?", {issuer, std::to_string(secs(now))},
                       "listing revoked certificates");
  }

  Result<std::string> revocation_stamp(const std::string& issuer) override {
    return locked("reading revocations", [&]() -> Result<std::string> {
      SQLite::Statement& st = prepare("SELECT COUNT(*), COALESCE(MAX(revoked_at), 0) FROM certificates WHERE issuer_key_id=? AND revoked_at IS NOT NULL");
      st.bind(1, issuer);
      st.executeStep();
      return std::to_string(st.getColumn(0).getInt64()) + "/" + std::to_string(st.getColumn(1).getInt64());
    });
  }

  Result<std::int64_t> next_crl_number(const std::string& issuer) override {
    return locked("numbering the CRL", [&]() -> Result<std::int64_t> {
      Tx tx(m_tx);
      SQLite::Statement& up = prepare("INSERT INTO crl_numbers(issuer_key_id, last) VALUES(?, 1) "
                                      "ON CONFLICT(issuer_key_id) DO UPDATE SET last = last + 1");
      up.bind(1, issuer);
      up.exec();
      SQLite::Statement& st = prepare("SELECT last FROM crl_numbers WHERE issuer_key_id=?");
      st.bind(1, issuer);
      st.executeStep();
      const std::int64_t n = st.getColumn(0).getInt64();
      st.reset();
      tx.commit();
      return n;
    });
  }

  Result<void> block_key(const std::string& spki, const std::string& why, TimePoint at, const audit::Event* ev) override {
    return audited(ev, "blocking the key", [&]() -> Result<void> {
      SQLite::Statement& st = prepare("INSERT OR IGNORE INTO blocked_keys(spki_sha256, reason, created) VALUES(?,?,?)");
      st.bind(1, spki); st.bind(2, why); st.bind(3, static_cast<int64_t>(secs(at)));
      st.exec();
      return {};
    });
  }

  Result<std::optional<std::string>> key_blocked(const std::string& spki) override {
    return locked("checking blocked keys", [&]() -> Result<std::optional<std::string>> {
      SQLite::Statement& st = prepare("SELECT reason FROM blocked_keys WHERE spki_sha256=?");
      st.bind(1, spki);
      if (!st.executeStep()) return std::optional<std::string>();
      return std::optional<std::string>(st.getColumn(0).getString());
    });
  }

  Result<bool> replacement_exists(const std::string& cert_id) override {
    return locked("looking up replacements", [&]() -> Result<bool> {
      SQLite::Statement& st = prepare("SELECT 1 FROM orders WHERE replaces=? AND replaces != '' AND status != 'invalid' LIMIT 1");
      st.bind(1, cert_id);
      return st.executeStep();
    });
  }

  Result<int> count_orders_since(const std::string& account_id, TimePoint since) override {
    return locked("counting orders", [&]() -> Result<int> {
      SQLite::Statement& st = prepare("SELECT count(*) FROM orders WHERE account_id=? AND created>=?");
      st.bind(1, account_id); st.bind(2, static_cast<int64_t>(secs(since)));
      st.executeStep();
      return st.getColumn(0).getInt();
    });
  }

  Result<int> count_certificates_since(const std::string& account_id, TimePoint since) override {
    return locked("counting certificates", [&]() -> Result<int> {
      SQLite::Statement& st = prepare("SELECT count(*) FROM certificates WHERE account_id=? AND not_before>=?");
      st.bind(1, account_id); st.bind(2, static_cast<int64_t>(secs(since)));
      st.executeStep();
      return st.getColumn(0).getInt();
    });
  }

  Result<audit::Event> append_audit(const audit::Event& e) override {
    return locked("appending to the audit trail", [&]() -> Result<audit::Event> {
      Tx tx(m_tx);
      auto out = append_event(e);
      tx.commit();
      return out;
    });
  }

  Result<std::vector<audit::Event>> audit_events(const AuditQuery& q) override {
    return locked("querying the audit trail", [&]() -> Result<std::vector<audit::Event>> {
      std::string sql = "SELECT body, prev_hash, hash FROM audit_events WHERE seq > ?";
      std::vector<std::string> text;
      auto add = [&](const std::string& clause, const std::string& v) {
        if (v.empty()) return;
        sql += " AND " + clause;
        text.push_back(v);
      };
      add("account_id = ?", q.account);
      add("binding = ?", q.binding);
      add("serial = ?", util::to_lower(q.serial));
      add("type = ?", q.type);
      add("decision = ?", q.decision);
      if (!q.identifier.empty()) {  // a glob over the comma-separated identifiers: * matches within one
        std::string like;
        for (char c : q.identifier) like += c == '*' ? std::string("%") : (c == '%' || c == '_' || c == '\\') ? std::string("\\") + c : std::string(1, c);
        sql += " AND (',' || identifiers || ',') LIKE ? ESCAPE '\\'";
        text.push_back("%," + like + ",%");
      }
      if (q.since) sql += " AND time_ms >= " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(q.since->time_since_epoch()).count());
      if (q.until) sql += " AND time_ms < " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(q.until->time_since_epoch()).count());
      sql += q.newest_first ? " ORDER BY seq DESC" : " ORDER BY seq";
      sql += " LIMIT " + std::to_string(q.limit);
      SQLite::Statement st(m_db, sql);  // ad hoc: not cached (every filter combination differs)
      st.bind(1, static_cast<int64_t>(q.after_seq));
      for (std::size_t i = 0; i < text.size(); ++i) st.bind(static_cast<int>(i + 2), text[i]);
      std::vector<audit::Event> out;
      while (st.executeStep()) {
        auto e = audit::from_body(st.getColumn(0).getString());
        if (!e) return fail(std::move(e).error());
        e->prev_hash = st.getColumn(1).getString();
        e->hash = st.getColumn(2).getString();
        out.push_back(std::move(*e));
      }
      if (q.newest_first) std::reverse(out.begin(), out.end());
      return out;
    });
  }

  Result<void> for_each_audit_row(const std::function<bool(const audit::StoredEvent&)>& fn) override {
    // Pages of 1000 under the lock, so a long verification does not stall the server.
    std::int64_t after = 0;
    for (;;) {
      std::vector<audit::StoredEvent> page;
      auto r = locked("reading the audit trail", [&]() -> Result<void> {
        SQLite::Statement& st = prepare("SELECT seq, time_ms, type, decision, account_id, binding, identifiers, serial, body, prev_hash, hash "
                                        "FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1000");
        st.bind(1, static_cast<int64_t>(after));
        while (st.executeStep())
          page.push_back({st.getColumn(0).getInt64(), st.getColumn(8).getString(), st.getColumn(9).getString(), st.getColumn(10).getString(),
                          st.getColumn(2).getString(), st.getColumn(3).getString(), st.getColumn(4).getString(), st.getColumn(5).getString(),
                          st.getColumn(6).getString(), st.getColumn(7).getString(), st.getColumn(1).getInt64()});
        return {};
      });
      if (!r) return r;
      if (page.empty()) return {};
      for (const auto& e : page)
        if (!fn(e)) return {};
      after = page.back().seq;
    }
  }

  Result<std::pair<std::int64_t, std::string>> audit_head() override {
    return locked("reading the audit head", [&]() -> Result<std::pair<std::int64_t, std::string>> {
      SQLite::Statement& st = prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
      if (!st.executeStep()) return std::make_pair(std::int64_t{0}, audit::genesis);
      return std::make_pair(st.getColumn(0).getInt64(), st.getColumn(1).getString());
    });
  }

  Result<void> insert_checkpoint(const audit::Checkpoint& c) override {
    return locked("storing the audit checkpoint", [&]() -> Result<void> {
      SQLite::Statement& st = prepare("INSERT OR IGNORE INTO audit_checkpoints(seq, head_hash, time_ms, key_id, signature) VALUES(?,?,?,?,?)");
      st.bind(1, static_cast<int64_t>(c.seq)); st.bind(2, c.head_hash);
      st.bind(3, static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(c.time.time_since_epoch()).count()));
      st.bind(4, c.key_id); st.bind(5, c.signature.data(), static_cast<int>(c.signature.size()));
      st.exec();
      return {};
    });
  }

  Result<std::vector<audit::Checkpoint>> audit_checkpoints() override {
    return locked("reading audit checkpoints", [&]() -> Result<std::vector<audit::Checkpoint>> {
      SQLite::Statement& st = prepare("SELECT seq, head_hash, time_ms, key_id, signature FROM audit_checkpoints ORDER BY seq");
      std::vector<audit::Checkpoint> out;
      while (st.executeStep()) {
        audit::Checkpoint c;
        c.seq = st.getColumn(0).getInt64();
        c.head_hash = st.getColumn(1).getString();
        c.time = TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(st.getColumn(2).getInt64())));
        c.key_id = st.getColumn(3).getString();
        c.signature.assign(static_cast<const char*>(st.getColumn(4).getBlob()), static_cast<std::size_t>(st.getColumn(4).getBytes()));
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  Result<bool> revoke_certificate(const std::string& id, int reason, TimePoint at, const audit::Event* ev) override {
    return audited(ev, "revoking the certificate", [&]() -> Result<bool> {
      SQLite::Statement& st = prepare("UPDATE certificates SET revoked_at=?, revocation_reason=? WHERE id=? AND revoked_at IS NULL");
      wrote(CertificateRow, id);
      st.bind(1, static_cast<int64_t>(secs(at))); st.bind(2, reason); st.bind(3, id);
      return st.exec() == 1;
    });
  }

 private:
  static constexpr const char* order_columns =
      "SELECT id, account_id, status, created, expires, identifiers, not_before, not_after, authz_ids, certificate_id, error, replaces, profile FROM orders";
  static constexpr const char* cert_columns =
      "SELECT id, issuer_key_id, serial, account_id, order_id, der, spki_sha256, not_before, not_after, revoked_at, revocation_reason FROM certificates";
  static constexpr const char* authz_columns = "SELECT id, account_id, ident_type, ident_value, wildcard, status, expires FROM authzs";

  template <class F>
  auto locked(std::string_view what, F&& f) -> decltype(f()) {
    const auto start = std::chrono::steady_clock::now();
    struct Timed {
      std::string_view what;
      std::chrono::steady_clock::time_point start;
      ~Timed() {
        metrics::registry().observe("pkictl_store_operation_seconds", {{"op", std::string(what)}},
                                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    } timed{what, start};
    std::uint64_t commit = 0;
    std::uint64_t seen = 0;
    const bool deferred = t_deferred.store == this;
    auto result = [&]() -> decltype(f()) {
      std::lock_guard lock(m_mutex);
      const auto changes_before = sqlite3_total_changes64(m_db.getHandle());
      struct ResetUsed {
        SqliteStore& s;
        ~ResetUsed() {
          s.m_tx.reset_stepped();  // no read snapshot stays open between operations
          s.m_used.clear();
          s.m_on_commit.clear();
          s.m_op = {};
        }
      } reset{*this};
      try {
        auto r = f();
        if (r && sqlite3_get_autocommit(m_db.getHandle()))
          for (auto& hook : m_on_commit) hook();  // what f wrote is committed
        if (sqlite3_total_changes64(m_db.getHandle()) != changes_before && sqlite3_get_autocommit(m_db.getHandle()))
          commit = ++m_commit_seq;
        if (commit != 0) note_unsynced(commit);
        // An exact read (objects by id: saw()) is covered by the commits that wrote what it
        // returned; anything else by every commit so far.
        seen = m_op.exact && commit == 0 ? std::max(m_op.seen, m_unsynced_all) : m_commit_seq.load();
        return r;
      } catch (const SQLite::Exception& e) {
        seen = m_commit_seq.load();
        return fail(sql_error(e, what));
      }
    }();
    // Deferred: the ticket covers what this call read or wrote (taken under the lock; a ticket may
    // only be too high, never too low).
    if (deferred) t_deferred.ticket = std::max(t_deferred.ticket, seen);
    if (commit != 0 && result && !deferred) {
      if (auto synced = sync_through(commit); !synced) return fail(std::move(synced).error());
    }
    return result;
  }

 public:
  void begin_deferred() override { t_deferred = {this, 0}; }

  std::uint64_t end_deferred() override {
    const std::uint64_t ticket = t_deferred.store == this ? t_deferred.ticket : 0;
    t_deferred = {};
    return ticket <= m_synced_seen.load() ? 0 : ticket;
  }

  void when_durable(std::uint64_t ticket, std::function<void(Result<void>)> done) override {
    if (ticket == 0 || m_wal_fd < 0 || ticket <= m_synced_seen.load()) {
      done({});
      return;
    }
    {
      std::lock_guard lock(m_wait_mutex);
      m_waiters.push_back({ticket, [start = std::chrono::steady_clock::now(), done = std::move(done)](Result<void> r) {
                             metrics::registry().observe("pkictl_store_durable_wait_seconds", {},
                                                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
                             done(std::move(r));
                           }});
      if (!m_syncer.joinable()) m_syncer = std::jthread([this](std::stop_token stop) { sync_loop(stop); });
    }
    m_wait_cv.notify_one();
  }

 private:
  struct Waiter {
    std::uint64_t ticket;
    std::function<void(Result<void>)> done;
  };

  /** The sync thread: one fdatasync for everything committed, then every waiter it covered. */
  void sync_loop(std::stop_token stop) {
    std::unique_lock lock(m_wait_mutex);
    for (;;) {
      m_wait_cv.wait(lock, stop, [&] { return !m_waiters.empty(); });
      if (m_waiters.empty()) return;  // stopping, nobody waits
      lock.unlock();
      const Result<void> synced = sync_through(m_commit_seq.load());
      lock.lock();
      std::vector<Waiter> ready;
      const std::uint64_t through = m_synced_seen.load();
      for (auto it = m_waiters.begin(); it != m_waiters.end();) {
        if (!synced || it->ticket <= through) {
          ready.push_back(std::move(*it));
          it = m_waiters.erase(it);
        } else {
          ++it;
        }
      }
      lock.unlock();
      for (auto& w : ready) w.done(synced);
      lock.lock();
    }
  }

  /** A write and the audit event that records it, in one transaction: both or neither. The event is
   * appended only when the write changed something (a compare-and-set that lost appends nothing). */
  template <class F>
  auto audited(const audit::Event* ev, std::string_view what, F&& f) -> decltype(f()) {
    return locked(what, [&]() -> decltype(f()) {
      if (!ev) return f();
      Tx tx(m_tx);
      auto r = f();
      if (!r) return r;
      bool changed = true;
      if constexpr (std::is_same_v<decltype(r), Result<bool>>) changed = *r;
      if (changed) append_event(*ev);
      tx.commit();
      return r;
    });
  }

  /** Appends to the chain inside the open transaction: seq and prev_hash from the current head
   * (read in this transaction, so the CLI and the server can both append). */
  audit::Event append_event(audit::Event e) {
    SQLite::Statement& head = prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
    e.seq = 1;
    e.prev_hash = audit::genesis;
    if (head.executeStep()) {
      e.seq = head.getColumn(0).getInt64() + 1;
      e.prev_hash = head.getColumn(1).getString();
    }
    if (e.time == TimePoint{}) e.time = std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
    if (e.request_id.empty()) e.request_id = audit::current_request_id();
    const std::string body = audit::canonical_body(e);
    e.hash = audit::chain_hash(e.prev_hash, body);
    const std::string idents = util::join(e.identifiers, ",");
    SQLite::Statement& st = prepare("INSERT INTO audit_events(seq, time_ms, type, decision, account_id, binding, identifiers, serial, body, prev_hash, hash) "
                                    "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    st.bind(1, static_cast<int64_t>(e.seq));
    st.bind(2, static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count()));
    st.bind(3, e.type); st.bind(4, e.decision); st.bind(5, e.account_id); st.bind(6, e.binding); st.bind(7, idents); st.bind(8, e.serial);
    st.bind(9, body); st.bind(10, e.prev_hash); st.bind(11, e.hash);
    st.exec();
    metrics::registry().inc("pkictl_audit_events_total", {{"type", e.type}});
    return e;
  }

  /** The cached prepared statement for `sql`, reset and unbound. Only under the mutex. */
  SQLite::Statement& prepare(const std::string& sql) {
    auto& slot = m_statements[sql];
    if (!slot) slot = std::make_unique<SQLite::Statement>(m_db, sql);
    else { slot->tryReset(); slot->clearBindings(); }
    m_used.push_back(slot.get());
    return *slot;
  }

  /** Group commit: returns once the commit numbered `seq` (and every one before it) is on disk. */
  Result<void> sync_through(std::uint64_t seq) {
    if (m_wal_fd < 0) return {};  // synchronous=FULL: the commit was durable when it returned
    std::lock_guard lock(m_sync_mutex);
    if (m_synced >= seq) return {};  // a sync that started after our commit covered it
    const std::uint64_t target = m_commit_seq.load();  // everything committed so far is in the page cache
    const auto start = std::chrono::steady_clock::now();
    const int rc = ::fdatasync(m_wal_fd);
    metrics::registry().observe("pkictl_store_sync_seconds", {}, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (rc != 0)
      return fail(ErrorKind::Io, "the store could not sync its write-ahead log to disk", std::strerror(errno));
    m_synced = target;
    m_synced_seen.store(target);
    return {};
  }

  void migrate() {
    m_db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    int version = 0;
    {
      SQLite::Statement st(m_db, "SELECT MAX(version) FROM schema_version");
      if (st.executeStep() && !st.getColumn(0).isNull()) version = st.getColumn(0).getInt();
    }
    const auto& all = sqlite::migrations();
    for (std::size_t i = static_cast<std::size_t>(version); i < all.size(); ++i) {
      Tx tx(m_tx);
      m_db.exec(std::string(all[i]));
      m_db.exec("INSERT INTO schema_version(version) VALUES(" + std::to_string(i + 1) + ")");
      tx.commit();
    }
    if (static_cast<std::size_t>(version) > all.size())
      throw std::runtime_error("the database schema (version " + std::to_string(version) + ") is newer than this pkictl");
  }

  /** Throws a constraint error (Conflict) if the issuer used the serial before. */
  void insert_serial(const std::string& issuer, const std::string& serial, const std::string& order_id) {
    SQLite::Statement& st = prepare("INSERT INTO serials(issuer_key_id, serial, order_id) VALUES(?,?,?)");
    st.bind(1, issuer); st.bind(2, serial); st.bind(3, order_id);
    st.exec();
  }

  void insert_account_row(const Account& a) {
    SQLite::Statement& st = prepare("INSERT INTO accounts(id, thumbprint, jwk, status, contact, tos_agreed, created, binding) VALUES(?,?,?,?,?,?,?,?)");
    wrote(AccountRow, a.id);
    st.bind(1, a.id); st.bind(2, a.thumbprint); st.bind(3, a.jwk); st.bind(4, std::string(acme::to_string(a.status)));
    st.bind(5, json(a.contact).dump()); st.bind(6, a.tos_agreed ? 1 : 0); st.bind(7, static_cast<int64_t>(secs(a.created)));
    st.bind(8, a.binding);
    st.exec();
  }

  Result<std::vector<acme::EabKey>> eabs_where(const char* where, const std::string& arg) {
    return locked("reading EAB keys", [&]() -> Result<std::vector<acme::EabKey>> {
      SQLite::Statement& st = prepare(std::string("SELECT kid, binding, sealed_hmac, created, expires, single_use, used_by, uses, revoked_at "
                                                  "FROM eab_keys WHERE ") + where + " ORDER BY created, kid");
      if (!arg.empty()) st.bind(1, arg);
      std::vector<acme::EabKey> out;
      while (st.executeStep()) {
        acme::EabKey k;
        k.kid = st.getColumn(0).getString();
        k.binding = st.getColumn(1).getString();
        const auto blob = st.getColumn(2);
        k.sealed_hmac.assign(static_cast<const char*>(blob.getBlob()), static_cast<std::size_t>(blob.getBytes()));
        k.created = tp(st.getColumn(3).getInt64());
        if (!st.getColumn(4).isNull()) k.expires = tp(st.getColumn(4).getInt64());
        k.single_use = st.getColumn(5).getInt() != 0;
        k.used_by = st.getColumn(6).getString();
        k.uses = st.getColumn(7).getInt();
        if (!st.getColumn(8).isNull()) k.revoked_at = tp(st.getColumn(8).getInt64());
        out.push_back(std::move(k));
      }
      return out;
    });
  }

  Result<std::optional<Account>> account_where(const char* column, const std::string& value) {
    return locked("reading the account", [&]() -> Result<std::optional<Account>> { return account_row(column, value); });
  }

  /** Only under the mutex. */
  std::optional<Account> account_row(const char* column, const std::string& value) {
    SQLite::Statement& st = prepare(std::string("SELECT id, thumbprint, jwk, status, contact, tos_agreed, created, binding FROM accounts WHERE ") + column + "=?");
    st.bind(1, value);
    if (!st.executeStep()) return std::optional<Account>();
    Account a;
    a.id = st.getColumn(0).getString();
    a.thumbprint = st.getColumn(1).getString();
    a.jwk = st.getColumn(2).getString();
    a.status = *acme::parse_status(st.getColumn(3).getString());
    a.contact = json::parse(st.getColumn(4).getString()).get<std::vector<std::string>>();
    a.tos_agreed = st.getColumn(5).getInt() != 0;
    a.created = tp(st.getColumn(6).getInt64());
    a.binding = st.getColumn(7).getString();
    return std::optional<Account>(a);
  }

  Order order_from(SQLite::Statement& st) {
    Order o;
    o.id = st.getColumn(0).getString();
    o.account_id = st.getColumn(1).getString();
    o.status = *acme::parse_status(st.getColumn(2).getString());
    o.created = tp(st.getColumn(3).getInt64());
    o.expires = tp(st.getColumn(4).getInt64());
    for (const auto& i : json::parse(st.getColumn(5).getString())) o.identifiers.push_back({i["type"], i["value"]});
    if (!st.getColumn(6).isNull()) o.not_before = tp(st.getColumn(6).getInt64());
    if (!st.getColumn(7).isNull()) o.not_after = tp(st.getColumn(7).getInt64());
    o.authz_ids = json::parse(st.getColumn(8).getString()).get<std::vector<std::string>>();
    if (!st.getColumn(9).isNull()) o.certificate_id = st.getColumn(9).getString();
    o.error = opt_json(st.getColumn(10));
    o.replaces = st.getColumn(11).getString();
    o.profile = st.getColumn(12).getString();
    return o;
  }

  Challenge challenge_from(SQLite::Statement& st) {
    Challenge c;
    c.id = st.getColumn(0).getString();
    c.authz_id = st.getColumn(1).getString();
    c.type = st.getColumn(2).getString();
    c.token = st.getColumn(3).getString();
    c.status = *acme::parse_status(st.getColumn(4).getString());
    if (!st.getColumn(5).isNull()) c.validated = tp(st.getColumn(5).getInt64());
    c.error = opt_json(st.getColumn(6));
    return c;
  }

  /** The authorization of this row with its challenges: from the cache, else read and (outside a
   * transaction, so only what is committed) remembered. */
  Authorization authz_from(SQLite::Statement& st) {
    Authorization a;
    a.id = st.getColumn(0).getString();
    if (auto it = m_authzs.find(a.id); it != m_authzs.end()) return it->second;
    a.account_id = st.getColumn(1).getString();
    a.identifier = {st.getColumn(2).getString(), st.getColumn(3).getString()};
    a.wildcard = st.getColumn(4).getInt() != 0;
    a.status = *acme::parse_status(st.getColumn(5).getString());
    a.expires = tp(st.getColumn(6).getInt64());
    SQLite::Statement& cs = prepare("SELECT id, authz_id, type, token, status, validated, error FROM challenges WHERE authz_id=? ORDER BY type");
    cs.bind(1, a.id);
    while (cs.executeStep()) a.challenges.push_back(challenge_from(cs));
    if (sqlite3_get_autocommit(m_db.getHandle())) cache_authz(a);
    return a;
  }

  // ---- Exact read tickets. A read-only request (an authorization or certificate fetched by id)
  // must not answer with rows that are not on disk yet, but need not wait for everybody else's
  // commits either. Rows of the object tables remember the commit that wrote them until that
  // commit is known to be durable; a read by id is covered by those commits only. Rows are never
  // deleted and ids never change, so a row that is absent is not waiting for anything.
  enum Kind : std::size_t { AccountRow, OrderRow, AuthzRow, ChallengeRow, CertificateRow, kinds };

  /** The current write changed object `id` (every write to an object table says so; see below). */
  static std::string object_key(Kind k, const std::string& id) { return std::string(1, static_cast<char>('0' + k)) + id; }
  void wrote(Kind k, const std::string& id) {
    m_op.wrote.push_back(object_key(k, id));
    ++m_op.named[k];
  }
  /** The current read looks objects up by id only and names each one it returns. */
  void exact_read() { m_op.exact = true; }
  void saw(Kind k, const std::string& id) {
    if (m_unsynced.empty()) return;
    if (auto it = m_unsynced.find(object_key(k, id)); it != m_unsynced.end())
      m_op.seen = std::max(m_op.seen, it->second);
  }
  /** sqlite3_update_hook: counts the rows each object table had changed by the operation. */
  static void row_changed(void* self, int, const char*, const char* table, sqlite3_int64) {
    static constexpr std::array<std::string_view, kinds> names = {"accounts", "orders", "authzs", "challenges", "certificates"};
    for (std::size_t k = 0; k < kinds; ++k)
      if (names[k] == table) ++static_cast<SqliteStore*>(self)->m_op.rows[k];
  }
  /** After the commit numbered `commit`: its objects wait for it. A write that changed more rows of
   * a table than it named (a path that forgot wrote()) makes every exact read wait for it. */
  void note_unsynced(std::uint64_t commit) {
    for (std::size_t k = 0; k < kinds; ++k)
      if (m_op.rows[k] > m_op.named[k]) m_unsynced_all = commit;
    for (auto& id : m_op.wrote) m_unsynced.insert_or_assign(std::move(id), commit);
    if (m_unsynced.size() > 4096) {  // what is on disk needs no entry: bounded by the writes in flight
      const std::uint64_t synced = m_synced_seen.load();
      std::erase_if(m_unsynced, [synced](const auto& e) { return e.second <= synced; });
    }
  }

  /** One row of `kind` by id, as `from` reads it from `columns`: an exact read. */
  template <class T, class From>
  Result<std::optional<T>> row_by_id(std::string_view what, Kind kind, const char* columns, const std::string& id, From&& from) {
    return locked(what, [&]() -> Result<std::optional<T>> {
      exact_read();
      saw(kind, id);
      SQLite::Statement& st = prepare(std::string(columns) + " WHERE id=?");
      st.bind(1, id);
      if (!st.executeStep()) return std::optional<T>();
      return std::optional<T>(std::invoke(from, st));
    });
  }

  /** Runs `hook` under the lock once the current operation's writes are committed; dropped if the
   * operation fails or rolls back. Writes keep the caches exact this way (write-through). */
  void after_commit(std::function<void()> hook) { m_on_commit.push_back(std::move(hook)); }

  void cache_authz(const Authorization& a) {
    if (m_authzs.size() >= authz_cache_size) {
      m_authzs.clear();
      m_challenge_authz.clear();
    }
    for (const auto& c : a.challenges) m_challenge_authz.insert_or_assign(c.id, a.id);
    m_authzs.insert_or_assign(a.id, a);
  }

  Challenge* cached_challenge(const std::string& id) {
    auto owner = m_challenge_authz.find(id);
    if (owner == m_challenge_authz.end()) return nullptr;
    for (auto& c : m_authzs.at(owner->second).challenges)
      if (c.id == id) return &c;
    return nullptr;
  }

  static CertificateRecord cert_from(SQLite::Statement& st) {
    CertificateRecord c;
    c.id = st.getColumn(0).getString();
    c.issuer_key_id = st.getColumn(1).getString();
    c.serial_hex = st.getColumn(2).getString();
    c.account_id = st.getColumn(3).getString();
    c.order_id = st.getColumn(4).getString();
    const auto der = st.getColumn(5);
    c.der.assign(static_cast<const char*>(der.getBlob()), static_cast<std::size_t>(der.getBytes()));
    c.spki_sha256 = st.getColumn(6).getString();
    c.not_before = tp(st.getColumn(7).getInt64());
    c.not_after = tp(st.getColumn(8).getInt64());
    if (!st.getColumn(9).isNull()) c.revoked_at = tp(st.getColumn(9).getInt64());
    c.revocation_reason = st.getColumn(10).getInt();
    return c;
  }

  Result<std::vector<CertificateRecord>> certs_where(const std::string& where, const std::vector<std::string>& args, std::string_view what) {
    return locked(what, [&]() -> Result<std::vector<CertificateRecord>> {
      SQLite::Statement& st = prepare(std::string(cert_columns) + " WHERE " + where + " ORDER BY serial");
      for (std::size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
      std::vector<CertificateRecord> out;
      while (st.executeStep()) out.push_back(cert_from(st));
      return out;
    });
  }

  Result<std::optional<CertificateRecord>> cert_where(const std::string& where, std::vector<std::string> args) {
    PKI_TRY_ASSIGN(auto all, certs_where(where, args, "reading the certificate"));
    if (all.empty()) return std::optional<CertificateRecord>();
    return std::optional<CertificateRecord>(std::move(all.front()));
  }

  std::mutex m_mutex;
  SQLite::Database m_db;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> m_statements;
  TxStatements m_tx{m_db, m_used};  // after m_db: destroyed before it (m_used is only referred to here)
  // Account rows by id (under m_mutex). Accounts are written only through this store: the CLI
  // commands on a server's database never write them, and one database serves one server.
  static constexpr std::size_t account_cache_size = 10000;
  std::unordered_map<std::string, Account> m_accounts;
  // Authorizations with their challenges by id, and each cached challenge's authorization (under
  // m_mutex; written only through this store, like accounts). Filled by reads (authz_from, so an
  // entry is always what a read returns), updated by every committed write through after_commit.
  // An authorization is read ~5 times in its order's life of well under a second: a small cache,
  // cleared when full, keeps memory flat.
  static constexpr std::size_t authz_cache_size = 1024;
  std::unordered_map<std::string, Authorization> m_authzs;
  std::unordered_map<std::string, std::string> m_challenge_authz;
  std::vector<SQLite::Statement*> m_used;  // statements stepped under the current lock
  std::vector<std::function<void()>> m_on_commit;  // after_commit hooks of the current operation
  struct OpState {  // the current operation's exact-read bookkeeping
    bool exact = false;
    std::uint64_t seen = 0;
    std::vector<std::string> wrote;
    std::array<int, kinds> named{};
    std::array<int, kinds> rows{};
  } m_op;
  std::unordered_map<std::string, std::uint64_t> m_unsynced;  // object → the commit that wrote it
  std::uint64_t m_unsynced_all = 0;  // a commit that changed objects it did not name
  int m_wal_fd = -1;
  std::atomic<std::uint64_t> m_commit_seq{0};
  std::mutex m_sync_mutex;
  std::uint64_t m_synced = 0;  // guarded by m_sync_mutex
  std::atomic<std::uint64_t> m_synced_seen{0};  // m_synced, readable without the lock
  // Deferred durability: waiters for the sync thread (last member: stopped and joined first).
  std::mutex m_wait_mutex;
  std::condition_variable_any m_wait_cv;
  std::vector<Waiter> m_waiters;
  struct Deferred {
    const SqliteStore* store = nullptr;
    std::uint64_t ticket = 0;
  };
  static thread_local Deferred t_deferred;
  std::jthread m_syncer;
};

thread_local SqliteStore::Deferred SqliteStore::t_deferred;

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  // Create it 0600 before SQLite does (its -wal and -shm files copy the database's mode).
  if (const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
  try {
    return std::unique_ptr<Store>(std::make_unique<SqliteStore>(path));
  } catch (const SQLite::Exception& e) {
    return fail(ErrorKind::Io, "cannot open the database " + path, e.what());
  } catch (const std::exception& e) {
    return fail(ErrorKind::Config, "cannot use the database " + path + ": " + e.what());
  }
}

}  // namespace pkictl::store
