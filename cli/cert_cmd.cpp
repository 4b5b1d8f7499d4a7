// pkictl cert …: look at and check certificates.
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "core/x509/chain_verify.hpp"
#include "core/x509/inspect.hpp"

namespace pkictl::cli {
namespace {

struct InspectOptions {
  std::string file;
  bool json = false;
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

}  // namespace

void register_cert(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("cert", "Inspect and verify certificates")->require_subcommand(1);

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
}

}  // namespace pkictl::cli
