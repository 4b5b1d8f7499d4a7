#pragma once
// The registration authority: every ACME decision that is not about bytes on the wire. It judges
// requests, keeps the state machine in the store, asks the validator to validate, and has the
// issuer sign. It never sees HTTP.
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/acme/eab.hpp"
#include "core/acme/key_cache.hpp"
#include "core/acme/objects.hpp"
#include "core/ca/issuer.hpp"
#include "core/log/logger.hpp"
#include "core/policy/challenge_policy.hpp"
#include "core/policy/policy.hpp"
#include "core/store/store.hpp"
#include "core/x509/csr.hpp"

namespace pkictl::x509 {
class VerifiedCsr;
}

namespace pkictl::ra {

struct RaConfig {
  Seconds order_lifetime{24 * 3600};
  Seconds authz_lifetime{24 * 3600};
  Seconds default_cert_lifetime{24 * 3600};
  Seconds max_cert_lifetime{90LL * 86400};
  Seconds backdate{60};  // notBefore this far in the past, for clients with slow clocks
  bool terms_of_service_required = false;
  std::vector<std::string> challenge_types = {"http-01"};  // enabled types (policy::ChallengePolicy)
  std::string account_uri_prefix;  // account URI = prefix + id (dns-account-01, dns-persist-01)
  std::string crl_url;             // CRL distribution point put in certificates ("" = none)
  std::string ca_issuers_url;      // AIA caIssuers: where the issuing CA certificate is served
  Seconds crl_exempt_below{0};     // certificates living less get no CRL distribution point
  bool external_account_required = false;
  std::optional<acme::SealingKey> eab_sealing;  // unseals EAB HMAC keys; none = EAB unavailable
  std::string new_account_url;                  // what an EAB's "url" must be
};

/** What the validator needs to check one challenge. */
struct ValidationJob {
  acme::Challenge challenge;
  acme::Identifier identifier;  // for a wildcard: the base name, with `wildcard` set
  bool wildcard = false;
  std::string account_uri;
  std::string key_authorization;
  std::string request_id;  // of the challenge response that started it (for the audit trail)
  std::string account_id;  // the authorization's account
};

/** The validator as the RA sees it: a bounded queue. Errors: RateLimited when full. */
class ValidationQueue {
 public:
  virtual ~ValidationQueue() = default;
  [[nodiscard]] virtual Result<void> enqueue(ValidationJob job) = 0;
};

/** The outcome of one validation: the problem (as a problem document) if it failed. */
struct ValidationOutcome {
  std::string challenge_id;
  bool valid = false;
  std::optional<nlohmann::json> problem;
  nlohmann::json records = nlohmann::json::array();  // what was seen, for the log
};

/** The issuing CA as the RA uses it. */
struct IssuingCa {
  const ca::Issuer* issuer = nullptr;
  std::string key_id_hex;                  // SKI of the issuing CA
  std::vector<x509::Certificate> chain;    // issuing CA first, then anything above it to send
  std::vector<std::vector<x509::Certificate>> alternates;  // other chains for the same leaves
  /** Every CA certificate the server sends, by SHA-256 fingerprint (hex), for Link rel="up". */
  const x509::Certificate* by_fingerprint(const std::string& sha256_hex) const;
};

class RegistrationAuthority final {
 public:
  RegistrationAuthority(store::Store& store, const Clock& clock, IssuingCa ca, std::shared_ptr<const policy::Policy> policy,
                        RaConfig config, log::Logger& logger)
      : m_store(store), m_clock(clock), m_ca(std::move(ca)), m_policy(std::move(policy)), m_cfg(config),
        m_challenges(m_cfg.challenge_types), m_log(logger) {}

