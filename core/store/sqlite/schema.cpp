#include "core/store/sqlite/schema.hpp"

namespace pkictl::store::sqlite {

const std::vector<std::string_view>& migrations() {
  static const std::vector<std::string_view> all = {
      // 1: the ACME server's state. Times are UTC seconds; DER is a BLOB.
      R"SQL(
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  thumbprint TEXT NOT NULL UNIQUE,
  jwk TEXT NOT NULL,
  status TEXT NOT NULL,
  contact TEXT NOT NULL,
  tos_agreed INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE authzs (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  ident_type TEXT NOT NULL,
  ident_value TEXT NOT NULL,
  wildcard INTEGER NOT NULL,
  status TEXT NOT NULL,
  expires INTEGER NOT NULL
);
CREATE INDEX authzs_reuse ON authzs(account_id, ident_type, ident_value, wildcard, status);
CREATE TABLE challenges (
  id TEXT PRIMARY KEY,
  authz_id TEXT NOT NULL REFERENCES authzs(id),
  type TEXT NOT NULL,
  token TEXT NOT NULL,
  status TEXT NOT NULL,
  validated INTEGER,
  error TEXT
);
CREATE INDEX challenges_authz ON challenges(authz_id);
CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  status TEXT NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  identifiers TEXT NOT NULL,
  identifiers_key TEXT NOT NULL,
  not_before INTEGER,
  not_after INTEGER,
  authz_ids TEXT NOT NULL,
  certificate_id TEXT,
  error TEXT,
  replaces TEXT NOT NULL DEFAULT ''
);
CREATE INDEX orders_account ON orders(account_id, created);
CREATE INDEX orders_open ON orders(account_id, identifiers_key, status);
CREATE TABLE serials (
  issuer_key_id TEXT NOT NULL,
  serial TEXT NOT NULL,
  order_id TEXT NOT NULL,
  PRIMARY KEY (issuer_key_id, serial)
);
CREATE TABLE certificates (
  id TEXT PRIMARY KEY,
  issuer_key_id TEXT NOT NULL,
  serial TEXT NOT NULL,
  account_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  der BLOB NOT NULL,
  spki_sha256 TEXT NOT NULL,
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  revoked_at INTEGER,
  revocation_reason INTEGER NOT NULL DEFAULT -1,
  UNIQUE (issuer_key_id, serial)
);
CREATE INDEX certificates_spki ON certificates(spki_sha256);
)SQL",
      // 2: the open-order lookup (newOrder's "same identifiers, still pending or ready?") scanned
      // every order of the account: the planner chose orders_account for its ORDER BY created.
      // With created in the index, equality on the key and the order both come from one index.
      R"SQL(
DROP INDEX orders_open;
CREATE INDEX orders_open ON orders(account_id, identifiers_key, created);
)SQL",
      // 3: revocation publishing (CRL numbers), compromised keys, ARI replacement lookups.
      R"SQL(
CREATE TABLE crl_numbers (issuer_key_id TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE blocked_keys (spki_sha256 TEXT PRIMARY KEY, reason TEXT NOT NULL, created INTEGER NOT NULL);
CREATE INDEX orders_replaces ON orders(replaces) WHERE replaces != '';
CREATE INDEX certificates_revoked ON certificates(issuer_key_id, revoked_at) WHERE revoked_at IS NOT NULL;
)SQL",
      // 4: External Account Binding keys (sealed) and the binding each account belongs to.
      R"SQL(
ALTER TABLE accounts ADD COLUMN binding TEXT NOT NULL DEFAULT '';
CREATE TABLE eab_keys (
  kid TEXT PRIMARY KEY,
  binding TEXT NOT NULL,
  sealed_hmac BLOB NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER,
  single_use INTEGER NOT NULL,
  used_by TEXT NOT NULL DEFAULT '',
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER
);
)SQL",
      // 5: certificate profiles on orders; per-account issuance counts for policy rate limits.
      R"SQL(
ALTER TABLE orders ADD COLUMN profile TEXT NOT NULL DEFAULT '';
CREATE INDEX certificates_account ON certificates(account_id, not_before);
)SQL",
      // 6: the audit trail (core/audit): a hash chain of events and signed checkpoints of its head.
      R"SQL(
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  type TEXT NOT NULL,
  decision TEXT NOT NULL,
  account_id TEXT NOT NULL,
  binding TEXT NOT NULL,
  identifiers TEXT NOT NULL,
  serial TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_time ON audit_events(time_ms);
CREATE INDEX audit_account ON audit_events(account_id, seq);
CREATE INDEX audit_serial ON audit_events(serial) WHERE serial != '';
CREATE TABLE audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  head_hash TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  signature BLOB NOT NULL
);
)SQL",
  };
  return all;
}

}  // namespace pkictl::store::sqlite
