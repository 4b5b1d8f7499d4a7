#pragma once
// Key ceremonies from a reviewed plan (pkictl-ceremony(1)): parse and check a plan without touching
// a key, run it step by step with confirmation and fingerprints for witnesses, and leave a signed
// transcript that `verify` checks later. Steps call the offline CA operations of core/ca.
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ceremony/shamir.hpp"
#include "core/crypto/key.hpp"
#include "core/util/clock.hpp"
#include "core/x509/certificate.hpp"
#include "core/util/result.hpp"
#include "core/util/secret.hpp"

namespace pkictl::ceremony {

struct Step {
  int number = 0;
  int line = 0;
  std::string action;       // root_init, intermediate_csr, intermediate_sign, cross_sign, revoke_intermediate, root_crl, backup_key
  nlohmann::json params;    // every parameter, explicit, as written (paths resolved)
  std::vector<std::filesystem::path> inputs, outputs;
};

struct Plan {
  std::filesystem::path file, dir;
  std::string name;
  std::vector<std::string> operators;
  std::filesystem::path transcript;  // JSON lines; the signature goes to TRANSCRIPT.sig
  std::filesystem::path sign_with;   // the root directory whose key signs the transcript
  std::vector<Step> steps;
  std::string sha256;                // of the plan file, recorded in the transcript
};

/** Parses a plan: unknown keys, missing parameters and bad values fail with FILE:LINE. Errors: Config. */
[[nodiscard]] Result<Plan> load_plan(const std::filesystem::path& file);

/** Checks everything that can be checked without a key: inputs exist (or an earlier step makes
 * them), outputs do not, names, durations, constraints parse, and a root the plan would make is
 * built with a throwaway key and linted. Returns the problems (empty = ready). */
std::vector<std::string> check_plan(const Plan& plan, const Clock& clock);

struct RunHooks {
  std::function<void(const std::string&)> say;           // progress for the room
  std::function<bool(const Step&)> confirm;              // false stops the ceremony
};

/** Runs every step in order (after check_plan passed), appending one transcript line per step,
 * then signs the transcript with the `sign_with` root key. `passphrase` protects every key the
 * ceremony makes or uses. Errors: those of the step that failed (earlier steps' files stay,
 * recorded in the transcript). */
[[nodiscard]] Result<void> run_plan(const Plan& plan, const Secret& passphrase, const Clock& clock, const RunHooks& hooks);

/** What a step would do, for --dry-run and for the confirmation prompt. */
std::string describe(const Step& step);

struct TranscriptReport {
  bool ok = false;
  std::string ceremony, signer_spki_sha256;
  int steps = 0;
  std::vector<std::string> problems;
};
/** Verifies TRANSCRIPT.sig over the transcript with the signer key it names (which must be the key
 * of `root_cert` when given), and re-hashes every output it lists. */
[[nodiscard]] Result<TranscriptReport> verify_transcript(const std::filesystem::path& transcript, const std::filesystem::path& root_cert = {});

/** Rebuilds a key from shares (see shamir.hpp) and proves it: it must be the key of `root_cert`,
 * and a test message it signs must verify with that certificate's key. Errors: InvalidArgument
 * (too few or mixed shares), Crypto (not the root's key). */
[[nodiscard]] Result<crypto::PrivateKey> recover_key(const std::vector<Share>& shares, const x509::Certificate& root_cert);

}  // namespace pkictl::ceremony
