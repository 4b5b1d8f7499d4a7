#include "ceremony/plan.hpp"

#include <fstream>
#include <set>

#include "ceremony/shamir.hpp"
#include "core/ca/offline_ca.hpp"
#include "core/ca/pkcs11.hpp"
#include "core/config/toml_loader.hpp"
#include "core/crypto/digest.hpp"
#include "core/lint/certificate_lint.hpp"
#include "core/ra/revocation.hpp"
#include "core/util/atomic_file.hpp"
#include "core/x509/general_name.hpp"
#include "core/x509/name.hpp"

namespace pkictl::ceremony {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct ParamSpec {
  const char* name;
  enum Kind { Str, Path, Dur, Int, List } kind;
  bool required;
  const char* fallback;  // default as text ("" = none)
};

const std::map<std::string, std::vector<ParamSpec>>& actions() {
  static const std::map<std::string, std::vector<ParamSpec>> a = {
      {"root_init", {{"subject", ParamSpec::Str, true, ""}, {"key_type", ParamSpec::Str, false, "ec-p384"}, {"validity", ParamSpec::Dur, false, "20y"},
                     {"path_len", ParamSpec::Int, false, ""}, {"out", ParamSpec::Path, true, ""}, {"key_uri", ParamSpec::Str, false, ""}}},
      {"intermediate_csr", {{"subject", ParamSpec::Str, true, ""}, {"key_type", ParamSpec::Str, false, "ec-p256"}, {"out", ParamSpec::Path, true, ""},
                            {"name", ParamSpec::Str, false, "intermediate"}}},
      {"intermediate_sign", {{"root", ParamSpec::Path, true, ""}, {"csr", ParamSpec::Path, true, ""}, {"out", ParamSpec::Path, true, ""},
                             {"validity", ParamSpec::Dur, false, "5y"}, {"path_len", ParamSpec::Int, false, "0"}, {"permit_dns", ParamSpec::List, false, ""},
                             {"permit_ip", ParamSpec::List, false, ""}, {"exclude_dns", ParamSpec::List, false, ""}, {"exclude_ip", ParamSpec::List, false, ""},
                             {"crl_urls", ParamSpec::List, false, ""}}},
      {"cross_sign", {{"root", ParamSpec::Path, true, ""}, {"subject", ParamSpec::Path, true, ""}, {"out", ParamSpec::Path, true, ""},
                      {"validity", ParamSpec::Dur, false, "5y"}}},
      {"revoke_intermediate", {{"root", ParamSpec::Path, true, ""}, {"serial", ParamSpec::Str, true, ""}, {"reason", ParamSpec::Str, true, ""}}},
      {"root_crl", {{"root", ParamSpec::Path, true, ""}, {"out", ParamSpec::Path, true, ""}, {"next_update", ParamSpec::Dur, false, "30d"}}},
      {"backup_key", {{"root", ParamSpec::Path, true, ""}, {"shares", ParamSpec::Int, true, ""}, {"threshold", ParamSpec::Int, true, ""},
                      {"out", ParamSpec::Path, true, ""}}},
  };
  return a;
}

std::string file_sha256(const fs::path& p) {
  auto data = util::read_file(p);
  return data ? util::to_hex(crypto::sha256(*data)) : "";
}

json hashed(const fs::path& p, const fs::path& base) {
  return {{"path", fs::relative(p, base).string()}, {"sha256", file_sha256(p)}};
}

Seconds dur(const json& v) { return *util::parse_duration(v.get<std::string>()); }
fs::path path_of(const json& params, const char* key) { return fs::path(params[key].get<std::string>()); }
std::vector<std::string> list(const json& v) { return v.is_array() ? v.get<std::vector<std::string>>() : std::vector<std::string>{}; }

/** One reading of a step's parameters for the offline CA, shared by check and run. */
Result<ca::RootInitParams> root_params(const json& p) {
  ca::RootInitParams rp;
  rp.subject = p["subject"];
  PKI_TRY_ASSIGN(rp.key_type, crypto::parse_key_type(p["key_type"].get<std::string>()));
  rp.validity = dur(p["validity"]);
  if (p.contains("path_len")) rp.path_len = p["path_len"].get<int>();
  rp.out_dir = path_of(p, "out");
  if (p.contains("key_uri")) rp.key_uri = p["key_uri"];
  return rp;
}

ca::SignParams sign_params(const json& p) {
  ca::SignParams sp;
  sp.root_dir = path_of(p, "root");
  sp.csr_path = path_of(p, "csr");
  sp.out = path_of(p, "out");
  sp.validity = dur(p["validity"]);
  sp.path_len = p["path_len"];
  sp.permit_dns = list(p["permit_dns"]);
  sp.permit_ip = list(p["permit_ip"]);
  sp.exclude_dns = list(p["exclude_dns"]);
  sp.exclude_ip = list(p["exclude_ip"]);
  sp.crl_urls = list(p["crl_urls"]);
  return sp;
}

/** A directory for throwaway material (check builds certificates there), removed afterwards. */
struct Scratch {
  fs::path dir;
  Scratch() {
    char tmpl[] = "/tmp/pkictl-ceremony-check-XXXXXX";
    if (const char* d = mkdtemp(tmpl)) dir = d;
  }
  ~Scratch() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

/** Inputs each step reads and outputs it writes (for check and the transcript). */
void declare_files(Step& s) {
  const auto& p = s.params;
  auto path = [&](const char* k) { return fs::path(p[k].get<std::string>()); };
  if (s.action == "root_init") {
    s.outputs = {path("out") / (p.contains("key_uri") ? ca::root_key_uri_file : ca::root_key_file), path("out") / ca::root_cert_file,
                 path("out") / ca::root_record_file};
  } else if (s.action == "intermediate_csr") {
    const std::string n = p["name"];
    s.outputs = {path("out") / (n + ".key"), path("out") / (n + ".csr")};
  } else if (s.action == "intermediate_sign") {
    s.inputs = {path("root") / ca::root_cert_file, path("csr")};
    s.outputs = {path("out")};
  } else if (s.action == "cross_sign") {
    s.inputs = {path("root") / ca::root_cert_file, path("subject")};
    s.outputs = {path("out")};
  } else if (s.action == "revoke_intermediate") {
    s.inputs = {path("root") / ca::root_cert_file};
  } else if (s.action == "root_crl") {
    s.inputs = {path("root") / ca::root_cert_file};
    s.outputs = {path("out")};
  } else if (s.action == "backup_key") {
    s.inputs = {path("root") / ca::root_key_file, path("root") / ca::root_cert_file};
    for (int i = 1; i <= p["shares"].get<int>(); ++i) s.outputs.push_back(path("out") / ("share-" + std::to_string(i) + ".txt"));
  }
}

}  // namespace

Result<Plan> load_plan(const fs::path& file) {
  PKI_TRY_ASSIGN(toml::table root, config::parse_toml_file(file, "plan"));
  Plan plan;
  plan.file = fs::absolute(file);
  plan.dir = plan.file.parent_path();
  PKI_TRY_ASSIGN(auto bytes, util::read_file(file));
  plan.sha256 = util::to_hex(crypto::sha256(bytes));
  config::Loader l(plan.file);
  PKI_TRY(l.known_keys(root, "", {"ceremony", "step"}));
  Result<void> status;
  const toml::table* c = l.section(root, "ceremony", status);
  PKI_TRY(status);
  if (!c) return fail(ErrorKind::Config, file.string() + ": a [ceremony] table is required (name, operators, transcript, sign_with)");
  PKI_TRY(l.known_keys(*c, "ceremony.", {"name", "operators", "transcript", "sign_with"}));
  PKI_TRY(l.get(*c, "ceremony.", "name", plan.name));
  PKI_TRY(l.get(*c, "ceremony.", "operators", plan.operators));
  PKI_TRY(l.get(*c, "ceremony.", "transcript", plan.transcript));
  PKI_TRY(l.get(*c, "ceremony.", "sign_with", plan.sign_with));
  if (plan.name.empty() || plan.operators.empty() || plan.transcript.empty() || plan.sign_with.empty())
    return fail(l.error(c, "ceremony", "name, operators, transcript and sign_with are all required"));
  const toml::array* steps = root["step"].as_array();
  if (!steps || steps->empty()) return fail(ErrorKind::Config, file.string() + ": no [[step]] entries");
  for (const auto& node : *steps) {
    const toml::table* t = node.as_table();
    if (!t) return fail(l.error(&node, "step", "each step is a [[step]] table"));
    Step s;
    s.number = static_cast<int>(plan.steps.size()) + 1;
    s.line = static_cast<int>(node.source().begin.line);
    const std::string prefix = "step " + std::to_string(s.number) + ".";
    PKI_TRY(l.get(*t, prefix, "action", s.action));
    if (s.action.empty()) return fail(l.error(t, prefix + "action", "is required (root_init, intermediate_sign, …)"));
    auto it = actions().find(s.action);
    if (it == actions().end()) {
      std::string known;
      for (const auto& [k, v] : actions()) known += (known.empty() ? "" : ", ") + k;
      return fail(l.error(t, prefix + "action", "unknown action \"" + s.action + "\" (" + known + ")"));
    }
    std::set<std::string> keys = {"action"};
    for (const auto& spec : it->second) keys.insert(spec.name);
    PKI_TRY(l.known_keys(*t, prefix, keys));
    s.params = json::object();
    for (const auto& spec : it->second) {
      if (!t->get(spec.name)) {
        if (spec.required) return fail(l.error(t, prefix + spec.name, "is required for " + s.action));
        if (spec.kind == ParamSpec::List) s.params[spec.name] = json::array();
        else if (spec.kind == ParamSpec::Int && *spec.fallback) s.params[spec.name] = std::stoi(spec.fallback);
        else if (*spec.fallback) s.params[spec.name] = spec.fallback;
        continue;
      }
      switch (spec.kind) {
        case ParamSpec::Str: { std::string v; PKI_TRY(l.get(*t, prefix, spec.name, v)); s.params[spec.name] = v; break; }
        case ParamSpec::Path: { fs::path v; PKI_TRY(l.get(*t, prefix, spec.name, v)); s.params[spec.name] = v.lexically_normal().string(); break; }
        case ParamSpec::Dur: { Seconds v{}; PKI_TRY(l.get(*t, prefix, spec.name, v)); s.params[spec.name] = util::format_duration(v); break; }
        case ParamSpec::Int: { int v = 0; PKI_TRY(l.get(*t, prefix, spec.name, v)); s.params[spec.name] = v; break; }
        case ParamSpec::List: { std::vector<std::string> v; PKI_TRY(l.get(*t, prefix, spec.name, v)); s.params[spec.name] = v; break; }
      }
    }
    declare_files(s);
    plan.steps.push_back(std::move(s));
  }
  if (plan.transcript.is_relative()) plan.transcript = plan.dir / plan.transcript;
  if (plan.sign_with.is_relative()) plan.sign_with = plan.dir / plan.sign_with;
  return plan;
}

std::string describe(const Step& s) {
  std::string out = "step " + std::to_string(s.number) + ": " + s.action;
  for (const auto& [k, v] : s.params.items()) out += "\n    " + k + " = " + (v.is_string() ? v.get<std::string>() : v.dump());
  for (const auto& p : s.inputs) out += "\n    reads  " + p.string();
  for (const auto& p : s.outputs) out += "\n    writes " + p.string();
  return out;
}

std::vector<std::string> check_plan(const Plan& plan, const Clock& clock) {
  std::vector<std::string> problems;
  std::set<fs::path> made;
  auto say = [&](const Step& s, const std::string& what) { problems.push_back(plan.file.string() + ":" + std::to_string(s.line) + ": step " + std::to_string(s.number) + " (" + s.action + "): " + what); };
  std::error_code ec;
  for (const auto& s : plan.steps) {
    const auto& p = s.params;
    if (s.action == "backup_key" && fs::exists(fs::path(p["root"].get<std::string>()) / ca::root_key_uri_file, ec)) {
      say(s, "the root key is in a PKCS#11 token and cannot leave it; back up the token instead");
      continue;
    }
    for (const auto& in : s.inputs)
      if (!made.count(in) && !fs::exists(in, ec)) say(s, "needs " + in.string() + ", which neither exists nor is made by an earlier step");
    for (const auto& out : s.outputs) {
      if (made.count(out)) say(s, "writes " + out.string() + ", which an earlier step writes too");
      else if (fs::exists(out, ec)) say(s, "would overwrite " + out.string() + ": move it away first");
      made.insert(out);
    }
    if (p.contains("subject") && s.action != "cross_sign")
      if (auto n = x509::parse_name(p["subject"].get<std::string>()); !n) say(s, "subject: " + n.error().detail);
    if (p.contains("key_type"))
      if (auto k = crypto::parse_key_type(p["key_type"].get<std::string>()); !k) say(s, k.error().detail);
    for (const char* k : {"permit_ip", "exclude_ip"})
      if (p.contains(k))
        for (const auto& c : list(p[k]))
          if (auto b = x509::cidr_bytes(c); !b) say(s, std::string(k) + ": " + b.error().detail);
    if (s.action == "revoke_intermediate") {
      if (auto r = ra::parse_revocation_reason(p["reason"].get<std::string>()); !r) say(s, r.error().detail);
      if (auto h = util::from_hex(p["serial"].get<std::string>()); !h) say(s, "serial is not hexadecimal");
    }
    if (p.contains("key_uri"))
      if (auto u = ca::Pkcs11Uri::parse(p["key_uri"].get<std::string>()); !u) say(s, "key_uri: " + u.error().detail);
    if (s.action == "backup_key" && (p["threshold"].get<int>() < 2 || p["threshold"].get<int>() > p["shares"].get<int>() || p["shares"].get<int>() > 255))
      say(s, "needs 2 <= threshold <= shares <= 255");
    auto lint_errors = [&](const x509::Certificate& cert, const x509::Certificate& issuer) {
      for (const auto& f : lint::lint_certificate(cert, {&issuer}))
        if (f.severity == lint::Finding::Severity::Error) say(s, "lint " + f.id + ": " + f.message);
    };
    if (s.action == "intermediate_sign" && problems.empty() && fs::exists(path_of(p, "csr"), ec) && !made.count(path_of(p, "csr"))) {
      // Sign the CSR with a throwaway root of ample validity and lint what comes out: the
      // extensions, constraints and key this step would certify.
      Scratch scratch;
      const Secret pass("throwaway");
      ca::RootInitParams rp;
      rp.subject = "CN=pkictl ceremony check";
      rp.key_type = crypto::KeyType::EcP256;
      rp.validity = dur(p["validity"]) + Seconds(2 * 86400);
      rp.path_len = p["path_len"].get<int>() + 1;
      rp.out_dir = scratch.dir / "root";
      ca::SignParams sp = sign_params(p);
      sp.root_dir = rp.out_dir;
      sp.out = scratch.dir / "intermediate.crt";
      auto root = ca::root_init(rp, pass, clock);
      auto r = root ? ca::intermediate_sign(sp, pass, clock) : Result<ca::SignResult>(fail(root.error()));
      if (!r) say(s, "the intermediate cannot be made: " + r.error().detail);
      else lint_errors(r->certificate, root->certificate);
    }
    if (s.action == "root_init" && problems.empty()) {
      // Build the root this step would make, with a throwaway file key, and lint it.
      Scratch scratch;
      auto rp = root_params(p);
      if (rp) {
        rp->out_dir = scratch.dir / "root";
        rp->key_uri.clear();
      }
      auto r = rp ? ca::root_init(*rp, Secret("throwaway"), clock) : Result<ca::RootInitResult>(fail(rp.error()));
      if (!r) say(s, "the root cannot be made: " + r.error().detail);
      else lint_errors(r->certificate, r->certificate);
    }
  }
  if (!made.count(plan.sign_with / ca::root_cert_file) && !fs::exists(plan.sign_with / ca::root_cert_file, ec))
    problems.push_back(plan.file.string() + ": sign_with " + plan.sign_with.string() + " has no root and no step makes one");
  if (fs::exists(plan.transcript, ec)) problems.push_back(plan.file.string() + ": the transcript " + plan.transcript.string() + " exists already");
  return problems;
}

Result<void> run_plan(const Plan& plan, const Secret& pass, const Clock& clock, const RunHooks& hooks) {
  std::ofstream transcript(plan.transcript, std::ios::out | std::ios::app);
  if (!transcript) return fail(ErrorKind::Io, "cannot write the transcript " + plan.transcript.string());
  const fs::path base = plan.transcript.parent_path();
  auto record = [&](const json& line) {
    transcript << line.dump() << "\n";
    transcript.flush();
  };
  record({{"ceremony", plan.name}, {"operators", plan.operators}, {"plan", fs::relative(plan.file, base).string()}, {"plan_sha256", plan.sha256},
          {"started", util::format_time(clock.now())}, {"pkictl", PKICTL_VERSION}});
  for (const auto& s : plan.steps) {
    if (hooks.say)
      for (const auto& in : s.inputs) hooks.say("step " + std::to_string(s.number) + " input " + in.string() + "  sha256 " + file_sha256(in));
    if (hooks.confirm && !hooks.confirm(s)) return fail(ErrorKind::InvalidArgument, "stopped before step " + std::to_string(s.number) + " at the operators' request");
    const auto& p = s.params;
    auto path = [&](const char* k) { return fs::path(p[k].get<std::string>()); };
    json inputs = json::array(), outputs = json::array();
    for (const auto& in : s.inputs) inputs.push_back(hashed(in, base));
    std::vector<ca::WrittenFile> written;
    if (s.action == "root_init") {
      PKI_TRY_ASSIGN(auto rp, root_params(p));
      PKI_TRY_ASSIGN(auto r, ca::root_init(rp, pass, clock));
      written = r.files;
      if (hooks.say) hooks.say("root certificate SHA-256: " + util::to_hex(r.certificate.fingerprint(), ':', true));
    } else if (s.action == "intermediate_csr") {
      PKI_TRY_ASSIGN(auto kt, crypto::parse_key_type(p["key_type"].get<std::string>()));
      PKI_TRY_ASSIGN(auto r, ca::intermediate_csr({p["subject"], kt, path("out"), p["name"], false}, pass));
      written = r.files;
    } else if (s.action == "intermediate_sign") {
      const ca::SignParams sp = sign_params(p);
      PKI_TRY_ASSIGN(auto r, ca::intermediate_sign(sp, pass, clock));
      written = r.files;
      if (hooks.say) hooks.say("issuing CA certificate SHA-256: " + util::to_hex(r.certificate.fingerprint(), ':', true));
    } else if (s.action == "cross_sign") {
      PKI_TRY_ASSIGN(auto r, ca::root_cross_sign({path("root"), path("subject"), path("out"), dur(p["validity"]), false}, pass, clock));
      written = r.files;
    } else if (s.action == "revoke_intermediate") {
      PKI_TRY_ASSIGN(int reason, ra::parse_revocation_reason(p["reason"].get<std::string>()));
      PKI_TRY(ca::root_revoke(path("root"), p["serial"], reason, clock));
      written = {{path("root") / ca::ledger_file, file_sha256(path("root") / ca::ledger_file)}};
    } else if (s.action == "root_crl") {
      PKI_TRY_ASSIGN(auto f, ca::root_crl({path("root"), path("out"), dur(p["next_update"]), false}, pass, clock));
      written = {f};
    } else if (s.action == "backup_key") {
      std::error_code ec;
      if (fs::exists(path("root") / ca::root_key_uri_file, ec))
        return fail(ErrorKind::InvalidArgument, "step " + std::to_string(s.number) + ": the root key is in a PKCS#11 token and cannot leave it; back up the token instead");
      PKI_TRY_ASSIGN(auto key, ca::load_private_key(path("root") / ca::root_key_file, pass));
      PKI_TRY_ASSIGN(auto pem, key.to_unencrypted_pem());
      const Secret secret(std::move(pem));
      const std::string key_sha = util::to_hex(key.public_key().fingerprint());
      PKI_TRY_ASSIGN(auto shares, split(secret, p["threshold"], p["shares"], plan.name, key_sha));
      PKI_TRY(util::ensure_directory(path("out"), 0700));
      for (const auto& sh : shares) {
        util::WriteOptions o;
        o.mode = 0600;
        const auto f = path("out") / ("share-" + std::to_string(sh.number) + ".txt");
        const std::string text = to_text(sh);
        PKI_TRY(util::write_file_atomic(f, text, o));
        written.push_back({f, util::to_hex(crypto::sha256(text))});
      }
    }
    for (const auto& w : written) {
      outputs.push_back({{"path", fs::relative(w.path, base).string()}, {"sha256", w.sha256}});
      if (hooks.say) hooks.say("wrote " + w.path.string() + "  sha256 " + w.sha256);
    }
    record({{"step", s.number}, {"action", s.action}, {"time", util::format_time(clock.now())}, {"params", p}, {"inputs", inputs}, {"outputs", outputs}});
  }
  // Sign: the transcript's bytes, with the root key named by sign_with.
  PKI_TRY_ASSIGN(auto signer, ca::open_root_signer(plan.sign_with, pass));
  const auto pub = signer->public_key();
  record({{"finished", util::format_time(clock.now())}, {"signer", fs::relative(plan.sign_with, base).string()},
          {"signer_public_key", pub.to_pem()}, {"signer_spki_sha256", util::to_hex(pub.fingerprint())}});
  transcript.close();
  PKI_TRY_ASSIGN(auto bytes, util::read_file(plan.transcript));
  PKI_TRY_ASSIGN(auto sig, signer->sign(bytes));
  PKI_TRY(util::write_file_atomic(plan.transcript.string() + ".sig", util::base64url_encode(sig) + "\n"));
  if (hooks.say) hooks.say("transcript signed: " + plan.transcript.string() + ".sig (signer key SHA-256 " + util::to_hex(pub.fingerprint()) + ")");
  return {};
}

Result<TranscriptReport> verify_transcript(const fs::path& file, const fs::path& root_cert) {
  TranscriptReport rep;
  PKI_TRY_ASSIGN(auto bytes, util::read_file(file));
  auto sig_text = util::read_file(file.string() + ".sig");
  if (!sig_text) return fail(ErrorKind::NotFound, file.string() + ".sig: no signature (the ceremony did not finish?)");
  std::vector<json> lines;
  std::istringstream in(bytes);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded()) return fail(ErrorKind::Malformed, file.string() + ": a line is not JSON");
    lines.push_back(std::move(j));
  }
  if (lines.size() < 2 || !lines.back().contains("signer_public_key")) return fail(ErrorKind::Malformed, file.string() + ": unfinished transcript (no closing line)");
  rep.ceremony = lines.front().value("ceremony", "");
  PKI_TRY_ASSIGN(auto pub, crypto::PublicKey::from_pem(lines.back()["signer_public_key"].get<std::string>()));
  rep.signer_spki_sha256 = util::to_hex(pub.fingerprint());
  if (!root_cert.empty()) {
    PKI_TRY_ASSIGN(auto cert, x509::Certificate::load(root_cert.string()));
    if (!cert.public_key().equals(pub)) rep.problems.push_back("the transcript was signed by a key that is not " + root_cert.string() + "'s");
  }
  std::string sig_b64 = *sig_text;
  while (!sig_b64.empty() && (sig_b64.back() == '\n' || sig_b64.back() == '\r')) sig_b64.pop_back();
  auto sig = util::base64url_decode(sig_b64);
  auto ok = sig ? pub.verify(bytes, std::string(sig->begin(), sig->end())) : Result<bool>(false);
  if (!ok || !*ok) rep.problems.push_back("the signature does not verify: the transcript was changed after signing");
  const fs::path base = fs::absolute(file).parent_path();
  for (const auto& l : lines) {
    if (!l.contains("step")) continue;
    ++rep.steps;
    for (const auto& o : l["outputs"]) {
      const fs::path p = base / o["path"].get<std::string>();
      const std::string now = file_sha256(p);
      // The root's ledger grows with later steps: only its last recording must match.
      if (now.empty()) rep.problems.push_back("step " + std::to_string(l["step"].get<int>()) + ": " + o["path"].get<std::string>() + " is missing");
      else if (now != o["sha256"] && p.filename() != ca::ledger_file)
        rep.problems.push_back("step " + std::to_string(l["step"].get<int>()) + ": " + o["path"].get<std::string>() + " changed since the ceremony");
    }
  }
  rep.ok = rep.problems.empty();
  return rep;
}

Result<crypto::PrivateKey> recover_key(const std::vector<Share>& shares, const x509::Certificate& root_cert) {
  PKI_TRY_ASSIGN(auto secret, combine(shares));
  auto key = crypto::PrivateKey::from_pem(secret.view(), nullptr, true);
  if (!key) return fail(ErrorKind::Crypto, "the shares do not rebuild a key (shares from different splits?)");
  if (!key->public_key().equals(root_cert.public_key()))
    return fail(ErrorKind::Crypto, "the rebuilt key is not the key of " + root_cert.subject_text());
  const std::string message = "pkictl ceremony recovery proof " + util::to_hex(root_cert.fingerprint());
  PKI_TRY_ASSIGN(auto sig, key->sign(message));
  PKI_TRY_ASSIGN(bool ok, root_cert.public_key().verify(message, sig));
  if (!ok) return fail(ErrorKind::Crypto, "a test signature by the rebuilt key does not verify with the root certificate");
  return std::move(*key);
}

}  // namespace pkictl::ceremony
