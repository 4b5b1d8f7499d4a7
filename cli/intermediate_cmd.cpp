// pkictl intermediate …: issuing CAs, signed by the offline root.
#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "core/ca/offline_ca.hpp"

namespace pkictl::cli {
namespace {

struct CsrOptions {
  std::string subject, key_type = "ec-p256", out = ".", name = "intermediate";
  bool force = false;
  PassphraseOptions pass;
};

struct SignOptions {
  std::string root, csr, out = "intermediate.crt", validity = "5y";
  int path_len = 0;
  std::vector<std::string> permit_dns, permit_ip, exclude_dns, exclude_ip, crl_urls, policy_oids, ekus;
  bool force = false;
  PassphraseOptions pass;
};

void print_files(Context& ctx, const std::vector<ca::WrittenFile>& files) {
  for (const auto& f : files) ctx.out << "  wrote " << f.path.string() << "  (sha256 " << f.sha256 << ")\n";
}

int run_csr(Context& ctx, const CsrOptions& o) {
  auto pass = obtain_passphrase(o.pass, "Passphrase for the new intermediate key", true);
  if (!pass) return report(ctx, pass.error());
  auto r = ca::intermediate_csr({o.subject, key_type_of(o.key_type), o.out, o.name, o.force}, *pass);
  if (!r) return report(ctx, r.error());
  ctx.out << "Created an issuing CA key and CSR\n";
  print_files(ctx, r->files);
  ctx.out << "Public key SHA-256: " << r->spki_sha256 << "\n";
  return ExitOk;
}

int run_sign(Context& ctx, const SignOptions& o) {
  auto pass = obtain_passphrase(o.pass, "Passphrase of the root key", false);
  if (!pass) return report(ctx, pass.error());
  ca::SignParams p;
  p.root_dir = o.root;
  p.csr_path = o.csr;
  p.out = o.out;
  p.path_len = o.path_len;
  p.validity = duration_of(o.validity);
  p.permit_dns = o.permit_dns;
  p.permit_ip = o.permit_ip;
  p.exclude_dns = o.exclude_dns;
  p.exclude_ip = o.exclude_ip;
  p.crl_urls = o.crl_urls;
  p.policy_oids = o.policy_oids;
  p.ekus = o.ekus;
  p.force = o.force;
  auto r = ca::intermediate_sign(p, *pass, ctx.clock);
  if (!r) return report(ctx, r.error());
  ctx.out << "Signed issuing CA " << r->certificate.subject_text() << "\n";
  ctx.out << "  serial " << r->certificate.serial_hex() << ", valid until " << util::format_time(r->certificate.not_after()) << "\n";
  print_files(ctx, r->files);
  ctx.out << "SHA-256 fingerprint: " << crypto::fingerprint_text(r->certificate.fingerprint()) << "\n";
  return ExitOk;
}

}  // namespace

void register_intermediate(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("intermediate", "Issuing CAs: make a key and CSR, sign it with the root")->require_subcommand(1);

  auto c = std::make_shared<CsrOptions>();
  auto* csr = group->add_subcommand("csr", "Create an issuing CA key (encrypted) and its CSR");
  csr->add_option("--subject", c->subject, "Subject name, e.g. \"CN=Example Issuing CA 1,O=Example\"")->required();
  csr->add_option("--key-type", c->key_type, "ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072 or rsa-4096")
      ->check(key_type_validator())->capture_default_str();
  csr->add_option("--out", c->out, "Directory for NAME.key (0600) and NAME.csr")->capture_default_str();
  csr->add_option("--name", c->name, "Base name of the files")->capture_default_str();
  csr->add_flag("--force", c->force, "Replace existing files");
  add_passphrase_options(*csr, c->pass, "the new key");
  csr->footer("EXAMPLES:\n  pkictl intermediate csr --subject \"CN=Example Issuing CA 1\" --out ./issuing --passphrase-file ./issuing.pass");
  csr->callback([&ctx, c] { ctx.action = [&ctx, c] { return run_csr(ctx, *c); }; });

  auto s = std::make_shared<SignOptions>();
  auto* sign = group->add_subcommand("sign", "Sign an issuing CA's CSR with the offline root");
  sign->add_option("--root", s->root, "Root directory (root.crt, root.key)")->required()->check(CLI::ExistingDirectory);
  sign->add_option("--csr", s->csr, "The issuing CA's CSR (PEM or DER)")->required()->check(CLI::ExistingFile);
  sign->add_option("--out", s->out, "Where to write the certificate (PEM); a record goes to OUT.json")->capture_default_str();
  sign->add_option("--pathlen", s->path_len, "Path length constraint of the issuing CA")->check(CLI::NonNegativeNumber)->capture_default_str();
  sign->add_option("--validity", s->validity, "Lifetime, e.g. 5y; must end before the root's notAfter")
      ->check(duration_validator())->capture_default_str();
  sign->add_option("--permit-dns", s->permit_dns, "Permitted DNS subtree, e.g. .corp.internal (repeatable)");
  sign->add_option("--permit-ip", s->permit_ip, "Permitted IP range, e.g. 10.0.0.0/8 (repeatable)");
  sign->add_option("--exclude-dns", s->exclude_dns, "Excluded DNS subtree (repeatable)");
  sign->add_option("--exclude-ip", s->exclude_ip, "Excluded IP range (repeatable)");
  sign->add_option("--crl-url", s->crl_urls, "CRL distribution point URL (repeatable)");
  sign->add_option("--policy-oid", s->policy_oids, "Certificate policy OID (repeatable)");
  sign->add_option("--eku", s->ekus, "Restrict the CA to these extended key usages (repeatable)");
  sign->add_flag("--force", s->force, "Replace existing files");
  add_passphrase_options(*sign, s->pass, "the root key");
  sign->footer(
      "EXAMPLES:\n"
      "  pkictl intermediate sign --root ./root --csr ./issuing/intermediate.csr --out ./issuing/intermediate.crt \\\n"
      "      --pathlen 0 --validity 5y --permit-dns .corp.internal --permit-ip 10.0.0.0/8 --passphrase-file ./root.pass");
  sign->callback([&ctx, s] { ctx.action = [&ctx, s] { return run_sign(ctx, *s); }; });
}

}  // namespace pkictl::cli
