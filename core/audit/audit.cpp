#include "core/audit/audit.hpp"

#include <algorithm>
#include <map>

#include "core/crypto/digest.hpp"
#include "core/util/text.hpp"

namespace pkictl::audit {
namespace {
using nlohmann::json;

thread_local std::string t_request_id;


}  // namespace

json to_json(const Event& e) {
  return json{{"seq", e.seq},
              {"time", util::format_time(e.time)},
              {"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count()},
              {"type", e.type},
              {"decision", e.decision},
              {"account", e.account_id},
              {"binding", e.binding},
              {"identifiers", e.identifiers},
              {"serial", e.serial},
              {"actor", e.actor},
              {"request_id", e.request_id},
              {"details", e.details}};
}

std::string canonical_body(const Event& e) {
  // nlohmann::json objects keep keys sorted: dump() without indentation is canonical for the
  // strings, integers and nested objects events carry (no floating point in events).
  return to_json(e).dump();
}

Result<Event> from_body(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorKind::Malformed, "an audit event body is not a JSON object");
  try {
    Event e;
    e.seq = j.at("seq").get<std::int64_t>();
    e.time = TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(j.at("time_ms").get<std::int64_t>())));
    e.type = j.at("type").get<std::string>();
    e.decision = j.at("decision").get<std::string>();
    e.account_id = j.at("account").get<std::string>();
    e.binding = j.at("binding").get<std::string>();
    e.identifiers = j.at("identifiers").get<std::vector<std::string>>();
    e.serial = j.at("serial").get<std::string>();
    e.actor = j.at("actor").get<std::string>();
    e.request_id = j.at("request_id").get<std::string>();
    e.details = j.at("details");
    return e;
  } catch (const json::exception& ex) {
    return fail(ErrorKind::Malformed, std::string("an audit event body lacks a field: ") + ex.what());
  }
}

std::string chain_hash(const std::string& prev_hash, const std::string& body) {
  return util::to_hex(crypto::sha256(prev_hash + "\n" + body));
}

const std::string& current_request_id() { return t_request_id; }
RequestScope::RequestScope(std::string id) : m_previous(std::move(t_request_id)) { t_request_id = std::move(id); }
RequestScope::~RequestScope() { t_request_id = std::move(m_previous); }

std::string checkpoint_message(const Checkpoint& c) {
  return "pkictl audit checkpoint v1\nseq " + std::to_string(c.seq) + "\nhead " + c.head_hash + "\ntime " + util::format_time(c.time) + "\nkey " + c.key_id + "\n";
}

ChainVerifier::ChainVerifier(std::vector<Checkpoint> checkpoints, crypto::PublicKey audit_key)
    : m_checkpoints(std::move(checkpoints)), m_key(std::move(audit_key)) {
  std::sort(m_checkpoints.begin(), m_checkpoints.end(), [](const Checkpoint& a, const Checkpoint& b) { return a.seq < b.seq; });
}

bool ChainVerifier::broken(std::int64_t seq, std::string why) {
  m_report.ok = false;
  m_report.first_bad = seq;
  m_report.problem = std::move(why);
  return false;
}

bool ChainVerifier::feed(const StoredEvent& e) {
  if (!m_report.ok) return false;
  if (e.seq != m_next) {
    if (e.seq > m_next)
      return broken(m_next, m_next + 1 == e.seq ? "event " + std::to_string(m_next) + " is missing (deleted?)"
                                                : "events " + std::to_string(m_next) + "-" + std::to_string(e.seq - 1) + " are missing (deleted?)");
    return broken(e.seq, "event " + std::to_string(e.seq) + " is out of order");
  }
  if (e.prev_hash != m_prev)
    return broken(e.seq, "event " + std::to_string(e.seq) + " does not link to event " + std::to_string(e.seq - 1) + " (reordered or replaced?)");
  if (chain_hash(m_prev, e.body) != e.hash)
    return broken(e.seq, "event " + std::to_string(e.seq) + " does not match its hash (edited?)");
  auto ev = from_body(e.body);
  if (!ev) return broken(e.seq, "event " + std::to_string(e.seq) + ": " + ev.error().detail);
  if (ev->seq != e.seq || ev->type != e.type || ev->decision != e.decision || ev->account_id != e.account_id || ev->binding != e.binding ||
      util::join(ev->identifiers, ",") != e.identifiers || ev->serial != e.serial ||
      std::chrono::duration_cast<std::chrono::milliseconds>(ev->time.time_since_epoch()).count() != e.time_ms)
    return broken(e.seq, "event " + std::to_string(e.seq) + ": its searchable columns differ from its hashed body (edited?)");
  for (const auto& c : m_checkpoints)
    if (c.seq == e.seq && c.head_hash != e.hash)
      return broken(e.seq, "event " + std::to_string(e.seq) + " differs from the one the checkpoint of " + util::format_time(c.time) +
                               " signed (the chain was rewritten)");
  m_prev = e.hash;
  ++m_next;
  ++m_report.events;
  return true;
}

VerifyReport ChainVerifier::finish() {
  if (!m_report.ok) return m_report;
  m_report.head = m_prev;
  const std::string key_id = util::to_hex(m_key.fingerprint());
  for (const auto& c : m_checkpoints) {
    const std::string at = "the checkpoint at event " + std::to_string(c.seq);
    if (c.key_id != key_id) {
      broken(c.seq, at + " was signed by another audit key (" + c.key_id.substr(0, 16) + "…)");
    } else if (auto ok = m_key.verify(checkpoint_message(c), c.signature); !ok || !*ok) {
      broken(c.seq, at + " has a bad signature");
    } else if (c.seq >= m_next) {
      broken(m_next, "events " + std::to_string(m_next) + "-" + std::to_string(c.seq) + " are missing: the checkpoint of " + util::format_time(c.time) +
                         " covers them (the tail was cut)");
    } else {
      ++m_report.checkpoints;
      continue;
    }
    break;
  }
  return m_report;
}

}  // namespace pkictl::audit
