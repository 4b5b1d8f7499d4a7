// pkictl cert …: look at and check certificates.
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "core/config/server_config.hpp"
#include "core/lint/certificate_lint.hpp"
#include "core/policy/policy.hpp"
#include "core/log/logger.hpp"
#include "core/ra/revocation.hpp"
#include "core/store/store.hpp"
#include "core/util/atomic_file.hpp"
#include "core/x509/chain_verify.hpp"
#include "core/x509/inspect.hpp"

namespace pkictl::cli {
namespace {

struct InspectOptions {
  std::string file;
  bool json = false;
};

struct RevokeOptions {
  std::string config, serial, reason = "unspecified", public_key;
  bool key_compromised = false;
};

struct LintOptions {
  std::string file, issuer, policy, binding, profile;
  bool json = false, strict = false;
};

struct VerifyOptions {
  std::string chain, roots, purpose, host, ip, at;
  bool json = false;
};

int run_inspect(Context& ctx, const InspectOptions& o) {
  auto certs = x509::Certificate::load_all(o.file);
  if (!certs) return report(ctx, certs.error());
  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : *certs) arr.push_back(x509::describe(c));
    ctx.out << (arr.size() == 1 ? arr[0] : arr).dump(2) << "\n";
    return ExitOk;
  }
  for (std::size_t i = 0; i < certs->size(); ++i) {
    if (i) ctx.out << "\n";
    ctx.out << x509::describe_text((*certs)[i]);
  }
  return ExitOk;
}

int run_verify(Context& ctx, const VerifyOptions& o) {
  auto chain = x509::Certificate::load_all(o.chain);
  if (!chain) return report(ctx, chain.error());
  auto roots = x509::Certificate::load_all(o.roots);
  if (!roots) return report(ctx, roots.error());
  x509::VerifyOptions vo;
  vo.purpose = o.purpose;
  vo.dns_name = o.host;
  vo.ip = o.ip;
  if (!o.at.empty()) vo.at = *util::parse_time(o.at);
  auto r = x509::verify_chain(*chain, *roots, vo);
  if (!r) return report(ctx, r.error());
  if (o.json) {
    nlohmann::json j = {{"ok", r->ok}};
    if (r->ok) j["path"] = r->path;
    else j.update({{"reason", r->reason}, {"depth", r->depth}, {"subject", r->failing_subject}});
    ctx.out << j.dump(2) << "\n";
  } else if (r->ok) {
    ctx.out << "OK: ";
    for (std::size_t i = 0; i < r->path.size(); ++i) ctx.out << (i ? " <- " : "") << r->path[i];
    ctx.out << "\n";
  }
  if (!r->ok && !o.json)
    ctx.err << "pkictl: verification failed at depth " << r->depth << " (" << r->failing_subject << "): " << r->reason << "\n";
  return r->ok ? ExitOk : ExitFailure;
}

/** The same lints the server runs before signing, on any certificate: alone, against its issuer,
 * and against a policy's binding and profile. Exit 0 clean, 1 warnings (--strict), 2 errors. */
int run_lint(Context& ctx, const LintOptions& o) {
  auto cert = x509::Certificate::load(o.file);
  if (!cert) return report(ctx, cert.error());
  lint::Expectations ex;
  std::optional<x509::Certificate> issuer;
  if (!o.issuer.empty()) {
    auto is = x509::Certificate::load(o.issuer);
    if (!is) return report(ctx, is.error());
    issuer = *is;
    ex.issuer = &*issuer;
  }
  std::shared_ptr<const policy::Policy> pol;
  const policy::Binding* binding = nullptr;
  if (!o.policy.empty()) {
    auto loaded = policy::Policy::load(o.policy);
    if (loaded.has_errors())
      return report(ctx, {ErrorKind::Config, "the policy does not lint clean: " + loaded.error_summary(o.policy), {}, {}, {}});
    pol = loaded.policy;
    auto b = pol->binding_for(o.binding);
    if (!b) return report(ctx, b.error());
    binding = *b;
    auto prof = pol->profile_for(*binding, o.profile);
    if (!prof) return report(ctx, prof.error());
    const auto* issuer_ptr = ex.issuer;
    auto max = policy::Policy::lifetimes(*binding, **prof, Seconds::max(), Seconds::max()).max_lifetime;
    ex = lint::policy_expectations(*pol, *binding, **prof, max == Seconds::max() ? std::nullopt : std::optional<Seconds>(max));
    ex.issuer = issuer_ptr;
  }
  const auto findings = lint::lint_certificate(*cert, ex);
  const bool errors = lint::has_errors(findings);
  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& f : findings)
      arr.push_back({{"id", f.id}, {"severity", f.severity == lint::Finding::Severity::Error ? "error" : "warning"}, {"message", f.message}});
    ctx.out << nlohmann::json{{"file", o.file}, {"findings", arr}}.dump(2) << "\n";
  } else {
    for (const auto& f : findings)
      ctx.out << o.file << ": " << (f.severity == lint::Finding::Severity::Error ? "error" : "warning") << "[" << f.id << "]: " << f.message << "\n";
    if (findings.empty()) ctx.out << o.file << ": clean\n";
  }
  if (errors) return 2;
  return !findings.empty() && o.strict ? ExitFailure : ExitOk;
}

