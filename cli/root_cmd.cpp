// pkictl root …: the offline root CA.
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "core/ca/offline_ca.hpp"
#include "core/ra/revocation.hpp"
#include "core/util/atomic_file.hpp"

namespace pkictl::cli {
namespace {

struct RootInitOptions {
  std::string subject, key_type = "ec-p384", validity = "20y", out;
  int path_len = -1;
  bool force = false, json = false;
  std::string key_uri;
  PassphraseOptions pass;
};

int run_root_init(Context& ctx, const RootInitOptions& o) {
  auto pass = obtain_passphrase(o.pass, o.key_uri.empty() ? "Passphrase for the new root key" : "PIN of the token", o.key_uri.empty());
  if (!pass) return report(ctx, pass.error());
  ca::RootInitParams p;
  p.subject = o.subject;
  p.key_type = key_type_of(o.key_type);
  p.validity = duration_of(o.validity);
  if (o.path_len >= 0) p.path_len = o.path_len;
  p.out_dir = o.out;
  p.force = o.force;
  p.key_uri = o.key_uri;
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

struct RootOpsOptions {
  std::string root, serial, reason = "unspecified", out, cert, next_update = "30d", validity = "5y";
  bool force = false;
  PassphraseOptions pass;
};

int run_root_revoke(Context& ctx, const RootOpsOptions& o) {
  auto reason = ra::parse_revocation_reason(o.reason);
  if (!reason) return report(ctx, reason.error());
  if (auto r = ca::root_revoke(o.root, o.serial, *reason, ctx.clock); !r) return report(ctx, r.error());
  ctx.out << "revoked " << o.serial << " in " << o.root << "/ledger.jsonl; publish it with 'pkictl root crl'\n";
  return ExitOk;
}

int run_root_crl(Context& ctx, const RootOpsOptions& o) {
  auto pass = obtain_passphrase(o.pass, "Passphrase for the root key", false);
  if (!pass) return report(ctx, pass.error());
  auto w = ca::root_crl({o.root, o.out, duration_of(o.next_update), o.force}, *pass, ctx.clock);
  if (!w) return report(ctx, w.error());
  ctx.out << "wrote " << w->path.string() << " (sha256 " << w->sha256 << ")\n";
  return ExitOk;
}

int run_cross_sign(Context& ctx, const RootOpsOptions& o) {
  auto pass = obtain_passphrase(o.pass, "Passphrase for the signing root key", false);
  if (!pass) return report(ctx, pass.error());
  auto r = ca::root_cross_sign({o.root, o.cert, o.out, duration_of(o.validity), o.force}, *pass, ctx.clock);
  if (!r) return report(ctx, r.error());
  ctx.out << "cross-signed " << r->certificate.subject_text() << " by " << r->certificate.issuer_text() << " -> " << o.out << "\n";
  ctx.out << "SHA-256 fingerprint: " << crypto::fingerprint_text(r->certificate.fingerprint()) << "\n";
  return ExitOk;
}

struct RotateOptions {
  std::string old_root, new_root, out, csr, validity = "5y", intermediate_validity = "1y";
  PassphraseOptions old_pass{"", "PKICTL_OLD_PASSPHRASE"}, new_pass{"", "PKICTL_NEW_PASSPHRASE"};
};

/** The rotation steps in one go: each root cross-signs the other, the issuing CA is re-issued
 * under the new root, and the files the server and the trust bundles need are written. */
int run_rotate(Context& ctx, const RotateOptions& o) {
  auto old_pass = obtain_passphrase(o.old_pass, "Passphrase for the old root key", false);
  if (!old_pass) return report(ctx, old_pass.error());
  auto new_pass = obtain_passphrase(o.new_pass, "Passphrase for the new root key", false);
  if (!new_pass) return report(ctx, new_pass.error());
  ca::RotateParams p{o.old_root, o.new_root, o.out, o.csr, duration_of(o.validity), duration_of(o.intermediate_validity)};
  auto files = ca::root_rotate(p, *old_pass, *new_pass, ctx.clock);
  if (!files) return report(ctx, files.error());
  for (const auto& f : *files) ctx.out << "wrote " << f.path.string() << "\n";
  if (!o.csr.empty())
    ctx.out << "serve both chains: in pkictl.toml [ca] set alternate_chains = [\"" << (std::filesystem::path(o.out) / "intermediate-under-new.crt").string()
            << "\"] and extra_roots = [\"" << (std::filesystem::path(o.new_root) / "root.crt").string() << "\"], then restart\n";
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
  init->add_option("--key-uri", o->key_uri, "Generate the key in a PKCS#11 token instead (RFC 7512 pkcs11:token=…;object=…); "
                                            "the passphrase options then give the token PIN");
  add_passphrase_options(*init, o->pass, "the new root key (or the token PIN with --key-uri)");
  init->footer(
      "EXAMPLES:\n"
      "  pkictl root init --subject \"CN=Example Root CA,O=Example\" --key-type ec-p384 \\\n"
      "      --validity 20y --out ./root --passphrase-file ./root.pass");
  init->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_root_init(ctx, *o); }; });

