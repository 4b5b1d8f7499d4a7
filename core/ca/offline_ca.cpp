#include "core/ca/offline_ca.hpp"

#include "core/ca/pkcs11.hpp"

#include <openssl/pem.h>

#include "core/x509/crl.hpp"

#include <nlohmann/json.hpp>

#include "core/ca/issuer.hpp"
#include "core/policy/key_policy.hpp"
#include "core/util/atomic_file.hpp"
#include "core/x509/csr.hpp"
#include "core/x509/name.hpp"

namespace pkictl::ca {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr unsigned key_file_mode = 0600;
constexpr unsigned public_file_mode = 0644;

/** The root's ledger (ledger.jsonl): every certificate it signed, so a serial is never reused. */
class LedgerSerialRegistry final : public SerialRegistry {
 public:
  explicit LedgerSerialRegistry(fs::path path) : m_path(std::move(path)) {}
  Result<void> reserve(const util::Bytes& serial) override {
    const std::string hex = util::to_hex(serial);
    auto data = util::read_file(m_path);
    if (!data && data.error().kind != ErrorKind::NotFound) return fail(std::move(data).error());
    if (data && data->find("\"serial\":\"" + hex + "\"") != std::string::npos)
      return fail(ErrorKind::Conflict, "serial " + hex + " is already in " + m_path.string());
    return {};
  }

 private:
  fs::path m_path;
};

Result<void> append_ledger(const fs::path& root_dir, const json& entry) {
  const fs::path path = root_dir / ledger_file;
  auto data = util::read_file(path);
  std::string text;
  if (data) text = std::move(*data);
  else if (data.error().kind != ErrorKind::NotFound) return fail(std::move(data).error());
  text += entry.dump() + "\n";
  util::WriteOptions opts;
  opts.mode = public_file_mode;
  opts.replace = true;
  return util::write_file_atomic(path, text, opts);
}

Result<WrittenFile> write_output(const fs::path& path, std::string_view data, unsigned mode, bool force) {
  util::WriteOptions opts;
  opts.mode = mode;
  opts.replace = force;
  PKI_TRY(util::write_file_atomic(path, data, opts));
  return WrittenFile{path, crypto::sha256_hex(data)};
}

json certificate_record(const x509::Certificate& c) {
  return {{"subject", c.subject_text()},
          {"issuer", c.issuer_text()},
          {"serial", c.serial_hex()},
          {"not_before", util::format_time(c.not_before())},
          {"not_after", util::format_time(c.not_after())},
          {"sha256_fingerprint", crypto::fingerprint_text(c.fingerprint())},
          {"spki_sha256", util::to_hex(c.public_key().fingerprint())}};
}

json files_record(const std::vector<WrittenFile>& files) {
  json j = json::object();
  for (const auto& f : files) j[f.path.filename().string()] = {{"sha256", f.sha256}};
  return j;
}

/** Refuses to start when any output exists, so a run never leaves a mix of old and new files. */
Result<void> refuse_existing(const std::vector<fs::path>& paths, bool force) {
  if (force) return {};
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::exists(p, ec))
      return fail(ErrorKind::Conflict, p.string() + " already exists (use --force to replace it, or choose another --out)");
  }
  return {};
}

Result<void> check_valid_now(const x509::Certificate& c, TimePoint now, std::string_view what) {
  if (now < c.not_before())
    return fail(ErrorKind::InvalidArgument, std::string(what) + " is not valid until " + util::format_time(c.not_before()) +
                                                " (check the clock of this machine)");
  if (now >= c.not_after())
    return fail(ErrorKind::InvalidArgument, std::string(what) + " expired on " + util::format_time(c.not_after()) +
                                                "; it can no longer sign (rotate the root)");
  return {};
}

