#include "server/va/validator.hpp"

#include "core/acme/problem.hpp"

namespace pkictl::server::va {

Validator::Validator(const config::ValidationSection& cfg, std::unique_ptr<Resolver> resolver, AddressGuard guard, log::Logger& logger)
    : m_cfg(cfg), m_resolver(std::move(resolver)), m_guard(std::move(guard)), m_log(logger) {
  for (int i = 0; i < m_cfg.workers; ++i) m_threads.emplace_back([this] { worker(); });
}

Validator::~Validator() { stop(); }

void Validator::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  for (auto& t : m_threads)
    if (t.joinable()) t.join();
  m_threads.clear();
}

Result<void> Validator::enqueue(ra::ValidationJob job) {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return fail(ErrorKind::Internal, "the validator is shutting down");
    if (m_queue.size() >= static_cast<std::size_t>(m_cfg.queue)) {
      Error e{ErrorKind::RateLimited, "too many validations are waiting; retry shortly", {}, {}, Seconds(5)};
      return fail(std::move(e));
    }
    m_queue.push_back(std::move(job));
  }
  m_cv.notify_one();
  return {};
}

ra::ValidationOutcome Validator::validate(const ra::ValidationJob& job) {
  const auto start = std::chrono::steady_clock::now();
  ra::ValidationOutcome out;
  if (job.challenge.type == "http-01") {
    out = http01(job);
  } else {
    out.challenge_id = job.challenge.id;
    out.problem = acme::problem_json(Error{ErrorKind::Malformed, "challenge type " + job.challenge.type + " is not supported", {}, {}, {}});
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  m_log.info("validation attempt", {{"challenge", job.challenge.id}, {"type", job.challenge.type},
                                    {"identifier", job.identifier.type + ":" + job.identifier.value}, {"valid", out.valid},
                                    {"ms", ms}, {"records", out.records},
                                    {"problem", out.problem ? out.problem->value("detail", "") : ""}});
  return out;
}

void Validator::worker() {
  for (;;) {
    ra::ValidationJob job;
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
      if (m_stopping && m_queue.empty()) return;
      job = std::move(m_queue.front());
      m_queue.pop_front();
    }
    const auto outcome = validate(job);
    if (m_sink) m_sink(outcome);
  }
}

}  // namespace pkictl::server::va
