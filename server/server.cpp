#include "server/server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/audit/trail.hpp"
#include "core/ca/offline_ca.hpp"
#include "core/metrics/metrics.hpp"
#include "core/policy/policy.hpp"
#include "core/ra/registration_authority.hpp"
#include "core/store/store.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/text.hpp"
#include "core/x509/name.hpp"
#include "server/http/http_server.hpp"
#include "server/nonce/nonce_service.hpp"
#include "server/va/validator.hpp"
#include "server/wfe/wfe.hpp"

namespace pkictl::server {
namespace {

constexpr Seconds server_cert_lifetime{7 * 86400};

/** The server's own TLS certificate, issued from the issuing CA for the configured host names. */
Result<http::TlsMaterial> issue_server_tls(const config::ServerConfig& cfg, const ca::Issuer& issuer, store::Store& store,
                                           const std::vector<x509::Certificate>& chain, const Clock& clock) {
  PKI_TRY_ASSIGN(auto key, crypto::PrivateKey::generate(crypto::KeyType::EcP256));
  x509::CertificateSpec spec;
  for (const auto& h : cfg.server.tls_hostnames) {
    PKI_TRY_ASSIGN(auto gn, x509::parse_general_name(h));
    spec.sans.push_back(gn);
  }
  PKI_TRY_ASSIGN(spec.subject_der, x509::parse_name("CN=" + cfg.server.tls_hostnames.front()));
  spec.basic_constraints = x509::BasicConstraints{false, std::nullopt};
  spec.key_usage = x509::DigitalSignature;
  spec.extended_key_usage = {"serverAuth"};
  spec.not_before = std::max(clock.now() - Seconds(60), issuer.certificate().not_before());
  spec.not_after = std::min(spec.not_before + server_cert_lifetime, issuer.certificate().not_after());
  store::StoreSerialRegistry serials(store, util::to_hex(*issuer.certificate().subject_key_id()), "server-tls");
  PKI_TRY_ASSIGN(auto cert, issuer.issue(spec, key.public_key(), serials));
  PKI_TRY_ASSIGN(auto key_pem, key.to_unencrypted_pem());
  return http::TlsMaterial{cert.pem() + x509::to_pem_bundle(chain), key_pem};
}

Result<std::vector<x509::Certificate>> load_chain(const config::ServerConfig& cfg, const x509::Certificate& ca_cert) {
  std::vector<x509::Certificate> chain{ca_cert};
  for (const auto& p : cfg.ca.chain) {
    PKI_TRY_ASSIGN(auto certs, x509::Certificate::load_all(p.string()));
    chain.insert(chain.end(), certs.begin(), certs.end());
  }
  return chain;
}

/** An alternate chain must start with a CA certificate for the same key as the issuing CA. */
Result<std::vector<std::vector<x509::Certificate>>> load_alternates(const config::ServerConfig& cfg,
                                                                     const x509::Certificate& ca_cert) {
  std::vector<std::vector<x509::Certificate>> out;
  for (const auto& p : cfg.ca.alternate_chains) {
    PKI_TRY_ASSIGN(auto certs, x509::Certificate::load_all(p.string()));
    if (!certs.front().public_key().equals(ca_cert.public_key()) || certs.front().subject_der() != ca_cert.subject_der())
      return fail(ErrorKind::Config, p.string() + ": an alternate chain must start with a certificate for the issuing CA's name and key "
                                                  "(e.g. the issuing CA cross-signed by another root)");
    out.push_back(std::move(certs));
  }
  return out;
}

/** The policy of a configuration: the policy file, linted against the CA (errors refuse it,
 * warnings are logged), or the allowed_identifiers shorthand. */
Result<std::shared_ptr<const policy::Policy>> load_policy(const config::ServerConfig& cfg, const x509::Certificate& ca_cert, const Clock& clock,
                                                         log::Logger& logger) {
  if (cfg.acme.policy.empty()) {
    if (cfg.acme.allowed_identifiers.empty())
      logger.warn("no policy and no allowed_identifiers: every order will be refused (set [acme] policy)");
    return policy::Policy::from_allow_list(cfg.acme.allowed_identifiers);
  }
  auto loaded = policy::Policy::load(cfg.acme.policy, policy::CaLimits::of(cfg.ca.max_lifetime, ca_cert.not_after(), clock.now()));
  const std::string file = cfg.acme.policy.string();
  for (const auto& d : loaded.diagnostics)
    if (d.severity == policy::Diagnostic::Severity::Warning)
      logger.warn("policy lint warning", {{"file", file}, {"line", d.line}, {"rule", d.rule}, {"message", d.message}, {"hint", d.hint}});
  if (loaded.has_errors())
    return fail(ErrorKind::Config, "the policy does not lint clean (pkictl policy lint " + file + "): " + loaded.error_summary(file));
  return loaded.policy;
}

/** Raises the descriptor limit to its hard maximum (the server holds one per connection) and
 * returns the connection cap: the configured one, else what the limit leaves after a reserve for
 * the store, the validator's outbound connections and the logs, at most 16384 (a TLS connection
 * costs memory as well as a descriptor). */
int connection_cap(int configured, log::Logger& logger) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return configured;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  constexpr long reserve = 256, most = 16384, least = 16;
  const long fds = lim.rlim_cur == RLIM_INFINITY ? most + reserve : static_cast<long>(lim.rlim_cur);
  if (configured > 0) {
    if (configured > fds - reserve)
      logger.warn("server.max_connections leaves few file descriptors for the store and the validator",
                  {{"max_connections", configured}, {"descriptor_limit", fds}, {"hint", "raise LimitNOFILE or lower max_connections"}});
    return configured;
  }
  return static_cast<int>(std::clamp(fds - reserve, least, most));
}

}  // namespace

