// pkictl serve: the ACME server.
#include <CLI/CLI.hpp>
#include <filesystem>

#include "cli/app.hpp"
#include "core/config/server_config.hpp"
#include "core/util/atomic_file.hpp"
#include "core/x509/certificate.hpp"
#include "server/server.hpp"

namespace pkictl::cli {
namespace {
namespace fs = std::filesystem;

struct ServeOptions {
  std::string config, data = "dev-pki";
  bool dev = false;
  int port = 14000, http01_port = 5002;
  PassphraseOptions pass;
};

void print_banner(Context& ctx, const config::ServerConfig& cfg, const std::vector<std::string>& bound) {
  const std::string dir = cfg.server.external_url + "/acme/directory";
  ctx.out << "pkictl serve: listening on";
  for (const auto& b : bound) ctx.out << " " << b;
  ctx.out << "\nACME directory: " << dir << "\n";
  if (!cfg.ca.root.empty()) {
    auto root = x509::Certificate::load(cfg.ca.root.string());
    const std::string root_path = fs::absolute(cfg.ca.root).string();
    ctx.out << "Root certificate: " << root_path << "\n";
    if (root) ctx.out << "Root SHA-256 fingerprint: " << crypto::fingerprint_text(root->fingerprint()) << "\n";
    if (cfg.dev) {
      const std::string port = std::to_string(cfg.validation.http01_port);
      ctx.out << "\nGet a certificate with certbot (http-01 on port " << port << "):\n"
              << "  REQUESTS_CA_BUNDLE=" << root_path << " certbot certonly --standalone --http-01-port " << port
              << " --server " << dir << " --agree-tos -m admin@example.internal --no-eff-email -d localhost"
              << " --config-dir /tmp/certbot/config --work-dir /tmp/certbot/work --logs-dir /tmp/certbot/logs\n"
              << "or with lego:\n"
              << "  LEGO_CA_CERTIFICATES=" << root_path << " lego --server " << dir << " --accept-tos --email admin@example.internal"
              << " --http --http.port :" << port << " --domains localhost --path /tmp/lego run\n"
              << "or with pkictl's own client (its account key is encrypted with PKICTL_PASSPHRASE):\n"
              << "  export PKICTL_PASSPHRASE=dev PKICTL_ACME_STATE=/tmp/pkictl-acme\n"
              << "  pkictl acme register --directory " << dir << " --ca-bundle " << root_path << "\n"
              << "  pkictl acme issue --identifier dns:localhost --http-listen :" << port
              << " --key-out /tmp/localhost.key --cert-out /tmp/localhost.crt\n\n";
    }
  }
  ctx.out << std::flush;
}

int run_serve(Context& ctx, const ServeOptions& o) {
  fs::path config_path = o.config;
  if (o.dev) {
    auto dev = server::ensure_dev_pki(o.data, o.port, o.http01_port, ctx.clock);
    if (!dev) return report(ctx, dev.error());
    if (config_path.empty()) config_path = dev->config;
  }
  if (config_path.empty()) {
    ctx.err << "pkictl: serve needs --config FILE (or --dev for a development PKI)\n";
    return ExitUsage;
  }
  auto cfg = config::load_server_config(config_path);
  if (!cfg) return report(ctx, cfg.error());
  auto secret = obtain_ca_passphrase(o.pass, cfg->ca.passphrase_file);
  if (!secret) return report(ctx, secret.error());
  log::Logger logger(ctx.err);
  auto r = server::run_server(*cfg, *secret, logger, [&](const std::vector<std::string>& bound) { print_banner(ctx, *cfg, bound); });
  if (!r) return report(ctx, r.error());
  return ExitOk;
}

}  // namespace

void register_serve(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ServeOptions>();
  auto* serve = app.add_subcommand("serve", "Run the ACME server (RFC 8555) for the issuing CA");
  serve->add_option("--config", o->config, "Server configuration (pkictl.toml(5))")->check(CLI::ExistingFile);
  serve->add_flag("--dev", o->dev, "Create or reuse a development PKI and configuration in --data, then serve it");
  serve->add_option("--data", o->data, "Directory of the development PKI (with --dev)")->capture_default_str();
  serve->add_option("--port", o->port, "HTTPS port of the development server (with --dev, first run)")->capture_default_str()
      ->check(CLI::Range(1, 65535));
  serve->add_option("--http01-port", o->http01_port, "Port the development server validates http-01 on (with --dev, first run)")
      ->capture_default_str()->check(CLI::Range(1, 65535));
  add_passphrase_options(*serve, o->pass, "the issuing CA key (default: [ca] passphrase_file)");
  serve->footer(
      "EXAMPLES:\n"
      "  pkictl serve --dev                      # a ready development PKI in ./dev-pki\n"
      "  pkictl serve --config /etc/pkictl/pkictl.toml --passphrase-file /run/secrets/issuing.pass");
  serve->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_serve(ctx, *o); }; });
}

}  // namespace pkictl::cli
