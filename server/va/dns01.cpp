// The DNS-based challenges: dns-01 (RFC 8555 §8.4), dns-account-01 (the account-labelled record
// name) and dns-persist-01 (a standing record naming this CA and the account). The resolver
// follows CNAMEs; what was seen is recorded for the log either way.
#include "core/acme/challenge_records.hpp"
#include "core/acme/problem.hpp"
#include "server/va/validator.hpp"

namespace pkictl::server::va {
namespace {
using nlohmann::json;

json problem(ErrorKind kind, const std::string& detail) { return acme::problem_json(Error{kind, detail, {}, {}, {}}); }

std::string shown(const std::string& v) {
  std::string s = v.substr(0, 120);
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  return s;
}

}  // namespace

ra::ValidationOutcome Validator::dns_txt(const ra::ValidationJob& job) {
  ra::ValidationOutcome out;
  out.challenge_id = job.challenge.id;
  const std::string& domain = job.identifier.value;
  const std::string& type = job.challenge.type;
  const std::string name = type == "dns-persist-01"   ? acme::dns_persist01_record_name(domain)
                           : type == "dns-account-01" ? acme::dns_account01_record_name(job.account_uri, domain)
                                                      : acme::dns01_record_name(domain);
  auto ans = m_resolver->txt(name);
  if (!ans) {
    out.records.push_back({{"name", name}, {"error", ans.error().detail}});
    out.problem = problem(ErrorKind::Dns, ans.error().detail);
    return out;
  }
  out.records.push_back({{"name", name}, {"server", ans->server}, {"cnames", ans->cname_chain}, {"txt", ans->values}});
  if (type == "dns-persist-01") {
    std::string reasons;
    const auto now = std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
    for (const auto& v : ans->values) {
      auto iv = acme::parse_issue_value(v);
      const std::string why = iv ? acme::dns_persist01_mismatch(*iv, m_cfg.issuer_domain_names, job.account_uri, job.wildcard, now)
                                 : "is not an issue-value (" + iv.error().detail + ")";
      if (why.empty()) {
        out.valid = true;
        return out;
      }
      reasons += (reasons.empty() ? "" : "; ") + ("\"" + shown(v) + "\" " + why);
    }
    out.problem = problem(ErrorKind::Unauthorized, "no TXT record at " + name + " authorises this account: " + reasons);
    return out;
  }
  const std::string want = acme::dns01_txt_value(job.key_authorization);
  for (const auto& v : ans->values)
    if (v == want) {
      out.valid = true;
      return out;
    }
  std::string seen;
  for (const auto& v : ans->values) seen += (seen.empty() ? "\"" : ", \"") + shown(v) + "\"";
  out.problem = problem(ErrorKind::IncorrectResponse, "the TXT records at " + name + " (" + seen +
                                                          ") do not include the expected value \"" + want + "\"");
  return out;
}

}  // namespace pkictl::server::va
