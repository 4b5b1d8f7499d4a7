#pragma once
// The state of the ACME server behind one interface: SQLite now, PostgreSQL later. Every method
// is one transaction; the methods that change two things (an order and its new authorizations,
// a certificate and its order) change both or neither.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <functional>

#include "core/acme/eab.hpp"
#include "core/audit/audit.hpp"
#include "core/acme/objects.hpp"
#include "core/ca/issuer.hpp"
#include "core/util/result.hpp"

namespace pkictl::store {

using acme::Account;
using acme::Authorization;
using acme::CertificateRecord;
using acme::Challenge;
using acme::Order;
using acme::Status;

class Store {
 public:
  virtual ~Store() = default;

  // Accounts. insert_account: Conflict if the key (thumbprint) is registered.
  [[nodiscard]] virtual Result<void> insert_account(const Account& a, const audit::Event* ev = nullptr) = 0;
  [[nodiscard]] virtual Result<std::optional<Account>> account_by_id(const std::string& id) = 0;
  [[nodiscard]] virtual Result<std::optional<Account>> account_by_thumbprint(const std::string& tp) = 0;
  /** Writes contact, status, key and thumbprint. Conflict if the new key is another account's. */
  [[nodiscard]] virtual Result<void> update_account(const Account& a, const audit::Event* ev = nullptr) = 0;

  // Orders and authorizations.
  [[nodiscard]] virtual Result<void> insert_order(const Order& o, const std::vector<Authorization>& new_authzs, const audit::Event* ev = nullptr) = 0;
  [[nodiscard]] virtual Result<std::optional<Order>> order_by_id(const std::string& id) = 0;
  /** An unexpired pending/ready order of `account` for exactly these identifiers that asked for no
   * particular validity (notBefore/notAfter) and replaces nothing: what a plain newOrder for them
   * may get back instead of a new order. */
  [[nodiscard]] virtual Result<std::optional<Order>> find_open_order(const std::string& account_id, const std::string& identifiers_key,
                                                                     TimePoint now) = 0;
  /** An account's orders list (RFC 8555 §7.1.2.1), newest first: at most `limit` ids, those after
   * the order `after` (empty: from the newest), leaving out orders recorded invalid and pending or
   * ready ones expired by `now` (one whose authorization failed is recorded invalid once read).
   * Keyed on the last order seen, so orders made meanwhile shift nothing. */
  [[nodiscard]] virtual Result<std::vector<std::string>> list_orders(const std::string& account_id, const std::string& after, TimePoint now,
                                                                     int limit) = 0;
  /** Sets status (and error, certificate id) if the current status is `from`; false otherwise. */
  [[nodiscard]] virtual Result<bool> transition_order(const std::string& id, Status from, Status to,
                                                      const std::optional<nlohmann::json>& error, const audit::Event* ev = nullptr) = 0;
  [[nodiscard]] virtual Result<std::optional<Authorization>> authz_by_id(const std::string& id) = 0;
  /** A pending or valid, unexpired authorization of the account for the identifier. */
  [[nodiscard]] virtual Result<std::optional<Authorization>> reusable_authz(const std::string& account_id, const acme::Identifier& ident,
                                                                            bool wildcard, TimePoint now) = 0;
  [[nodiscard]] virtual Result<bool> transition_authz(const std::string& id, Status from, Status to, const audit::Event* ev = nullptr) = 0;
  [[nodiscard]] virtual Result<std::optional<Challenge>> challenge_by_id(const std::string& id) = 0;
  /** Compare-and-set of a challenge's status (pending → processing happens once). */
  [[nodiscard]] virtual Result<bool> transition_challenge(const std::string& id, Status from, Status to) = 0;
  /** Records a validation outcome on the challenge and its authorization together. */
  [[nodiscard]] virtual Result<void> record_validation(const Challenge& c, Status authz_status, const audit::Event* ev = nullptr) = 0;

  // Certificates.
  /** Claims (issuer, serial) before signing. Conflict if it exists: the store enforces uniqueness. */
  [[nodiscard]] virtual Result<void> reserve_serial(const std::string& issuer_key_id, const std::string& serial_hex,
                                                    const std::string& order_id) = 0;
  /** Claims an order for issuance and a serial for its certificate, in one transaction with the
   * event that records the intent: the order's status `from` becomes processing (compare-and-set:
   * false, and nothing written, when another request claimed it) and (issuer, serial) is reserved
   * for it (Conflict if that serial exists). */
  [[nodiscard]] virtual Result<bool> claim_issuance(const std::string& order_id, Status from, const std::string& issuer_key_id,
                                                    const std::string& serial_hex, const audit::Event* ev = nullptr) = 0;
  /** Stores the certificate and marks the order valid with it, in one transaction. */
  [[nodiscard]] virtual Result<void> finish_issuance(const CertificateRecord& c, const audit::Event* ev = nullptr) = 0;
  [[nodiscard]] virtual Result<std::optional<CertificateRecord>> certificate_by_id(const std::string& id) = 0;
  [[nodiscard]] virtual Result<std::optional<CertificateRecord>> certificate_by_serial(const std::string& issuer_key_id,
                                                                                        const std::string& serial_hex) = 0;
  /** Marks revoked; false if it already was. */
  [[nodiscard]] virtual Result<bool> revoke_certificate(const std::string& id, int reason, TimePoint at, const audit::Event* ev = nullptr) = 0;
  /** Unexpired certificates of `issuer_key_id` whose key has this SPKI SHA-256 (hex). */
  [[nodiscard]] virtual Result<std::vector<CertificateRecord>> certificates_with_key(const std::string& spki_sha256, TimePoint now) = 0;
  /** Revoked certificates of an issuer that have not expired at `now` (for its CRL). */
  [[nodiscard]] virtual Result<std::vector<CertificateRecord>> revoked_unexpired(const std::string& issuer_key_id, TimePoint now) = 0;
  /** Changes whenever a certificate of the issuer is revoked (count and latest time). */
  [[nodiscard]] virtual Result<std::string> revocation_stamp(const std::string& issuer_key_id) = 0;
  /** The next CRL number of an issuer (1, 2, …), claimed durably. */
  [[nodiscard]] virtual Result<std::int64_t> next_crl_number(const std::string& issuer_key_id) = 0;

