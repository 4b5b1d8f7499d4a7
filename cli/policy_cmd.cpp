// pkictl policy …: lint a policy file (a CI gate) and dry-run decisions against it.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "core/config/server_config.hpp"
#include "core/policy/policy.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::cli {
namespace {
using nlohmann::json;

struct LintOptions {
  std::string file, config, format = "text";
  bool strict = false;
};

struct TestOptions {
  std::string policy, binding, profile;
  std::vector<std::string> identifiers;
  bool json = false;
};

/** With a server configuration: the CA's limits for the lifetime lints. */
Result<policy::CaLimits> ca_limits(const std::string& config_path, const Clock& clock) {
  if (config_path.empty()) return policy::CaLimits{};
  PKI_TRY_ASSIGN(auto cfg, config::load_server_config(config_path));
  PKI_TRY_ASSIGN(auto ca, x509::Certificate::load(cfg.ca.cert.string()));
  return policy::CaLimits::of(cfg.ca.max_lifetime, ca.not_after(), clock.now());
}

int run_lint(Context& ctx, const LintOptions& o) {
  auto limits = ca_limits(o.config, ctx.clock);
  if (!limits) return report(ctx, limits.error());
  const auto loaded = policy::Policy::load(o.file, *limits);
  ctx.out << policy::render_diagnostics(loaded.diagnostics, o.file, o.format);
  std::size_t errors = 0, warnings = 0;
  for (const auto& d : loaded.diagnostics) (d.severity == policy::Diagnostic::Severity::Error ? errors : warnings)++;
  if (o.format == "text") ctx.err << o.file << ": " << errors << " error(s), " << warnings << " warning(s)\n";
  if (errors) return 2;
  if (warnings && o.strict) return 1;
  return ExitOk;
}

int run_test(Context& ctx, const TestOptions& o) {
  const auto loaded = policy::Policy::load(o.policy);
  if (loaded.has_errors())
    return report(ctx, {ErrorKind::Config, "the policy does not lint clean: " + loaded.error_summary(o.policy) + " (run pkictl policy lint " + o.policy + ")", {}, {}, {}});
  const auto& pol = *loaded.policy;
  auto binding = pol.binding_for(o.binding);
  if (!binding) return report(ctx, binding.error());
  json out = {{"binding", (*binding)->name}, {"decisions", json::array()}};
  bool all = true;
  auto profile = pol.profile_for(**binding, o.profile);
  if (!profile) {
    all = false;
    out["profile"] = nullptr;
    out["profile_refused"] = profile.error().detail;
  } else {
    out["profile"] = (*profile)->name;
    json ekus = (*profile)->ext_key_usage;
    out["ext_key_usage"] = ekus;
    const auto l = policy::Policy::lifetimes(**binding, **profile, Seconds::max(), Seconds::max());
    if (l.max_lifetime != Seconds::max()) out["max_lifetime"] = util::format_duration(l.max_lifetime);
  }
  for (const auto& raw : o.identifiers) {
    auto ident = policy::normalise_name(raw);
    if (!ident) {
      all = false;
      out["decisions"].push_back({{"identifier", raw}, {"allowed", false}, {"rule", "unparsable identifier"}, {"trace", {ident.error().detail}}});
      continue;
    }
    const auto d = pol.judge(**binding, *ident);
    all = all && d.allowed;
    out["decisions"].push_back({{"identifier", ident->type + ":" + ident->value}, {"allowed", d.allowed}, {"rule", d.rule}, {"trace", d.trace}});
  }
  out["allowed"] = all;
  if (o.json) {
    ctx.out << out.dump(2) << "\n";
    return all ? ExitOk : ExitFailure;
  }
  ctx.out << "binding " << out["binding"].get<std::string>() << ", profile "
          << (out["profile"].is_null() ? "REFUSED: " + out["profile_refused"].get<std::string>() : out["profile"].get<std::string>()) << "\n";
  for (const auto& d : out["decisions"]) {
    ctx.out << (d["allowed"].get<bool>() ? "allow " : "deny  ") << d["identifier"].get<std::string>() << "  (" << d["rule"].get<std::string>() << ")\n";
    for (const auto& t : d["trace"]) ctx.out << "    " << t.get<std::string>() << "\n";
  }
  ctx.out << (all ? "result: allow\n" : "result: deny\n");
  return all ? ExitOk : ExitFailure;
}

}  // namespace

void register_policy(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("policy", "Lint an issuance policy and dry-run its decisions (see pkictl-policy(5))")->require_subcommand(1);
  auto l = std::make_shared<LintOptions>();
  auto* lint = group->add_subcommand("lint", "Check a policy file: errors and warnings with file:line, rule id and a fix hint. "
                                             "Exit 0 clean, 1 warnings (with --strict), 2 errors");
  lint->add_option("file", l->file, "The policy file")->required()->check(CLI::ExistingFile);
  lint->add_option("--config", l->config, "The server's configuration, to check lifetimes against the issuing CA")->check(CLI::ExistingFile);
  lint->add_option("--format", l->format, "Output format")->check(CLI::IsMember({"text", "json", "sarif"}));
  lint->add_flag("--strict", l->strict, "Exit 1 when there are warnings");
  lint->callback([&ctx, l] { ctx.action = [&ctx, l] { return run_lint(ctx, *l); }; });

  auto t = std::make_shared<TestOptions>();
  auto* test = group->add_subcommand("test", "Would the policy allow these identifiers for this binding and profile? Prints allow/deny "
                                             "and the rules that decided; exit 0 allow, 1 deny");
  test->add_option("--policy", t->policy, "The policy file")->required()->check(CLI::ExistingFile);
  test->add_option("--binding", t->binding, "The binding (default: the policy's default_binding)");
  test->add_option("--profile", t->profile, "The profile (default: the binding's default_profile)");
  test->add_option("--identifier", t->identifiers, "dns:NAME, ip:ADDR, uri:URI or email:ADDR (repeatable)")->required();
  test->add_flag("--json", t->json, "Print as JSON");
  test->callback([&ctx, t] { ctx.action = [&ctx, t] { return run_test(ctx, *t); }; });
}

}  // namespace pkictl::cli
