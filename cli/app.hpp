#pragma once
// What every command group shares: streams, clock, verbosity, and how errors are printed.
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/util/secret.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace pkictl::cli {

enum ExitCode : int { ExitOk = 0, ExitFailure = 1, ExitUsage = 2 };

struct Context {
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;
  SystemClock clock;
  bool verbose = false;
  /** Set by the chosen subcommand's callback; run by main() after parsing succeeded. */
  std::function<int()> action;
};

/** Prints "pkictl: <detail>" (and internals with --verbose); returns the exit code for it. */
int report(Context& ctx, const Error& e);

/** Where a passphrase comes from: never argv. */
struct PassphraseOptions {
  std::string file;                        // --passphrase-file
  std::string env = "PKICTL_PASSPHRASE";   // --passphrase-env names the variable
};
/** Adds --passphrase-file and --passphrase-env to a command. */
void add_passphrase_options(CLI::App& cmd, PassphraseOptions& opts, const std::string& what);
/**
 * The passphrase from the file, else the environment variable, else a prompt on the terminal
 * (asked twice when `confirm` — a new key). Errors: BadPassphrase with how to supply one.
 */
[[nodiscard]] Result<Secret> obtain_passphrase(const PassphraseOptions& opts, const std::string& prompt, bool confirm);
/** The issuing CA key's passphrase: the options, else the configuration's ca.passphrase_file. */
[[nodiscard]] Result<Secret> obtain_ca_passphrase(PassphraseOptions opts, const std::filesystem::path& config_passphrase_file);

void register_root(CLI::App& app, Context& ctx);
void register_intermediate(CLI::App& app, Context& ctx);
void register_cert(CLI::App& app, Context& ctx);
void register_completion(CLI::App& app, Context& ctx);
void register_serve(CLI::App& app, Context& ctx);
void register_acme(CLI::App& app, Context& ctx);
void register_trust(CLI::App& app, Context& ctx);
void register_eab(CLI::App& app, Context& ctx);
void register_policy(CLI::App& app, Context& ctx);
void register_audit(CLI::App& app, Context& ctx);
void register_ceremony(CLI::App& app, Context& ctx);

}  // namespace pkictl::cli
