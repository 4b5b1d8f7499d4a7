#include "core/util/error.hpp"

namespace pkictl {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::BadCsr: return "badCSR";
    case ErrorKind::BadNonce: return "badNonce";
    case ErrorKind::BadPublicKey: return "badPublicKey";
    case ErrorKind::BadRevocationReason: return "badRevocationReason";
    case ErrorKind::BadSignatureAlgorithm: return "badSignatureAlgorithm";
    case ErrorKind::AlreadyRevoked: return "alreadyRevoked";
    case ErrorKind::AccountDoesNotExist: return "accountDoesNotExist";
    case ErrorKind::ExternalAccountRequired: return "externalAccountRequired";
    case ErrorKind::InvalidContact: return "invalidContact";
    case ErrorKind::UnsupportedContact: return "unsupportedContact";
    case ErrorKind::UnsupportedIdentifier: return "unsupportedIdentifier";
    case ErrorKind::RejectedIdentifier: return "rejectedIdentifier";
    case ErrorKind::Unauthorized: return "unauthorized";
    case ErrorKind::OrderNotReady: return "orderNotReady";
    case ErrorKind::RateLimited: return "rateLimited";
    case ErrorKind::Caa: return "caa";
    case ErrorKind::Connection: return "connection";
    case ErrorKind::Dns: return "dns";
    case ErrorKind::IncorrectResponse: return "incorrectResponse";
    case ErrorKind::Tls: return "tls";
    case ErrorKind::UserActionRequired: return "userActionRequired";
    case ErrorKind::InvalidProfile: return "invalidProfile";
    case ErrorKind::AlreadyReplaced: return "alreadyReplaced";
    case ErrorKind::NotFound: return "notFound";
    case ErrorKind::Conflict: return "conflict";
    case ErrorKind::PolicyDenied: return "policyDenied";
    case ErrorKind::LintFailed: return "lintFailed";
    case ErrorKind::InvalidArgument: return "invalidArgument";
    case ErrorKind::BadPassphrase: return "badPassphrase";
    case ErrorKind::Config: return "config";
    case ErrorKind::Io: return "io";
    case ErrorKind::Crypto: return "crypto";
    case ErrorKind::Internal: return "internal";
  }
  return "internal";
}

}  // namespace pkictl
