#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cli/app.hpp"
#include "core/util/atomic_file.hpp"

namespace pkictl::cli {

int report(Context& ctx, const Error& e) {
  ctx.err << "pkictl: " << e.detail << "\n";
  for (const auto& s : e.sub_errors) ctx.err << "  " << s.identifier_type << ":" << s.identifier_value << ": " << s.detail << "\n";
  if (ctx.verbose && !e.internal.empty()) ctx.err << "pkictl: (" << to_string(e.kind) << ") " << e.internal << "\n";
  return ExitFailure;
}

void add_passphrase_options(CLI::App& cmd, PassphraseOptions& opts, const std::string& what) {
  cmd.add_option("--passphrase-file", opts.file, "Read the passphrase for " + what + " from this file (first line)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--passphrase-env", opts.env, "Read the passphrase for " + what + " from this environment variable")
      ->capture_default_str();
}

namespace {

Result<Secret> prompt_tty(const std::string& prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail(ErrorKind::BadPassphrase, "no terminal to ask for a passphrase");
  termios old{};
  const bool is_tty = ::tcgetattr(fd, &old) == 0;
  if (is_tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n' && line.size() < 4096) line.push_back(c);
  if (is_tty) ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return Secret(std::move(line));
}

}  // namespace

Result<Secret> obtain_passphrase(const PassphraseOptions& opts, const std::string& prompt, bool confirm) {
  if (!opts.file.empty()) {
    PKI_TRY_ASSIGN(auto data, util::read_file(opts.file, 64 * 1024));
    Secret s(data.substr(0, data.find_first_of("\r\n")));
    std::fill(data.begin(), data.end(), '\0');
    if (s.empty()) return fail(ErrorKind::BadPassphrase, "the passphrase file " + opts.file + " is empty");
    return s;
  }
  if (!opts.env.empty()) {
    if (const char* v = std::getenv(opts.env.c_str()); v && *v) return Secret(v);
  }
  const std::string how = "give it with --passphrase-file FILE or the environment variable " +
                          (opts.env.empty() ? std::string("PKICTL_PASSPHRASE") : opts.env);
  if (!::isatty(STDIN_FILENO)) return fail(ErrorKind::BadPassphrase, "a passphrase is needed: " + how);
  auto first = prompt_tty(prompt + ": ");
  if (!first) return fail(ErrorKind::BadPassphrase, "a passphrase is needed: " + how);
  if (first->empty()) return fail(ErrorKind::BadPassphrase, "an empty passphrase is not allowed");
  if (confirm) {
    PKI_TRY_ASSIGN(auto second, prompt_tty("Repeat " + prompt + ": "));
    if (second.view() != first->view()) return fail(ErrorKind::BadPassphrase, "the passphrases do not match");
  }
  return first;
}

Result<Secret> obtain_ca_passphrase(PassphraseOptions opts, const std::filesystem::path& config_passphrase_file) {
  if (opts.file.empty() && !config_passphrase_file.empty()) opts.file = config_passphrase_file.string();
  return obtain_passphrase(opts, "Passphrase of the issuing CA key", false);
}

}  // namespace pkictl::cli