Result<void> run_server(const config::ServerConfig& cfg, const Secret& ca_passphrase, log::Logger& logger,
                        std::function<void(const std::vector<std::string>&)> on_ready) {
  SystemClock clock;
  // Step 1: state.
  PKI_TRY(util::ensure_directory(cfg.data_dir, 0700));
  // One server per data directory: a second would share the SQLite file but not the store's
  // write-through caches, its commit sequence or the nonce state, and would serve stale objects.
  auto held = util::lock_exclusive(cfg.data_dir / "serve.lock");
  if (!held && held.error().kind == ErrorKind::Conflict)
    return fail(ErrorKind::Conflict, "another pkictl serve is using the data directory " + cfg.data_dir.string() + " (" + held.error().detail +
                                         "): stop it first, or give this server its own data_dir");
  if (!held) return fail(std::move(held).error());
  const util::ExclusiveLock data_dir_lock = std::move(*held);
  PKI_TRY_ASSIGN(auto store, store::open_sqlite_store(cfg.database().string()));
  // Step 2: the issuing CA.
  PKI_TRY_ASSIGN(auto ca_cert, x509::Certificate::load(cfg.ca.cert.string()));
  if (!ca_cert.is_ca()) return fail(ErrorKind::Config, cfg.ca.cert.string() + " is not a CA certificate");
  if (clock.now() >= ca_cert.not_after())
    return fail(ErrorKind::Config, "the issuing CA " + cfg.ca.cert.string() + " expired on " + util::format_time(ca_cert.not_after()));
  PKI_TRY_ASSIGN(auto ca_key, ca::load_private_key(cfg.ca.key, ca_passphrase));
  ca::KeySigner signer(std::move(ca_key));
  ca::Issuer issuer(ca_cert, signer);
  if (!issuer.key_matches()) return fail(ErrorKind::Config, cfg.ca.key.string() + " is not the key of " + cfg.ca.cert.string());
  if (!ca_cert.subject_key_id()) return fail(ErrorKind::Config, "the issuing CA certificate has no subject key identifier");
  PKI_TRY_ASSIGN(auto chain, load_chain(cfg, ca_cert));
  // Step 3: the registration authority and its validator.
  PKI_TRY_ASSIGN(auto pol, load_policy(cfg, ca_cert, clock, logger));
  logger.info("policy loaded", {{"source", pol->source()}, {"bindings", pol->bindings().size()}, {"profiles", pol->profiles().size()}});
  if (cfg.dev) logger.warn("DEV MODE: any identifier is allowed and validation may target private addresses; never use this in production");
  ra::RaConfig rc;
  rc.order_lifetime = cfg.acme.order_lifetime;
  rc.authz_lifetime = cfg.acme.authz_lifetime;
  rc.default_cert_lifetime = cfg.ca.default_lifetime;
  rc.max_cert_lifetime = cfg.ca.max_lifetime;
  rc.terms_of_service_required = !cfg.acme.terms_of_service.empty();
  rc.challenge_types = cfg.validation.challenge_types;
  const Links links(cfg.server.external_url);
  rc.account_uri_prefix = links.account("");
  const Links published(cfg.server.publish_url);  // what certificates name for their CRL and issuer
  rc.crl_url = published.crl(util::to_hex(*ca_cert.subject_key_id()));
  rc.ca_issuers_url = published.ca_certificate(util::to_hex(ca_cert.fingerprint()));
  rc.crl_exempt_below = cfg.ca.crl_exempt_below;
  rc.external_account_required = cfg.acme.external_account_required;
  rc.new_account_url = links.acme("/new-account");
  PKI_TRY_ASSIGN(rc.eab_sealing, acme::eab_sealing_key(ca_passphrase));
  PKI_TRY_ASSIGN(auto alternates, load_alternates(cfg, ca_cert));
  ra::IssuingCa ica{&issuer, util::to_hex(*ca_cert.subject_key_id()), chain, std::move(alternates)};
  ra::RegistrationAuthority ra(*store, clock, ica, std::move(pol), rc, logger);
  PKI_TRY_ASSIGN(auto guard, va::AddressGuard::create(cfg.validation.allow_private));
  va::Validator validator(cfg.validation, va::make_resolver(cfg.validation.resolvers, cfg.validation.timeout, cfg.validation.require_all), std::move(guard), logger);
  validator.set_sink([&ra](const ra::ValidationJob& j, const ra::ValidationOutcome& o) { ra.complete_validation(j, o); });
  ra.set_validation_queue(&validator);
  if (auto resumed = ra.resume_validations(); !resumed) logger.warn("could not resume interrupted validations", {{"reason", resumed.error().detail}});
  // The audit trail: its checkpoint key, a first event, and a thread that signs the chain head.
  PKI_TRY_ASSIGN(auto audit_key, audit::ensure_audit_key(cfg.data_dir, ca_passphrase));
  {
    audit::Event started;
    started.type = "server.started";
    started.actor = "server";
    started.details = {{"policy", ra.policy()->source()}, {"issuer", ica.key_id_hex}, {"directory", links.directory()}};
    PKI_TRY(store->append_audit(started));
  }
  auto sign_head = [&] {
    if (auto c = audit::checkpoint(*store, audit_key, clock.now()); !c) logger.error("audit checkpoint failed", {{"error", c.error().detail}});
    else if (*c) logger.info("audit checkpoint", {{"seq", (*c)->seq}, {"head", (*c)->head_hash}});
  };
  // Signs the head every checkpoint_interval; stopped (and joined) when run_server returns.
  std::jthread checkpointer([&](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait_for(lock, stop, cfg.audit.checkpoint_interval, [] { return false; });
      if (stop.stop_requested()) return;
      sign_head();
    }
  });
  NonceService nonces;
  // What the last graceful stop handed over: nonces issued before the restart stay redeemable.
  // The file is removed (durably) before anything is served, so a crash after this start can
  // never bring back a state that has forgotten the nonces used since.
  const auto nonce_state = cfg.data_dir / "nonces.state";
  const auto unix_now = [&clock] { return static_cast<std::int64_t>(clock.now().time_since_epoch().count()); };
  constexpr std::int64_t nonce_state_max_age_s = 3600;
  if (auto saved = util::read_file(nonce_state, 1 << 20)) {
    PKI_TRY(util::remove_file_durable(nonce_state));
    if (nonces.import_state(*saved, unix_now(), nonce_state_max_age_s))
      logger.info("nonces issued before the restart are accepted", {{"issued_before", nonces.issued()}});
    else
      logger.warn("the saved nonce state is malformed or over an hour old: nonces issued before the restart get badNonce (clients retry)",
                  {{"file", nonce_state.string()}});
  }
  Wfe wfe(ra, nonces, cfg, logger);
  // Published: the roots (for bootstrap by fingerprint), the CRL of the issuing CA.
  std::vector<x509::Certificate> roots;
  std::vector<std::filesystem::path> root_files = cfg.ca.extra_roots;
  if (!cfg.ca.root.empty()) root_files.insert(root_files.begin(), cfg.ca.root);
  for (const auto& p : root_files) {
    PKI_TRY_ASSIGN(auto certs, x509::Certificate::load_all(p.string()));
    roots.insert(roots.end(), certs.begin(), certs.end());
  }
  ra::CrlPublisher crl(*store, ca_cert, signer, cfg.ca.crl_validity, cfg.ca.crl_exempt_below);
  wfe.publish(roots, &crl);
  // Step 4: transport.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  http::HttpOptions opts;
  opts.listen = cfg.server.listen;
  opts.internal_listen = cfg.server.metrics_listen;
  opts.publish_listen = cfg.server.publish_listen;
  opts.io_threads = cfg.server.threads > 0 ? cfg.server.threads : cores;
  opts.workers = cfg.server.workers;
  opts.max_connections = connection_cap(cfg.server.max_connections, logger);
  opts.on_accept_trouble = [&logger](const std::string& what) { logger.warn(what); };
  TimePoint tls_not_after{};
  TimePoint tls_not_before{};
  if (!cfg.server.plain_http) {
    if (!cfg.server.tls_cert.empty()) {
      PKI_TRY_ASSIGN(auto cert_pem, util::read_file(cfg.server.tls_cert));
      PKI_TRY_ASSIGN(auto key_pem, util::read_file(cfg.server.tls_key));
      opts.tls = http::TlsMaterial{cert_pem, key_pem};
    } else {
      PKI_TRY_ASSIGN(auto m, issue_server_tls(cfg, issuer, *store, chain, clock));
      auto leaf = x509::Certificate::parse_all(m.chain_pem);
      tls_not_before = (*leaf)[0].not_before();
      tls_not_after = (*leaf)[0].not_after();
      opts.tls = std::move(m);
      opts.renew_tls = [&]() -> std::optional<http::TlsMaterial> {
        // Renew once two thirds of the lifetime have passed.
        if (clock.now() < tls_not_before + (tls_not_after - tls_not_before) * 2 / 3) return std::nullopt;
        auto m2 = issue_server_tls(cfg, issuer, *store, chain, clock);
        if (!m2) {
          logger.error("renewing the server TLS certificate failed", {{"error", m2.error().detail}});
          return std::nullopt;
        }
        auto l2 = x509::Certificate::parse_all(m2->chain_pem);
        tls_not_before = (*l2)[0].not_before();
        tls_not_after = (*l2)[0].not_after();
        logger.info("server TLS certificate renewed", {{"not_after", util::format_time(tls_not_after)}});
        return std::move(*m2);
      };
    }
  }
  // SIGHUP: re-read the configuration and the policy and swap in the policy (the only part that
  // changes live). Anything that does not load or lint clean keeps the running policy.
  opts.on_reload = [&] {
    auto next = config::load_server_config(cfg.source);
    auto next_policy = next ? load_policy(*next, ca_cert, clock, logger) : Result<std::shared_ptr<const policy::Policy>>(fail(next.error()));
    audit::Event ev;
    ev.actor = "server (SIGHUP)";
    if (!next_policy) {
      metrics::registry().inc("pkictl_policy_reloads_total", {{"result", "refused"}});
      logger.error("reload refused; the running policy stays", {{"file", cfg.source.string()}, {"reason", next_policy.error().detail}});
      ev.type = "policy.reload_refused";
      ev.decision = "deny";
      ev.details = {{"file", cfg.source.string()}, {"reason", next_policy.error().detail}};
      audit::record(*store, ev, logger);
      return;
    }
    ev.type = "policy.reloaded";
    ev.details = {{"source", (*next_policy)->source()}, {"bindings", (*next_policy)->bindings().size()}, {"profiles", (*next_policy)->profiles().size()}};
    audit::record(*store, ev, logger);
    metrics::registry().inc("pkictl_policy_reloads_total", {{"result", "ok"}});
    logger.info("policy reloaded", {{"file", cfg.source.string()}, {"source", (*next_policy)->source()}, {"bindings", (*next_policy)->bindings().size()},
                                    {"profiles", (*next_policy)->profiles().size()},
                                    {"note", "listen addresses, the CA and [validation] take effect at the next restart"}});
    ra.set_policy(std::move(*next_policy));
  };
  // Backpressure (server.overload_lag): the I/O threads' lag decides whether new work is refused.
  LoadShedder shedder(cfg.server.overload_lag);
  wfe.shed_with(&shedder);
  const std::string& threshold = shedder.threshold_text();
  opts.on_loop_lag = [&](std::chrono::steady_clock::duration late) {
    const double lag_ms = std::chrono::duration<double, std::milli>(late).count();
    metrics::registry().set("pkictl_http_loop_lag_seconds", {}, lag_ms / 1000);
    const auto change = shedder.observe(late);
    if (change == LoadShedder::Change::None) return;
    audit::Event ev;
    ev.actor = "server";
    ev.details = {{"lag_ms", lag_ms}, {"overload_lag", threshold}};
    if (change == LoadShedder::Change::Started) {
      logger.warn("overloaded: new orders and accounts are refused (rateLimited, Retry-After) until the I/O threads catch up",
                  {{"lag_ms", lag_ms}, {"overload_lag", threshold}});
      ev.type = "server.shedding_started";
      ev.decision = "deny";
    } else {
      logger.info("caught up: new orders and accounts are accepted again", {{"lag_ms", lag_ms}});
      ev.type = "server.shedding_ended";
    }
    // Committed here, made durable by the next sync: an I/O thread must not wait for the disk
    // (which may be what stalls).
    store->begin_deferred();
    audit::record(*store, ev, logger);
    store->end_deferred();
  };
  opts.on_listening = [&](const std::vector<std::string>& bound) {
    logger.info("listening", {{"addresses", bound}, {"directory", wfe.links().directory()}, {"tls", !cfg.server.plain_http},
                              {"max_connections", opts.max_connections}});
    if (on_ready) on_ready(bound);
  };
  // Group commit without blocked threads: a request's writes return once committed, and its
  // response waits (asynchronously) until the store says they, and all it read, are on disk.
  opts.await_durable = [&](std::uint64_t ticket, std::function<void(bool)> done) {
    store->when_durable(ticket, [&logger, done = std::move(done)](Result<void> r) {
      if (!r) logger.error("a response was withheld: its changes could not be made durable", {{"error", r.error().detail}});
      done(r.has_value());
    });
  };
  // What a response was made from, by the handler and by a held answer's refresh alike, must be
  // on disk before it is sent: each runs between begin_deferred and end_deferred.
  const auto deferred = [&store](Response& resp, const std::function<void(Response&)>& make) {
    store->begin_deferred();
    make(resp);
    resp.durable_after = std::max(resp.durable_after, store->end_deferred());
  };
  auto r = http::run(opts, [&wfe, deferred](const Request& req) {
    Response resp;
    deferred(resp, [&](Response& out) { out = wfe.handle(req); });
    if (resp.hold)
      resp.hold->refresh = [deferred, refresh = std::move(resp.hold->refresh)](Response& out) { deferred(out, refresh); };
    return resp;
  });
  // Every connection is closed: no nonce is issued or redeemed any more.
  util::WriteOptions secret;
  secret.mode = 0600;
  secret.replace = true;
  if (auto saved = util::write_file_atomic(nonce_state, nonces.export_state(unix_now()), secret); !saved)
    logger.warn("the nonce state could not be saved: nonces issued before the restart will get badNonce", {{"error", saved.error().detail}});
  validator.stop();
  sign_head();  // the last events get a checkpoint before the process ends
  logger.info("stopped");
  return r;
}

