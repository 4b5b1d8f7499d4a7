#pragma once
// The validation authority: the only part that makes outbound connections. Validations run on a
// bounded pool of threads, never on request threads; each result is reported to the RA.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/config/server_config.hpp"
#include "core/log/logger.hpp"
#include "core/ra/registration_authority.hpp"

namespace pkictl::server::va {

/** The TXT records at a name, after any CNAMEs. */
struct TxtAnswer {
  std::vector<std::string> values;       // one string per record (its chunks joined)
  std::vector<std::string> cname_chain;  // the names followed to reach them
  std::string server;                    // who answered
};

/** Lookups through the configured DNS servers or the system's resolver. */
class Resolver {
 public:
  virtual ~Resolver() = default;
  /** IPv4 and IPv6 addresses, IPv6 first. Errors: Dns (NXDOMAIN, timeout, no addresses). */
  [[nodiscard]] virtual Result<std::vector<std::string>> addresses(const std::string& host) = 0;
  /** TXT records, following CNAMEs. Errors: Dns (NXDOMAIN, no TXT, CNAME loop, timeout, disagreement). */
  [[nodiscard]] virtual Result<TxtAnswer> txt(const std::string& name) = 0;
};
/** `require_all`: TXT answers must be seen by every server (each is asked separately). */
std::unique_ptr<Resolver> make_resolver(const std::vector<std::string>& servers, Seconds timeout, bool require_all = false);

/** Refuses private, loopback and link-local targets unless the operator allowed them (SSRF). */
class AddressGuard final {
 public:
  /** Errors: Config for a bad CIDR. */
  [[nodiscard]] static Result<AddressGuard> create(const std::vector<std::string>& allow_private);
  /** Errors: Connection, saying why the address is refused. */
  [[nodiscard]] Result<void> check(const std::string& ip) const;

 private:
  std::vector<util::Bytes> m_allowed;  // address+mask
};

class Validator final : public ra::ValidationQueue {
 public:
  Validator(const config::ValidationSection& cfg, std::unique_ptr<Resolver> resolver, AddressGuard guard, log::Logger& logger);
  ~Validator() override;
  /** Where outcomes go; set before the first enqueue. */
  void set_sink(std::function<void(const ra::ValidationJob&, const ra::ValidationOutcome&)> sink) { m_sink = std::move(sink); }
  [[nodiscard]] Result<void> enqueue(ra::ValidationJob job) override;
  /** Runs one validation synchronously (the workers call this). */
  ra::ValidationOutcome validate(const ra::ValidationJob& job);
  void stop();

 private:
  ra::ValidationOutcome http01(const ra::ValidationJob& job);
  ra::ValidationOutcome tls_alpn01(const ra::ValidationJob& job);
  ra::ValidationOutcome dns_txt(const ra::ValidationJob& job);  // dns-01, dns-account-01, dns-persist-01
  void worker();

  struct Scheduled {
    ra::ValidationJob job;
    int attempt = 1;
    std::chrono::steady_clock::time_point due;
  };

  config::ValidationSection m_cfg;
  std::unique_ptr<Resolver> m_resolver;
  AddressGuard m_guard;
  log::Logger& m_log;
  std::function<void(const ra::ValidationJob&, const ra::ValidationOutcome&)> m_sink;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<Scheduled> m_queue;  // due now, in arrival order
  std::vector<Scheduled> m_retries;  // waiting for their backoff to pass
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

}  // namespace pkictl::server::va
