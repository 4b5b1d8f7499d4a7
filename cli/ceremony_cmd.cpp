// pkictl ceremony …: run key ceremonies from a reviewed plan, verify their transcripts, recover a
// root key from Shamir shares.
#include <CLI/CLI.hpp>
#include <iostream>

#include "ceremony/plan.hpp"
#include "cli/app.hpp"
#include "core/util/atomic_file.hpp"

namespace pkictl::cli {
namespace {

struct CeremonyOptions {
  std::string plan, transcript, root_cert, out;
  std::vector<std::string> shares;
  bool yes = false, dry_run = false;
  PassphraseOptions pass;
};

int run_check(Context& ctx, const CeremonyOptions& o) {
  auto plan = ceremony::load_plan(o.plan);
  if (!plan) return report(ctx, plan.error());
  const auto problems = ceremony::check_plan(*plan, ctx.clock);
  for (const auto& p : problems) ctx.err << "pkictl: " << p << "\n";
  if (!problems.empty()) return ExitFailure;
  ctx.out << o.plan << ": " << plan->steps.size() << " steps, ready (" << plan->name << ")\n";
  return ExitOk;
}

int run_run(Context& ctx, const CeremonyOptions& o) {
  auto plan = ceremony::load_plan(o.plan);
  if (!plan) return report(ctx, plan.error());
  ctx.out << "ceremony: " << plan->name << "\noperators: ";
  for (std::size_t i = 0; i < plan->operators.size(); ++i) ctx.out << (i ? ", " : "") << plan->operators[i];
  ctx.out << "\nplan SHA-256: " << plan->sha256 << "\n";
  if (o.dry_run) {
    for (const auto& s : plan->steps) ctx.out << ceremony::describe(s) << "\n";
    ctx.out << "dry run: nothing was done\n";
    return ExitOk;
  }
  const auto problems = ceremony::check_plan(*plan, ctx.clock);
  for (const auto& p : problems) ctx.err << "pkictl: " << p << "\n";
  if (!problems.empty()) return ExitFailure;
  auto pass = obtain_passphrase(o.pass, "Ceremony key passphrase", true);
  if (!pass) return report(ctx, pass.error());
  ceremony::RunHooks hooks;
  hooks.say = [&](const std::string& line) { ctx.out << "  " << line << "\n"; };
  hooks.confirm = [&](const ceremony::Step& s) {
    ctx.out << ceremony::describe(s) << "\n";
    if (o.yes) return true;
    ctx.out << "proceed with step " << s.number << "? [y/N] " << std::flush;
    std::string answer;
    return static_cast<bool>(std::getline(std::cin, answer)) && (answer == "y" || answer == "yes");
  };
  auto r = ceremony::run_plan(*plan, *pass, ctx.clock, hooks);
  if (!r) return report(ctx, r.error());
  ctx.out << "ceremony complete; transcript " << plan->transcript.string() << "\n";
  return ExitOk;
}

int run_verify(Context& ctx, const CeremonyOptions& o) {
  auto r = ceremony::verify_transcript(o.transcript, o.root_cert);
  if (!r) return report(ctx, r.error());
  for (const auto& p : r->problems) ctx.err << "pkictl: " << p << "\n";
  if (!r->ok) return ExitFailure;
  ctx.out << "ok: " << r->ceremony << ", " << r->steps << " steps, signed by key " << r->signer_spki_sha256 << ", every output unchanged\n";
  return ExitOk;
}

int run_recover(Context& ctx, const CeremonyOptions& o) {
  std::vector<ceremony::Share> shares;
  for (const auto& f : o.shares) {
    auto text = util::read_file(f);
    if (!text) return report(ctx, text.error());
    auto s = ceremony::parse_share(*text);
    if (!s) return report(ctx, Error(s.error()).context(f));
    shares.push_back(std::move(*s));
  }
  auto cert = x509::Certificate::load(o.root_cert);
  if (!cert) return report(ctx, cert.error());
  auto key = ceremony::recover_key(shares, *cert);
  if (!key) return report(ctx, key.error());
  auto pass = obtain_passphrase(o.pass, "Passphrase for the recovered key", true);
  if (!pass) return report(ctx, pass.error());
  auto pem = key->to_encrypted_pem(*pass);
  if (!pem) return report(ctx, pem.error());
  util::WriteOptions w;
  w.mode = 0600;
  if (auto r = util::write_file_atomic(o.out, *pem, w); !r) return report(ctx, r.error());
  ctx.out << "recovered the key of " << cert->subject_text() << " from " << shares.size() << " shares; a test signature verifies with "
          << o.root_cert << "; written encrypted to " << o.out << "\n";
  return ExitOk;
}

}  // namespace

void register_ceremony(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("ceremony", "Key ceremonies from a reviewed plan: check, run, verify the transcript, recover from shares")
                    ->require_subcommand(1);
  auto c = std::make_shared<CeremonyOptions>();
  auto* check = group->add_subcommand("check", "Validate a plan without touching any key (inputs, outputs, parameters, linted roots)");
  check->add_option("plan", c->plan, "The plan file (TOML)")->required()->check(CLI::ExistingFile);
  check->callback([&ctx, c] { ctx.action = [&ctx, c] { return run_check(ctx, *c); }; });

  auto r = std::make_shared<CeremonyOptions>();
  auto* run = group->add_subcommand("run", "Run a plan step by step, each confirmed, with fingerprints for witnesses and a signed transcript");
  run->add_option("plan", r->plan, "The plan file (TOML)")->required()->check(CLI::ExistingFile);
  run->add_flag("--yes", r->yes, "Do not ask before each step (rehearsals)");
  run->add_flag("--dry-run", r->dry_run, "Print each step, its parameters and the files it reads and writes; do nothing");
  add_passphrase_options(*run, r->pass, "every key the ceremony makes or uses");
  run->callback([&ctx, r] { ctx.action = [&ctx, r] { return run_run(ctx, *r); }; });

  auto v = std::make_shared<CeremonyOptions>();
  auto* verify = group->add_subcommand("verify", "Check a transcript's signature and re-hash every file it lists");
  verify->add_option("transcript", v->transcript, "The transcript (JSON lines; TRANSCRIPT.sig beside it)")->required()->check(CLI::ExistingFile);
  verify->add_option("--root", v->root_cert, "Require the signer to be this root certificate's key")->check(CLI::ExistingFile);
  verify->callback([&ctx, v] { ctx.action = [&ctx, v] { return run_verify(ctx, *v); }; });

  auto k = std::make_shared<CeremonyOptions>();
  auto* recover = group->add_subcommand("recover", "Rebuild a root key from enough Shamir shares, prove it against the root certificate, write it encrypted");
  recover->add_option("--share", k->shares, "A share file (repeat for each)")->required()->check(CLI::ExistingFile);
  recover->add_option("--root-cert", k->root_cert, "The root certificate the key must match")->required()->check(CLI::ExistingFile);
  recover->add_option("--out", k->out, "Where to write the recovered key (encrypted PKCS#8, 0600; must not exist)")->required();
  add_passphrase_options(*recover, k->pass, "the recovered key");
  recover->callback([&ctx, k] { ctx.action = [&ctx, k] { return run_recover(ctx, *k); }; });
}

}  // namespace pkictl::cli
