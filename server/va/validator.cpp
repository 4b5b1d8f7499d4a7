#include "server/va/validator.hpp"

#include "core/audit/audit.hpp"

#include "core/acme/problem.hpp"
#include "core/metrics/metrics.hpp"

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
    if (m_queue.size() + m_retries.size() >= static_cast<std::size_t>(m_cfg.queue)) {
      Error e{ErrorKind::RateLimited, "too many validations are waiting; retry shortly", {}, {}, Seconds(5)};
      return fail(std::move(e));
    }
    m_queue.push_back({std::move(job), 1, std::chrono::steady_clock::now()});
    metrics::registry().set("pkictl_validation_queue_depth", {}, static_cast<double>(m_queue.size() + m_retries.size()));
  }
  m_cv.notify_one();
  return {};
}

ra::ValidationOutcome Validator::validate(const ra::ValidationJob& job) {
  const auto start = std::chrono::steady_clock::now();
  metrics::registry().add("pkictl_validations_in_flight", {}, 1);
  ra::ValidationOutcome out;
  const std::string& type = job.challenge.type;
  if (type == "http-01") {
    out = http01(job);
  } else if (type == "tls-alpn-01") {
    out = tls_alpn01(job);
  } else if (type == "dns-01" || type == "dns-account-01" || type == "dns-persist-01") {
    out = dns_txt(job);
  } else {
    out.challenge_id = job.challenge.id;
    out.problem = acme::problem_json(Error{ErrorKind::Malformed, "challenge type " + job.challenge.type + " is not supported", {}, {}, {}});
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  metrics::registry().add("pkictl_validations_in_flight", {}, -1);
  metrics::registry().inc("pkictl_validations_total", {{"type", type}, {"outcome", out.valid ? "valid" : "invalid"}});
  metrics::registry().observe("pkictl_validation_duration_seconds", {{"type", type}},
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  m_log.info("validation attempt", {{"challenge", job.challenge.id}, {"type", job.challenge.type},
                                    {"identifier", job.identifier.type + ":" + job.identifier.value}, {"valid", out.valid},
                                    {"ms", ms}, {"records", out.records},
                                    {"problem", out.problem ? out.problem->value("detail", "") : ""}});
  return out;
}

void Validator::worker() {
  for (;;) {
    Scheduled next;
    {
      std::unique_lock lock(m_mutex);
      for (;;) {
        if (m_stopping) return;  // waiting retries are dropped: their challenges stay processing
        const auto now = std::chrono::steady_clock::now();
        // Retries whose backoff has passed join the queue.
        for (auto it = m_retries.begin(); it != m_retries.end();) {
          if (it->due <= now) {
            m_queue.push_back(std::move(*it));
            it = m_retries.erase(it);
          } else {
            ++it;
          }
        }
        if (!m_queue.empty()) break;
        if (m_retries.empty()) {
          m_cv.wait(lock);
        } else {
          auto earliest = std::min_element(m_retries.begin(), m_retries.end(), [](auto& a, auto& b) { return a.due < b.due; })->due;
          m_cv.wait_until(lock, earliest);
        }
      }
      next = std::move(m_queue.front());
      m_queue.pop_front();
      metrics::registry().set("pkictl_validation_queue_depth", {}, static_cast<double>(m_queue.size() + m_retries.size()));
    }
    auto outcome = validate(next.job);
    outcome.records.push_back({{"attempt", next.attempt}});
    if (!outcome.valid && next.attempt <= m_cfg.retries) {
      // Split horizons and slow propagation: try again later before giving up.
      const auto backoff = m_cfg.retry_backoff * (1 << (next.attempt - 1));
      m_log.info("validation retry scheduled", {{"challenge", next.job.challenge.id}, {"attempt", next.attempt + 1},
                                                 {"in_seconds", backoff.count()}});
      {
        std::lock_guard lock(m_mutex);
        next.attempt += 1;
        next.due = std::chrono::steady_clock::now() + backoff;
        m_retries.push_back(std::move(next));
      }
      m_cv.notify_one();
      continue;
    }
    // Audit events of the outcome carry the id of the request that asked for the validation.
    const audit::RequestScope scope(next.job.request_id);
    if (m_sink) m_sink(next.job, outcome);
  }
}

}  // namespace pkictl::server::va
