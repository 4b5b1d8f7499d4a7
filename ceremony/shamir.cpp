#include "ceremony/shamir.hpp"

extern "C" {  // libgfshare.h has no C++ guard
#include <libgfshare.h>
}
#include <openssl/rand.h>

#include <memory>
#include <set>
#include <sstream>

#include "core/crypto/digest.hpp"
#include "core/util/text.hpp"

namespace pkictl::ceremony {
namespace {

void csprng(unsigned char* buf, unsigned int n) {
  // libgfshare's coefficients must be unpredictable; abort rather than continue without them.
  if (RAND_bytes(buf, static_cast<int>(n)) != 1) std::abort();
}

struct CtxFree {
  void operator()(gfshare_ctx* c) const { gfshare_ctx_free(c); }
};

std::string checksum(const Share& s) {
  std::ostringstream o;
  o << s.label << "\n" << s.key_sha256 << "\n" << s.number << "/" << s.total << "/" << s.threshold << "\n" << s.data;
  return util::to_hex(crypto::sha256(o.str())).substr(0, 16);
}

}  // namespace

Result<std::vector<Share>> split(const Secret& secret, int m, int n, const std::string& label, const std::string& key_sha256) {
  if (m < 2 || n < m || n > 255)
    return fail(ErrorKind::InvalidArgument, "shares need 2 <= threshold <= count <= 255 (got " + std::to_string(m) + " of " + std::to_string(n) + ")");
  const std::string_view s = secret.view();
  if (s.empty()) return fail(ErrorKind::InvalidArgument, "nothing to split");
  gfshare_fill_rand = csprng;
  std::vector<unsigned char> nrs(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) nrs[static_cast<std::size_t>(i)] = static_cast<unsigned char>(i + 1);
  std::unique_ptr<gfshare_ctx, CtxFree> ctx(gfshare_ctx_init_enc(nrs.data(), static_cast<unsigned>(n), static_cast<unsigned char>(m), static_cast<unsigned>(s.size())));
  if (!ctx) return fail(ErrorKind::Internal, "libgfshare could not start");
  std::vector<unsigned char> buf(s.begin(), s.end());
  gfshare_ctx_enc_setsecret(ctx.get(), buf.data());
  OPENSSL_cleanse(buf.data(), buf.size());
  std::vector<Share> out;
  for (int i = 0; i < n; ++i) {
    std::vector<unsigned char> share(s.size());
    gfshare_ctx_enc_getshare(ctx.get(), static_cast<unsigned char>(i), share.data());
    out.push_back({label, key_sha256, i + 1, n, m, std::string(share.begin(), share.end())});
  }
  return out;
}

Result<Secret> combine(const std::vector<Share>& shares) {
  if (shares.empty()) return fail(ErrorKind::InvalidArgument, "no shares given");
  const Share& first = shares.front();
  std::set<int> numbers;
  for (const auto& s : shares) {
    if (s.key_sha256 != first.key_sha256 || s.threshold != first.threshold || s.total != first.total || s.data.size() != first.data.size())
      return fail(ErrorKind::InvalidArgument, "share " + std::to_string(s.number) + " belongs to another split (key " + s.key_sha256.substr(0, 16) + "…)");
    if (!numbers.insert(s.number).second) return fail(ErrorKind::InvalidArgument, "share " + std::to_string(s.number) + " was given twice");
  }
  if (static_cast<int>(shares.size()) < first.threshold)
    return fail(ErrorKind::InvalidArgument, std::to_string(first.threshold) + " shares are needed, " + std::to_string(shares.size()) +
                                                " given: fewer than the threshold reveal nothing about the key");
  gfshare_fill_rand = csprng;  // gfshare_ctx_free scrubs the context with it
  std::vector<unsigned char> nrs;
  for (const auto& s : shares) nrs.push_back(static_cast<unsigned char>(s.number));
  std::unique_ptr<gfshare_ctx, CtxFree> ctx(gfshare_ctx_init_dec(nrs.data(), static_cast<unsigned>(nrs.size()), static_cast<unsigned>(first.data.size())));
  if (!ctx) return fail(ErrorKind::Internal, "libgfshare could not start");
  for (std::size_t i = 0; i < shares.size(); ++i) {
    std::vector<unsigned char> d(shares[i].data.begin(), shares[i].data.end());
    gfshare_ctx_dec_giveshare(ctx.get(), static_cast<unsigned char>(i), d.data());
  }
  std::vector<unsigned char> out(first.data.size());
  gfshare_ctx_dec_extract(ctx.get(), out.data());
  Secret secret(std::string(out.begin(), out.end()));
  OPENSSL_cleanse(out.data(), out.size());
  return secret;
}

std::string to_text(const Share& s) {
  std::ostringstream o;
  o << "pkictl key share v1\n"
    << "label: " << s.label << "\n"
    << "key: " << s.key_sha256 << "\n"
    << "share: " << s.number << " of " << s.total << " (any " << s.threshold << " rebuild the key)\n";
  const std::string b64 = util::base64url_encode(s.data);
  for (std::size_t i = 0; i < b64.size(); i += 64) o << "data: " << b64.substr(i, 64) << "\n";
  o << "checksum: " << checksum(s) << "\n";
  return o.str();
}

Result<Share> parse_share(std::string_view text) {
  Share s;
  std::string b64, sum;
  bool magic = false;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (line == "pkictl key share v1") { magic = true; continue; }
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    const std::string k = line.substr(0, colon), v = line.substr(colon + 2);
    if (k == "label") s.label = v;
    else if (k == "key") s.key_sha256 = v;
    else if (k == "share" && std::sscanf(v.c_str(), "%d of %d (any %d", &s.number, &s.total, &s.threshold) != 3)
      return fail(ErrorKind::Malformed, "a share's \"share:\" line is unreadable");
    else if (k == "data") b64 += v;
    else if (k == "checksum") sum = v;
  }
  if (!magic) return fail(ErrorKind::Malformed, "not a pkictl key share");
  auto data = util::base64url_decode(b64);
  // A character typed wrong from paper usually still decodes; when it does not, it is the same mistake.
  if (!data) return fail(ErrorKind::Malformed, "share " + std::to_string(s.number) + " fails its checksum: a data line was mistyped (not base64url)");
  s.data.assign(data->begin(), data->end());
  if (checksum(s) != sum) return fail(ErrorKind::Malformed, "share " + std::to_string(s.number) + " fails its checksum: a line was mistyped or changed");
  return s;
}

}  // namespace pkictl::ceremony