/** Revokes in the server's store (safe while it runs): the next CRL it serves lists the result. */
int run_revoke(Context& ctx, const RevokeOptions& o) {
  auto cfg = config::load_server_config(o.config);
  if (!cfg) return report(ctx, cfg.error());
  auto ca = x509::Certificate::load(cfg->ca.cert.string());
  if (!ca) return report(ctx, ca.error());
  auto store = store::open_sqlite_store(cfg->database().string());
  if (!store) return report(ctx, store.error());
  log::Logger quiet(ctx.err, log::Level::Error);
  const TimePoint now = ctx.clock.now();
  Result<std::vector<std::string>> revoked = std::vector<std::string>{};
  if (o.key_compromised) {
    auto key = [&]() -> Result<crypto::PublicKey> {
      // A public key, or a certificate that carries it.
      PKI_TRY_ASSIGN(auto pem, util::read_file(o.public_key));
      if (auto k = crypto::PublicKey::from_pem(pem)) return k;
      PKI_TRY_ASSIGN(auto certs, x509::Certificate::parse_all(pem));
      return certs.front().public_key();  // the leaf of a chain file
    }();
    if (!key) return report(ctx, {ErrorKind::InvalidArgument, o.public_key + ": not a public key or certificate (PEM)", {}, {}, {}});
    revoked = ra::revoke_key(**store, util::to_hex(key->fingerprint()), now, quiet, "pkictl cert revoke");
  } else {
    auto reason = ra::parse_revocation_reason(o.reason);
    if (!reason) return report(ctx, reason.error());
    auto serial = util::from_hex(o.serial);
    if (!serial) return report(ctx, {ErrorKind::InvalidArgument, "--serial " + o.serial + ": not hexadecimal", {}, {}, {}});
    auto rec = (*store)->certificate_by_serial(util::to_hex(*ca->subject_key_id()), util::to_hex(*serial));
    if (!rec) return report(ctx, rec.error());
    if (!*rec) return report(ctx, {ErrorKind::NotFound, "no certificate with serial " + o.serial + " was issued by " + ca->subject_text(), {}, {}, {}});
    revoked = ra::revoke_certificate(**store, **rec, *reason, now, quiet, "pkictl cert revoke");
  }
  if (!revoked) return report(ctx, revoked.error());
  for (const auto& s : *revoked) ctx.out << "revoked " << s << "\n";
  if (o.key_compromised) ctx.out << "key blocked for all future issuance (" << revoked->size() << " certificates revoked)\n";
  return ExitOk;
}

}  // namespace

