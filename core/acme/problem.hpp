#pragma once
// RFC 8555 §6.7 problem documents: one table from ErrorKind to type and HTTP status.
#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace pkictl::acme {

struct ProblemMapping {
  std::string type;  // "urn:ietf:params:acme:error:badNonce"
  int http_status = 500;
  bool hide_detail = false;  // server faults: the client sees a generic detail
};

ProblemMapping problem_mapping(const Error& e);
/** The kind of a problem type a server sent ("urn:ietf:params:acme:error:badNonce" → BadNonce);
 * serverInternal and unknown types → Internal. */
ErrorKind kind_of_problem(std::string_view type);
/** The problem document for `e` (with subproblems); internal details never included. */
nlohmann::json problem_json(const Error& e);

}  // namespace pkictl::acme
