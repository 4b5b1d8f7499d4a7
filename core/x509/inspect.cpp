#include "core/x509/inspect.hpp"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/util/text.hpp"
#include "core/x509/profile.hpp"

namespace pkictl::x509 {
namespace {

template <class T>
ossl::Ptr<T> get_ext(const Certificate& c, int nid, int* critical) {
  return ossl::Ptr<T>(static_cast<T*>(X509_get_ext_d2i(c.get(), nid, critical, nullptr)));
}

nlohmann::json subtrees_json(const STACK_OF(GENERAL_SUBTREE) * st) {
  auto arr = nlohmann::json::array();
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(st); ++i) {
    const GENERAL_SUBTREE* sub = sk_GENERAL_SUBTREE_value(st, i);
    int type = 0;
    const auto* v = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(sub->base, &type));
    const std::string raw(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)), static_cast<std::size_t>(ASN1_STRING_length(v)));
    if (type == GEN_IPADD && (raw.size() == 8 || raw.size() == 32)) {
      const std::size_t half = raw.size() / 2;
      int prefix = 0;
      for (std::size_t k = half; k < raw.size(); ++k) prefix += __builtin_popcount(static_cast<unsigned char>(raw[k]));
      char buf[64] = {0};
      inet_ntop(half == 4 ? AF_INET : AF_INET6, raw.data(), buf, sizeof buf);
      arr.push_back("IP:" + std::string(buf) + "/" + std::to_string(prefix));
    } else if (type == GEN_DNS) {
      arr.push_back("DNS:" + raw);
    } else if (type == GEN_EMAIL) {
      arr.push_back("email:" + raw);
    } else if (type == GEN_URI) {
      arr.push_back("URI:" + raw);
    } else {
      arr.push_back("other");
    }
  }
  return arr;
}

std::string obj_name(const ASN1_OBJECT* obj) {
  char buf[128] = {0};
  const int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return buf;
}

}  // namespace

nlohmann::json describe(const Certificate& cert) {
  using nlohmann::json;
  json j;
  j["subject"] = cert.subject_text();
  j["issuer"] = cert.issuer_text();
  j["serial"] = cert.serial_hex();
  j["not_before"] = util::format_time(cert.not_before());
  j["not_after"] = util::format_time(cert.not_after());
  j["version"] = X509_get_version(cert.get()) + 1;
  const auto key = cert.public_key();
  j["public_key"] = {{"algorithm", key.info().algorithm}, {"bits", key.info().bits},
                     {"description", key.info().describe()},
                     {"spki_sha256", util::to_hex(key.fingerprint())}};
  if (!key.info().curve.empty()) j["public_key"]["curve"] = key.info().curve;
  j["signature_algorithm"] = OBJ_nid2ln(X509_get_signature_nid(cert.get()));
  j["sha256_fingerprint"] = crypto::fingerprint_text(cert.fingerprint());
  j["self_signed"] = cert.is_self_issued() && cert.signed_by(key);

  json ext = json::object();
  int crit = 0;
  if (auto bc = get_ext<BASIC_CONSTRAINTS>(cert, NID_basic_constraints, &crit)) {
    ext["basic_constraints"] = {{"critical", crit == 1}, {"ca", bc->ca != 0}};
    if (bc->pathlen) ext["basic_constraints"]["path_len"] = ASN1_INTEGER_get(bc->pathlen);
  }
  if (auto ku = get_ext<ASN1_STRING>(cert, NID_key_usage, &crit)) {
    unsigned bits = 0;
    for (int i = 0; i < 9; ++i)
      if (ASN1_BIT_STRING_get_bit(ku.get(), i)) bits |= 1u << i;
    ext["key_usage"] = {{"critical", crit == 1}, {"usages", key_usage_names(bits)}};
  }
  if (auto eku = get_ext<EXTENDED_KEY_USAGE>(cert, NID_ext_key_usage, &crit)) {
    json arr = json::array();
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) arr.push_back(obj_name(sk_ASN1_OBJECT_value(eku.get(), i)));
    ext["extended_key_usage"] = {{"critical", crit == 1}, {"usages", arr}};
  }
  if (get_ext<GENERAL_NAMES>(cert, NID_subject_alt_name, &crit)) {
    json arr = json::array();
    for (const auto& gn : cert.sans()) arr.push_back(gn.display());
    ext["subject_alt_names"] = {{"critical", crit == 1}, {"names", arr}};
  }
  if (auto nc = get_ext<NAME_CONSTRAINTS>(cert, NID_name_constraints, &crit)) {
    ext["name_constraints"] = {{"critical", crit == 1},
                               {"permitted", subtrees_json(nc->permittedSubtrees)},
                               {"excluded", subtrees_json(nc->excludedSubtrees)}};
  }
  if (auto ski = cert.subject_key_id()) ext["subject_key_id"] = util::to_hex(*ski, ':');
  if (auto aki = cert.authority_key_id()) ext["authority_key_id"] = util::to_hex(*aki, ':');
  if (auto cps = get_ext<CERTIFICATEPOLICIES>(cert, NID_certificate_policies, &crit)) {
    json arr = json::array();
    for (int i = 0; i < sk_POLICYINFO_num(cps.get()); ++i) {
      char buf[128] = {0};
      OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(cps.get(), i)->policyid, 1);
      arr.push_back(buf);
    }
    ext["certificate_policies"] = arr;
  }
  if (auto cdp = get_ext<CRL_DIST_POINTS>(cert, NID_crl_distribution_points, &crit)) {
    json arr = json::array();
    for (int i = 0; i < sk_DIST_POINT_num(cdp.get()); ++i) {
      const DIST_POINT* dp = sk_DIST_POINT_value(cdp.get(), i);
      if (!dp->distpoint || dp->distpoint->type != 0) continue;
      for (int k = 0; k < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); ++k)
        if (auto gn = from_openssl(sk_GENERAL_NAME_value(dp->distpoint->name.fullname, k))) arr.push_back(gn->value);
    }
    ext["crl_distribution_points"] = arr;
  }
  j["extensions"] = ext;
  return j;
}

