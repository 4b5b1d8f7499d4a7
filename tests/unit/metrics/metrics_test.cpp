#include <gtest/gtest.h>

#include "core/metrics/metrics.hpp"

using namespace pkictl;

TEST(Metrics, SeriesAreKeyedByTheirEscapedLabelsAndRenderedInTheTextFormat) {
  metrics::Registry r;
  r.inc("pkictl_http_requests_total", {{"endpoint", "/acme/new-order"}, {"status", "201"}});
  r.inc("pkictl_http_requests_total", {{"endpoint", "/acme/new-order"}, {"status", "201"}}, 2);
  r.inc("pkictl_acme_problems_total", {{"type", "a\"b\\c\nd"}});
  r.set("pkictl_validations_in_flight", {}, 3);
  r.add("pkictl_validations_in_flight", {}, -1);
  r.observe("pkictl_store_operation_seconds", {{"op", "x"}}, 0.003);
  const std::string text = r.exposition();
  EXPECT_NE(text.find("# TYPE pkictl_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("pkictl_http_requests_total{endpoint=\"/acme/new-order\",status=\"201\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pkictl_acme_problems_total{type=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pkictl_validations_in_flight 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pkictl_store_operation_seconds_bucket{op=\"x\",le=\"0.0025\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pkictl_store_operation_seconds_bucket{op=\"x\",le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pkictl_store_operation_seconds_count{op=\"x\"} 1\n"), std::string::npos) << text;
}
