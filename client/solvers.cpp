// The ways the client proves control: an HTTP server (Beast parses the requests), files in a
// webroot, a TLS server that answers ALPN acme-tls/1 with the RFC 8737 certificate, and a DNS hook.
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "client/hook.hpp"
#include "client/issue.hpp"
#include "core/acme/challenge_records.hpp"
#include "core/crypto/ossl.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/text.hpp"
#include "core/x509/general_name.hpp"
#include "core/x509/serial.hpp"

namespace pkictl::client {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

Result<tcp::endpoint> endpoint_of(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return fail(ErrorKind::InvalidArgument, "\"" + listen + "\" is not ADDRESS:PORT (e.g. :80 or 127.0.0.1:5002)");
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
  }
  if (port < 1 || port > 65535) return fail(ErrorKind::InvalidArgument, "\"" + listen + "\": the port must be 1-65535");
  boost::system::error_code ec;
  const auto addr = host.empty() ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::make_address(host, ec);
  if (ec) return fail(ErrorKind::InvalidArgument, "\"" + host + "\" is not an IP address to listen on");
  return tcp::endpoint(addr, static_cast<unsigned short>(port));
}

/** One listening socket served by a thread until the solver goes away. */
class Listener {
 public:
  using Handler = std::function<void(tcp::socket)>;
  Result<void> start(const std::string& listen, Handler handler) {
    PKI_TRY_ASSIGN(auto ep, endpoint_of(listen));
    boost::system::error_code ec;
    m_acceptor.open(ep.protocol(), ec);
    if (!ec && ep.address().is_v6()) m_acceptor.set_option(asio::ip::v6_only(false), ec);  // also IPv4
    if (!ec) m_acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) m_acceptor.bind(ep, ec);
    if (!ec) m_acceptor.listen(64, ec);
    if (ec) return fail(ErrorKind::Io, "cannot listen on " + listen + ": " + ec.message());
    m_handler = std::move(handler);
    accept();
    m_thread = std::thread([this] { m_io.run(); });
    return {};
  }
  ~Listener() {
    m_io.stop();
    if (m_thread.joinable()) m_thread.join();
  }

 private:
  void accept() {
    m_acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      // A slow or silent peer cannot hold the responder for long.
      timeval tv{5, 0};
      setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      m_handler(std::move(s));
      accept();
    });
  }
  asio::io_context m_io;
  tcp::acceptor m_acceptor{m_io};
  Handler m_handler;
  std::thread m_thread;
};

// ---- http-01

class Http01Standalone final : public Solver {
 public:
  std::string type() const override { return "http-01"; }
  Result<void> start(const std::string& listen) {
    return m_listener.start(listen, [this](tcp::socket s) { serve(std::move(s)); });
  }
  Result<void> present(const acme::Identifier&, const std::string& token, const std::string& ka) override {
    std::lock_guard lock(m_mu);
    m_tokens[token] = ka;
    return {};
  }
  void cleanup(const acme::Identifier&, const std::string& token, const std::string&) override {
    std::lock_guard lock(m_mu);
    m_tokens.erase(token);
  }