std::string describe_text(const Certificate& cert) {
  const auto j = describe(cert);
  std::ostringstream out;
  auto line = [&](std::string_view k, const std::string& v) { out << std::string(k) << std::string(22 - std::min<std::size_t>(21, k.size()), ' ') << v << "\n"; };
  auto join = [](const nlohmann::json& arr) {
    std::string s;
    for (const auto& v : arr) s += (s.empty() ? "" : ", ") + v.get<std::string>();
    return s;
  };
  line("Subject:", j["subject"]);
  line("Issuer:", j["issuer"]);
  line("Serial:", j["serial"]);
  line("Not before:", j["not_before"]);
  line("Not after:", j["not_after"]);
  line("Public key:", j["public_key"]["description"]);
  line("Signature:", j["signature_algorithm"]);
  line("SHA-256:", j["sha256_fingerprint"]);
  const auto& e = j["extensions"];
  auto crit = [](const nlohmann::json& x) { return x["critical"].get<bool>() ? " (critical)" : ""; };
  if (e.contains("basic_constraints")) {
    const auto& bc = e["basic_constraints"];
    std::string v = bc["ca"].get<bool>() ? "CA:TRUE" : "CA:FALSE";
    if (bc.contains("path_len")) v += ", pathlen:" + std::to_string(bc["path_len"].get<long>());
    line("Basic constraints:", v + crit(bc));
  }
  if (e.contains("key_usage")) line("Key usage:", join(e["key_usage"]["usages"]) + crit(e["key_usage"]));
  if (e.contains("extended_key_usage")) line("Ext. key usage:", join(e["extended_key_usage"]["usages"]) + crit(e["extended_key_usage"]));
  if (e.contains("subject_alt_names")) line("SANs:", join(e["subject_alt_names"]["names"]) + crit(e["subject_alt_names"]));
  if (e.contains("name_constraints")) {
    const auto& nc = e["name_constraints"];
    if (!nc["permitted"].empty()) line("Permitted names:", join(nc["permitted"]) + crit(nc));
    if (!nc["excluded"].empty()) line("Excluded names:", join(nc["excluded"]) + crit(nc));
  }
  if (e.contains("subject_key_id")) line("Subject key id:", e["subject_key_id"]);
  if (e.contains("authority_key_id")) line("Authority key id:", e["authority_key_id"]);
  if (e.contains("certificate_policies")) line("Policies:", join(e["certificate_policies"]));
  if (e.contains("crl_distribution_points")) line("CRL distribution:", join(e["crl_distribution_points"]));
  return out.str();
}

}  // namespace pkictl::x509
