#pragma once
// Trust bundles in the formats consumers read: PEM, DER, PKCS#7, a PKCS#12 truststore for Java,
// a Debian ca-certificates drop-in directory, a Kubernetes ConfigMap (trust-manager style) and a
// SPIFFE trust bundle (JWKS with x5c). Output is deterministic: the same certificates in give the
// same bytes out (sorted, no timestamps, salts derived from the content), so CI can diff it.
#include <map>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::trust {

enum class Format { Pem, Der, Pkcs7, Pkcs12, Debian, Kubernetes, Spiffe };
/** "pem", "der", "p7b", "p12", "debian", "k8s", "spiffe". Errors: InvalidArgument listing them. */
[[nodiscard]] Result<Format> parse_format(std::string_view name);
const std::vector<std::string>& format_names();
/** Whether the format is a directory of files (debian) rather than one file. */
bool is_directory_format(Format f);

struct ExportOptions {
  std::string name = "pkictl-trust-bundle";  // ConfigMap name
  std::string k8s_namespace;                 // ConfigMap namespace ("" = none)
  std::string p12_password = "changeit";     // Java's truststore convention; the content is public
};

/** Sorted, de-duplicated certificates: roots first (as given), each group by subject then SHA-256. */
std::vector<x509::Certificate> normalise(std::vector<x509::Certificate> roots, std::vector<x509::Certificate> intermediates);

/** The file contents: one entry with an empty name, or (debian) one per certificate file name. */
[[nodiscard]] Result<std::map<std::string, std::string>> render(const std::vector<x509::Certificate>& certs, Format format,
                                                                const ExportOptions& options);

/** Reads a bundle in any of the file formats above (PEM, DER, PKCS#7, PKCS#12 with `password`). */
[[nodiscard]] Result<std::vector<x509::Certificate>> read_bundle(std::string_view data, const std::string& password = "changeit");

struct Difference {
  std::vector<x509::Certificate> added, removed, kept;
};
Difference diff(const std::vector<x509::Certificate>& before, const std::vector<x509::Certificate>& after);

}  // namespace pkictl::trust
