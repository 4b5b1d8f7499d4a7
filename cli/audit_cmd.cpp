// pkictl audit …: prove and query the server's audit trail (see core/audit).
#include <CLI/CLI.hpp>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "core/audit/trail.hpp"
#include "core/config/server_config.hpp"
#include "core/util/text.hpp"

namespace pkictl::cli {
namespace {
using nlohmann::json;

struct AuditOptions {
  std::string config, audit_key;
  // query / export / tail
  std::string since, until, account, binding, identifier, serial, type, decision, format = "table";
  int limit = 1000;
  int lines = 20;
  bool follow = false;
  double seconds = 0;  // tail -f: stop after this long (0 = until interrupted)
};

Result<std::unique_ptr<store::Store>> open_store(const std::string& config) {
  PKI_TRY_ASSIGN(auto cfg, config::load_server_config(config));
  return store::open_sqlite_store(cfg.database().string());
}

Result<std::optional<TimePoint>> time_arg(const std::string& s, const Clock& clock) {
  if (s.empty()) return std::optional<TimePoint>();
  if (auto t = util::parse_time(s)) return std::optional<TimePoint>(*t);
  auto d = util::parse_duration(s);  // "24h": that long ago
  if (!d) return fail(ErrorKind::InvalidArgument, "\"" + s + "\" is neither an RFC 3339 time nor a duration such as 24h");
  return std::optional<TimePoint>(clock.now() - *d);
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void print_events(Context& ctx, const std::vector<audit::Event>& events, const std::string& format, bool header) {
  if (format == "json") {
    for (const auto& e : events) {
      auto j = audit::to_json(e);
      j["hash"] = e.hash;
      j["prev_hash"] = e.prev_hash;
      ctx.out << j.dump() << "\n";
    }
    return;
  }
  if (format == "csv") {
    if (header) ctx.out << "seq,time,type,decision,account,binding,identifiers,serial,request_id,details\n";
    for (const auto& e : events) {
      const std::string ids = util::join(e.identifiers, " ");
      ctx.out << e.seq << "," << util::format_time(e.time) << "," << csv_field(e.type) << "," << e.decision << "," << csv_field(e.account_id) << ","
              << csv_field(e.binding) << "," << csv_field(ids) << "," << e.serial << "," << e.request_id << "," << csv_field(e.details.dump()) << "\n";
    }
    return;
  }
  for (const auto& e : events) {
    const std::string ids = util::join(e.identifiers, " ");
    ctx.out << e.seq << "  " << util::format_time(e.time) << "  " << e.type << (e.decision.empty() ? "" : " [" + e.decision + "]")
            << (e.account_id.empty() ? "" : "  account=" + e.account_id) << (e.binding.empty() ? "" : "  binding=" + e.binding)
            << (ids.empty() ? "" : "  " + ids) << (e.serial.empty() ? "" : "  serial=" + e.serial)
            << (e.request_id.empty() ? "" : "  req=" + e.request_id) << "\n";
  }
}

Result<store::Store::AuditQuery> make_query(const AuditOptions& o, const Clock& clock) {
  store::Store::AuditQuery q;
  PKI_TRY_ASSIGN(q.since, time_arg(o.since, clock));
  PKI_TRY_ASSIGN(q.until, time_arg(o.until, clock));
  q.account = o.account;
  q.binding = o.binding;
  q.identifier = o.identifier;
  q.serial = o.serial;
  q.type = o.type;
  q.decision = o.decision;
  q.limit = o.limit;
  return q;
}

int run_verify(Context& ctx, const AuditOptions& o) {
  auto cfg = config::load_server_config(o.config);
  if (!cfg) return report(ctx, cfg.error());
  auto store = store::open_sqlite_store(cfg->database().string());
  if (!store) return report(ctx, store.error());
  auto key = audit::load_audit_public_key(cfg->data_dir, o.audit_key);
  if (!key) return report(ctx, key.error());
  auto r = audit::verify_store(**store, *key);
  if (!r) return report(ctx, r.error());
  if (!r->ok) {
    ctx.err << "pkictl: audit trail broken at event " << r->first_bad << ": " << r->problem << "\n";
    return ExitFailure;
  }
  ctx.out << "ok: " << r->events << " events, " << r->checkpoints << " signed checkpoints, head " << r->head << "\n";
  return ExitOk;
}

int run_query(Context& ctx, const AuditOptions& o) {
  auto store = open_store(o.config);
  if (!store) return report(ctx, store.error());
  auto q = make_query(o, ctx.clock);
  if (!q) return report(ctx, q.error());
  auto events = (*store)->audit_events(*q);
  if (!events) return report(ctx, events.error());
  print_events(ctx, *events, o.format, true);
  return ExitOk;
}

int run_export(Context& ctx, const AuditOptions& o) {
  auto store = open_store(o.config);
  if (!store) return report(ctx, store.error());
  auto q = make_query(o, ctx.clock);
  if (!q) return report(ctx, q.error());
  q->limit = 5000;
  for (;;) {  // pages, so an export of millions of events stays flat in memory
    auto events = (*store)->audit_events(*q);
    if (!events) return report(ctx, events.error());
    print_events(ctx, *events, "json", false);
    if (static_cast<int>(events->size()) < q->limit) return ExitOk;
    q->after_seq = events->back().seq;
  }
}

volatile std::sig_atomic_t g_interrupted = 0;

int run_tail(Context& ctx, const AuditOptions& o) {
  auto store = open_store(o.config);
  if (!store) return report(ctx, store.error());
  store::Store::AuditQuery q;
  q.limit = o.lines;
  q.newest_first = true;
  auto events = (*store)->audit_events(q);
  if (!events) return report(ctx, events.error());
  print_events(ctx, *events, o.format, true);
  ctx.out.flush();
  if (!o.follow) return ExitOk;
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  std::int64_t after = events->empty() ? 0 : events->back().seq;
  if (events->empty()) {
    auto head = (*store)->audit_head();
    if (head) after = head->first;
  }
  const auto start = std::chrono::steady_clock::now();
  while (!g_interrupted && (o.seconds <= 0 || std::chrono::steady_clock::now() - start < std::chrono::duration<double>(o.seconds))) {
    store::Store::AuditQuery next;
    next.after_seq = after;
    next.limit = 1000;
    auto more = (*store)->audit_events(next);
    if (!more) return report(ctx, more.error());
    if (!more->empty()) {
      print_events(ctx, *more, o.format, false);
      ctx.out.flush();
      after = more->back().seq;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  return ExitOk;
}

void add_filters(CLI::App* c, AuditOptions& o) {
  c->add_option("--since", o.since, "From this time (RFC 3339) or this long ago (e.g. 24h)");
  c->add_option("--until", o.until, "Before this time (RFC 3339) or this long ago");
  c->add_option("--account", o.account, "Events of this ACME account id");
  c->add_option("--binding", o.binding, "Events of this policy binding");
  c->add_option("--identifier", o.identifier, "Events naming an identifier matching this glob, e.g. 'dns:*.payments.corp'");
  c->add_option("--serial", o.serial, "Events of this certificate serial (hex)");
  c->add_option("--type", o.type, "Events of this type, e.g. certificate.issued, order.refused");
  c->add_option("--decision", o.decision, "allow or deny")->check(CLI::IsMember({"allow", "deny"}));
}

}  // namespace

void register_audit(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("audit", "Prove and query the server's audit trail (hash chain with signed checkpoints)")->require_subcommand(1);
  auto v = std::make_shared<AuditOptions>();
  auto* verify = group->add_subcommand("verify", "Walk the hash chain and checkpoints; report the first edited, missing or reordered event");
  verify->add_option("--config", v->config, "The server's configuration file")->required()->check(CLI::ExistingFile);
  verify->add_option("--audit-key", v->audit_key, "The audit public key to trust (default: audit-key.pub.pem in the data directory)")
      ->check(CLI::ExistingFile);
  verify->callback([&ctx, v] { ctx.action = [&ctx, v] { return run_verify(ctx, *v); }; });

  auto q = std::make_shared<AuditOptions>();
  auto* query = group->add_subcommand("query", "Find events by time, account, binding, identifier, serial, type or decision");
  query->add_option("--config", q->config, "The server's configuration file")->required()->check(CLI::ExistingFile);
  add_filters(query, *q);
  query->add_option("--format", q->format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}));
  query->add_option("--limit", q->limit, "At most this many events (oldest first)")->check(CLI::Range(1, 1000000));
  query->callback([&ctx, q] { ctx.action = [&ctx, q] { return run_query(ctx, *q); }; });

  auto e = std::make_shared<AuditOptions>();
  auto* exp = group->add_subcommand("export", "Every matching event as JSON lines (with hashes), for a SIEM");
  exp->add_option("--config", e->config, "The server's configuration file")->required()->check(CLI::ExistingFile);
  add_filters(exp, *e);
  exp->callback([&ctx, e] { ctx.action = [&ctx, e] { return run_export(ctx, *e); }; });

  auto t = std::make_shared<AuditOptions>();
  auto* tail = group->add_subcommand("tail", "The latest events; with -f, follow new ones as they are written");
  tail->add_option("--config", t->config, "The server's configuration file")->required()->check(CLI::ExistingFile);
  tail->add_option("-n,--lines", t->lines, "How many of the latest events to show first")->check(CLI::Range(0, 100000));
  tail->add_flag("-f,--follow", t->follow, "Keep printing new events until interrupted");
  tail->add_option("--for", t->seconds, "With -f: stop after this many seconds");
  tail->add_option("--format", t->format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}));
  tail->callback([&ctx, t] { ctx.action = [&ctx, t] { return run_tail(ctx, *t); }; });
}

}  // namespace pkictl::cli