  void set_validation_queue(ValidationQueue* q) { m_queue = q; }
  /** At start: validations interrupted by a stop or crash are queued again (else their challenges
   * would stay "processing" for ever). Returns how many. */
  [[nodiscard]] Result<int> resume_validations();
  /** Replaces the policy (SIGHUP reload); requests in flight finish under the one they started with. */
  void set_policy(std::shared_ptr<const policy::Policy> next) {
    std::lock_guard lock(m_policy_mutex);
    m_policy = std::move(next);
  }
  /** The policy in force (held by the caller for the whole of one decision). */
  std::shared_ptr<const policy::Policy> policy() const {
    std::lock_guard lock(m_policy_mutex);
    return m_policy;
  }
  /** The public key of an account (cached; the JWK was checked when it was stored). */
  [[nodiscard]] Result<crypto::PublicKey> account_key(const acme::Account& acct) { return m_keys.get(acct.jwk); }
  /** /readyz: the store answers, the signer holds the issuing CA's key, the CA outlives max_cert_lifetime. */
  nlohmann::json readiness();
  /** RFC 9773 renewalInfo for a certificate identifier: {"suggestedWindow": {start, end}}. */
  [[nodiscard]] Result<nlohmann::json> renewal_info(const std::string& cert_id);

  struct AccountResult {
    acme::Account account;
    bool created = false;
  };
  /** newAccount (RFC 8555 §7.3): returns the existing account for a known key. `directory` names
   * the policy's ACME endpoint it came through ("" = /acme/directory); `url` is its newAccount URL
   * (an EAB must name it). NotFound for a directory the policy no longer has. */
  [[nodiscard]] Result<AccountResult> new_account(const nlohmann::json& jwk, const nlohmann::json& payload, const std::string& directory = "",
                                                  const std::string& url = "");
  [[nodiscard]] Result<acme::Account> account(const std::string& id);
  /** Contact update or deactivation (§7.3.2, §7.3.6); an empty payload returns the account. */
  [[nodiscard]] Result<acme::Account> update_account(const acme::Account& acct, const nlohmann::json& payload);
  /** keyChange (§7.3.5): `new_jwk` signed the inner JWS. Conflict if that key has an account. */
  [[nodiscard]] Result<acme::Account> change_key(const acme::Account& acct, const nlohmann::json& new_jwk);

  [[nodiscard]] Result<acme::Order> new_order(const acme::Account& acct, const nlohmann::json& payload);
  /** An order of this account with its status brought up to date. NotFound/Unauthorized. */
  [[nodiscard]] Result<acme::Order> order(const acme::Account& acct, const std::string& id);
  /** The account's orders list: at most `limit` ids after the order `after` (empty: the first page). */
  [[nodiscard]] Result<std::vector<std::string>> order_ids(const acme::Account& acct, const std::string& after, int limit);
  [[nodiscard]] Result<acme::Authorization> authorization(const acme::Account& acct, const std::string& id);
  [[nodiscard]] Result<acme::Authorization> deactivate_authorization(const acme::Account& acct, const std::string& id);
  /** Starts validation once; a repeated response returns the challenge's current state. */
  [[nodiscard]] Result<acme::Challenge> respond_challenge(const acme::Account& acct, const std::string& id, bool trigger);
  [[nodiscard]] Result<acme::Challenge> challenge(const acme::Account& acct, const std::string& id);
  /** Called by the validator with the job it ran and its outcome. The job's challenge (pending,
   * or processing once answered, and changed otherwise only here) and account are recorded as
   * they are, without reading them again. */
  void complete_validation(const ValidationJob& job, const ValidationOutcome& outcome);
  /** Calls `done` once the validation of challenge `id` that this process is running has been
   * recorded (on the validator's thread), or at once when none is running here: finished
   * already, never started, or running on another node. `done` must not block. */
  void when_validated(const std::string& id, std::function<void()> done);
  /** The answer to challenge `id` goes out while its validation still runs: the challenge
   * becomes processing on disk too, so that a restart validates it again (resume_validations).
   * Nothing to do once the outcome is recorded. */
  [[nodiscard]] Result<void> still_validating(const std::string& id);

