#pragma once
// The composition root of `pkictl serve`: builds every part from the configuration and runs.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/config/server_config.hpp"
#include "core/log/logger.hpp"
#include "core/util/result.hpp"
#include "core/util/secret.hpp"

namespace pkictl::server {

/** Runs the ACME server until SIGINT/SIGTERM. `on_ready` gets the bound addresses.
 * Errors: Config, Io, Crypto, BadPassphrase — each says what to fix. */
[[nodiscard]] Result<void> run_server(const config::ServerConfig& cfg, const Secret& ca_passphrase, log::Logger& logger,
                                      std::function<void(const std::vector<std::string>&)> on_ready);

struct DevPki {
  std::filesystem::path config;      // DIR/pkictl.toml
  std::filesystem::path root_cert;   // DIR/root/root.crt
  std::filesystem::path passphrase;  // DIR/passphrase (0600)
  bool created = false;
};

/** Creates (or reuses) a development root, issuing CA and configuration in `dir`. */
[[nodiscard]] Result<DevPki> ensure_dev_pki(const std::filesystem::path& dir, int port, int http01_port, const Clock& clock);

}  // namespace pkictl::server
