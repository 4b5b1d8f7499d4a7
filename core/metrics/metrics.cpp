#include "core/metrics/metrics.hpp"

#include <array>
#include <cmath>
#include <charconv>

namespace pkictl::metrics {
namespace {

constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

/** `k="v",…` with values escaped: the series key. Built in one string (it runs on every update). */
std::string render(const Labels& labels) {
  std::string s;
  for (const auto& [k, v] : labels) {
    if (!s.empty()) s += ',';
    s.append(k).append("=\"");
    for (char c : v) {
      if (c == '\\' || c == '"') s += '\\';
      if (c == '\n') {
        s += "\\n";
        continue;
      }
      s += c;
    }
    s += '"';
  }
  return s;
}

/** The shortest text that reads back as `v` ("0.0005", not %.17g's "0.00050000000000000001"). */
std::string num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string with(const std::string& labels, const std::string& extra) {
  if (labels.empty()) return "{" + extra + "}";
  return "{" + labels + "," + extra + "}";
}

}  // namespace

Registry& registry() {
  static Registry r;
  return r;
}

std::string_view help_for(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> help = {
      {"pkictl_http_requests_total", "HTTP requests by endpoint and status"},
      {"pkictl_http_request_duration_seconds", "Time to answer a request, by endpoint"},
      {"pkictl_http_connections_open", "Client connections open now (every listener)"},
      {"pkictl_acme_problems_total", "ACME problem documents sent, by type"},
      {"pkictl_nonces_issued_total", "Replay-Nonce values handed out"},
      {"pkictl_nonces_rejected_total", "Requests refused with badNonce"},
      {"pkictl_orders_total", "Orders that reached a final state, by state"},
      {"pkictl_certificates_issued_total", "Certificates issued, by profile and issuer"},
      {"pkictl_signing_duration_seconds", "Time to build, sign and check a certificate"},
      {"pkictl_policy_denials_total", "Identifiers refused by policy, by rule"},
      {"pkictl_validations_total", "Validation attempts by challenge type and outcome"},
      {"pkictl_validation_duration_seconds", "Time of one validation attempt, by challenge type"},
      {"pkictl_validations_in_flight", "Validations running now"},
      {"pkictl_validation_queue_depth", "Validations waiting (including retries)"},
      {"pkictl_store_operation_seconds", "Time of one store operation (including its share of group commit), by operation"},
      {"pkictl_store_sync_seconds", "Time of one fdatasync of the store's write-ahead log (one group commit)"},
      {"pkictl_store_durable_wait_seconds", "Time a response waited for the writes it reports to reach the disk"},
      {"pkictl_revocations_total", "Certificates revoked, by reason"},
  };
  auto it = help.find(name);
  return it == help.end() ? std::string_view() : std::string_view(it->second);
}

Registry::Series& Registry::series(std::string_view name, const char* type, std::string&& labels) {
  auto it = m_families.find(name);
  if (it == m_families.end()) it = m_families.emplace(std::string(name), Family{type, {}}).first;
  auto& s = it->second.series[std::move(labels)];
  if (std::string_view(type) == "histogram" && s.buckets.empty()) s.buckets.assign(bounds.size(), 0);
  return s;
}

void Registry::inc(std::string_view counter, const Labels& labels, double by) {
  std::string key = render(labels);  // before the lock: every thread reports here
  std::lock_guard lock(m_mu);
  series(counter, "counter", std::move(key)).value += by;
}

void Registry::set(std::string_view gauge, const Labels& labels, double value) {
  std::string key = render(labels);  // before the lock: every thread reports here
  std::lock_guard lock(m_mu);
  series(gauge, "gauge", std::move(key)).value = value;
}

void Registry::add(std::string_view gauge, const Labels& labels, double delta) {
  std::string key = render(labels);  // before the lock: every thread reports here
  std::lock_guard lock(m_mu);
  series(gauge, "gauge", std::move(key)).value += delta;
}

void Registry::observe(std::string_view histogram, const Labels& labels, double seconds) {
  std::string key = render(labels);  // before the lock: every thread reports here
  std::lock_guard lock(m_mu);
  auto& s = series(histogram, "histogram", std::move(key));
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i]) s.buckets[i] += 1;
  s.sum += seconds;
  s.count += 1;
}

std::string Registry::exposition() const {
  std::lock_guard lock(m_mu);
  std::string out;
  for (const auto& [name, fam] : m_families) {
    if (auto h = help_for(name); !h.empty()) out += "# HELP " + name + " " + std::string(h) + "\n";
    out += "# TYPE " + name + " " + fam.type + "\n";
    for (const auto& [labels, s] : fam.series) {
      if (fam.type != "histogram") {
        out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + num(s.value) + "\n";
        continue;
      }
      for (std::size_t i = 0; i < bounds.size(); ++i) out += name + "_bucket" + with(labels, "le=\"" + num(bounds[i]) + "\"") + " " + num(s.buckets[i]) + "\n";
      out += name + "_bucket" + with(labels, "le=\"+Inf\"") + " " + num(s.count) + "\n";
      out += name + "_sum" + (labels.empty() ? "" : "{" + labels + "}") + " " + num(s.sum) + "\n";
      out += name + "_count" + (labels.empty() ? "" : "{" + labels + "}") + " " + num(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace pkictl::metrics
