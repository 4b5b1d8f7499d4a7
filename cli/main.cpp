// pkictl: parse, then run the one chosen action. Parse errors exit 2, operation failures 1.
#include <openssl/crypto.h>

#include <CLI/CLI.hpp>

#include "cli/app.hpp"

using namespace pkictl::cli;

int main(int argc, char** argv) {
  Context ctx;
  CLI::App app{"pkictl — a private PKI toolkit: offline root, issuing CAs, ACME server and client, policy, audit.",
               "pkictl"};
  app.set_version_flag("--version", std::string("pkictl ") + PKICTL_VERSION + " (" + OpenSSL_version(OPENSSL_VERSION) + ")");
  app.add_flag("-v,--verbose", ctx.verbose, "Show internal error details (OpenSSL, SQL) on failure");
  app.require_subcommand(1);
  app.footer("Run 'pkictl <command> --help' for a command's flags and examples. Manual: man pkictl.");
  register_root(app, ctx);
  register_intermediate(app, ctx);
  register_cert(app, ctx);
  register_serve(app, ctx);
  register_acme(app, ctx);
  register_trust(app, ctx);
  register_eab(app, ctx);
  register_policy(app, ctx);
  register_audit(app, ctx);
  register_ceremony(app, ctx);
  register_completion(app, ctx);  // last: it walks the tree built above
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::vector<std::string> rest = app.remaining();
    for (const CLI::App* sub = &app; rest.empty() && sub;) {
      const auto subs = sub->get_subcommands();
      sub = subs.empty() ? nullptr : subs.front();
      if (sub) rest = sub->remaining();
    }
    if (!rest.empty() && (what.find("subcommand") != std::string::npos || what.find("not expected") != std::string::npos))
      what = "unknown command or argument '" + rest.front() + "'";
    else if (what.empty() || what.find("subcommand is required") != std::string::npos)
      what = "a command is required";
    ctx.err << "pkictl: " << what << " (see 'pkictl --help')\n";
    return ExitUsage;
  }
  if (!ctx.action) {
    ctx.err << "pkictl: a command is required (see 'pkictl --help')\n";
    return ExitUsage;
  }
  try {
    return ctx.action();
  } catch (const std::exception& e) {
    ctx.err << "pkictl: internal error: " << e.what() << "\n";
    return ExitFailure;
  }
}
