#include "core/x509/chain_verify.hpp"

namespace pkictl::x509 {

Result<VerifyOutcome> verify_chain(const std::vector<Certificate>& chain, const std::vector<Certificate>& roots,
                                   const VerifyOptions& opts) {
  if (chain.empty()) return fail(ErrorKind::InvalidArgument, "the chain holds no certificate");
  if (roots.empty()) return fail(ErrorKind::InvalidArgument, "no trusted root given");
  ossl::Ptr<X509_STORE> store(X509_STORE_new());
  if (!store) return ossl::fail("X509_STORE_new");
  for (const auto& r : roots)
    if (X509_STORE_add_cert(store.get(), r.get()) != 1) return ossl::fail("adding a root to the store");
  ossl::Ptr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].get()) <= 0) return ossl::fail("sk_X509_push");
    X509_up_ref(chain[i].get());
  }
  ossl::Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1)
    return ossl::fail("X509_STORE_CTX_init");
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  if (opts.at) X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(opts.at->time_since_epoch().count()));
  if (!opts.purpose.empty()) {
    const int idx = X509_PURPOSE_get_by_sname(opts.purpose.c_str());
    if (idx < 0) return fail(ErrorKind::InvalidArgument, "unknown purpose '" + opts.purpose + "' (sslserver, sslclient, any)");
    X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_get_id(X509_PURPOSE_get0(idx)));
  }
  if (!opts.dns_name.empty() && X509_VERIFY_PARAM_set1_host(param, opts.dns_name.c_str(), opts.dns_name.size()) != 1)
    return ossl::fail("setting the host name");
  if (!opts.ip.empty() && X509_VERIFY_PARAM_set1_ip_asc(param, opts.ip.c_str()) != 1)
    return fail(ErrorKind::InvalidArgument, "'" + opts.ip + "' is not an IP address");

  VerifyOutcome out;
  const int rc = X509_verify_cert(ctx.get());
  ossl::drain_errors();
  if (rc == 1) {
    out.ok = true;
    STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; i < sk_X509_num(built); ++i)
      out.path.push_back(Certificate(ossl::up_ref(sk_X509_value(built, i))).subject_text());
    return out;
  }
  const int err = X509_STORE_CTX_get_error(ctx.get());
  out.reason = X509_verify_cert_error_string(err);
  out.depth = X509_STORE_CTX_get_error_depth(ctx.get());
  if (X509* bad = X509_STORE_CTX_get_current_cert(ctx.get())) out.failing_subject = Certificate(ossl::up_ref(bad)).subject_text();
  return out;
}

}  // namespace pkictl::x509