  auto rv = std::make_shared<RootOpsOptions>();
  auto* revoke = root->add_subcommand("revoke", "Record in the ledger that a certificate this root signed is revoked");
  revoke->add_option("--root", rv->root, "The root directory")->required()->check(CLI::ExistingDirectory);
  revoke->add_option("--serial", rv->serial, "Serial (hex) of the intermediate or cross-certificate")->required();
  revoke->add_option("--reason", rv->reason, "RFC 5280 reason name or number (e.g. keyCompromise, superseded)");
  revoke->callback([&ctx, rv] { ctx.action = [&ctx, rv] { return run_root_revoke(ctx, *rv); }; });

  // The root's CRL: `pkictl root crl`, also reachable as `pkictl crl generate --root`.
  auto add_crl = [&ctx](CLI::App* cmd) {
    auto cr = std::make_shared<RootOpsOptions>();
    cmd->add_option("--root", cr->root, "The root directory")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("--out", cr->out, "The CRL file (PEM if it ends in .pem, else DER)")->required();
    cmd->add_option("--next-update", cr->next_update, "nextUpdate after now (default 30d)")->check(duration_validator());
    cmd->add_flag("--force", cr->force, "Replace an existing file");
    add_passphrase_options(*cmd, cr->pass, "the root key");
    cmd->callback([&ctx, cr] { ctx.action = [&ctx, cr] { return run_root_crl(ctx, *cr); }; });
  };
  add_crl(root->add_subcommand("crl", "Sign the root's CRL from its ledger (offline)"));
  add_crl(app.add_subcommand("crl", "Offline CRLs (the server publishes its own)")->require_subcommand(1)
              ->add_subcommand("generate", "Sign the root's CRL from its ledger (same as 'pkictl root crl')"));

  auto cs = std::make_shared<RootOpsOptions>();
  auto* cross = root->add_subcommand("cross-sign", "Rotation: certify another root's name and key with this root");
  cross->add_option("--root", cs->root, "The signing root directory")->required()->check(CLI::ExistingDirectory);
  cross->add_option("--cert", cs->cert, "The other root's certificate")->required()->check(CLI::ExistingFile);
  cross->add_option("--out", cs->out, "Write the cross-certificate here")->required();
  cross->add_option("--validity", cs->validity, "Lifetime (default 5y, never past the signing root)")->check(duration_validator());
  cross->add_flag("--force", cs->force, "Replace an existing file");
  add_passphrase_options(*cross, cs->pass, "the signing root key");
  cross->footer("EXAMPLES (rotation: old and new roots certify each other, so either trust store works):\n"
                "  pkictl root cross-sign --root old-root --cert new-root/root.crt --out new-by-old.crt\n"
                "  pkictl root cross-sign --root new-root --cert old-root/root.crt --out old-by-new.crt");
  cross->callback([&ctx, cs] { ctx.action = [&ctx, cs] { return run_cross_sign(ctx, *cs); }; });

  auto ro = std::make_shared<RotateOptions>();
  auto* rotate = root->add_subcommand("rotate", "Root rotation in one step: cross-sign both ways, re-issue the issuing CA under the new root");
  rotate->add_option("--old-root", ro->old_root, "The current root directory")->required()->check(CLI::ExistingDirectory);
  rotate->add_option("--new-root", ro->new_root, "The new root directory (from 'pkictl root init')")->required()->check(CLI::ExistingDirectory);
  rotate->add_option("--out", ro->out, "Directory for the cross-certificates, the transition bundle and the re-issued CA")->required();
  rotate->add_option("--csr", ro->csr, "The issuing CA's CSR, to re-issue it under the new root")->check(CLI::ExistingFile);
  rotate->add_option("--validity", ro->validity, "Cross-certificate lifetime (default 5y)")->check(duration_validator());
  rotate->add_option("--intermediate-validity", ro->intermediate_validity, "Re-issued CA lifetime (default 1y)")->check(duration_validator());
  rotate->add_option("--old-passphrase-file", ro->old_pass.file, "The old root key's passphrase (else $PKICTL_OLD_PASSPHRASE or a prompt)")->check(CLI::ExistingFile);
  rotate->add_option("--new-passphrase-file", ro->new_pass.file, "The new root key's passphrase (else $PKICTL_NEW_PASSPHRASE or a prompt)")->check(CLI::ExistingFile);
  rotate->callback([&ctx, ro] { ctx.action = [&ctx, ro] { return run_rotate(ctx, *ro); }; });
}

}  // namespace pkictl::cli
