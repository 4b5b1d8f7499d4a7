#include "core/lint/certificate_lint.hpp"

#include <openssl/x509v3.h>

#include <algorithm>
#include <set>

#include "core/policy/key_policy.hpp"
#include "core/policy/policy.hpp"
#include "core/util/text.hpp"
#include "core/x509/profile.hpp"

namespace pkictl::lint {
namespace {

using Severity = Finding::Severity;
constexpr Seconds leaf_warning_lifetime{398LL * 86400};  // the CA/B Forum's ceiling for public TLS

std::string oid_text(const ASN1_OBJECT* o) {
  const int nid = OBJ_obj2nid(o);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, o, 1);
  return buf;
}

std::optional<std::vector<std::string>> ekus_of(X509* x) {
  int crit = 0;
  ossl::Ptr<EXTENDED_KEY_USAGE> eku(static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, &crit, nullptr)));
  if (!eku) return std::nullopt;
  std::vector<std::string> out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) out.push_back(oid_text(sk_ASN1_OBJECT_value(eku.get(), i)));
  return out;
}

std::optional<unsigned> key_usage_of(X509* x) {
  int crit = 0;
  ossl::Ptr<ASN1_BIT_STRING> ku(static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(x, NID_key_usage, &crit, nullptr)));
  if (!ku) return std::nullopt;
  unsigned mask = 0;
  for (int bit = 0; bit < 9; ++bit)
    if (ASN1_BIT_STRING_get_bit(ku.get(), bit)) mask |= 1u << bit;
  return mask;
}

std::vector<std::string> policies_of(X509* x) {
  int crit = 0;
  std::vector<std::string> out;
  ossl::Ptr<CERTIFICATEPOLICIES> cps(static_cast<CERTIFICATEPOLICIES*>(X509_get_ext_d2i(x, NID_certificate_policies, &crit, nullptr)));
  if (!cps) return out;
  for (int i = 0; i < sk_POLICYINFO_num(cps.get()); ++i) {
    char buf[128];
    OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(cps.get(), i)->policyid, 1);
    out.push_back(buf);
  }
  return out;
}

std::string listed(const std::vector<std::string>& v) { return v.empty() ? "none" : util::join(v); }

}  // namespace