void register_cert(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("cert", "Inspect, verify, lint and revoke certificates")->require_subcommand(1);

  auto i = std::make_shared<InspectOptions>();
  auto* inspect = group->add_subcommand("inspect", "Show a certificate (or every one in a PEM bundle)");
  inspect->add_option("file", i->file, "Certificate file, PEM or DER")->required()->check(CLI::ExistingFile);
  inspect->add_flag("--json", i->json, "Print as JSON");
  inspect->footer("EXAMPLES:\n  pkictl cert inspect root/root.crt\n  pkictl cert inspect --json issuing/intermediate.crt");
  inspect->callback([&ctx, i] { ctx.action = [&ctx, i] { return run_inspect(ctx, *i); }; });

  auto v = std::make_shared<VerifyOptions>();
  auto* verify = group->add_subcommand("verify", "Build and validate a chain to trusted roots; say why it fails");
  verify->add_option("--chain", v->chain, "Leaf certificate first, then intermediates (PEM bundle)")->required()->check(CLI::ExistingFile);
  verify->add_option("--roots", v->roots, "Trusted root certificates (PEM bundle)")->required()->check(CLI::ExistingFile);
  verify->add_option("--purpose", v->purpose, "Require a purpose: sslserver, sslclient or any")
      ->check(CLI::IsMember({"sslserver", "sslclient", "any"}));
  verify->add_option("--host", v->host, "Require the leaf to be valid for this DNS name");
  verify->add_option("--ip", v->ip, "Require the leaf to be valid for this IP address");
  verify->add_option("--at", v->at, "Verify at this time (RFC 3339) instead of now")
      ->check(CLI::Validator([](std::string& s) { auto r = util::parse_time(s); return r ? std::string() : r.error().detail; }, "TIME"));
  verify->add_flag("--json", v->json, "Print the outcome as JSON");
  verify->footer("EXAMPLES:\n  pkictl cert verify --chain leaf-and-intermediate.pem --roots root/root.crt --purpose sslserver --host api.corp.internal");
  verify->callback([&ctx, v] { ctx.action = [&ctx, v] { return run_verify(ctx, *v); }; });

  auto l = std::make_shared<LintOptions>();
  auto* lintc = group->add_subcommand("lint", "Run the pre-issuance lints on a certificate; exit 0 clean, 1 warnings (--strict), 2 errors");
  lintc->add_option("file", l->file, "Certificate file, PEM or DER (the first of a bundle)")->required()->check(CLI::ExistingFile);
  lintc->add_option("--issuer", l->issuer, "The issuing CA certificate: check names, validity, key identifiers, name constraints, signature")
      ->check(CLI::ExistingFile);
  lintc->add_option("--policy", l->policy, "A policy file: check the SANs, usages, key and lifetime against a binding and profile")
      ->check(CLI::ExistingFile);
  lintc->add_option("--binding", l->binding, "With --policy: the binding (default: the policy's default_binding)");
  lintc->add_option("--profile", l->profile, "With --policy: the profile (default: the binding's default_profile)");
  lintc->add_flag("--json", l->json, "Print the findings as JSON");
  lintc->add_flag("--strict", l->strict, "Exit 1 when there are warnings");
  lintc->footer("EXAMPLES:\n  pkictl cert lint leaf.crt --issuer issuing/intermediate.crt\n"
                "  pkictl cert lint leaf.crt --policy policy.toml --binding payments --profile server");
  lintc->callback([&ctx, l] { ctx.action = [&ctx, l] { return run_lint(ctx, *l); }; });

  auto r = std::make_shared<RevokeOptions>();
  auto* revoke = group->add_subcommand("revoke", "Revoke certificates the server issued (its next CRL lists them)");
  revoke->add_option("--config", r->config, "The server's configuration file (finds its database and issuing CA)")->required()->check(CLI::ExistingFile);
  auto* serial = revoke->add_option("--serial", r->serial, "Serial number (hex) of the certificate to revoke");
  revoke->add_option("--reason", r->reason, "RFC 5280 reason: unspecified, keyCompromise, superseded, … or its number");
  auto* kc = revoke->add_flag("--key-compromised", r->key_compromised, "Block a key: revoke every unexpired certificate with it, refuse it from now on");
  revoke->add_option("--public-key", r->public_key, "With --key-compromised: the key (PEM public key or a certificate)")->check(CLI::ExistingFile);
  serial->excludes(kc);
  revoke->footer("EXAMPLES:\n  pkictl cert revoke --config /etc/pkictl/pkictl.toml --serial 3f2a... --reason superseded\n"
                 "  pkictl cert revoke --config /etc/pkictl/pkictl.toml --key-compromised --public-key leaked.crt");
  revoke->callback([&ctx, r] {
    if (!r->key_compromised && r->serial.empty()) throw CLI::ValidationError("--serial", "give --serial, or --key-compromised with --public-key");
    if (r->key_compromised && r->public_key.empty()) throw CLI::ValidationError("--public-key", "--key-compromised needs --public-key FILE");
    ctx.action = [&ctx, r] { return run_revoke(ctx, *r); };
  });
}

}  // namespace pkictl::cli
