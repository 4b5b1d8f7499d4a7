#include "client/renewal.hpp"

#include <random>

#include "core/util/text.hpp"

namespace pkictl::client {

Result<RenewalDecision> renewal_due(AcmeClient& acme, const x509::Certificate& leaf, TimePoint now) {
  thread_local std::mt19937 rng(std::random_device{}());
  const std::string ri = acme.directory().value("renewalInfo", "");
  if (!ri.empty()) {
    if (auto id = ari_cert_id(leaf.pem())) {
      auto r = acme.get(ri + (ri.back() == '/' ? "" : "/") + *id);
      if (r && r->status == 200 && r->json.contains("suggestedWindow")) {
        auto start = util::parse_time(r->json["suggestedWindow"].value("start", ""));
        auto end = util::parse_time(r->json["suggestedWindow"].value("end", ""));
        if (start && end && *end >= *start) {
          std::uniform_int_distribution<long long> pick(0, (*end - *start).count());
          const TimePoint chosen = *start + Seconds(pick(rng));
          return RenewalDecision{now >= chosen, "ARI window " + util::format_time(*start) + " .. " + util::format_time(*end)};
        }
      }
    }
  }
  const auto life = leaf.not_after() - leaf.not_before();
  std::uniform_int_distribution<long long> jitter(0, std::max<long long>(1, life.count() / 20));
  const TimePoint at = leaf.not_before() + life * 2 / 3 - Seconds(jitter(rng));
  return RenewalDecision{now >= at, "2/3 of the lifetime, from " + util::format_time(at)};
}

}  // namespace pkictl::client
