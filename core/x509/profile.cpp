#include "core/x509/profile.hpp"

#include <openssl/objects.h>

#include <cctype>

#include "core/crypto/ossl.hpp"

#include "core/util/text.hpp"

namespace pkictl::x509 {
namespace {
struct KuName {
  unsigned bit;
  std::string_view name;
};
constexpr KuName ku_names[] = {
    {DigitalSignature, "digitalSignature"}, {ContentCommitment, "contentCommitment"},
    {KeyEncipherment, "keyEncipherment"},   {DataEncipherment, "dataEncipherment"},
    {KeyAgreement, "keyAgreement"},         {KeyCertSign, "keyCertSign"},
    {CrlSign, "cRLSign"},
};
constexpr std::string_view eku_names[] = {"serverAuth", "clientAuth", "codeSigning",
                                          "emailProtection", "timeStamping", "OCSPSigning"};
}  // namespace

Result<unsigned> parse_key_usage(const std::vector<std::string>& names) {
  unsigned bits = 0;
  for (const auto& n : names) {
    bool found = false;
    for (const auto& k : ku_names)
      if (util::to_lower(k.name) == util::to_lower(n)) { bits |= k.bit; found = true; }
    if (!found)
      return fail(ErrorKind::InvalidArgument, "unknown key usage '" + n + "' (digitalSignature, keyEncipherment, keyAgreement, keyCertSign, cRLSign, …)");
  }
  return bits;
}

std::vector<std::string> key_usage_names(unsigned bits) {
  std::vector<std::string> out;
  for (const auto& k : ku_names)
    if (bits & k.bit) out.emplace_back(k.name);
  return out;
}

Result<std::string> parse_eku(std::string_view name) {
  for (auto n : eku_names)
    if (util::to_lower(n) == util::to_lower(name)) return std::string(n);
  const std::string s(name);
  if (parse_oid(s)) return s;
  return fail(ErrorKind::InvalidArgument, "unknown extended key usage '" + s + "' (serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning, or a dotted OID)");
}

Result<std::string> parse_oid(std::string_view dotted) {
  const std::string s(dotted);
  ossl::Ptr<ASN1_OBJECT> obj(s.empty() || s.find_first_not_of("0123456789.") != std::string::npos ? nullptr : OBJ_txt2obj(s.c_str(), 1));
  if (!obj) return fail(ErrorKind::InvalidArgument, "\"" + s + "\" is not a dotted OID");
  return s;
}

}  // namespace pkictl::x509
