// tls-alpn-01 (RFC 8737; RFC 8738 §6 for IP identifiers): a TLS handshake with the identifier on
// validation.tlsalpn01_port offering only ALPN "acme-tls/1", SNI = the name (or the reverse-DNS
// name of an address). The self-signed certificate presented must name exactly the identifier
// and carry a critical id-pe-acmeIdentifier extension holding SHA-256 of the key authorization.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "core/acme/challenge_records.hpp"
#include "core/acme/problem.hpp"
#include "core/crypto/ossl.hpp"
#include "core/util/text.hpp"
#include "core/x509/general_name.hpp"
#include "server/va/validator.hpp"

namespace pkictl::server::va {
namespace {
using nlohmann::json;

json problem(ErrorKind kind, const std::string& detail) { return acme::problem_json(Error{kind, detail, {}, {}, {}}); }

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

/** TCP connect with a deadline; the socket is left blocking with send/receive timeouts. */
Result<void> connect_to(Fd& s, const std::string& ip, int port, std::chrono::milliseconds timeout) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (ip.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
    len = sizeof(sockaddr_in);
  }
  s.fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s.fd < 0) return fail(ErrorKind::Connection, std::string("socket: ") + std::strerror(errno));
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS)
    return fail(ErrorKind::Connection, "connecting to " + ip + ":" + std::to_string(port) + ": " + std::strerror(errno));
  pollfd p{s.fd, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
    return fail(ErrorKind::Connection, "connecting to " + ip + ":" + std::to_string(port) + ": timed out");
  int err = 0;
  socklen_t elen = sizeof err;
  getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  if (err != 0) return fail(ErrorKind::Connection, "connecting to " + ip + ":" + std::to_string(port) + ": " + std::strerror(err));
  fcntl(s.fd, F_SETFL, fcntl(s.fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return {};
}

struct AlertSeen {
  std::string text;
};

void on_info(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_READ_ALERT)) return;
  auto* seen = static_cast<AlertSeen*>(SSL_get_app_data(const_cast<SSL*>(ssl)));
  if (seen) seen->text = std::string("TLS alert from the peer: ") + SSL_alert_desc_string_long(ret);
}

/** Checks the presented certificate; "" if it proves control, else why not. */
std::string check_certificate(X509* cert, const acme::Identifier& ident, const std::string& digest, json& record) {
  ossl::Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  json sans = json::array();
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    auto gn = x509::from_openssl(sk_GENERAL_NAME_value(names.get(), i));
    sans.push_back(gn ? std::string(x509::to_string(gn->type)) + ":" + gn->value : "other");
  }
  record["sans"] = sans;
  const bool ip = ident.type == "ip";
  const std::string want = std::string(ip ? "ip" : "dns") + ":" + ident.value;
  // Tolerated on purpose: Caddy 2.6 (Debian 12's) names an address it validates as a dNSName of
  // its text ("dns:127.0.0.1") where RFC 8738 §6 wants an iPAddress. The proof is the
  // acmeIdentifier digest below, and that text is no name a DNS identifier could have.
  if (ip && sans.size() == 1 && sans[0] == "dns:" + ident.value) {
    record["tolerated"] = "the address is a dNSName, not an iPAddress (RFC 8738 §6)";
  } else if (sans.size() != 1 || util::to_lower(sans[0].get<std::string>()) != util::to_lower(want)) {
    return "the certificate's subjectAltName must be exactly " + want + ", but it is " + (sans.empty() ? "absent" : sans.dump());
  }
  ossl::Ptr<ASN1_OBJECT> oid(OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1));
  const int idx = X509_get_ext_by_OBJ(cert, oid.get(), -1);
  if (idx < 0) {
    record["acme_identifier"] = "absent";
    return "the certificate has no id-pe-acmeIdentifier (1.3.6.1.5.5.7.1.31) extension";
  }
  X509_EXTENSION* ext = X509_get_ext(cert, idx);
  record["acme_identifier_critical"] = X509_EXTENSION_get_critical(ext) == 1;
  if (X509_EXTENSION_get_critical(ext) != 1) return "the id-pe-acmeIdentifier extension must be critical (RFC 8737 §3)";
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  const unsigned char* p = ASN1_STRING_get0_data(data);
  ossl::Ptr<ASN1_OCTET_STRING> inner(d2i_ASN1_OCTET_STRING(nullptr, &p, ASN1_STRING_length(data)));
  if (!inner) return "the id-pe-acmeIdentifier extension is not a DER OCTET STRING";
  const std::string got(reinterpret_cast<const char*>(ASN1_STRING_get0_data(inner.get())), static_cast<std::size_t>(ASN1_STRING_length(inner.get())));
  record["acme_identifier"] = util::to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(got.data()), got.size()));
  if (got != digest) return "the id-pe-acmeIdentifier extension does not hold SHA-256 of the key authorization";
  return {};
}

}  // namespace

