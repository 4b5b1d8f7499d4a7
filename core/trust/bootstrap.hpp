#pragma once
// Bootstrap by fingerprint: before anything is trusted, take from a server the one CA certificate
// whose SHA-256 the operator was given out of band. Used by `pkictl trust fetch` and
// `pkictl acme register --ca-fingerprint`.
#include <string>

#include "core/util/result.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::trust {

/**
 * The certificate with SHA-256 `fingerprint` (hex, ':' allowed) among those the server at `url`
 * presents in its TLS handshake (when `from_handshake`) and publishes at BASE/roots.pem, where BASE
 * is `url` without a trailing "/acme/directory". The fetches cannot verify TLS (nothing is trusted
 * yet): the fingerprint decides. Errors: InvalidArgument (not a SHA-256), Unauthorized (no match;
 * says what was seen), Connection.
 */
[[nodiscard]] Result<x509::Certificate> find_by_fingerprint(const std::string& url, const std::string& fingerprint, bool from_handshake);

/** Does the server at `url` present a TLS chain that verifies against `ca_file`? Errors: Tls. */
[[nodiscard]] Result<void> check_tls_chains_to(const std::string& url, const std::string& ca_file);

}  // namespace pkictl::trust
