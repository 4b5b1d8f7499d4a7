// Name resolution for validation: c-ares against the configured DNS servers (never /etc/hosts),
// or the system resolver when none are configured.
#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/select.h>

#include <mutex>

#include "server/va/validator.hpp"

namespace pkictl::server::va {
namespace {

class CaresResolver final : public Resolver {
 public:
  CaresResolver(std::vector<std::string> servers, Seconds timeout) : m_servers(std::move(servers)), m_timeout(timeout) {
    static std::once_flag once;
    std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  }

  Result<std::vector<std::string>> addresses(const std::string& host) override {
    ares_channel ch = nullptr;
    ares_options opts{};
    opts.timeout = static_cast<int>(std::chrono::milliseconds(m_timeout).count() / 2);
    opts.tries = 2;
    char lookups[] = "b";  // DNS only: the configured servers decide
    opts.lookups = lookups;
    if (ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS) != ARES_SUCCESS)
      return fail(ErrorKind::Internal, "c-ares initialisation failed");
    std::unique_ptr<std::remove_pointer_t<ares_channel>, decltype(&ares_destroy)> guard(ch, ares_destroy);
    std::string csv;
    for (const auto& s : m_servers) csv += (csv.empty() ? "" : ",") + s;
    if (ares_set_servers_ports_csv(ch, csv.c_str()) != ARES_SUCCESS)
      return fail(ErrorKind::Config, "bad resolver list \"" + csv + "\"");
    struct State {
      bool done = false;
      int status = ARES_SUCCESS;
      std::vector<std::string> v6, v4;
    } st;
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    ares_getaddrinfo(ch, host.c_str(), nullptr, &hints,
                     [](void* arg, int status, int, ares_addrinfo* res) {
                       auto* s = static_cast<State*>(arg);
                       s->done = true;
                       s->status = status;
                       if (status != ARES_SUCCESS || !res) return;
                       for (auto* n = res->nodes; n; n = n->ai_next) {
                         char buf[INET6_ADDRSTRLEN] = {0};
                         if (n->ai_family == AF_INET) {
                           inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, buf, sizeof buf);
                           s->v4.push_back(buf);
                         } else if (n->ai_family == AF_INET6) {
                           inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr, buf, sizeof buf);
                           s->v6.push_back(buf);
                         }
                       }
                       ares_freeaddrinfo(res);
                     },
                     &st);
    const auto deadline = std::chrono::steady_clock::now() + m_timeout;
    while (!st.done && std::chrono::steady_clock::now() < deadline) {
      fd_set r, w;
      FD_ZERO(&r);
      FD_ZERO(&w);
      const int nfds = ares_fds(ch, &r, &w);
      if (nfds == 0) break;
      timeval tv{}, max{0, 200000};
      timeval* tvp = ares_timeout(ch, &max, &tv);
      select(nfds, &r, &w, nullptr, tvp);
      ares_process(ch, &r, &w);
    }
    if (!st.done) return fail(ErrorKind::Dns, "DNS lookup of " + host + " timed out");
    if (st.status == ARES_ENOTFOUND || st.status == ARES_ENODATA) return fail(ErrorKind::Dns, "no A or AAAA records for " + host);
    if (st.status != ARES_SUCCESS) return fail(ErrorKind::Dns, "DNS lookup of " + host + " failed: " + ares_strerror(st.status));
    std::vector<std::string> out = st.v6;
    out.insert(out.end(), st.v4.begin(), st.v4.end());
    if (out.empty()) return fail(ErrorKind::Dns, "no A or AAAA records for " + host);
    return out;
  }

 private:
  std::vector<std::string> m_servers;
  Seconds m_timeout;
};

class SystemResolver final : public Resolver {
 public:
  Result<std::vector<std::string>> addresses(const std::string& host) override {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) return fail(ErrorKind::Dns, "cannot resolve " + host + ": " + gai_strerror(rc));
    std::vector<std::string> v6, v4;
    for (auto* n = res; n; n = n->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {0};
      if (n->ai_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, buf, sizeof buf);
        if (std::find(v4.begin(), v4.end(), buf) == v4.end()) v4.push_back(buf);
      } else if (n->ai_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr, buf, sizeof buf);
        if (std::find(v6.begin(), v6.end(), buf) == v6.end()) v6.push_back(buf);
      }
    }
    freeaddrinfo(res);
    v6.insert(v6.end(), v4.begin(), v4.end());
    if (v6.empty()) return fail(ErrorKind::Dns, "no addresses for " + host);
    return v6;
  }
};

}  // namespace

std::unique_ptr<Resolver> make_resolver(const std::vector<std::string>& servers, Seconds timeout) {
  if (servers.empty()) return std::make_unique<SystemResolver>();
  return std::make_unique<CaresResolver>(servers, timeout);
}

}  // namespace pkictl::server::va
