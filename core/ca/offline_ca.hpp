#pragma once
// The offline CA operations an operator runs in a ceremony: create a root, make an issuing CA's
// key and CSR, sign it with the root. Each writes its files atomically and leaves a JSON record.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <memory>

#include "core/ca/signer.hpp"
#include "core/crypto/key.hpp"
#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/util/secret.hpp"
#include "core/x509/certificate.hpp"

namespace pkictl::ca {

/** File names inside a root directory. */
inline constexpr const char* root_cert_file = "root.crt";
inline constexpr const char* root_key_file = "root.key";
inline constexpr const char* root_record_file = "root.json";
inline constexpr const char* ledger_file = "ledger.jsonl";
/** For a root whose key lives in a PKCS#11 token: its RFC 7512 URI (instead of root.key). */
inline constexpr const char* root_key_uri_file = "root.key-uri";

struct RootInitParams {
  std::string subject;
  crypto::KeyType key_type = crypto::KeyType::EcP384;
  Seconds validity{Seconds(20LL * 365 * 86400)};
  std::optional<int> path_len;
  std::filesystem::path out_dir;
  bool force = false;
  std::string key_uri;  // pkcs11:…: generate the key on that token (the passphrase is its PIN)
};

struct WrittenFile {
  std::filesystem::path path;
  std::string sha256;
};

struct RootInitResult {
  x509::Certificate certificate;
  std::vector<WrittenFile> files;  // key, certificate, record
};

/** Creates a self-signed root. Errors: InvalidArgument, Conflict (files exist), Io, Crypto. */
[[nodiscard]] Result<RootInitResult> root_init(const RootInitParams& params, const Secret& passphrase,
                                               const Clock& clock);

struct CsrParams {
  std::string subject;
  crypto::KeyType key_type = crypto::KeyType::EcP256;
  std::filesystem::path out_dir;
  std::string name = "intermediate";  // writes NAME.key and NAME.csr
  bool force = false;
};

struct CsrResult {
  std::vector<WrittenFile> files;  // key, csr
  std::string spki_sha256;
};

/** A new encrypted key and its CSR for an issuing CA. Errors: InvalidArgument, Conflict, Io, Crypto. */
[[nodiscard]] Result<CsrResult> intermediate_csr(const CsrParams& params, const Secret& passphrase);

struct SignParams {
  std::filesystem::path root_dir;
  std::filesystem::path csr_path;
  std::filesystem::path out;         // the intermediate certificate (PEM)
  int path_len = 0;
  Seconds validity{Seconds(5LL * 365 * 86400)};
  std::vector<std::string> permit_dns, permit_ip, exclude_dns, exclude_ip;
  std::vector<std::string> crl_urls;
  std::vector<std::string> policy_oids;
  std::vector<std::string> ekus;     // optional EKU restriction of the issuing CA
  bool force = false;
};

struct SignResult {
  x509::Certificate certificate;
  std::vector<WrittenFile> files;  // certificate, record
};

/**
 * The root signs an issuing CA. Refuses: a root that is expired or not yet valid, a key that does
 * not match root.crt, a CSR whose signature does not verify (BadCsr), a weak key (BadPublicKey),
 * a validity past the root's notAfter or a path length the root does not allow (InvalidArgument).
 */
[[nodiscard]] Result<SignResult> intermediate_sign(const SignParams& params, const Secret& root_passphrase,
                                                   const Clock& clock);

/** Records in the root's ledger that an intermediate it signed is revoked (a ceremony step). */
[[nodiscard]] Result<void> root_revoke(const std::filesystem::path& root_dir, const std::string& serial_hex, int reason, const Clock& clock);

struct CrlParams {
  std::filesystem::path root_dir;
  std::filesystem::path out;  // PEM if it ends in .pem, else DER
  Seconds next_update{30LL * 86400};
  bool force = false;
};
/** The root's CRL: every revocation in its ledger, numbered after the last CRL it recorded. */
[[nodiscard]] Result<WrittenFile> root_crl(const CrlParams& p, const Secret& root_passphrase, const Clock& clock);

struct CrossSignParams {
  std::filesystem::path root_dir;  // the signing root
  std::filesystem::path subject;   // the other CA's certificate: its name and key are certified
  std::filesystem::path out;
  Seconds validity{Seconds(5LL * 365 * 86400)};
  bool force = false;
};
/** Root rotation: the signing root certifies another root's name and key (a cross-certificate). */
[[nodiscard]] Result<SignResult> root_cross_sign(const CrossSignParams& p, const Secret& root_passphrase, const Clock& clock);

struct RotateParams {
  std::filesystem::path old_root, new_root, out_dir;
  std::filesystem::path csr;  // the issuing CA's CSR to re-issue under the new root ("" = none)
  Seconds validity{Seconds(5LL * 365 * 86400)};
  Seconds intermediate_validity{Seconds(365LL * 86400)};
};
/** Root rotation in one step: each root cross-signs the other (new-by-old.crt, old-by-new.crt), both
 * go into transition-roots.pem, and with a CSR the issuing CA is re-issued under the new root
 * (intermediate-under-new.crt). Returns the files written. */
[[nodiscard]] Result<std::vector<WrittenFile>> root_rotate(const RotateParams& p, const Secret& old_passphrase,
                                                           const Secret& new_passphrase, const Clock& clock);

/** The signer of a root directory: its encrypted root.key, or the token key root.key-uri names
 * (the passphrase is then the token PIN). Checks it is the key of root.crt. */
[[nodiscard]] Result<std::unique_ptr<Signer>> open_root_signer(const std::filesystem::path& root_dir, const Secret& passphrase);

/** Loads and decrypts a key file. Errors: NotFound, BadPassphrase, Malformed. */
[[nodiscard]] Result<crypto::PrivateKey> load_private_key(const std::filesystem::path& path, const Secret& passphrase);

}  // namespace pkictl::ca
