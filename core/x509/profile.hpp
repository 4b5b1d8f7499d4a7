#pragma once
// What a certificate will contain: plain data, judged by policy and lints, built by builder.
#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/x509/general_name.hpp"

namespace pkictl::x509 {

/** RFC 5280 §4.2.1.3 key usage bits. */
enum KeyUsageBit : unsigned {
  DigitalSignature = 1u << 0,
  ContentCommitment = 1u << 1,
  KeyEncipherment = 1u << 2,
  DataEncipherment = 1u << 3,
  KeyAgreement = 1u << 4,
  KeyCertSign = 1u << 5,
  CrlSign = 1u << 6,
};
/** "digitalSignature,keyEncipherment" → bits. Errors: InvalidArgument. */
[[nodiscard]] Result<unsigned> parse_key_usage(const std::vector<std::string>& names);
std::vector<std::string> key_usage_names(unsigned bits);

/** "serverAuth", "clientAuth", "codeSigning", "emailProtection", "timeStamping", "OCSPSigning",
 * or a dotted OID → the canonical short name or OID. Errors: InvalidArgument. */
[[nodiscard]] Result<std::string> parse_eku(std::string_view name);
/** A dotted object identifier ("1.3.6.1.4.1.55555.1.1"), as given. Errors: InvalidArgument. */
[[nodiscard]] Result<std::string> parse_oid(std::string_view dotted);

struct BasicConstraints {
  bool ca = false;
  std::optional<int> path_len;
};

struct CertificateSpec {
  std::string subject_der;               // DER of the subject name (see name.hpp)
  std::vector<GeneralName> sans;
  bool sans_critical = false;            // RFC 5280: critical when the subject is empty
  unsigned key_usage = 0;                // KeyUsageBit mask; 0 = no extension
  std::vector<std::string> extended_key_usage;  // short names / OIDs, parse_eku'd
  std::optional<BasicConstraints> basic_constraints;
  NameConstraints name_constraints;
  std::vector<std::string> policy_oids;
  std::vector<std::string> crl_distribution_points;
  std::vector<std::string> ocsp_urls;
  std::vector<std::string> ca_issuers_urls;
  TimePoint not_before{};
  TimePoint not_after{};
  /** When set, the subject key's SubjectPublicKeyInfo exactly as the subject sent it (a CSR's),
   * copied into the certificate instead of re-encoding the key: byte-identical, and it spares
   * OpenSSL 3.0's key encoder and decoder (~0.14 ms). It must encode the key passed beside the
   * spec; the resulting certificate object carries no decoded key (Certificate::public_key()
   * decodes it on demand). */
  std::shared_ptr<const X509_PUBKEY> subject_spki;
};

}  // namespace pkictl::x509
