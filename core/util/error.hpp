#pragma once
// One error type for the whole product. Expected failures are values (Result<T>); the
// ErrorKind decides the CLI exit code and, at the HTTP edge, the ACME problem type.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pkictl {

enum class ErrorKind {
  // RFC 8555 §6.7 problem types.
  Malformed, BadCsr, BadNonce, BadPublicKey, BadRevocationReason, BadSignatureAlgorithm,
  AlreadyRevoked, AccountDoesNotExist, ExternalAccountRequired, InvalidContact,
  UnsupportedContact, UnsupportedIdentifier, RejectedIdentifier, Unauthorized, OrderNotReady,
  RateLimited, Caa, Connection, Dns, IncorrectResponse, Tls, UserActionRequired, InvalidProfile, AlreadyReplaced,
  // Our own.
  NotFound, Conflict, PolicyDenied, LintFailed, InvalidArgument, BadPassphrase, Config, Io,
  Crypto, Internal,
};

/** The stable lower-case name of a kind ("badCsr", "io"), for logs and JSON output. */
std::string_view to_string(ErrorKind kind);

struct Identifier;

struct SubError {
  ErrorKind kind;
  std::string identifier_type;   // "dns", "ip", ...
  std::string identifier_value;
  std::string detail;
};

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string detail;    // safe to show to a client or an operator
  std::string internal;  // OpenSSL queue, SQL error, paths: logs and --verbose only
  std::vector<SubError> sub_errors;
  std::optional<std::chrono::seconds> retry_after;

  /** Adds context in front of the detail: "reading root.key: " + detail. */
  Error& context(std::string_view what) {
    detail = std::string(what) + ": " + detail;
    return *this;
  }
};

}  // namespace pkictl