 private:
  void serve(tcp::socket s) {
    boost::beast::flat_buffer buf;
    boost::system::error_code ec;
    for (int i = 0; i < 16; ++i) {  // keep-alive, bounded
      http::request<http::string_body> req;
      http::read(s, buf, req, ec);
      if (ec) return;
      const std::string prefix = "/.well-known/acme-challenge/";
      const std::string target(req.target());
      http::response<http::string_body> res;
      res.version(req.version());
      res.keep_alive(req.keep_alive());
      {
        std::lock_guard lock(m_mu);
        auto it = target.rfind(prefix, 0) == 0 ? m_tokens.find(target.substr(prefix.size())) : m_tokens.end();
        res.result(it == m_tokens.end() ? http::status::not_found : http::status::ok);
        if (it != m_tokens.end()) res.body() = it->second;
      }
      res.set(http::field::content_type, "text/plain");
      res.prepare_payload();
      http::write(s, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }
  std::mutex m_mu;
  std::map<std::string, std::string> m_tokens;
  Listener m_listener;  // last: stops before the tokens go
};

class Http01Webroot final : public Solver {
 public:
  explicit Http01Webroot(std::filesystem::path root) : m_dir(std::move(root) / ".well-known" / "acme-challenge") {}
  std::string type() const override { return "http-01"; }
  Result<void> present(const acme::Identifier&, const std::string& token, const std::string& ka) override {
    std::error_code ec;
    std::filesystem::create_directories(m_dir, ec);
    if (ec) return fail(ErrorKind::Io, "cannot create " + m_dir.string() + ": " + ec.message());
    // World-readable on purpose: the web server serving the webroot must read it.
    return util::write_file_atomic(m_dir / token, ka, {.mode = 0644, .replace = true});
  }
  void cleanup(const acme::Identifier&, const std::string& token, const std::string&) override {
    std::error_code ec;
    std::filesystem::remove(m_dir / token, ec);
  }

 private:
  std::filesystem::path m_dir;
};

// ---- tls-alpn-01

/** The RFC 8737 §3 certificate: self-signed, SAN = the identifier, critical acmeIdentifier. */
Result<std::pair<ossl::Ptr<X509>, crypto::PrivateKey>> alpn_certificate(const acme::Identifier& ident, const std::string& ka) {
  PKI_TRY_ASSIGN(auto key, crypto::PrivateKey::generate(crypto::KeyType::EcP256));
  ossl::Ptr<X509> x(X509_new());
  PKI_TRY_ASSIGN(auto serial, x509::random_serial());
  ossl::Ptr<BIGNUM> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  bool ok = x && bn && X509_set_version(x.get(), X509_VERSION_3) == 1 && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()));
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) && X509_gmtime_adj(X509_getm_notAfter(x.get()), 7 * 86400);
  X509_NAME* name = X509_get_subject_name(x.get());
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("acme-tls-alpn-01"), -1, -1, 0) == 1;
  ok = ok && X509_set_issuer_name(x.get(), name) == 1 && X509_set_pubkey(x.get(), key.get()) == 1;
  if (!ok) return ossl::fail("building the tls-alpn-01 certificate");
  // subjectAltName: exactly the identifier.
  ossl::Ptr<GENERAL_NAMES> gens(sk_GENERAL_NAME_new_null());
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (ident.type == "ip") {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(ident.value.c_str());
    if (!ip) return fail(ErrorKind::InvalidArgument, "\"" + ident.value + "\" is not an IP address");
    GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
  } else {
    ASN1_IA5STRING* d = ASN1_IA5STRING_new();
    ASN1_STRING_set(d, ident.value.data(), static_cast<int>(ident.value.size()));
    GENERAL_NAME_set0_value(gn, GEN_DNS, d);
  }
  sk_GENERAL_NAME_push(gens.get(), gn);
  if (X509_add1_ext_i2d(x.get(), NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) != 1) return ossl::fail("adding the SAN");
  // id-pe-acmeIdentifier: critical, extnValue = DER OCTET STRING of SHA-256(key authorization).
  const std::string digest = acme::tls_alpn01_digest(ka);
  ossl::Ptr<ASN1_OCTET_STRING> inner(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(inner.get(), reinterpret_cast<const unsigned char*>(digest.data()), static_cast<int>(digest.size()));
  unsigned char* der = nullptr;
  const int n = i2d_ASN1_OCTET_STRING(inner.get(), &der);
  ossl::Ptr<ASN1_OCTET_STRING> value(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(value.get(), der, n);
  OPENSSL_free(der);
  ossl::Ptr<ASN1_OBJECT> oid(OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1));
  ossl::Ptr<X509_EXTENSION> ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get()));
  if (!ext || X509_add_ext(x.get(), ext.get(), -1) != 1) return ossl::fail("adding the acmeIdentifier extension");
  if (X509_sign(x.get(), key.get(), EVP_sha256()) <= 0) return ossl::fail("signing the tls-alpn-01 certificate");
  return std::make_pair(std::move(x), std::move(key));
}

