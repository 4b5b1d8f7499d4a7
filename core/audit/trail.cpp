#include "core/audit/trail.hpp"

#include "core/metrics/metrics.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/text.hpp"

namespace pkictl::audit {

std::filesystem::path audit_key_path(const std::filesystem::path& data_dir) { return data_dir / "audit-key.pem"; }
std::filesystem::path audit_public_key_path(const std::filesystem::path& data_dir) { return data_dir / "audit-key.pub.pem"; }

Result<crypto::PrivateKey> ensure_audit_key(const std::filesystem::path& data_dir, const Secret& passphrase) {
  const auto path = audit_key_path(data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    PKI_TRY_ASSIGN(auto key, crypto::PrivateKey::generate(crypto::KeyType::Ed25519));
    PKI_TRY_ASSIGN(auto pem, key.to_encrypted_pem(passphrase));
    util::WriteOptions o;
    o.mode = 0600;
    PKI_TRY(util::write_file_atomic(path, pem, o));
    util::WriteOptions pub;
    pub.replace = true;
    PKI_TRY(util::write_file_atomic(audit_public_key_path(data_dir), key.public_key().to_pem(), pub));
  }
  PKI_TRY_ASSIGN(auto pem, util::read_file(path));
  return crypto::PrivateKey::from_pem(pem, &passphrase);
}

Result<crypto::PublicKey> load_audit_public_key(const std::filesystem::path& data_dir, const std::filesystem::path& file) {
  const auto path = file.empty() ? audit_public_key_path(data_dir) : file;
  auto pem = util::read_file(path);
  if (!pem) return fail(ErrorKind::NotFound, path.string() + ": no audit public key (the server writes it at its first start; or pass --audit-key)");
  return crypto::PublicKey::from_pem(*pem);
}

Result<std::optional<Checkpoint>> checkpoint(store::Store& store, const crypto::PrivateKey& key, TimePoint now) {
  PKI_TRY_ASSIGN(auto head, store.audit_head());
  if (head.first == 0) return std::optional<Checkpoint>();
  PKI_TRY_ASSIGN(auto existing, store.audit_checkpoints());
  if (!existing.empty() && existing.back().seq == head.first) return std::optional<Checkpoint>();
  Checkpoint c;
  c.seq = head.first;
  c.head_hash = head.second;
  c.time = now;
  c.key_id = util::to_hex(key.public_key().fingerprint());
  PKI_TRY_ASSIGN(c.signature, key.sign(checkpoint_message(c)));
  PKI_TRY(store.insert_checkpoint(c));
  metrics::registry().inc("pkictl_audit_checkpoints_total");
  return std::optional<Checkpoint>(c);
}

Result<VerifyReport> verify_store(store::Store& store, const crypto::PublicKey& key) {
  PKI_TRY_ASSIGN(auto cps, store.audit_checkpoints());
  ChainVerifier v(std::move(cps), key);
  PKI_TRY(store.for_each_audit_row([&](const StoredEvent& e) { return v.feed(e); }));
  return v.finish();
}

void record(store::Store& store, const Event& ev, log::Logger& log) {
  if (auto a = store.append_audit(ev); !a)
    log.error("could not record an event in the audit trail", {{"type", ev.type}, {"error", a.error().detail}});
}

}  // namespace pkictl::audit
