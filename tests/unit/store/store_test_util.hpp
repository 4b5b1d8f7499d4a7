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

/** A ready order `id` of account `account_id` for dns:a.test, expiring in 2033. */
inline acme::Order order(const std::string& id, const std::string& account_id) {
  acme::Order o;
  o.id = id;
  o.account_id = account_id;
  o.status = acme::Status::Ready;
  o.expires = TimePoint(Seconds(2'000'000'000));
  o.identifiers = {{"dns", "a.test"}};
  return o;
}

}  // namespace pkictl::test
