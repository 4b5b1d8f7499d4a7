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

/** A pending authorization `id` of account `account_id` for dns:a.test with an http-01 challenge
 * `challenge_id` (token "tok"), expiring in 2033. */
inline acme::Authorization authz(const std::string& id, const std::string& account_id, const std::string& challenge_id) {
  acme::Authorization a;
  a.id = id;
  a.account_id = account_id;
  a.identifier = {"dns", "a.test"};
  a.expires = TimePoint(Seconds(2'000'000'000));
  a.challenges.push_back({challenge_id, id, "http-01", "tok", acme::Status::Pending, std::nullopt, std::nullopt});
  return a;
}

}  // namespace pkictl::test
