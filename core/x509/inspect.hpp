#pragma once
// A certificate described as data (JSON) and as text for people.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/x509/certificate.hpp"

namespace pkictl::x509 {

/** Every field an operator asks about: names, serial, validity, key, extensions, fingerprints. */
nlohmann::json describe(const Certificate& cert);
/** The same as aligned "Field: value" lines. */
std::string describe_text(const Certificate& cert);

}  // namespace pkictl::x509
