// Name resolution for validation: c-ares against the configured DNS servers (never /etc/hosts),
// or the system's resolver when none are configured. TXT lookups follow CNAME chains (delegated
// validation zones) with loop detection; with `require_all` every configured server must agree.
// DNS messages are parsed by c-ares (TXT) and glibc's ns_* API (CNAME owners and targets).
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <sys/select.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "core/util/text.hpp"
#include "server/va/validator.hpp"

namespace pkictl::server::va {
namespace {

constexpr int max_cname_hops = 8;

std::string strip_dot(std::string n) {
  if (!n.empty() && n.back() == '.') n.pop_back();
  return util::to_lower(n);
}

/** One c-ares channel for one lookup; `servers` empty = /etc/resolv.conf's. */
class Channel final {
 public:
  static Result<Channel> open(const std::vector<std::string>& servers, Seconds timeout) {
    static std::once_flag once;
    std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    Channel c;
    c.m_timeout = timeout;
    ares_options opts{};
    opts.timeout = static_cast<int>(std::chrono::milliseconds(timeout).count() / 2);
    opts.tries = 2;
    char lookups[] = "b";  // DNS only: the configured servers decide
    opts.lookups = lookups;
    if (ares_init_options(&c.m_ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS) != ARES_SUCCESS)
      return fail(ErrorKind::Internal, "c-ares initialisation failed");
    const std::string csv = util::join(servers, ",");
    if (!csv.empty() && ares_set_servers_ports_csv(c.m_ch, csv.c_str()) != ARES_SUCCESS)
      return fail(ErrorKind::Config, "bad resolver list \"" + csv + "\"");
    return c;
  }
  Channel(Channel&& o) noexcept : m_ch(std::exchange(o.m_ch, nullptr)), m_timeout(o.m_timeout) {}
  Channel& operator=(Channel&&) = delete;
  ~Channel() {
    if (m_ch) ares_destroy(m_ch);
  }
  ares_channel get() const { return m_ch; }

  /** Drives the channel until `done` or the timeout (then the lookup is cancelled). */
  bool wait(const bool& done) {
    const auto deadline = std::chrono::steady_clock::now() + m_timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      fd_set r, w;
      FD_ZERO(&r);
      FD_ZERO(&w);
      const int nfds = ares_fds(m_ch, &r, &w);
      if (nfds == 0) break;
      timeval tv{}, max{0, 200000};
      timeval* tvp = ares_timeout(m_ch, &max, &tv);
      select(nfds, &r, &w, nullptr, tvp);
      ares_process(m_ch, &r, &w);
    }
    // Timed out: cancel now, while the caller's callback state is alive (the callbacks run with
    // ARES_ECANCELLED), and the channel is idle again for the next lookup.
    const bool finished = done;
    if (!finished) ares_cancel(m_ch);
    return finished;
  }

