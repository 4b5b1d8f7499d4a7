// pkictl trust …: export trust bundles in every consumer's format, verify against them, diff them,
// and bootstrap a root from a server by its fingerprint.
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "core/config/server_config.hpp"
#include "core/trust/bootstrap.hpp"
#include "core/trust/bundle.hpp"
#include "core/util/atomic_file.hpp"
#include "core/x509/chain_verify.hpp"

namespace pkictl::cli {
namespace {
using nlohmann::json;
namespace fs = std::filesystem;

struct ExportOptions {
  std::string format, config, out, name = "pkictl-trust-bundle", k8s_namespace, p12_password_file;
  std::vector<std::string> roots, intermediates;
  bool include_intermediates = false, force = false;
};

struct VerifyOptions {
  std::string bundle, cert, purpose, password = "changeit";
};

struct DiffOptions {
  std::string before, after;
  bool json = false;
};

struct FetchOptions {
  std::string url, fingerprint, out;
  bool force = false;
};

Result<std::vector<x509::Certificate>> load_files(const std::vector<std::string>& files) {
  std::vector<x509::Certificate> out;
  for (const auto& f : files) {
    PKI_TRY_ASSIGN(auto data, util::read_file(f));
    auto certs = trust::read_bundle(data);
    if (!certs) return fail(std::move(certs.error().context(f)));
    out.insert(out.end(), certs->begin(), certs->end());
  }
  return out;
}

int run_export(Context& ctx, const ExportOptions& o) {
  auto format = trust::parse_format(o.format);
  if (!format) return report(ctx, format.error());
  std::vector<std::string> root_files = o.roots, inter_files = o.intermediates;
  if (!o.config.empty()) {
    auto cfg = config::load_server_config(o.config);
    if (!cfg) return report(ctx, cfg.error());
    if (!cfg->ca.root.empty()) root_files.push_back(cfg->ca.root.string());
    for (const auto& p : cfg->ca.extra_roots) root_files.push_back(p.string());
    if (o.include_intermediates) {
      inter_files.push_back(cfg->ca.cert.string());
      for (const auto& p : cfg->ca.chain) inter_files.push_back(p.string());
    }
  }
  if (root_files.empty()) return report(ctx, {ErrorKind::InvalidArgument, "no roots: give --roots FILE or --config pkictl.toml", {}, {}, {}});
  auto roots = load_files(root_files);
  if (!roots) return report(ctx, roots.error());
  auto inters = load_files(inter_files);
  if (!inters) return report(ctx, inters.error());
  trust::ExportOptions eo;
  eo.name = o.name;
  eo.k8s_namespace = o.k8s_namespace;
  if (!o.p12_password_file.empty()) {
    auto pw = util::read_file(o.p12_password_file);
    if (!pw) return report(ctx, pw.error());
    eo.p12_password = pw->substr(0, pw->find('\n'));
  }
  const auto certs = trust::normalise(*roots, o.include_intermediates || !o.intermediates.empty() ? *inters : std::vector<x509::Certificate>{});
  auto files = trust::render(certs, *format, eo);
  if (!files) return report(ctx, files.error());
  if (trust::is_directory_format(*format)) {
    if (auto d = util::ensure_directory(o.out, 0755); !d) return report(ctx, d.error());
    for (const auto& [name, content] : *files)
      if (auto w = util::write_file_atomic(fs::path(o.out) / name, content, {.mode = 0644, .replace = true}); !w) return report(ctx, w.error());
  } else if (auto w = util::write_file_atomic(o.out, files->begin()->second, {.mode = 0644, .replace = o.force}); !w) {
    return report(ctx, w.error());
  }
  for (const auto& c : certs)
    ctx.err << "pkictl: " << c.subject_text() << "  sha256:" << util::to_hex(c.fingerprint()) << "  until " << util::format_time(c.not_after()) << "\n";
  ctx.err << "pkictl: wrote " << certs.size() << " certificates as " << o.format << " to " << o.out << "\n";
  return ExitOk;
}

int run_verify(Context& ctx, const VerifyOptions& o) {
  auto bundle = load_files({o.bundle});
  if (!bundle) return report(ctx, bundle.error());
  auto chain = load_files({o.cert});
  if (!chain) return report(ctx, chain.error());
  x509::VerifyOptions vo;
  vo.purpose = o.purpose;
  auto r = x509::verify_chain(*chain, *bundle, vo);
  if (!r) return report(ctx, r.error());
  if (!r->ok) {
    ctx.err << "pkictl: " << o.cert << " does not verify against " << o.bundle << " at depth " << r->depth << " ("
            << r->failing_subject << "): " << r->reason << "\n";
    return ExitFailure;
  }
  ctx.out << "OK: ";
  for (std::size_t i = 0; i < r->path.size(); ++i) ctx.out << (i ? " <- " : "") << r->path[i];
  ctx.out << "\n";
  return ExitOk;
}

int run_diff(Context& ctx, const DiffOptions& o) {
  auto before = load_files({o.before});
  if (!before) return report(ctx, before.error());
  auto after = load_files({o.after});
  if (!after) return report(ctx, after.error());
  const auto d = trust::diff(*before, *after);
  auto describe = [](const x509::Certificate& c) {
    return json{{"subject", c.subject_text()}, {"sha256", util::to_hex(c.fingerprint())}, {"not_after", util::format_time(c.not_after())}};
  };
  if (o.json) {
    json j = {{"added", json::array()}, {"removed", json::array()}, {"kept", json::array()}};
    for (const auto& c : d.added) j["added"].push_back(describe(c));
    for (const auto& c : d.removed) j["removed"].push_back(describe(c));
    for (const auto& c : d.kept) j["kept"].push_back(describe(c));
    ctx.out << j.dump(2) << "\n";
  } else {
    auto line = [&](char mark, const x509::Certificate& c) {
      ctx.out << mark << " " << c.subject_text() << "  sha256:" << util::to_hex(c.fingerprint()) << "  until " << util::format_time(c.not_after()) << "\n";
    };
    for (const auto& c : d.added) line('+', c);
    for (const auto& c : d.removed) line('-', c);
    for (const auto& c : d.kept) line('=', c);
  }
  return ExitOk;
}

int run_fetch(Context& ctx, const FetchOptions& o) {
  // Step 1: the fingerprint decides which published root to take.
  auto root = trust::find_by_fingerprint(o.url, o.fingerprint, false);
  if (!root) return report(ctx, root.error());
  if (auto w = util::write_file_atomic(o.out, root->pem(), {.mode = 0644, .replace = o.force}); !w) return report(ctx, w.error());
  // Step 2: with the root pinned, the server's own TLS must chain to it.
  if (o.url.rfind("https://", 0) == 0) {
    if (auto v = trust::check_tls_chains_to(o.url, o.out); !v) {
      std::error_code ec;
      fs::remove(o.out, ec);
      return report(ctx, {v.error().kind, "the root matches, but " + v.error().detail, {}, {}, {}});
    }
  }
  ctx.out << "trusted " << root->subject_text() << " (sha256:" << util::to_hex(root->fingerprint()) << ") written to " << o.out << "\n";
  return ExitOk;
}

}  // namespace

void register_trust(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("trust", "Export, verify, compare and fetch trust bundles")->require_subcommand(1);

  auto e = std::make_shared<ExportOptions>();
  auto* ex = group->add_subcommand("export", "Write the roots (and intermediates) in a consumer's format, byte-identically every time");
  ex->add_option("--format", e->format, "pem, der, p7b, p12, debian, k8s or spiffe")->required()
      ->check(CLI::IsMember({"pem", "der", "p7b", "p12", "debian", "k8s", "spiffe"}));
  ex->add_option("--config", e->config, "Take ca.root, ca.extra_roots (and ca.cert, ca.chain) from this server configuration")->check(CLI::ExistingFile);
  ex->add_option("--roots", e->roots, "Root certificate files (repeatable)")->check(CLI::ExistingFile);
  ex->add_option("--intermediates", e->intermediates, "Intermediate certificate files to include (repeatable)")->check(CLI::ExistingFile);
  ex->add_flag("--include-intermediates", e->include_intermediates, "With --config: include the issuing CA and its chain");
  ex->add_option("--out", e->out, "Output file (a directory for debian)")->required();
  ex->add_option("--name", e->name, "ConfigMap name for k8s (default pkictl-trust-bundle)");
  ex->add_option("--namespace", e->k8s_namespace, "ConfigMap namespace for k8s");
  ex->add_option("--p12-password-file", e->p12_password_file, "PKCS#12 integrity password (default: changeit)")->check(CLI::ExistingFile);
  ex->add_flag("--force", e->force, "Replace an existing output file");
  ex->footer("EXAMPLES:\n  pkictl trust export --config pkictl.toml --format p12 --out truststore.p12\n"
             "  pkictl trust export --roots root/root.crt --format k8s --name corp-roots --namespace cert-manager --out roots.yaml");
  ex->callback([&ctx, e] { ctx.action = [&ctx, e] { return run_export(ctx, *e); }; });

  auto v = std::make_shared<VerifyOptions>();
  auto* ver = group->add_subcommand("verify", "Does a certificate (and its chain) verify against a bundle?");
  ver->add_option("--bundle", v->bundle, "Trust bundle (PEM, DER, p7b or p12)")->required()->check(CLI::ExistingFile);
  ver->add_option("--cert", v->cert, "Leaf certificate, optionally followed by its intermediates")->required()->check(CLI::ExistingFile);
  ver->add_option("--purpose", v->purpose, "Require a purpose: sslserver, sslclient or any")->check(CLI::IsMember({"sslserver", "sslclient", "any"}));
  ver->callback([&ctx, v] { ctx.action = [&ctx, v] { return run_verify(ctx, *v); }; });

  auto d = std::make_shared<DiffOptions>();
  auto* di = group->add_subcommand("diff", "Which roots a new bundle adds and removes (+, -, =)");
  di->add_option("old", d->before, "The bundle before")->required()->check(CLI::ExistingFile);
  di->add_option("new", d->after, "The bundle after")->required()->check(CLI::ExistingFile);
  di->add_flag("--json", d->json, "Print as JSON");
  di->callback([&ctx, d] { ctx.action = [&ctx, d] { return run_diff(ctx, *d); }; });

  auto f = std::make_shared<FetchOptions>();
  auto* fe = group->add_subcommand("fetch", "Bootstrap trust: take the root a server publishes only if its fingerprint matches");
  fe->add_option("--url", f->url, "The server's base URL (or its ACME directory URL)")->required();
  fe->add_option("--fingerprint", f->fingerprint, "SHA-256 of the root certificate (hex, ':' allowed)")->required();
  fe->add_option("--out", f->out, "Write the root here (PEM)")->required();
  fe->add_flag("--force", f->force, "Replace an existing output file");
  fe->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_fetch(ctx, *f); }; });
}

}  // namespace pkictl::cli
