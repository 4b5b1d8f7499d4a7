#pragma once
// Prometheus metrics (text exposition format 0.0.4): counters, gauges and histograms with labels,
// one process-wide registry. Names follow Prometheus conventions (pkictl_…_total, …_seconds).
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pkictl::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry final {
 public:
  void inc(std::string_view counter, const Labels& labels = {}, double by = 1);
  void set(std::string_view gauge, const Labels& labels, double value);
  void add(std::string_view gauge, const Labels& labels, double delta);
  /** Observes seconds in a histogram with buckets from 0.5 ms to 10 s. */
  void observe(std::string_view histogram, const Labels& labels, double seconds);
  std::string exposition() const;

 private:
  struct Series {
    double value = 0;
    std::vector<double> buckets;  // histograms: cumulative counts per bound
    double sum = 0;
    double count = 0;
  };
  struct Family {
    std::string type;
    std::map<std::string, Series> series;  // rendered label set → values
  };
  Series& series(std::string_view name, const char* type, std::string&& labels);  // labels rendered
  mutable std::mutex m_mu;
  std::map<std::string, Family, std::less<>> m_families;
};

/** The process-wide registry the server and its parts report to. */
Registry& registry();
/** Help text of the metrics we export (exposition prints it). */
std::string_view help_for(std::string_view name);

}  // namespace pkictl::metrics