class TlsAlpn01Standalone final : public Solver {
 public:
  std::string type() const override { return "tls-alpn-01"; }
  Result<void> start(const std::string& listen) {
    SSL_CTX* ctx = m_ssl.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_alpn_select_cb(ctx, &TlsAlpn01Standalone::select_alpn, nullptr);
    SSL_CTX_set_tlsext_servername_callback(ctx, &TlsAlpn01Standalone::on_sni);
    SSL_CTX_set_tlsext_servername_arg(ctx, this);
    return m_listener.start(listen, [this](tcp::socket s) {
      asio::ssl::stream<tcp::socket> tls(std::move(s), m_ssl);
      boost::system::error_code ec;
      tls.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) tls.shutdown(ec);
    });
  }
  Result<void> present(const acme::Identifier& ident, const std::string&, const std::string& ka) override {
    PKI_TRY_ASSIGN(auto pair, alpn_certificate(ident, ka));
    std::string sni = ident.value;
    if (ident.type == "ip") {
      PKI_TRY_ASSIGN(sni, acme::reverse_dns_name(ident.value));
    }
    std::lock_guard lock(m_mu);
    m_certs.insert_or_assign(util::to_lower(sni), std::move(pair));
    return {};
  }
  void cleanup(const acme::Identifier& ident, const std::string&, const std::string&) override {
    auto sni = ident.type == "ip" ? acme::reverse_dns_name(ident.value) : Result<std::string>(ident.value);
    std::lock_guard lock(m_mu);
    if (sni) m_certs.erase(util::to_lower(*sni));
  }

 private:
  static int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen, void*) {
    static const unsigned char want[] = {10, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1'};
    unsigned char* sel = nullptr;
    if (SSL_select_next_proto(&sel, outlen, want, sizeof want, in, inlen) != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
  }
  static int on_sni(SSL* ssl, int*, void* arg) {
    auto* self = static_cast<TlsAlpn01Standalone*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::lock_guard lock(self->m_mu);
    auto it = name ? self->m_certs.find(util::to_lower(name)) : self->m_certs.end();
    if (it == self->m_certs.end()) return SSL_TLSEXT_ERR_ALERT_FATAL;  // unrecognized_name
    if (SSL_use_certificate(ssl, it->second.first.get()) != 1 || SSL_use_PrivateKey(ssl, it->second.second.get()) != 1)
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
  }
  asio::ssl::context m_ssl{asio::ssl::context::tls_server};
  std::mutex m_mu;
  std::map<std::string, std::pair<ossl::Ptr<X509>, crypto::PrivateKey>> m_certs;
  Listener m_listener;
};

// ---- dns-01 through a hook

class Dns01Hook final : public Solver {
 public:
  Dns01Hook(std::string cmd, std::chrono::seconds wait) : m_cmd(std::move(cmd)), m_wait(wait) {}
  std::string type() const override { return "dns-01"; }
  Result<void> present(const acme::Identifier& ident, const std::string&, const std::string& ka) override {
    return run("add", acme::dns01_record_name(ident.value), acme::dns01_txt_value(ka));
  }
  Result<void> ready() override {
    std::this_thread::sleep_for(m_wait);  // propagation to the server's resolvers
    return {};
  }
  void cleanup(const acme::Identifier& ident, const std::string&, const std::string& ka) override {
    (void)run("remove", acme::dns01_record_name(ident.value), acme::dns01_txt_value(ka));
  }

 private:
  Result<void> run(const std::string& op, const std::string& name, const std::string& value) {
    PKI_TRY_ASSIGN(int rc, run_command(m_cmd, {op, name, value}));
    if (rc != 0) return fail(ErrorKind::Io, "the DNS hook \"" + m_cmd + " " + op + " " + name + "\" failed (exit " + std::to_string(rc) + ")");
    return {};
  }
  std::string m_cmd;
  std::chrono::seconds m_wait;
};

}  // namespace

Result<std::unique_ptr<Solver>> http01_standalone(const std::string& listen) {
  auto s = std::make_unique<Http01Standalone>();
  PKI_TRY(s->start(listen));
  return std::unique_ptr<Solver>(std::move(s));
}

std::unique_ptr<Solver> http01_webroot(std::filesystem::path webroot) { return std::make_unique<Http01Webroot>(std::move(webroot)); }

Result<std::unique_ptr<Solver>> tls_alpn01_standalone(const std::string& listen) {
  auto s = std::make_unique<TlsAlpn01Standalone>();
  PKI_TRY(s->start(listen));
  return std::unique_ptr<Solver>(std::move(s));
}

std::unique_ptr<Solver> dns01_hook(std::string command, std::chrono::seconds propagation) {
  return std::make_unique<Dns01Hook>(std::move(command), propagation);
}

}  // namespace pkictl::client
