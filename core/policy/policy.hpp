#pragma once
// The issuance policy (pkictl-policy(5)): named bindings say who may ask for which names, with
// which profiles and challenge types, for how long and how often; named profiles say what a
// certificate looks like. Loaded with diagnostics (the same code serves `pkictl policy lint` and
// the server's start and reload), evaluated by the RA at newOrder and again at finalize.
// Every evaluation fails closed and names the rule that decided.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/acme/objects.hpp"
#include "core/crypto/key.hpp"
#include "core/policy/pattern.hpp"
#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace pkictl::policy {

struct Diagnostic {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  int line = 0;         // 0: the file as a whole
  std::string rule;     // stable id, e.g. "bad-pattern" (pkictl-policy(5) lists them)
  std::string message;
  std::string hint;     // how to fix it
};

struct Profile {
  std::string name, description;
  int line = 0;
  std::vector<std::string> ext_key_usage;  // parse_eku'd short names / OIDs
  unsigned key_usage = 0;                  // 0: digitalSignature, plus keyEncipherment for RSA keys
  std::vector<std::string> key_types;      // "ec-p256", "rsa-3072", …; empty: any key the server accepts
  std::optional<Seconds> default_lifetime, max_lifetime;  // unset: the [ca] values
  bool keep_cn = true;                     // a CN (the first DNS name) in the subject
  std::vector<std::string> policy_oids;    // certificatePolicies
};

struct Rule {
  std::string where;  // "policy.toml:12 bindings.payments.allow \"dns:*.payments.corp\""
  Pattern pattern;
  int line = 0;
};

struct Binding {
  std::string name, description;
  int line = 0;
  std::vector<Rule> allow, deny;
  std::vector<std::string> profiles;  // may use; empty: every profile
  std::string default_profile;        // when newOrder names none
  std::vector<std::string> challenges;  // may use; empty: every type the server offers
  std::optional<Seconds> max_lifetime;
  bool wildcards = false;             // may order *.name identifiers
  int orders_per_hour = 0;            // per account; 0: unlimited
  int certificates_per_hour = 0;      // per account; 0: unlimited
  bool allows_challenge(std::string_view type) const;
};

/** A named ACME endpoint (/acme/NAME/directory) with its own bindings and EAB requirement. */
struct Directory {
  std::string name, description;
  int line = 0;
  std::vector<std::string> bindings;  // accounts registered here must belong to one of these
  std::string default_binding;        // for accounts registered here without EAB ("": EAB needed)
  bool external_account_required = false;
  /** The profiles its bindings may use (advertised in its meta.profiles). */
  std::vector<std::string> profiles;
};

struct Decision {
  bool allowed = false;
  std::string rule;     // what decided, with file:line: "policy.toml:14 bindings.payments.deny \"dns:admin.x\""
  std::string rule_id;  // a bounded label for metrics: "bindings.payments.deny"
  std::vector<std::string> trace;  // every rule looked at, in order
};

/** What the CA can bear, for the lifetime lints (unknown when linting a file alone). */
struct CaLimits {
  std::optional<Seconds> max_lifetime;  // [ca] max_lifetime
  std::optional<Seconds> remaining;     // the issuing CA certificate's time left
  /** The limits of a server: its [ca] max_lifetime and the issuing CA's notAfter, as of `now`. */
  static CaLimits of(Seconds max_lifetime, TimePoint ca_not_after, TimePoint now) {
    return {max_lifetime, std::chrono::duration_cast<Seconds>(ca_not_after - now)};
  }
};

class Policy;

struct LoadedPolicy {
  std::shared_ptr<const Policy> policy;  // null when there are errors
  std::vector<Diagnostic> diagnostics;
  bool has_errors() const;
  bool has_warnings() const;
  /** The errors as one line each ("FILE:LINE: reason"), for a refusal to start or reload. */
  std::string error_summary(const std::string& file) const;
};

class Policy final {
 public:
  /** Loads and lints a policy file. Never throws; a missing or unparsable file is an error diagnostic. */
  static LoadedPolicy load(const std::filesystem::path& file, const CaLimits& limits = {});
  static LoadedPolicy parse(std::string_view toml_text, const std::string& source_name, const CaLimits& limits = {});
  /** The policy of the [acme] allowed_identifiers shorthand: every account in one binding "default"
   * (wildcards allowed) with one profile "default" (serverAuth + clientAuth). Errors: Config. */
  [[nodiscard]] static Result<std::shared_ptr<const Policy>> from_allow_list(const std::vector<std::string>& patterns);

  /** The binding of an account (its EAB binding, else default_binding). Errors: Unauthorized. */
  [[nodiscard]] Result<const Binding*> binding_for(const std::string& account_binding) const;
  /** The profile for a request ("" = the binding's default). Errors: InvalidProfile (unknown), Unauthorized (not for this binding). */
  [[nodiscard]] Result<const Profile*> profile_for(const Binding& binding, const std::string& requested) const;
  /** Allow or deny one normalised identifier for a binding: denies win, then the first covering allow. */
  Decision judge(const Binding& binding, const acme::Identifier& ident) const;
  /** Is the subject key one the profile allows? Errors: BadPublicKey naming the allowed types. */
  [[nodiscard]] Result<void> check_key(const Profile& profile, const crypto::PublicKey& key) const;

  struct Lifetimes {
    Seconds default_lifetime, max_lifetime;
  };
  /** The tightest of the CA's, the profile's and the binding's limits. */
  static Lifetimes lifetimes(const Binding& binding, const Profile& profile, Seconds ca_default, Seconds ca_max);

  const std::map<std::string, Profile>& profiles() const { return m_profiles; }
  const std::map<std::string, Binding>& bindings() const { return m_bindings; }
  const std::map<std::string, Directory>& directories() const { return m_directories; }
  const Directory* directory(const std::string& name) const {
    auto it = m_directories.find(name);
    return it == m_directories.end() ? nullptr : &it->second;
  }
  const std::string& default_binding() const { return m_default_binding; }
  const std::string& source() const { return m_source; }

 private:
  std::string m_source;
  std::string m_default_binding;
  bool m_single_binding = false;  // allowed_identifiers: every account, whatever its EAB binding
  std::map<std::string, Profile> m_profiles;
  std::map<std::string, Binding> m_bindings;
  std::map<std::string, Directory> m_directories;
  friend class PolicyReader;
};

/** "ec-p256", "rsa-3072", "ed25519", … for a key (what profiles' key_types name). */
std::string key_type_of(const crypto::PublicKey& key);

/** Diagnostics as "text" (FILE:LINE: error[rule]: message (fix: hint)), "json" or "sarif" (2.1.0). */
std::string render_diagnostics(const std::vector<Diagnostic>& diags, const std::string& file, std::string_view format);

}  // namespace pkictl::policy
