#pragma once
// Rows the store tests insert.
#include <string>

#include "core/acme/objects.hpp"

namespace pkictl::test {

/** A valid account row with key thumbprint `tp` and one contact. */
inline acme::Account account(const std::string& id, const std::string& tp) {
  acme::Account a;
  a.id = id;
  a.thumbprint = tp;
  a.jwk = "{}";
  a.contact = {"mailto:a@b.c"};
  return a;
}

}  // namespace pkictl::test
