#include "core/net/http_fetch.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "core/util/text.hpp"

namespace pkictl::net {
namespace {

struct Sink {
  std::string* body;
  std::size_t limit;
  bool overflow = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t bytes = size * n;
  if (s->body->size() + bytes > s->limit) {
    s->overflow = true;
    return 0;  // abort the transfer
  }
  s->body->append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of("\r\n \t") + 1);
    // A repeated header is one comma-separated list (RFC 9110 §5.3), e.g. several Link fields.
    auto& slot = (*headers)[util::to_lower(line.substr(0, colon))];
    slot = slot.empty() ? value : slot + ", " + value;
  }
  return size * n;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

HttpSession::HttpSession() {
  global_init();
  m_curl = curl_easy_init();
}

HttpSession::~HttpSession() {
  if (m_curl) curl_easy_cleanup(static_cast<CURL*>(m_curl));
}

Result<FetchResponse> fetch(const FetchRequest& req) {
  HttpSession one;
  return one.fetch(req);
}

Result<FetchResponse> HttpSession::fetch(const FetchRequest& req) {
  if (!m_curl) return fail(ErrorKind::Internal, "curl_easy_init failed");
  CURL* c = static_cast<CURL*>(m_curl);
  curl_easy_reset(c);  // options only: the connection cache survives, so keep-alive works
  FetchResponse resp;
  Sink sink{&resp.body, req.max_body_bytes};
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "pkictl/" PKICTL_VERSION);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_body_bytes));
  if (!req.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_file.c_str());
  if (!req.verify_tls) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (req.want_peer_chain) curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
  if (req.fresh_connection) {
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  }
  if (req.method != "GET") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!req.body.empty() || req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  for (const auto& h : req.headers) headers.reset(curl_slist_append(headers.release(), h.c_str()));
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> connect_to(nullptr, curl_slist_free_all);
  if (!req.connect_address.empty()) {
    // "::" host:port:connect-to-host:connect-to-port — keep the URL's host for Host/SNI.
    const std::string addr = req.connect_address.find(':') != std::string::npos ? "[" + req.connect_address + "]" : req.connect_address;
    connect_to.reset(curl_slist_append(nullptr, ("::" + addr + ":").c_str()));
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to.get());
  }
  char why[CURL_ERROR_SIZE] = "";  // curl's own account: the host, port and reason, not just the code's name
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);  // `why` ends here
  if (rc != CURLE_OK) {
    if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED)
      return fail(ErrorKind::Connection, "the response body is larger than " + std::to_string(req.max_body_bytes) + " bytes");
    const ErrorKind kind = rc == CURLE_COULDNT_RESOLVE_HOST ? ErrorKind::Dns
                           : (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION) ? ErrorKind::Tls
                                                                                                      : ErrorKind::Connection;
    return fail(kind, why[0] ? std::string(why) : std::string(curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  char* ip = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip) resp.primary_ip = ip;
  curl_certinfo* info = nullptr;
  if (req.want_peer_chain && curl_easy_getinfo(c, CURLINFO_CERTINFO, &info) == CURLE_OK && info) {
    for (int i = 0; i < info->num_of_certs; ++i)
      for (curl_slist* s = info->certinfo[i]; s; s = s->next)
        if (std::string_view(s->data).rfind("Cert:", 0) == 0) resp.peer_chain_pem.emplace_back(s->data + 5);
  }
  return resp;
}

}  // namespace pkictl::net

namespace pkictl::net {
Result<UrlParts> parse_url(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return fail(ErrorKind::Malformed, "\"" + url.substr(0, 200) + "\" is not a valid URL");
  auto part = [&](CURLUPart p, unsigned flags = 0) -> std::string {
    char* v = nullptr;
    if (curl_url_get(u.get(), p, &v, flags) != CURLUE_OK || !v) return {};
    std::string s(v);
    curl_free(v);
    return s;
  };
  UrlParts out;
  out.scheme = util::to_lower(part(CURLUPART_SCHEME));
  out.host = part(CURLUPART_HOST);
  if (out.host.size() > 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  const std::string port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  out.port = port.empty() ? 0 : std::stoi(port);
  out.path = part(CURLUPART_PATH);
  const std::string query = part(CURLUPART_QUERY);
  if (!query.empty()) out.path += "?" + query;
  if (out.scheme != "http" && out.scheme != "https") return fail(ErrorKind::Malformed, "only http and https URLs are allowed");
  return out;
}

Result<std::string> resolve_url(const std::string& base, const std::string& reference) {
  if (reference.empty()) return fail(ErrorKind::Malformed, "an empty Location");
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  char* v = nullptr;
  if (!u || curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK || curl_url_get(u.get(), CURLUPART_URL, &v, 0) != CURLUE_OK || !v)
    return fail(ErrorKind::Malformed, "Location \"" + reference.substr(0, 200) + "\" is not a URL reference");
  std::string out(v);
  curl_free(v);
  return out;
}
}  // namespace pkictl::net