  /** finalize (§7.4): the order must be ready; a processing or valid order is returned as is. */
  [[nodiscard]] Result<acme::Order> finalize(const acme::Account& acct, const std::string& order_id, std::string_view csr_der);
  [[nodiscard]] Result<acme::CertificateRecord> certificate(const acme::Account& acct, const std::string& id);
  /** The PEM chain served for a certificate: leaf, issuing CA, then [ca] chain. */
  /** Leaf + chain `which` (0: the default chain, 1..n: the alternates). */
  std::string pem_chain(const acme::CertificateRecord& c, std::size_t which = 0) const;
  const IssuingCa& issuing_ca() const { return m_ca; }

  /** revokeCert (§7.6) by an account (acct set: the issuing one, or one holding valid
   * authorizations for all the certificate's names) or by the certificate's key (key set).
   * Reasons: the subscriber's (subscriber_revocation_reason). */
  [[nodiscard]] Result<void> revoke(const acme::Account* acct, const crypto::PublicKey* key, std::string_view cert_der, int reason);

  /** token.thumbprint, the thumbprint over the account's JWK as its client wrote it (RFC 8555 §8.1):
   * what the client computes too, also when it wrote a coordinate without its leading zero. */
  static std::string key_authorization(const acme::Account& acct, const std::string& token);

 private:
  /** `acct` holds a valid, unexpired authorization for every name the certificate carries. */
  Result<bool> holds_authorizations(const acme::Account& acct, const x509::Certificate& cert);
  Result<std::vector<acme::Authorization>> authzs_of(const acme::Order& o);
  Result<acme::Order> refresh(acme::Order o);
  /** Logs an account key whose JWK is not in RFC 7518's form, which we tolerate. */
  void note_unusual_jwk(const acme::Account& a);
  /** The certificate for `o` and the CSR's key (its SubjectPublicKeyInfo copied as sent). */
  Result<x509::CertificateSpec> certificate_spec(const acme::Order& o, const x509::VerifiedCsr& csr, const policy::Binding& binding,
                                                const policy::Profile& profile);
  /** The challenge types offered for `ident` to an account of `binding` (server ∩ identifier ∩ binding). */
  std::vector<std::string> offered_types(const acme::Identifier& ident, const policy::Binding& binding) const;
  /** Why nothing is offered ("" when something is). */
  std::string why_no_challenge(const acme::Identifier& ident, const policy::Binding& binding) const;
  Result<void> check_csr_matches(const acme::Order& o, const x509::VerifiedCsr& csr);
  /** The challenge and its authorization (this account's). */
  [[nodiscard]] Result<std::pair<acme::Challenge, acme::Authorization>> challenge_of(const acme::Account& acct, const std::string& id);
  Result<acme::Order> fail_order(acme::Order o, const Error& e);
  Result<AccountResult> create_account(const nlohmann::json& jwk, const nlohmann::json& payload, const std::string& directory, const std::string& url);
  /** A policy refusal: counted by rule, logged with the reason, returned. */
  Result<acme::Order> deny(const acme::Account& acct, const std::string& rule, Error e);

  store::Store& m_store;
  const Clock& m_clock;
  IssuingCa m_ca;
  mutable std::mutex m_policy_mutex;
  std::shared_ptr<const policy::Policy> m_policy;  // replaced whole on reload
  RaConfig m_cfg;
  policy::ChallengePolicy m_challenges;
  acme::KeyCache m_keys;
  log::Logger& m_log;
  ValidationQueue* m_queue = nullptr;
  /** Validations queued by this process and not yet recorded, with who waits for their outcome:
   * also the claim that starts a validation once. An entry is made before the job is queued and
   * removed after its result is stored, both under the mutex, so a waiter cannot miss the end. */
  bool validation_started(const std::string& id);  // false: running here already
  void validation_ended(const std::string& id);
  bool validation_running(const std::string& id);
  /** A pending challenge whose validation runs here is shown as processing. */
  void show_running(acme::Challenge& c);
  std::mutex m_running_mutex;
  std::unordered_map<std::string, std::vector<std::function<void()>>> m_running;
};

}  // namespace pkictl::ra
