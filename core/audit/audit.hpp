#pragma once
// The audit trail: every trust decision as an event, written by the store in the same transaction
// as the state change it records. Events form a hash chain: each event's hash covers its canonical
// body and the previous event's hash, so an edited, deleted or reordered row breaks the chain at
// that row. Checkpoints sign the chain head with a dedicated audit key, so rewriting the chain from
// some row on, or cutting its tail, is caught up to the last checkpoint.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/key.hpp"
#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace pkictl::audit {

/** What happened. `type` is dotted: account.created, order.created, order.refused, challenge.validated,
 * certificate.issued, certificate.revoked, eab.created, policy.reloaded, … (pkictl-audit(1)). */
struct Event {
  std::string type;
  std::string decision;  // "allow", "deny" or "" (not a decision)
  std::string account_id;
  std::string binding;
  std::vector<std::string> identifiers;  // "dns:a.b", "ip:10.0.0.1"
  std::string serial;                    // certificates: hex
  std::string actor;                     // "acme account X", "pkictl eab create", "server"
  std::string request_id;                // the HTTP request that caused it (also in the log and X-Request-Id)
  nlohmann::json details = nlohmann::json::object();
  // Set by the store when appended:
  std::int64_t seq = 0;
  TimePoint time{};
  std::string prev_hash, hash;  // hex SHA-256
};

/** The canonical body that is hashed and stored (sorted keys, no whitespace). */
std::string canonical_body(const Event& e);
/** An event read back from its body (hash fields are the stored ones). Errors: Malformed. */
[[nodiscard]] Result<Event> from_body(std::string_view body);
/** hex(SHA-256(prev_hash_hex "\n" body)). */
std::string chain_hash(const std::string& prev_hash, const std::string& body);
/** The hash before the first event. */
inline const std::string genesis = std::string(64, '0');
nlohmann::json to_json(const Event& e);

/** The request id of the request this thread is serving ("" outside one). */
const std::string& current_request_id();
/** Sets it for the scope (the WFE, around one request). */
class RequestScope final {
 public:
  explicit RequestScope(std::string id);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

 private:
  std::string m_previous;
};

struct Checkpoint {
  std::int64_t seq = 0;      // the last event it covers
  std::string head_hash;     // that event's hash
  TimePoint time{};
  std::string key_id;        // hex SHA-256 of the audit public key
  std::string signature;     // raw signature bytes
};
/** The bytes a checkpoint signs. */
std::string checkpoint_message(const Checkpoint& c);

/** A row as stored, for verification: the columns that queries use and the hashed body. */
struct StoredEvent {
  std::int64_t seq = 0;
  std::string body, prev_hash, hash;
  std::string type, decision, account_id, binding, identifiers, serial;  // the indexed copies
  std::int64_t time_ms = 0;
};

struct VerifyReport {
  bool ok = true;
  std::int64_t events = 0, checkpoints = 0;
  std::string head;         // hash of the last event
  std::int64_t first_bad = 0;  // event id where the chain first breaks (0 = none)
  std::string problem;      // what is wrong there
};

/**
 * Walks the chain in id order, one event at a time (memory stays flat): ids 1..n without gaps, each
 * hash recomputed from its body and the previous hash, the indexed columns equal to the body, and
 * every checkpoint signed by the audit key over a head the chain has. Reports the first problem with
 * its event id.
 */
class ChainVerifier final {
 public:
  ChainVerifier(std::vector<Checkpoint> checkpoints, crypto::PublicKey audit_key);
  /** False once the chain is broken (stop feeding). */
  bool feed(const StoredEvent& e);
  VerifyReport finish();

 private:
  bool broken(std::int64_t seq, std::string why);
  std::vector<Checkpoint> m_checkpoints;
  crypto::PublicKey m_key;
  VerifyReport m_report;
  std::string m_prev = genesis;
  std::int64_t m_next = 1;
};

}  // namespace pkictl::audit
