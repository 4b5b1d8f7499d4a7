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

/** Host name → addresses, through the configured DNS servers or the system's resolver. */
class Resolver {
 public:
  virtual ~Resolver() = default;
  /** IPv4 and IPv6 addresses, IPv6 first. Errors: Dns (NXDOMAIN, timeout, no addresses). */
  [[nodiscard]] virtual Result<std::vector<std::string>> addresses(const std::string& host) = 0;
};
std::unique_ptr<Resolver> make_resolver(const std::vector<std::string>& servers, Seconds timeout);

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
  void set_sink(std::function<void(const ra::ValidationOutcome&)> sink) { m_sink = std::move(sink); }
  [[nodiscard]] Result<void> enqueue(ra::ValidationJob job) override;
  /** Runs one validation synchronously (the workers call this). */
  ra::ValidationOutcome validate(const ra::ValidationJob& job);
  void stop();

 private:
  ra::ValidationOutcome http01(const ra::ValidationJob& job);
  void worker();

  config::ValidationSection m_cfg;
  std::unique_ptr<Resolver> m_resolver;
  AddressGuard m_guard;
  log::Logger& m_log;
  std::function<void(const ra::ValidationOutcome&)> m_sink;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<ra::ValidationJob> m_queue;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

}  // namespace pkictl::server::va