Result<std::vector<x509::NameSubtree>> subtrees(const std::vector<std::string>& values, x509::GeneralNameType type) {
  std::vector<x509::NameSubtree> out;
  for (const auto& v : values) {
    x509::NameSubtree st{type, v};
    PKI_TRY(x509::to_openssl(st));  // validates the syntax now, with a clear error
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Signer>> open_root_signer(const fs::path& root_dir, const Secret& passphrase) {
  PKI_TRY_ASSIGN(auto cert, x509::Certificate::load((root_dir / root_cert_file).string()));
  std::unique_ptr<Signer> signer;
  std::string where = (root_dir / root_key_file).string();
  std::error_code ec;
  if (fs::exists(root_dir / root_key_uri_file, ec)) {
    PKI_TRY_ASSIGN(auto text, util::read_file(root_dir / root_key_uri_file));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    PKI_TRY_ASSIGN(auto uri, Pkcs11Uri::parse(text));
    PKI_TRY_ASSIGN(signer, open_pkcs11_signer(uri, passphrase));
    where = text;
  } else {
    PKI_TRY_ASSIGN(auto key, load_private_key(root_dir / root_key_file, passphrase));
    signer = std::make_unique<KeySigner>(std::move(key));
  }
  if (!signer->public_key().equals(cert.public_key())) return fail(ErrorKind::Crypto, where + " is not the key of " + (root_dir / root_cert_file).string());
  return signer;
}

Result<crypto::PrivateKey> load_private_key(const fs::path& path, const Secret& passphrase) {
  PKI_TRY_ASSIGN(auto pem, util::read_file(path));
  auto key = crypto::PrivateKey::from_pem(pem, &passphrase);
  if (!key) return fail(std::move(key.error().context(path.string())));
  return key;
}

Result<RootInitResult> root_init(const RootInitParams& p, const Secret& passphrase, const Clock& clock) {
  PKI_TRY_ASSIGN(auto subject_der, x509::parse_name(p.subject));
  if (p.path_len && *p.path_len < 0) return fail(ErrorKind::InvalidArgument, "--pathlen must be 0 or more");
  if (passphrase.empty()) return fail(ErrorKind::BadPassphrase, "an empty passphrase cannot protect the root key");
  const fs::path key_path = p.out_dir / root_key_file, cert_path = p.out_dir / root_cert_file,
                 record_path = p.out_dir / root_record_file;
  PKI_TRY(refuse_existing({key_path, cert_path, record_path}, p.force));
  PKI_TRY(util::ensure_directory(p.out_dir, 0700));

  x509::CertificateSpec spec;
  spec.subject_der = subject_der;
  spec.basic_constraints = x509::BasicConstraints{true, p.path_len};
  spec.key_usage = x509::KeyCertSign | x509::CrlSign;
  spec.not_before = clock.now();
  spec.not_after = spec.not_before + p.validity;
  LedgerSerialRegistry serials(p.out_dir / ledger_file);
  std::unique_ptr<Signer> signer;
  std::string key_pem;  // file keys only: the encrypted PKCS#8
  if (!p.key_uri.empty()) {
    // The key is made on the token and never leaves it; the directory records where it is.
    PKI_TRY_ASSIGN(auto uri, Pkcs11Uri::parse(p.key_uri));
    PKI_TRY(refuse_existing({p.out_dir / root_key_uri_file}, p.force));
    PKI_TRY(pkcs11_generate_key(uri, p.key_type, passphrase));
    PKI_TRY_ASSIGN(signer, open_pkcs11_signer(uri, passphrase));
  } else {
    PKI_TRY_ASSIGN(auto key, crypto::PrivateKey::generate(p.key_type));
    PKI_TRY_ASSIGN(key_pem, key.to_encrypted_pem(passphrase));
    signer = std::make_unique<KeySigner>(std::move(key));
  }
  PKI_TRY_ASSIGN(auto cert, Issuer::self_sign(spec, *signer, serials));

  RootInitResult out{cert, {}};
  // The key first: a root certificate without its key would be useless.
  if (p.key_uri.empty()) {
    PKI_TRY_ASSIGN(auto kf, write_output(key_path, key_pem, key_file_mode, p.force));
    out.files.push_back(kf);
  } else {
    PKI_TRY_ASSIGN(auto uri, Pkcs11Uri::parse(p.key_uri));
    PKI_TRY_ASSIGN(auto kf, write_output(p.out_dir / root_key_uri_file, uri.str() + "\n", public_file_mode, p.force));
    out.files.push_back(kf);
  }
  PKI_TRY_ASSIGN(auto cf, write_output(cert_path, cert.pem(), public_file_mode, p.force));
  out.files.push_back(cf);
  const json record = {
      {"operation", "root init"},
      {"tool", std::string("pkictl ") + PKICTL_VERSION},
      {"time", util::format_time(clock.now())},
      {"parameters",
       {{"subject", p.subject},
        {"key_type", crypto::to_string(p.key_type)},
        {"validity", util::format_duration(p.validity)},
        {"path_len", p.path_len ? json(*p.path_len) : json(nullptr)},
        {"key", p.key_uri.empty() ? std::string("root.key (encrypted PKCS#8)") : p.key_uri}}},
      {"certificate", certificate_record(cert)},
      {"files", files_record(out.files)},
  };
  PKI_TRY_ASSIGN(auto rf, write_output(record_path, record.dump(2) + "\n", public_file_mode, p.force));
  out.files.push_back(rf);
  PKI_TRY(append_ledger(p.out_dir, {{"time", util::format_time(clock.now())}, {"operation", "root init"},
                                    {"serial", cert.serial_hex()}, {"subject", cert.subject_text()},
                                    {"sha256", util::to_hex(cert.fingerprint())}}));
  return out;
}

Result<CsrResult> intermediate_csr(const CsrParams& p, const Secret& passphrase) {
  PKI_TRY_ASSIGN(auto subject_der, x509::parse_name(p.subject));
  if (passphrase.empty()) return fail(ErrorKind::BadPassphrase, "an empty passphrase cannot protect the key");
  const fs::path key_path = p.out_dir / (p.name + ".key"), csr_path = p.out_dir / (p.name + ".csr");
  PKI_TRY(refuse_existing({key_path, csr_path}, p.force));
  PKI_TRY(util::ensure_directory(p.out_dir, 0700));
  PKI_TRY_ASSIGN(auto key, crypto::PrivateKey::generate(p.key_type));
  PKI_TRY_ASSIGN(auto key_pem, key.to_encrypted_pem(passphrase));
  PKI_TRY_ASSIGN(auto csr_pem, x509::make_csr_pem(subject_der, {}, key));
  CsrResult out;
  PKI_TRY_ASSIGN(auto kf, write_output(key_path, key_pem, key_file_mode, p.force));
  out.files.push_back(kf);
  PKI_TRY_ASSIGN(auto cf, write_output(csr_path, csr_pem, public_file_mode, p.force));
  out.files.push_back(cf);
  out.spki_sha256 = util::to_hex(key.public_key().fingerprint());
  return out;
}

Result<SignResult> intermediate_sign(const SignParams& p, const Secret& root_passphrase, const Clock& clock) {
  // Step 1: the root, its key, and whether it may sign now.
  PKI_TRY_ASSIGN(auto root_cert, x509::Certificate::load(p.root_dir / root_cert_file));
  const TimePoint now = clock.now();
  PKI_TRY(check_valid_now(root_cert, now, "the root certificate"));
  if (p.path_len < 0) return fail(ErrorKind::InvalidArgument, "--pathlen must be 0 or more");
  if (auto root_len = root_cert.path_len(); root_len && p.path_len >= *root_len)
    return fail(ErrorKind::InvalidArgument, "the root allows a path length of " + std::to_string(*root_len) +
                                                " below it, so the intermediate's --pathlen must be less than that");
  // Step 2: the request — signature, key strength, not the root's own key.
  PKI_TRY_ASSIGN(auto csr_data, util::read_file(p.csr_path));
  PKI_TRY_ASSIGN(auto untrusted, x509::UntrustedCsr::parse(csr_data));
  PKI_TRY_ASSIGN(auto csr, untrusted.verify());
  PKI_TRY(policy::check_key(csr.public_key()));
  if (csr.public_key().equals(root_cert.public_key()))
    return fail(ErrorKind::BadPublicKey, "the CSR carries the root's own key; an issuing CA needs its own key");
  // Step 3: the content, decided here from the flags; nothing is copied from the CSR but its
  // subject and key.
  x509::CertificateSpec spec;
  spec.subject_der = csr.subject_der();
  spec.basic_constraints = x509::BasicConstraints{true, p.path_len};
  spec.key_usage = x509::DigitalSignature | x509::KeyCertSign | x509::CrlSign;
  for (const auto& e : p.ekus) {
    PKI_TRY_ASSIGN(auto eku, x509::parse_eku(e));
    spec.extended_key_usage.push_back(eku);
  }
  PKI_TRY_ASSIGN(auto permit_dns, subtrees(p.permit_dns, x509::GeneralNameType::Dns));
  PKI_TRY_ASSIGN(auto permit_ip, subtrees(p.permit_ip, x509::GeneralNameType::Ip));
  PKI_TRY_ASSIGN(auto exclude_dns, subtrees(p.exclude_dns, x509::GeneralNameType::Dns));
  PKI_TRY_ASSIGN(auto exclude_ip, subtrees(p.exclude_ip, x509::GeneralNameType::Ip));
  spec.name_constraints.permitted = permit_dns;
  spec.name_constraints.permitted.insert(spec.name_constraints.permitted.end(), permit_ip.begin(), permit_ip.end());
  spec.name_constraints.excluded = exclude_dns;
  spec.name_constraints.excluded.insert(spec.name_constraints.excluded.end(), exclude_ip.begin(), exclude_ip.end());
  spec.crl_distribution_points = p.crl_urls;
  spec.policy_oids = p.policy_oids;
  spec.not_before = now;
  spec.not_after = now + p.validity;
  if (spec.not_after > root_cert.not_after()) {
    const auto max_days = std::chrono::duration_cast<std::chrono::days>(root_cert.not_after() - now).count();
    return fail(ErrorKind::InvalidArgument, "a validity of " + util::format_duration(p.validity) + " would outlive the root (notAfter " +
                                                util::format_time(root_cert.not_after()) + "); use --validity " +
                                                std::to_string(max_days) + "d or less");
  }
  PKI_TRY(refuse_existing({p.out, fs::path(p.out.string() + ".json")}, p.force));
  // Step 4: decrypt the root key and sign.
  PKI_TRY_ASSIGN(auto signer, open_root_signer(p.root_dir, root_passphrase));
  Issuer issuer(root_cert, *signer);
  if (!issuer.key_matches())
    return fail(ErrorKind::Crypto, "root.key does not belong to root.crt in " + p.root_dir.string());
  LedgerSerialRegistry serials(p.root_dir / ledger_file);
  PKI_TRY_ASSIGN(auto cert, issuer.issue(spec, csr.public_key(), serials));
  // Step 5: publish the certificate, its record, and the ledger line.
  SignResult out{cert, {}};
  PKI_TRY_ASSIGN(auto cf, write_output(p.out, cert.pem(), public_file_mode, p.force));
  out.files.push_back(cf);
  auto nc_json = [](const std::vector<std::string>& v) { return json(v); };
  const json record = {
      {"operation", "intermediate sign"},
      {"tool", std::string("pkictl ") + PKICTL_VERSION},
      {"time", util::format_time(now)},
      {"parameters",
       {{"csr", p.csr_path.string()}, {"csr_sha256", crypto::sha256_hex(csr_data)},
        {"path_len", p.path_len}, {"validity", util::format_duration(p.validity)},
        {"permit_dns", nc_json(p.permit_dns)}, {"permit_ip", nc_json(p.permit_ip)},
        {"exclude_dns", nc_json(p.exclude_dns)}, {"exclude_ip", nc_json(p.exclude_ip)}}},
      {"issuer", certificate_record(root_cert)},
      {"certificate", certificate_record(cert)},
      {"files", files_record(out.files)},
  };
  PKI_TRY_ASSIGN(auto rf, write_output(fs::path(p.out.string() + ".json"), record.dump(2) + "\n", public_file_mode, p.force));
  out.files.push_back(rf);
  PKI_TRY(append_ledger(p.root_dir, {{"time", util::format_time(now)}, {"operation", "intermediate sign"},
                                     {"serial", cert.serial_hex()}, {"subject", cert.subject_text()},
                                     {"sha256", util::to_hex(cert.fingerprint())}}));
  return out;
}

namespace {

Result<std::vector<json>> read_ledger(const fs::path& root_dir) {
  PKI_TRY_ASSIGN(auto text, util::read_file(root_dir / ledger_file));
  std::vector<json> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    const auto line = text.substr(start, nl - start);
    if (!line.empty()) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_discarded()) return fail(ErrorKind::Malformed, (root_dir / ledger_file).string() + ": a line is not JSON");
      out.push_back(std::move(j));
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

struct LoadedRoot {
  x509::Certificate cert;
  std::unique_ptr<Signer> key;
  const Signer& signer() const { return *key; }
};

Result<LoadedRoot> load_root(const fs::path& root_dir, const Secret& passphrase, const Clock& clock) {
  PKI_TRY_ASSIGN(auto cert, x509::Certificate::load((root_dir / root_cert_file).string()));
  PKI_TRY_ASSIGN(auto signer, open_root_signer(root_dir, passphrase));
  if (clock.now() > cert.not_after()) return fail(ErrorKind::InvalidArgument, "the root expired on " + util::format_time(cert.not_after()));
  return LoadedRoot{std::move(cert), std::move(signer)};
}

}  // namespace

Result<void> root_revoke(const fs::path& root_dir, const std::string& serial_hex, int reason, const Clock& clock) {
  PKI_TRY_ASSIGN(auto serial, util::from_hex(serial_hex));
  const std::string hex = util::to_hex(serial);
  PKI_TRY_ASSIGN(auto ledger, read_ledger(root_dir));
  bool signed_here = false;
  for (const auto& e : ledger) {
    if (e.value("serial", "") != hex) continue;
    if (e.value("operation", "") == "revoke") return fail(ErrorKind::AlreadyRevoked, "serial " + hex + " is already revoked in the ledger");
    if (e.value("operation", "") == "intermediate sign" || e.value("operation", "") == "cross-sign") signed_here = true;
  }
  if (!signed_here) return fail(ErrorKind::NotFound, "this root signed no certificate with serial " + hex + " (see its ledger.jsonl)");
  return append_ledger(root_dir, {{"time", util::format_time(clock.now())}, {"operation", "revoke"}, {"serial", hex}, {"reason", reason}});
}

Result<WrittenFile> root_crl(const CrlParams& p, const Secret& passphrase, const Clock& clock) {
  PKI_TRY_ASSIGN(auto root, load_root(p.root_dir, passphrase, clock));
  PKI_TRY_ASSIGN(auto ledger, read_ledger(p.root_dir));
  x509::CrlSpec spec;
  spec.this_update = clock.now();
  spec.next_update = spec.this_update + p.next_update;
  for (const auto& e : ledger) {
    if (e.value("operation", "") == "crl") spec.number = std::max<std::int64_t>(spec.number, e.value("number", 0) + 1);
    if (e.value("operation", "") == "revoke") {
      auto at = util::parse_time(e.value("time", ""));
      spec.revoked.push_back({e.value("serial", ""), at ? *at : spec.this_update, e.value("reason", 0)});
    }
  }
  PKI_TRY_ASSIGN(auto der, x509::make_crl(root.cert, root.signer(), spec));
  std::string data = der;
  if (p.out.extension() == ".pem") {
    ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    PEM_write_bio(bio.get(), "X509 CRL", "", reinterpret_cast<const unsigned char*>(der.data()), static_cast<long>(der.size()));
    data = ossl::bio_to_string(bio.get());
  }
  PKI_TRY_ASSIGN(auto written, write_output(p.out, data, public_file_mode, p.force));
  PKI_TRY(append_ledger(p.root_dir, {{"time", util::format_time(spec.this_update)}, {"operation", "crl"}, {"number", spec.number},
                                     {"revoked", spec.revoked.size()}, {"next_update", util::format_time(spec.next_update)},
                                     {"sha256", written.sha256}}));
  return written;
}

Result<SignResult> root_cross_sign(const CrossSignParams& p, const Secret& passphrase, const Clock& clock) {
  PKI_TRY_ASSIGN(auto root, load_root(p.root_dir, passphrase, clock));
  PKI_TRY_ASSIGN(auto other, x509::Certificate::load(p.subject.string()));
  if (!other.is_ca()) return fail(ErrorKind::InvalidArgument, p.subject.string() + " is not a CA certificate");
  if (other.public_key().equals(root.cert.public_key())) return fail(ErrorKind::InvalidArgument, "a root cannot cross-sign its own key");
  x509::CertificateSpec spec;
  spec.subject_der = other.subject_der();
  spec.basic_constraints = x509::BasicConstraints{true, std::nullopt};
  spec.key_usage = x509::KeyCertSign | x509::CrlSign;
  spec.not_before = std::max(clock.now(), root.cert.not_before());
  spec.not_after = std::min(spec.not_before + p.validity, root.cert.not_after());
  Issuer issuer(root.cert, root.signer());
  LedgerSerialRegistry serials(p.root_dir / ledger_file);
  PKI_TRY_ASSIGN(auto cert, issuer.issue(spec, other.public_key(), serials));
  SignResult out{cert, {}};
  PKI_TRY_ASSIGN(auto cf, write_output(p.out, cert.pem(), public_file_mode, p.force));
  out.files.push_back(cf);
  PKI_TRY(append_ledger(p.root_dir, {{"time", util::format_time(clock.now())}, {"operation", "cross-sign"}, {"serial", cert.serial_hex()},
                                     {"subject", cert.subject_text()}, {"sha256", util::to_hex(cert.fingerprint())}}));
  return out;
}

Result<std::vector<WrittenFile>> root_rotate(const RotateParams& p, const Secret& old_passphrase, const Secret& new_passphrase,
                                             const Clock& clock) {
  PKI_TRY(util::ensure_directory(p.out_dir, 0755));
  std::vector<WrittenFile> out;
  PKI_TRY_ASSIGN(auto a, root_cross_sign({p.old_root, p.new_root / root_cert_file, p.out_dir / "new-by-old.crt", p.validity, false}, old_passphrase, clock));
  PKI_TRY_ASSIGN(auto b, root_cross_sign({p.new_root, p.old_root / root_cert_file, p.out_dir / "old-by-new.crt", p.validity, false}, new_passphrase, clock));
  out.insert(out.end(), a.files.begin(), a.files.end());
  out.insert(out.end(), b.files.begin(), b.files.end());
  PKI_TRY_ASSIGN(auto old_root, x509::Certificate::load((p.old_root / root_cert_file).string()));
  PKI_TRY_ASSIGN(auto new_root, x509::Certificate::load((p.new_root / root_cert_file).string()));
  PKI_TRY_ASSIGN(auto t, write_output(p.out_dir / "transition-roots.pem", old_root.pem() + new_root.pem(), public_file_mode, false));
  out.push_back(t);
  if (!p.csr.empty()) {
    SignParams sp;
    sp.root_dir = p.new_root;
    sp.csr_path = p.csr;
    sp.out = p.out_dir / "intermediate-under-new.crt";
    sp.validity = p.intermediate_validity;
    PKI_TRY_ASSIGN(auto s, intermediate_sign(sp, new_passphrase, clock));
    out.insert(out.end(), s.files.begin(), s.files.end());
  }
  return out;
}

}  // namespace pkictl::ca
