// pkictl acme …: the ACME client for scripts, CI and hosts. State (account key, encrypted; one
// JSON file per certificate) lives in a state directory; certificates and keys go where asked.
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "client/hook.hpp"
#include "client/issue.hpp"
#include "client/renewal.hpp"
#include "core/acme/objects.hpp"
#include "core/trust/bootstrap.hpp"
#include "core/util/atomic_file.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::cli {
namespace {
using nlohmann::json;
namespace fs = std::filesystem;

struct Common {
  std::string state;
  std::string ca_bundle;
  std::string timeout = "300s";
  bool json = false;
  PassphraseOptions pass;
};

struct RegisterOptions {
  std::string directory, eab_kid, eab_key_file, key_type = "ec-p256", ca_fingerprint;
  std::vector<std::string> contacts;
  bool agree_tos = false;
};

struct IssueOptions {
  std::string name, profile, key_type = "ec-p256", lifetime, challenge = "http-01";
  std::vector<std::string> identifiers;
  std::string http_listen = ":80", webroot, tls_listen = ":443", dns_hook, dns_wait = "5s";
  std::string key_out, cert_out, chain_out, deploy_hook;
};

struct RenewOptions {
  std::string name, deploy_hook;
  bool force = false;
};

struct RevokeOptions {
  std::string cert;
  int reason = 0;
};

fs::path state_dir(const Common& c) {
  if (!c.state.empty()) return c.state;
  if (const char* s = std::getenv("PKICTL_ACME_STATE")) return s;
  if (const char* x = std::getenv("XDG_STATE_HOME")) return fs::path(x) / "pkictl" / "acme";
  if (const char* h = std::getenv("HOME")) return fs::path(h) / ".local" / "state" / "pkictl" / "acme";
  return "pkictl-acme";
}

void progress(Context& ctx, const Common& c, const std::string& line) {
  if (!c.json) ctx.err << "pkictl: " << line << "\n";
}

Result<json> read_json(const fs::path& p) {
  PKI_TRY_ASSIGN(auto text, util::read_file(p));
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail(ErrorKind::Malformed, p.string() + " is not JSON");
  return j;
}

Result<client::ClientOptions> client_options(Context& ctx, const Common& c, const std::string& directory, const std::string& ca) {
  client::ClientOptions o;
  o.directory_url = directory;
  o.ca_file = !c.ca_bundle.empty() ? c.ca_bundle : ca;
  o.deadline = duration_of(c.timeout);
  o.progress = [&ctx, &c](const std::string& l) { progress(ctx, c, l); };
  return o;
}

/** The registered account from the state directory, connected. */
Result<client::AcmeClient> open_account(Context& ctx, const Common& c) {
  const fs::path dir = state_dir(c);
  auto acct = read_json(dir / "account.json");
  if (!acct) return fail(ErrorKind::NotFound, "no ACME account in " + dir.string() + ": run 'pkictl acme register --directory URL' first");
  PKI_TRY_ASSIGN(auto pem, util::read_file(dir / "account.key"));
  PKI_TRY_ASSIGN(auto pass, obtain_passphrase(c.pass, "Passphrase for the ACME account key: ", false));
  PKI_TRY_ASSIGN(auto key, crypto::PrivateKey::from_pem(pem, &pass));
  PKI_TRY_ASSIGN(auto opts, client_options(ctx, c, (*acct)["directory"], acct->value("ca_bundle", "")));
  return client::AcmeClient::connect(std::move(opts), std::move(key), (*acct)["kid"]);
}

Result<void> save_account_key(const Common& c, const crypto::PrivateKey& key, const fs::path& file, bool replace) {
  PKI_TRY_ASSIGN(auto pass, obtain_passphrase(c.pass, "Passphrase for the new ACME account key: ", true));
  PKI_TRY_ASSIGN(auto pem, key.to_encrypted_pem(pass));
  return util::write_file_atomic(file, pem, {.mode = 0600, .replace = replace});
}

Result<acme::Identifier> parse_identifier(const std::string& s) {
  json j;
  if (s.rfind("dns:", 0) == 0) j = {{"type", "dns"}, {"value", s.substr(4)}};
  else if (s.rfind("ip:", 0) == 0) j = {{"type", "ip"}, {"value", s.substr(3)}};
  else j = {{"type", "dns"}, {"value", s}};
  auto id = acme::normalise_identifier(j);
  if (!id) return fail(ErrorKind::InvalidArgument, "--identifier " + s + ": " + id.error().detail);
  return id;
}

/** Builds the solver a certificate's recorded settings ask for. */
Result<std::unique_ptr<client::Solver>> make_solver(const json& s) {
  const std::string type = s.value("challenge", "http-01");
  if (type == "http-01") {
    if (!s.value("webroot", "").empty()) return client::http01_webroot(s.value("webroot", ""));
    return client::http01_standalone(s.value("http_listen", ":80"));
  }
  if (type == "tls-alpn-01") return client::tls_alpn01_standalone(s.value("tls_listen", ":443"));
  if (type == "dns-01") {
    if (s.value("dns_hook", "").empty()) return fail(ErrorKind::InvalidArgument, "dns-01 needs --dns-hook CMD");
    return client::dns01_hook(s.value("dns_hook", ""), duration_of(s.value("dns_wait", "5s")));
  }
  return fail(ErrorKind::InvalidArgument, "unknown challenge type " + type + " (http-01, tls-alpn-01, dns-01)");
}

/** Issues for the recorded settings `s` and installs the result; the old files stay on failure. */
Result<json> obtain_and_install(Context& ctx, const Common& c, client::AcmeClient& acme, const json& s, const std::string& replaces) {
  client::IssueRequest req;
  for (const auto& i : s["identifiers"]) {
    PKI_TRY_ASSIGN(auto id, parse_identifier(i.get<std::string>()));
    req.identifiers.push_back(id);
  }
  req.profile = s.value("profile", "");
  if (!s.value("lifetime", "").empty()) req.lifetime = duration_of(s.value("lifetime", ""));
  req.key_type = key_type_of(s.value("key_type", "ec-p256"));
  req.replaces = replaces;
  PKI_TRY_ASSIGN(auto solver, make_solver(s));
  PKI_TRY_ASSIGN(auto got, client::issue(acme, req, *solver));
  // Key first (0600), then the certificate that needs it; each replaced atomically.
  PKI_TRY(util::write_file_atomic(s.value("key_out", ""), got.key_pem, {.mode = 0600, .replace = true}));
  const std::string chain_out = s.value("chain_out", "");
  PKI_TRY(util::write_file_atomic(s.value("cert_out", ""), chain_out.empty() ? got.cert_pem + got.chain_pem : got.cert_pem,
                                  {.mode = 0644, .replace = true}));
  if (!chain_out.empty()) PKI_TRY(util::write_file_atomic(chain_out, got.chain_pem, {.mode = 0644, .replace = true}));
  PKI_TRY_ASSIGN(auto cert, x509::Certificate::parse(got.cert_pem));
  json out = {{"name", s.value("name", "")}, {"serial", cert.serial_hex()}, {"not_after", util::format_time(cert.not_after())},
              {"certificate", s.value("cert_out", "")}, {"key", s.value("key_out", "")}, {"url", got.cert_url}};
  if (const std::string hook = s.value("deploy_hook", ""); !hook.empty()) {
    PKI_TRY_ASSIGN(int rc, client::run_command(hook, {}, {{"PKICTL_NAME", s.value("name", "")}, {"PKICTL_CERT", s.value("cert_out", "")},
                                           {"PKICTL_KEY", s.value("key_out", "")}}));
    if (rc != 0) return fail(ErrorKind::Io, "the deploy hook \"" + hook + "\" failed (exit " + std::to_string(rc) + ")");
  }
  progress(ctx, c, s.value("name", "") + ": certificate " + cert.serial_hex() + " valid until " + util::format_time(cert.not_after()) +
                       " written to " + s.value("cert_out", ""));
  return out;
}

int print(Context& ctx, const Common& c, const json& j, const std::string& text) {
  if (c.json) ctx.out << j.dump(2) << "\n";
  else if (!text.empty()) ctx.out << text << "\n";
  return ExitOk;
}

int run_register(Context& ctx, const Common& c_in, const RegisterOptions& o) {
  Common c = c_in;
  const fs::path dir = state_dir(c);
  if (fs::exists(dir / "account.json"))
    return report(ctx, {ErrorKind::Conflict, dir.string() + " already holds an account; use another --state or 'pkictl acme account'", {}, {}, {}});
  if (auto d = util::ensure_directory(dir, 0700); !d) return report(ctx, d.error());
  if (!o.ca_fingerprint.empty()) {
    // The handshake's chain or the published roots: the fingerprint decides.
    auto pinned = trust::find_by_fingerprint(o.directory, o.ca_fingerprint, true);
    if (!pinned) return report(ctx, pinned.error());
    if (auto w = util::write_file_atomic(dir / "ca.pem", pinned->pem(), {.mode = 0644, .replace = true}); !w) return report(ctx, w.error());
    c.ca_bundle = (dir / "ca.pem").string();
    progress(ctx, c, "trusting the certificate with SHA-256 " + o.ca_fingerprint + " (saved as " + c.ca_bundle + ")");
  }
  auto key = crypto::PrivateKey::generate(key_type_of(o.key_type));
  if (!key) return report(ctx, key.error());
  auto opts = client_options(ctx, c, o.directory, "");
  if (!opts) return report(ctx, opts.error());
  auto acme = client::AcmeClient::connect(std::move(*opts), std::move(*key));
  if (!acme) return report(ctx, acme.error());
  std::optional<client::ExternalBinding> eab;
  if (!o.eab_kid.empty()) {
    if (o.eab_key_file.empty()) return report(ctx, {ErrorKind::InvalidArgument, "--eab-kid needs --eab-hmac-key-file", {}, {}, {}});
    auto k = util::read_file(o.eab_key_file);
    if (!k) return report(ctx, k.error());
    std::string trimmed = *k;
    trimmed.erase(trimmed.find_last_not_of(" \r\n\t") + 1);
    eab = client::ExternalBinding{o.eab_kid, trimmed};
  }
  const bool tos_required = acme->directory().contains("meta") && acme->directory()["meta"].contains("termsOfService");
  if (tos_required && !o.agree_tos)
    return report(ctx, {ErrorKind::UserActionRequired, "the server has terms of service (" + acme->directory()["meta"].value("termsOfService", "") +
                                                           "); read them and pass --agree-tos", {}, {}, {}});
  auto acct = acme->register_account(o.contacts, o.agree_tos, eab);
  if (!acct) return report(ctx, acct.error());
  if (auto s = save_account_key(c, acme->account_key(), dir / "account.key", false); !s) return report(ctx, s.error());
  const json state = {{"directory", o.directory}, {"kid", acme->kid()}, {"ca_bundle", c.ca_bundle.empty() ? "" : fs::absolute(c.ca_bundle).string()}};
  if (auto w = util::write_file_atomic(dir / "account.json", state.dump(2) + "\n", {.mode = 0600}); !w) return report(ctx, w.error());
  return print(ctx, c, {{"account", acme->kid()}, {"status", acct->value("status", "")}}, "account " + acme->kid());
}

int run_account(Context& ctx, const Common& c, const std::string& what, const std::vector<std::string>& contacts, const std::string& key_type) {
  auto acme = open_account(ctx, c);
  if (!acme) return report(ctx, acme.error());
  Result<json> r = json::object();
  if (what == "show") r = acme->account();
  else if (what == "update") r = acme->update_account(contacts);
  else if (what == "deactivate") r = acme->deactivate_account();
  else if (what == "rollover") {
    auto key = crypto::PrivateKey::generate(key_type_of(key_type));
    if (!key) return report(ctx, key.error());
    // The new key is on disk before the server learns it, so a crash cannot lose the account.
    const fs::path dir = state_dir(c), next = dir / "account.key.next";
    if (auto s = save_account_key(c, *key, next, true); !s) return report(ctx, s.error());
    if (auto ch = acme->change_key(std::move(*key)); !ch) {
      std::error_code ec;
      fs::remove(next, ec);
      return report(ctx, ch.error());
    }
    std::error_code ec;
    fs::rename(next, dir / "account.key", ec);
    if (ec) return report(ctx, {ErrorKind::Io, "the key changed but " + next.string() + " could not replace account.key: " + ec.message(), {}, {}, {}});
    r = acme->account();
  }
  if (!r) return report(ctx, r.error());
  json out = *r;
  out["account"] = acme->kid();
  return print(ctx, c, out, out.dump(2));
}

int run_issue(Context& ctx, const Common& c, const IssueOptions& o) {
  auto acme = open_account(ctx, c);
  if (!acme) return report(ctx, acme.error());
  std::vector<std::string> ids;
  for (const auto& i : o.identifiers) {
    auto id = parse_identifier(i);
    if (!id) return report(ctx, id.error());
    ids.push_back(id->type + ":" + id->value);
  }
  const std::string name = !o.name.empty() ? o.name : ids.front().substr(ids.front().find(':') + 1);
  if (name.find('/') != std::string::npos)
    return report(ctx, {ErrorKind::InvalidArgument, "--name must not contain '/'", {}, {}, {}});
  const std::string safe_name = name.rfind("*.", 0) == 0 ? "wildcard." + name.substr(2) : name;
  json s = {{"name", safe_name},      {"identifiers", ids},         {"profile", o.profile},       {"key_type", o.key_type},
            {"lifetime", o.lifetime}, {"challenge", o.challenge},   {"http_listen", o.http_listen}, {"webroot", o.webroot},
            {"tls_listen", o.tls_listen}, {"dns_hook", o.dns_hook}, {"dns_wait", o.dns_wait},
            {"key_out", fs::absolute(o.key_out).string()}, {"cert_out", fs::absolute(o.cert_out).string()},
            {"chain_out", o.chain_out.empty() ? "" : fs::absolute(o.chain_out).string()}, {"deploy_hook", o.deploy_hook}};
  if (auto solver = make_solver(s); !solver) return report(ctx, solver.error());  // check settings before any request
  auto out = obtain_and_install(ctx, c, *acme, s, "");
  if (!out) return report(ctx, out.error());
  const fs::path certs = state_dir(c) / "certs";
  if (auto d = util::ensure_directory(certs, 0700); !d) return report(ctx, d.error());
  if (auto w = util::write_file_atomic(certs / (safe_name + ".json"), s.dump(2) + "\n", {.mode = 0600, .replace = true}); !w) return report(ctx, w.error());
  return print(ctx, c, *out, "");
}

int run_renew(Context& ctx, const Common& c, const RenewOptions& o) {
  const fs::path certs = state_dir(c) / "certs";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(certs, ec))
    if (e.path().extension() == ".json" && (o.name.empty() || e.path().stem() == o.name)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) return report(ctx, {ErrorKind::NotFound, "no certificates to renew in " + certs.string() + (o.name.empty() ? "" : " named " + o.name), {}, {}, {}});
  auto acme = open_account(ctx, c);
  if (!acme) {
    Error e = acme.error();
    std::string names;
    for (const auto& f : files) names += (names.empty() ? "" : ", ") + f.stem().string();
    e.detail = names + ": renewal failed, the previous certificates stay in place: " + e.detail;
    return report(ctx, e);
  }
  json results = json::array();
  int failures = 0;
  for (const auto& f : files) {
    auto s = read_json(f);
    json res = {{"name", f.stem().string()}};
    auto pem = s ? util::read_file(s->value("cert_out", "")) : Result<std::string>(fail(s.error()));
    // The file may hold the chain after the leaf (no --chain-out): the leaf is what is renewed.
    auto chain = pem ? x509::Certificate::parse_all(*pem) : Result<std::vector<x509::Certificate>>(fail(pem.error()));
    auto cert = chain ? Result<x509::Certificate>(chain->front()) : Result<x509::Certificate>(fail(chain.error()));
    if (cert) pem = cert->pem();
    auto d = cert ? client::renewal_due(*acme, *cert, ctx.clock.now()) : Result<client::RenewalDecision>(client::RenewalDecision{true, "no readable certificate"});
    if (s && d && !d->due && !o.force) {
      progress(ctx, c, f.stem().string() + ": not due (" + d->why + ")");
      res["renewed"] = false;
      res["reason"] = d->why;
      results.push_back(res);
      continue;
    }
    Result<json> out = fail(ErrorKind::Internal, "");
    if (s) {
      json settings = *s;
      if (!o.deploy_hook.empty()) settings["deploy_hook"] = o.deploy_hook;
      std::string replaces;
      if (pem && !acme->directory().value("renewalInfo", "").empty()) {
        if (auto id = client::ari_cert_id(*pem)) replaces = *id;
      }
      out = obtain_and_install(ctx, c, *acme, settings, replaces);
    } else {
      out = fail(s.error());
    }
    if (!out) {
      ++failures;
      ctx.err << "pkictl: " << f.stem().string() << ": renewal failed, the previous certificate stays in place: " << out.error().detail << "\n";
      res["renewed"] = false;
      res["error"] = out.error().detail;
    } else {
      res = *out;
      res["renewed"] = true;
    }
    results.push_back(res);
  }
  if (c.json) ctx.out << results.dump(2) << "\n";
  return failures ? ExitFailure : ExitOk;
}

