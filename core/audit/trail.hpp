#pragma once
// The audit trail's operations over a store: the audit key, signed checkpoints, verification.
#include <filesystem>
#include <optional>

#include "core/audit/audit.hpp"
#include "core/log/logger.hpp"
#include "core/store/store.hpp"
#include "core/util/secret.hpp"

namespace pkictl::audit {

/** Where the audit key lives under the server's data directory. */
std::filesystem::path audit_key_path(const std::filesystem::path& data_dir);      // audit-key.pem (encrypted, 0600)
std::filesystem::path audit_public_key_path(const std::filesystem::path& data_dir);  // audit-key.pub.pem

/** The dedicated Ed25519 checkpoint key: created (encrypted under `passphrase`, 0600, with its
 * public key beside it) on first use, loaded afterwards. Errors: BadPassphrase, Io. */
[[nodiscard]] Result<crypto::PrivateKey> ensure_audit_key(const std::filesystem::path& data_dir, const Secret& passphrase);
/** The public key for verification: `file` if given, else the one beside the data. */
[[nodiscard]] Result<crypto::PublicKey> load_audit_public_key(const std::filesystem::path& data_dir, const std::filesystem::path& file = {});

/** Appends an event that records no state change of its own (a refusal, a reload). A failure is
 * logged, not returned: what was decided stands either way. */
void record(store::Store& store, const Event& ev, log::Logger& log);

/** Signs the chain head if it moved since the last checkpoint; nullopt when nothing was new. */
[[nodiscard]] Result<std::optional<Checkpoint>> checkpoint(store::Store& store, const crypto::PrivateKey& key, TimePoint now);

/** Walks the whole chain and every checkpoint (see ChainVerifier). */
[[nodiscard]] Result<VerifyReport> verify_store(store::Store& store, const crypto::PublicKey& key);

}  // namespace pkictl::audit
