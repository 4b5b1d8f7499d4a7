#pragma once
// Distinguished names as text: RFC 4514 ("CN=Example Root,O=Example") or OpenSSL's
// "/O=Example/CN=Example Root". Held as DER so a CSR's subject is copied exactly.
#include <string>
#include <string_view>

#include "core/crypto/ossl.hpp"
#include "core/util/result.hpp"

namespace pkictl::x509 {

/** Parses a DN; RFC 4514 order is most-specific first, "/" form is DER order.
 * Errors: InvalidArgument (unknown attribute, empty value, bad escape). */
/** The DER of an empty subject (a certificate or CSR named only by its SANs). */
std::string empty_name_der();
[[nodiscard]] Result<std::string> parse_name(std::string_view text);
/** RFC 4514 text of a DER name ("CN=x,O=y"). */
std::string name_der_to_text(std::string_view der);
std::string name_to_text(const X509_NAME* name);
std::string name_to_der(const X509_NAME* name);
/** The first commonName in a name, or "". */
std::string common_name(const X509_NAME* name);
[[nodiscard]] Result<ossl::Ptr<X509_NAME>> name_from_der(std::string_view der);

}  // namespace pkictl::x509