  // Compromised keys: never certified again.
  [[nodiscard]] virtual Result<void> block_key(const std::string& spki_sha256, const std::string& why, TimePoint at, const audit::Event* ev = nullptr) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> key_blocked(const std::string& spki_sha256) = 0;

  /** Challenges left "processing" (by a stop or crash mid-validation), oldest first. */
  [[nodiscard]] virtual Result<std::vector<Challenge>> processing_challenges() = 0;

  // External Account Binding.
  [[nodiscard]] virtual Result<void> insert_eab(const acme::EabKey& k, const audit::Event* ev = nullptr) = 0;
  [[nodiscard]] virtual Result<std::optional<acme::EabKey>> eab_by_kid(const std::string& kid) = 0;
  [[nodiscard]] virtual Result<std::vector<acme::EabKey>> list_eabs() = 0;
  /** False if there is no such key or it was revoked already. */
  [[nodiscard]] virtual Result<bool> revoke_eab(const std::string& kid, TimePoint at, const audit::Event* ev = nullptr) = 0;
  /** Creates the account and records the key's use in one transaction. Conflict when the key was
   * revoked meanwhile, or is single-use and was used meanwhile. */
  [[nodiscard]] virtual Result<void> insert_account_with_eab(const Account& a, const std::string& kid, const audit::Event* ev = nullptr) = 0;

  // ARI (RFC 9773).
  /** Is there an order (not invalid) that already replaces the certificate `cert_id`? */
  [[nodiscard]] virtual Result<bool> replacement_exists(const std::string& cert_id) = 0;

  // Audit trail (core/audit/audit.hpp). The write methods above take the event that records them
  // and append it in their own transaction (only when they changed something).
  struct AuditQuery {
    std::optional<TimePoint> since, until;
    std::string account, binding, serial, type, decision;
    std::string identifier;  // a glob over "type:value", e.g. "dns:*.payments.corp"
    std::int64_t after_seq = 0;
    int limit = 1000;
    bool newest_first = false;  // the last `limit` matches (still returned oldest first)
  };
  /** Appends an event that records no state change (a refusal, a reload). Returns it as stored. */
  [[nodiscard]] virtual Result<audit::Event> append_audit(const audit::Event& e) = 0;
  [[nodiscard]] virtual Result<std::vector<audit::Event>> audit_events(const AuditQuery& q) = 0;
  /** Every stored row in id order, for verification; `fn` returns false to stop. */
  [[nodiscard]] virtual Result<void> for_each_audit_row(const std::function<bool(const audit::StoredEvent&)>& fn) = 0;
  /** The last event's id and hash (0 and the genesis hash when empty). */
  [[nodiscard]] virtual Result<std::pair<std::int64_t, std::string>> audit_head() = 0;
  [[nodiscard]] virtual Result<void> insert_checkpoint(const audit::Checkpoint& c) = 0;
  [[nodiscard]] virtual Result<std::vector<audit::Checkpoint>> audit_checkpoints() = 0;

  // Policy rate limits (per account).
  /** Orders the account created at or after `since`. */
  [[nodiscard]] virtual Result<int> count_orders_since(const std::string& account_id, TimePoint since) = 0;
  /** Certificates issued to the account with notBefore at or after `since`. */
  [[nodiscard]] virtual Result<int> count_certificates_since(const std::string& account_id, TimePoint since) = 0;

  // Request-scoped group commit: a request thread never waits for an fsync. Between
  // begin_deferred() and end_deferred() this thread's writes return once committed, before they
  // are on disk; end_deferred() gives the ticket that covers every commit this thread made or
  // could read, and the caller reports nothing of it until when_durable(ticket) has said so. A
  // store whose commits are durable when they return keeps these defaults.
  virtual void begin_deferred() {}
  /** 0: nothing to wait for (no store access, or everything seen is on disk already). */
  [[nodiscard]] virtual std::uint64_t end_deferred() { return 0; }
  /** Calls `done` once `ticket` is on disk (from a store thread, or at once): Io if the sync failed. */
  virtual void when_durable(std::uint64_t ticket, std::function<void(Result<void>)> done) {
    (void)ticket;
    done({});
  }
};

/** Opens (creating and migrating) the SQLite store at `path`, in WAL mode. Errors: Io, Config. */
[[nodiscard]] Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

/** Serial uniqueness through the store, bound to one issuer and order. */
class StoreSerialRegistry final : public ca::SerialRegistry {
 public:
  StoreSerialRegistry(Store& store, std::string issuer_key_id, std::string order_id)
      : m_store(store), m_issuer(std::move(issuer_key_id)), m_order(std::move(order_id)) {}
  [[nodiscard]] Result<void> reserve(const util::Bytes& serial) override {
    return m_store.reserve_serial(m_issuer, util::to_hex(serial), m_order);
  }

 private:
  Store& m_store;
  std::string m_issuer, m_order;
};

}  // namespace pkictl::store