 private:
  Channel() = default;
  ares_channel m_ch = nullptr;
  Seconds m_timeout{10};
};

struct RawAnswer {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<unsigned char> msg;
};

Result<RawAnswer> query(Channel& ch, const std::string& name, int type) {
  RawAnswer ans;
  ares_query(ch.get(), name.c_str(), ns_c_in, type,
             [](void* arg, int status, int, unsigned char* abuf, int alen) {
               auto* a = static_cast<RawAnswer*>(arg);
               a->done = true;
               a->status = status;
               if (abuf && alen > 0) a->msg.assign(abuf, abuf + alen);
             },
             &ans);
  if (!ch.wait(ans.done)) return fail(ErrorKind::Dns, "DNS query for " + name + " timed out");
  return ans;
}

/** The CNAME target of `owner` in the answer section, if any. */
std::optional<std::string> cname_in(const std::vector<unsigned char>& msg, const std::string& owner) {
  ns_msg m;
  if (ns_initparse(msg.data(), static_cast<int>(msg.size()), &m) != 0) return std::nullopt;
  std::map<std::string, std::string> links;
  for (int i = 0; i < ns_msg_count(m, ns_s_an); ++i) {
    ns_rr rr;
    if (ns_parserr(&m, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_cname) continue;
    char target[NS_MAXDNAME];
    if (ns_name_uncompress(ns_msg_base(m), ns_msg_end(m), ns_rr_rdata(rr), target, sizeof target) < 0) continue;
    links[strip_dot(ns_rr_name(rr))] = strip_dot(target);
  }
  // Follow the chain inside this one answer (a recursive resolver may return several links).
  std::string at = strip_dot(owner);
  std::optional<std::string> last;
  for (int hop = 0; hop < max_cname_hops && links.count(at); ++hop) {
    at = links[at];
    last = at;
  }
  return last;
}

std::vector<std::string> txt_in(const std::vector<unsigned char>& msg) {
  std::vector<std::string> out;
  ares_txt_ext* txt = nullptr;
  if (ares_parse_txt_reply_ext(msg.data(), static_cast<int>(msg.size()), &txt) != ARES_SUCCESS) return out;
  for (auto* t = txt; t; t = t->next) {
    const std::string chunk(reinterpret_cast<const char*>(t->txt), t->length);
    if (t->record_start || out.empty()) out.push_back(chunk);
    else out.back() += chunk;  // RFC 7208 §3.3 style: the strings of one record are concatenated
  }
  ares_free_data(txt);
  return out;
}

std::string server_label(const std::vector<std::string>& servers) {
  if (servers.empty()) return "system resolver";
  return util::join(servers, ",");
}

class CaresResolver final : public Resolver {
 public:
  CaresResolver(std::vector<std::string> servers, Seconds timeout, bool system_addresses)
      : m_servers(std::move(servers)), m_timeout(timeout), m_system_addresses(system_addresses) {}

  Result<std::vector<std::string>> addresses(const std::string& host) override {
    if (m_system_addresses) return system_addresses(host);
    PKI_TRY_ASSIGN(auto ch, take());
    Lease lease{*this, ch};
    struct State {
      bool done = false;
      int status = ARES_SUCCESS;
      std::vector<std::string> v6, v4;
    } st;
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    ares_getaddrinfo(ch.get(), host.c_str(), nullptr, &hints,
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
    if (!ch.wait(st.done)) return fail(ErrorKind::Dns, "DNS lookup of " + host + " timed out");
    if (st.status == ARES_ENOTFOUND || st.status == ARES_ENODATA) return fail(ErrorKind::Dns, "no A or AAAA records for " + host);
    if (st.status != ARES_SUCCESS) return fail(ErrorKind::Dns, "DNS lookup of " + host + " failed: " + ares_strerror(st.status));
    std::vector<std::string> out = st.v6;
    out.insert(out.end(), st.v4.begin(), st.v4.end());
    if (out.empty()) return fail(ErrorKind::Dns, "no A or AAAA records for " + host);
    return out;
  }

  Result<TxtAnswer> txt(const std::string& name) override {
    PKI_TRY_ASSIGN(auto ch, take());
    Lease lease{*this, ch};
    TxtAnswer out;
    out.server = server_label(m_servers);
    std::string at = strip_dot(name);
    std::set<std::string> seen{at};
    for (int hop = 0; hop <= max_cname_hops; ++hop) {
      PKI_TRY_ASSIGN(auto ans, query(ch, at, ns_t_txt));
      if (ans.status == ARES_ENOTFOUND) return fail(ErrorKind::Dns, "no TXT record at " + at + " (NXDOMAIN from " + out.server + ")");
      if (ans.status != ARES_SUCCESS && ans.status != ARES_ENODATA)
        return fail(ErrorKind::Dns, "TXT lookup of " + at + " failed at " + out.server + ": " + ares_strerror(ans.status));
      out.values = txt_in(ans.msg);
      if (!out.values.empty()) return out;
      // No TXT here: an answer may carry a CNAME, or a CNAME query may reveal one (an
      // authoritative server answers TXT queries for an alias with just the CNAME).
      auto next = cname_in(ans.msg, at);
      if (!next) {
        PKI_TRY_ASSIGN(auto c, query(ch, at, ns_t_cname));
        if (c.status == ARES_SUCCESS) next = cname_in(c.msg, at);
      }
      if (!next) return fail(ErrorKind::Dns, "no TXT record at " + at + " (" + out.server + ")");
      if (!seen.insert(*next).second) return fail(ErrorKind::Dns, "CNAME loop at " + at + " -> " + *next);
      out.cname_chain.push_back(*next);
      at = *next;
    }
    return fail(ErrorKind::Dns, "more than " + std::to_string(max_cname_hops) + " CNAMEs from " + name);
  }

 private:
  /** A channel for one lookup. With configured servers, idle channels are kept for later lookups:
   * an init reads /etc/resolv.conf and /dev/urandom and asks uname (~1.5 % of the server's CPU per
   * order). Reuse keeps source ports fresh: c-ares closes a channel's sockets when its last query
   * ends (we never set ARES_FLAG_STAYOPEN), and Channel::wait cancels a lookup that timed out, so
   * a kept channel has no socket and no query left. The resolver test checks both. */
  Result<Channel> take() {
    if (!m_servers.empty()) {
      std::lock_guard lock(m_pool_mutex);
      if (!m_pool.empty()) {
        Channel kept = std::move(m_pool.back());
        m_pool.pop_back();
        return kept;
      }
    }
    return Channel::open(m_servers, m_timeout);
  }
  struct Lease {
    CaresResolver& resolver;
    Channel& channel;
    ~Lease() {
      if (resolver.m_servers.empty()) return;
      std::lock_guard lock(resolver.m_pool_mutex);
      if (resolver.m_pool.size() < max_kept_channels) resolver.m_pool.push_back(std::move(channel));
    }
  };
  static constexpr std::size_t max_kept_channels = 16;

  static Result<std::vector<std::string>> system_addresses(const std::string& host) {
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

  std::vector<std::string> m_servers;
  Seconds m_timeout;
  bool m_system_addresses;
  std::mutex m_pool_mutex;
  std::vector<Channel> m_pool;  // idle channels (configured servers only)
};

/** Every server separately: addresses from the first that answers, TXT only as all agree. */
class AgreeingResolver final : public Resolver {
 public:
  explicit AgreeingResolver(std::vector<std::unique_ptr<CaresResolver>> each) : m_each(std::move(each)) {}

  Result<std::vector<std::string>> addresses(const std::string& host) override {
    std::optional<Error> last;
    for (auto& r : m_each) {
      auto a = r->addresses(host);
      if (a) return a;
      last = a.error();
    }
    return fail(*last);
  }

  Result<TxtAnswer> txt(const std::string& name) override {
    TxtAnswer agreed;
    bool first = true;
    for (auto& r : m_each) {
      auto a = r->txt(name);
      if (!a) return fail(ErrorKind::Dns, a.error().detail + " (every resolver must see the record: validation.require_all)");
      if (first) {
        agreed = *a;
        agreed.server = "all resolvers";
        first = false;
        continue;
      }
      std::vector<std::string> both;
      for (const auto& v : agreed.values)
        if (std::find(a->values.begin(), a->values.end(), v) != a->values.end()) both.push_back(v);
      agreed.values = both;
    }
    if (agreed.values.empty()) return fail(ErrorKind::Dns, "the resolvers disagree: no TXT value at " + name + " is seen by all of them");
    return agreed;
  }

 private:
  std::vector<std::unique_ptr<CaresResolver>> m_each;
};

}  // namespace

std::unique_ptr<Resolver> make_resolver(const std::vector<std::string>& servers, Seconds timeout, bool require_all) {
  if (servers.empty()) return std::make_unique<CaresResolver>(servers, timeout, true);
  if (!require_all || servers.size() == 1) return std::make_unique<CaresResolver>(servers, timeout, false);
  std::vector<std::unique_ptr<CaresResolver>> each;
  for (const auto& s : servers) each.push_back(std::make_unique<CaresResolver>(std::vector<std::string>{s}, timeout, false));
  return std::make_unique<AgreeingResolver>(std::move(each));
}

}  // namespace pkictl::server::va
