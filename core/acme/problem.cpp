#include "core/acme/problem.hpp"

namespace pkictl::acme {

ProblemMapping problem_mapping(const Error& e) {
  const std::string ns = "urn:ietf:params:acme:error:";
  switch (e.kind) {
    case ErrorKind::Malformed: return {ns + "malformed", 400};
    case ErrorKind::NotFound: return {ns + "malformed", 404};
    case ErrorKind::InvalidArgument: return {ns + "malformed", 400};
    case ErrorKind::Unauthorized: return {ns + "unauthorized", 403};
    case ErrorKind::PolicyDenied:
      return e.sub_errors.empty() ? ProblemMapping{ns + "unauthorized", 403} : ProblemMapping{ns + "rejectedIdentifier", 400};
    case ErrorKind::RejectedIdentifier: return {ns + "rejectedIdentifier", 400};
    case ErrorKind::BadNonce: return {ns + "badNonce", 400};
    case ErrorKind::BadSignatureAlgorithm: return {ns + "badSignatureAlgorithm", 400};
    case ErrorKind::OrderNotReady: return {ns + "orderNotReady", 403};
    case ErrorKind::RateLimited: return {ns + "rateLimited", 429};
    case ErrorKind::Conflict: return {ns + "conflict", 409};
    case ErrorKind::BadCsr: return {ns + "badCSR", 400};
    case ErrorKind::BadPublicKey: return {ns + "badPublicKey", 400};
    case ErrorKind::AlreadyRevoked: return {ns + "alreadyRevoked", 400};
    case ErrorKind::BadRevocationReason: return {ns + "badRevocationReason", 400};
    case ErrorKind::AccountDoesNotExist: return {ns + "accountDoesNotExist", 400};
    case ErrorKind::ExternalAccountRequired: return {ns + "externalAccountRequired", 400};
    case ErrorKind::InvalidContact: return {ns + "invalidContact", 400};
    case ErrorKind::UnsupportedContact: return {ns + "unsupportedContact", 400};
    case ErrorKind::UnsupportedIdentifier: return {ns + "unsupportedIdentifier", 400};
    case ErrorKind::InvalidProfile: return {ns + "invalidProfile", 400};
    case ErrorKind::AlreadyReplaced: return {ns + "alreadyReplaced", 409};
    case ErrorKind::UserActionRequired: return {ns + "userActionRequired", 403};
    case ErrorKind::Connection: return {ns + "connection", 400};
    case ErrorKind::Dns: return {ns + "dns", 400};
    case ErrorKind::Tls: return {ns + "tls", 400};
    case ErrorKind::IncorrectResponse: return {ns + "incorrectResponse", 400};
    case ErrorKind::Caa: return {ns + "caa", 400};
    // The CA refused to sign what it built: its fault, but the reason names no secret.
    case ErrorKind::LintFailed: return {ns + "serverInternal", 500};
    case ErrorKind::Config:
    case ErrorKind::Io:
    case ErrorKind::Crypto:
    case ErrorKind::BadPassphrase:
    case ErrorKind::Internal: return {ns + "serverInternal", 500, true};
  }
  return {ns + "serverInternal", 500, true};
}

ErrorKind kind_of_problem(std::string_view type) {
  for (int k = static_cast<int>(ErrorKind::Malformed); k <= static_cast<int>(ErrorKind::AlreadyReplaced); ++k) {
    const Error e{static_cast<ErrorKind>(k), {}, {}, {}, {}};
    if (problem_mapping(e).type == type) return e.kind;
  }
  return ErrorKind::Internal;
}

nlohmann::json problem_json(const Error& e) {
  const auto m = problem_mapping(e);
  nlohmann::json j = {{"type", m.type}, {"status", m.http_status},
                      {"detail", m.hide_detail ? std::string("the server could not complete the request; the operator can look it up by time in the log")
                                               : e.detail}};
  if (!e.sub_errors.empty()) {
    auto subs = nlohmann::json::array();
    for (const auto& s : e.sub_errors) {
      Error se{s.kind, s.detail, {}, {}, {}};
      subs.push_back({{"type", problem_mapping(se).type},
                      {"detail", s.detail},
                      {"identifier", {{"type", s.identifier_type}, {"value", s.identifier_value}}}});
    }
    j["subproblems"] = subs;
  }
  return j;
}

}  // namespace pkictl::acme