ra::ValidationOutcome Validator::tls_alpn01(const ra::ValidationJob& job) {
  ra::ValidationOutcome out;
  out.challenge_id = job.challenge.id;
  const bool ip = job.identifier.type == "ip";
  std::string sni = job.identifier.value;
  if (ip) {
    auto rev = acme::reverse_dns_name(job.identifier.value);
    if (!rev) { out.problem = problem(ErrorKind::Malformed, rev.error().detail); return out; }
    sni = *rev;
  }
  std::vector<std::string> addrs;
  if (ip) addrs = {job.identifier.value};
  else {
    auto r = m_resolver->addresses(job.identifier.value);
    if (!r) { out.records.push_back({{"host", sni}, {"error", r.error().detail}}); out.problem = problem(ErrorKind::Dns, r.error().detail); return out; }
    addrs = *r;
  }
  const std::string digest = acme::tls_alpn01_digest(job.key_authorization);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(m_cfg.timeout);
  std::optional<json> last;
  for (const auto& addr : addrs) {
    json rec = {{"address", addr}, {"port", m_cfg.tlsalpn01_port}, {"sni", sni}};
    auto fail_with = [&](ErrorKind kind, const std::string& detail) {
      rec["error"] = detail;
      out.records.push_back(rec);
      last = problem(kind, detail);
    };
    if (auto ok = m_guard.check(addr); !ok) { fail_with(ok.error().kind, ok.error().detail); continue; }
    Fd sock;
    if (auto c = connect_to(sock, addr, m_cfg.tlsalpn01_port, timeout); !c) { fail_with(c.error().kind, c.error().detail); continue; }
    ossl::Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // the certificate is self-signed by design
    static const unsigned char alpn[] = {10, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1'};
    SSL_CTX_set_alpn_protos(ctx.get(), alpn, sizeof alpn);
    ossl::Ptr<SSL> ssl(SSL_new(ctx.get()));
    AlertSeen alert;
    SSL_set_app_data(ssl.get(), &alert);
    SSL_set_info_callback(ssl.get(), on_info);
    SSL_set_fd(ssl.get(), sock.fd);
    SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
    if (SSL_connect(ssl.get()) != 1) {
      const Error e = ossl::error("TLS handshake", ErrorKind::Tls);
      fail_with(ErrorKind::Tls, "TLS handshake with " + addr + ":" + std::to_string(m_cfg.tlsalpn01_port) + " failed: " +
                                    (alert.text.empty() ? e.internal : alert.text));
      continue;
    }
    const unsigned char* proto = nullptr;
    unsigned proto_len = 0;
    SSL_get0_alpn_selected(ssl.get(), &proto, &proto_len);
    const std::string negotiated(reinterpret_cast<const char*>(proto ? proto : reinterpret_cast<const unsigned char*>("")), proto_len);
    rec["alpn"] = negotiated;
    if (negotiated != "acme-tls/1") { fail_with(ErrorKind::Tls, "the server at " + addr + " did not negotiate ALPN acme-tls/1"); continue; }
    ossl::Ptr<X509> cert(SSL_get1_peer_certificate(ssl.get()));
    SSL_shutdown(ssl.get());
    if (!cert) { fail_with(ErrorKind::Tls, "no certificate was presented"); continue; }
    const std::string why = check_certificate(cert.get(), job.identifier, digest, rec);
    if (!why.empty()) { fail_with(ErrorKind::IncorrectResponse, why + " (from " + addr + ")"); continue; }
    out.records.push_back(rec);
    out.valid = true;
    return out;
  }
  out.problem = last.value_or(problem(ErrorKind::Connection, "no address to connect to"));
  return out;
}

}  // namespace pkictl::server::va
