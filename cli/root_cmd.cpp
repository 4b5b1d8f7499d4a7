// pkictl root …: the offline root CA.
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "core/ca/offline_ca.hpp"

namespace pkictl::cli {
namespace {

struct RootInitOptions {
  std::string subject, key_type = "ec-p384", validity = "20y", out;
  int path_len = -1;
  bool force = false, json = false;
  PassphraseOptions pass;
};

int run_root_init(Context& ctx, const RootInitOptions& o) {
  auto pass = obtain_passphrase(o.pass, "Passphrase for the new root key", true);
  if (!pass) return report(ctx, pass.error());
  ca::RootInitParams p;
  p.subject = o.subject;
  p.key_type = key_type_of(o.key_type);
  p.validity = duration_of(o.validity);
  if (o.path_len >= 0) p.path_len = o.path_len;
  p.out_dir = o.out;
  p.force = o.force;
  auto r = ca::root_init(p, *pass, ctx.clock);
  if (!r) return report(ctx, r.error());
  const auto fp = crypto::fingerprint_text(r->certificate.fingerprint());
  if (o.json) {
    nlohmann::json j = {{"subject", r->certificate.subject_text()}, {"serial", r->certificate.serial_hex()},
                        {"sha256_fingerprint", fp}, {"files", nlohmann::json::array()}};
    for (const auto& f : r->files) j["files"].push_back({{"path", f.path.string()}, {"sha256", f.sha256}});
    ctx.out << j.dump(2) << "\n";
    return ExitOk;
  }
  ctx.out << "Created root CA " << r->certificate.subject_text() << "\n";
  for (const auto& f : r->files) ctx.out << "  wrote " << f.path.string() << "\n";
  ctx.out << "SHA-256 fingerprint: " << fp << "\n";
  return ExitOk;
}

}  // namespace

void register_root(CLI::App& app, Context& ctx) {
  auto* root = app.add_subcommand("root", "The offline root CA: create it in a ceremony")->require_subcommand(1);
  auto o = std::make_shared<RootInitOptions>();
  auto* init = root->add_subcommand("init", "Create a self-signed root CA (key encrypted with a passphrase)");
  init->add_option("--subject", o->subject, "Subject name, e.g. \"CN=Example Root CA,O=Example\"")->required();
  init->add_option("--key-type", o->key_type, "ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072 or rsa-4096")
      ->check(key_type_validator())->capture_default_str();
  init->add_option("--validity", o->validity, "Lifetime, e.g. 20y, 3650d")->check(duration_validator())->capture_default_str();
  init->add_option("--pathlen", o->path_len, "Path length constraint (default: none)")->check(CLI::NonNegativeNumber);
  init->add_option("--out", o->out, "Directory for root.crt, root.key (0600) and root.json")->required();
  init->add_flag("--force", o->force, "Replace existing files");
  init->add_flag("--json", o->json, "Print the result as JSON");
  add_passphrase_options(*init, o->pass, "the new root key");
  init->footer(
      "EXAMPLES:\n"
      "  pkictl root init --subject \"CN=Example Root CA,O=Example\" --key-type ec-p384 \\\n"
      "      --validity 20y --out ./root --passphrase-file ./root.pass");
  init->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_root_init(ctx, *o); }; });
}

}  // namespace pkictl::cli