Result<DevPki> ensure_dev_pki(const std::filesystem::path& dir, int port, int http01_port, const Clock& clock) {
  namespace fs = std::filesystem;
  DevPki d{dir / "pkictl.toml", dir / "root" / "root.crt", dir / "passphrase", false};
  PKI_TRY(util::ensure_directory(dir, 0700));
  if (!fs::exists(d.passphrase)) {
    PKI_TRY_ASSIGN(auto bytes, crypto::random_bytes(24));
    util::WriteOptions o;
    o.mode = 0600;
    PKI_TRY(util::write_file_atomic(d.passphrase, util::base64url_encode(bytes) + "\n", o));
  }
  PKI_TRY_ASSIGN(auto pass_text, util::read_file(d.passphrase));
  const Secret pass(pass_text.substr(0, pass_text.find('\n')));
  if (!fs::exists(d.root_cert)) {
    ca::RootInitParams rp;
    rp.subject = "CN=pkictl Dev Root CA,O=pkictl development";
    rp.key_type = crypto::KeyType::EcP256;
    rp.validity = Seconds(10LL * 365 * 86400);
    rp.out_dir = dir / "root";
    rp.force = true;
    PKI_TRY(ca::root_init(rp, pass, clock));
    d.created = true;
  }
  if (!fs::exists(dir / "issuing" / "intermediate.crt")) {
    PKI_TRY(ca::intermediate_csr({"CN=pkictl Dev Issuing CA,O=pkictl development", crypto::KeyType::EcP256, dir / "issuing", "intermediate", true}, pass));
    ca::SignParams sp;
    sp.root_dir = dir / "root";
    sp.csr_path = dir / "issuing" / "intermediate.csr";
    sp.out = dir / "issuing" / "intermediate.crt";
    sp.validity = Seconds(5LL * 365 * 86400);
    sp.force = true;
    PKI_TRY(ca::intermediate_sign(sp, pass, clock));
    d.created = true;
  }
  if (!fs::exists(d.config)) PKI_TRY(util::write_file_atomic(d.config, config::dev_config_toml(port, http01_port)));
  return d;
}

}  // namespace pkictl::server