std::vector<Finding> lint_certificate(const x509::Certificate& cert, const Expectations& ex) {
  std::vector<Finding> f;
  auto error = [&](std::string id, std::string msg) { f.push_back({Severity::Error, std::move(id), std::move(msg)}); };
  auto warn = [&](std::string id, std::string msg) { f.push_back({Severity::Warning, std::move(id), std::move(msg)}); };
  X509* x = cert.get();
  const bool leaf = !cert.is_ca();

  // Serial: positive, at least 64 bits of (CSPRNG) value, at most 20 octets (RFC 5280 §4.1.2.2).
  const auto serial = cert.serial();
  const ASN1_INTEGER* sn = X509_get0_serialNumber(x);
  if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER || serial.empty() || std::all_of(serial.begin(), serial.end(), [](auto b) { return b == 0; }))
    error("serial-not-positive", "the serial number must be a positive integer");
  else if (serial.size() > 20) error("serial-too-long", "the serial number has " + std::to_string(serial.size()) + " octets (at most 20)");
  else if (serial.size() < 8) error("serial-entropy", "the serial number has " + std::to_string(serial.size() * 8) + " bits; at least 64 bits of CSPRNG output are required");

  // Extensions: each at most once (RFC 5280 §4.2).
  std::set<std::string> seen;
  for (int i = 0; i < X509_get_ext_count(x); ++i) {
    const std::string oid = oid_text(X509_EXTENSION_get_object(X509_get_ext(x, i)));
    if (!seen.insert(oid).second) error("duplicate-extension", "extension " + oid + " appears more than once");
  }

  // Names.
  const auto sans = cert.sans();
  const bool empty_subject = X509_NAME_entry_count(X509_get_subject_name(x)) == 0;
  if (leaf && sans.empty()) error("san-missing", "an end-entity certificate needs a subjectAltName");
  if (empty_subject) {
    const int idx = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
    if (idx < 0 || !X509_EXTENSION_get_critical(X509_get_ext(x, idx)))
      error("san-not-critical", "the subject is empty, so subjectAltName must be critical (RFC 5280 §4.2.1.6)");
  }
  if (const std::string cn = cert.common_name(); leaf && !cn.empty()) {
    const std::string lc = util::to_lower(cn);
    const auto ip = x509::canonical_ip(cn);
    const bool found = std::any_of(sans.begin(), sans.end(), [&](const x509::GeneralName& g) {
      return (g.type == x509::GeneralNameType::Dns && g.value == lc) || (ip && g.type == x509::GeneralNameType::Ip && g.value == *ip);
    });
    if (!found) error("cn-not-in-san", "the common name \"" + cn + "\" is not one of the subjectAltNames");
  }
  if (ex.unauthorised)
    for (const auto& g : sans)
      if (auto why = ex.unauthorised(g); !why.empty()) error("san-unauthorised", g.display() + " is not authorised: " + why);

  // Validity.
  const auto life = std::chrono::duration_cast<Seconds>(cert.not_after() - cert.not_before());
  if (life.count() <= 0) error("validity-inverted", "notAfter is not after notBefore");
  if (ex.max_lifetime && life > *ex.max_lifetime + Seconds(60))
    error("lifetime-exceeds-profile", "the certificate lives " + util::format_duration(life) + ", longer than the allowed " + util::format_duration(*ex.max_lifetime));
  if (leaf && life > leaf_warning_lifetime) warn("long-lifetime", "an end-entity certificate living " + util::format_duration(life) + " (over 398 days)");

  // Usages.
  const auto ku = key_usage_of(x);
  const auto ekus = ekus_of(x);
  if (leaf && ku && (*ku & (x509::KeyCertSign | x509::CrlSign))) error("ku-ca-bits", "an end-entity certificate must not have keyCertSign or cRLSign");
  if (!leaf && (!ku || !(*ku & x509::KeyCertSign))) error("ku-ca-missing", "a CA certificate needs keyUsage keyCertSign");
  if (leaf && !ekus) warn("eku-missing", "an end-entity certificate without extendedKeyUsage is valid for every purpose");
  if (ex.ext_key_usage) {
    auto want = *ex.ext_key_usage, got = ekus.value_or(std::vector<std::string>{});
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (want != got) error("eku-mismatch", "extendedKeyUsage is [" + listed(got) + "], the profile says [" + listed(want) + "]");
  }
  if (ex.key_usage && ku.value_or(0) != *ex.key_usage)
    error("ku-mismatch", "keyUsage is [" + listed(x509::key_usage_names(ku.value_or(0))) + "], the profile says [" + listed(x509::key_usage_names(*ex.key_usage)) + "]");
  if (!ex.policy_oids.empty()) {
    const auto have = policies_of(x);
    for (const auto& oid : ex.policy_oids)
      if (std::find(have.begin(), have.end(), oid) == have.end()) error("policy-missing", "certificatePolicies lacks " + oid);
  }

  // The subject key.
  if (ex.subject_spki_sha256 && cert.spki_fingerprint() != *ex.subject_spki_sha256)
    error("key-mismatch", "the subject public key is not the one requested (the CSR's)");
  const auto key = ex.subject_key && ex.subject_spki_sha256 ? *ex.subject_key : cert.public_key();
  if (!ex.key_checked)
    if (auto k = policy::check_key(key); !k) error("weak-key", k.error().detail);
  if (!ex.key_types.empty() && std::find(ex.key_types.begin(), ex.key_types.end(), policy::key_type_of(key)) == ex.key_types.end())
    error("key-not-allowed", key.info().describe() + " keys are not allowed here (allowed: " + listed(ex.key_types) + ")");

  // Against the issuer.
  if (ex.issuer) {
    const auto& is = *ex.issuer;
    if (cert.issuer_der() != is.subject_der()) error("issuer-name-mismatch", "the issuer name is not the issuing CA's subject (" + is.subject_text() + ")");
    if (cert.not_before() < is.not_before() || cert.not_after() > is.not_after())
      error("validity-outside-issuer", "the validity is not inside the issuing CA's (" + util::format_time(is.not_before()) + " to " + util::format_time(is.not_after()) + ")");
    const auto aki = cert.authority_key_id();
    const auto ski = is.subject_key_id();
    if (!aki) error("aki-missing", "no authorityKeyIdentifier");
    else if (ski && *aki != *ski) error("aki-mismatch", "the authorityKeyIdentifier is not the issuing CA's subjectKeyIdentifier");
    int crit = 0;
    ossl::Ptr<NAME_CONSTRAINTS> nc(static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(is.get(), NID_name_constraints, &crit, nullptr)));
    if (nc) {
      int rc = NAME_CONSTRAINTS_check(x, nc.get());
      if (rc == X509_V_OK && leaf) rc = NAME_CONSTRAINTS_check_CN(x, nc.get());
      if (rc != X509_V_OK) error("name-constraints", std::string("the names violate the issuing CA's name constraints: ") + X509_verify_cert_error_string(rc));
    }
    if (ex.check_signature && !cert.signed_by(is.public_key())) error("signature", "the signature does not verify with the issuing CA's key");
  }
  return f;
}

Expectations policy_expectations(const policy::Policy& pol, const policy::Binding& binding, const policy::Profile& profile,
                                 std::optional<Seconds> max_lifetime) {
  Expectations ex;
  ex.ext_key_usage = profile.ext_key_usage;
  if (profile.key_usage) ex.key_usage = profile.key_usage;
  ex.max_lifetime = max_lifetime;
  ex.key_types = profile.key_types;
  ex.policy_oids = profile.policy_oids;
  ex.unauthorised = [&pol, &binding](const x509::GeneralName& g) -> std::string {
    auto n = policy::normalise_name(x509::to_string(g.type), g.value);
    if (!n) return n.error().detail;
    const auto d = pol.judge(binding, *n);
    return d.allowed ? "" : "refused by " + d.rule;
  };
  return ex;
}

bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::Error; });
}

std::string error_summary(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings)
    if (f.severity == Severity::Error) out += (out.empty() ? "" : "; ") + f.id + ": " + f.message;
  return out;
}

}  // namespace pkictl::lint