int run_revoke(Context& ctx, const Common& c, const RevokeOptions& o) {
  auto acme = open_account(ctx, c);
  if (!acme) return report(ctx, acme.error());
  auto certs = x509::Certificate::load_all(o.cert);
  if (!certs) return report(ctx, certs.error());
  json payload = {{"certificate", util::base64url_encode(certs->front().der())}};
  if (o.reason) payload["reason"] = o.reason;
  auto r = acme->post(acme->directory().value("revokeCert", ""), payload);
  if (!r) return report(ctx, r.error());
  return print(ctx, c, {{"revoked", certs->front().serial_hex()}, {"reason", o.reason}}, "revoked " + certs->front().serial_hex());
}

}  // namespace

void register_acme(CLI::App& app, Context& ctx) {
  auto c = std::make_shared<Common>();
  auto* group = app.add_subcommand("acme", "ACME client: register, issue, renew and revoke against any RFC 8555 server")->require_subcommand(1);
  group->fallthrough();  // the group options may also follow the subcommand
  group->add_option("--state", c->state, "State directory (default $PKICTL_ACME_STATE or ~/.local/state/pkictl/acme)");
  group->add_option("--ca-bundle", c->ca_bundle, "Trust these roots for the server's TLS (default: the system's)")->check(CLI::ExistingFile);
  group->add_option("--timeout", c->timeout, "Give up an operation after this long (default 300s)")->check(duration_validator());
  group->add_flag("--json", c->json, "Print results as JSON (progress goes nowhere)");
  add_passphrase_options(*group, c->pass, "the ACME account key");

  auto r = std::make_shared<RegisterOptions>();
  auto* reg = group->add_subcommand("register", "Create an account and keep its key (encrypted) in the state directory");
  reg->add_option("--directory", r->directory, "The server's directory URL")->required();
  reg->add_option("--contact", r->contacts, "mailto: contact (repeatable)");
  reg->add_flag("--agree-tos", r->agree_tos, "Agree to the server's terms of service");
  reg->add_option("--eab-kid", r->eab_kid, "External account binding key id");
  reg->add_option("--eab-hmac-key-file", r->eab_key_file, "File holding the base64url EAB HMAC key")->check(CLI::ExistingFile);
  reg->add_option("--key-type", r->key_type, "Account key type (default ec-p256)")->check(key_type_validator());
  reg->add_option("--ca-fingerprint", r->ca_fingerprint, "Trust the server by the SHA-256 of a CA certificate it presents (bootstrap)");
  reg->callback([&ctx, c, r] { ctx.action = [&ctx, c, r] { return run_register(ctx, *c, *r); }; });

  auto* account = group->add_subcommand("account", "Show, update, deactivate the account or roll its key over")->require_subcommand(1);
  auto contacts = std::make_shared<std::vector<std::string>>();
  auto key_type = std::make_shared<std::string>("ec-p256");
  account->add_subcommand("show", "Print the account object")->callback([&ctx, c] { ctx.action = [&ctx, c] { return run_account(ctx, *c, "show", {}, ""); }; });
  auto* update = account->add_subcommand("update", "Replace the account's contacts");
  update->add_option("--contact", *contacts, "mailto: contact (repeatable)")->required();
  update->callback([&ctx, c, contacts] { ctx.action = [&ctx, c, contacts] { return run_account(ctx, *c, "update", *contacts, ""); }; });
  account->add_subcommand("deactivate", "Deactivate the account for good")
      ->callback([&ctx, c] { ctx.action = [&ctx, c] { return run_account(ctx, *c, "deactivate", {}, ""); }; });
  auto* roll = account->add_subcommand("rollover", "Replace the account key (keyChange); the new key is stored encrypted");
  roll->add_option("--key-type", *key_type, "New key type (default ec-p256)")->check(key_type_validator());
  roll->callback([&ctx, c, key_type] { ctx.action = [&ctx, c, key_type] { return run_account(ctx, *c, "rollover", {}, *key_type); }; });

  auto i = std::make_shared<IssueOptions>();
  auto* iss = group->add_subcommand("issue", "Obtain a certificate and remember how, for 'renew'");
  iss->add_option("--identifier", i->identifiers, "dns:NAME, ip:ADDRESS or NAME (repeatable; *.NAME needs dns-01)")->required();
  iss->add_option("--name", i->name, "Name for renewals (default: the first identifier)");
  iss->add_option("--challenge", i->challenge, "http-01, tls-alpn-01 or dns-01 (default http-01)")
      ->check(CLI::IsMember({"http-01", "tls-alpn-01", "dns-01"}));
  iss->add_option("--http-listen", i->http_listen, "http-01 responder address (default :80)");
  iss->add_option("--webroot", i->webroot, "http-01 by files under DIR/.well-known/acme-challenge/ instead");
  iss->add_option("--tls-listen", i->tls_listen, "tls-alpn-01 responder address (default :443)");
  iss->add_option("--dns-hook", i->dns_hook, "dns-01: run 'CMD add|remove NAME VALUE'");
  iss->add_option("--dns-wait", i->dns_wait, "dns-01: wait this long for propagation (default 5s)")->check(duration_validator());
  iss->add_option("--profile", i->profile, "Certificate profile (ACME profiles draft)");
  iss->add_option("--key-type", i->key_type, "Certificate key type (default ec-p256)")->check(key_type_validator());
  iss->add_option("--lifetime", i->lifetime, "Ask for notAfter = now + DURATION")->check(duration_validator());
  iss->add_option("--key-out", i->key_out, "Write the private key here (0600)")->required();
  iss->add_option("--cert-out", i->cert_out, "Write the certificate here (with the chain unless --chain-out)")->required();
  iss->add_option("--chain-out", i->chain_out, "Write the issuer chain here");
  iss->add_option("--deploy-hook", i->deploy_hook, "Run after installing (env PKICTL_NAME, PKICTL_CERT, PKICTL_KEY)");
  iss->footer("EXAMPLES:\n  pkictl acme issue --identifier dns:web.corp.internal --http-listen :80 --key-out web.key --cert-out web.crt\n"
              "  pkictl acme issue --identifier '*.corp.internal' --challenge dns-01 --dns-hook /usr/local/bin/nsupdate-hook \\\n"
              "      --key-out wild.key --cert-out wild.crt");
  iss->callback([&ctx, c, i] { ctx.action = [&ctx, c, i] { return run_issue(ctx, *c, *i); }; });

  auto n = std::make_shared<RenewOptions>();
  auto* ren = group->add_subcommand("renew", "Renew every certificate that is due (ARI window, else 2/3 of its life)");
  ren->add_option("--name", n->name, "Only this certificate");
  ren->add_flag("--force", n->force, "Renew even if not due");
  ren->add_option("--deploy-hook", n->deploy_hook, "Run after each successful renewal (overrides the recorded one)");
  ren->callback([&ctx, c, n] { ctx.action = [&ctx, c, n] { return run_renew(ctx, *c, *n); }; });

  auto v = std::make_shared<RevokeOptions>();
  auto* rev = group->add_subcommand("revoke", "Revoke a certificate issued to this account");
  rev->add_option("--cert", v->cert, "The certificate (PEM)")->required()->check(CLI::ExistingFile);
  rev->add_option("--reason", v->reason, "RFC 5280 reason code (0-6, 9, 10; default 0; pkictl serve takes 0, 1, 3, 4, 5)")
      ->check(revocation_reason_validator());
  rev->callback([&ctx, c, v] { ctx.action = [&ctx, c, v] { return run_revoke(ctx, *c, *v); }; });
}

}  // namespace pkictl::cli
