#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "server/va/validator.hpp"

using namespace pkictl;

namespace {
/** A UDP "DNS server" on loopback that never answers and records where queries came from. */
class SilentServer {
 public:
  SilentServer() {
    m_fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] {
      while (!m_stop) {
        pollfd p{m_fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char buf[512];
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        if (recvfrom(m_fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl) > 0) {
          std::lock_guard lock(m_mu);
          m_ports.insert(ntohs(from.sin_port));
        }
      }
    });
  }
  ~SilentServer() {
    m_stop = true;
    m_thread.join();
    close(m_fd);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(m_port); }
  std::set<int> ports() {
    std::lock_guard lock(m_mu);
    return m_ports;
  }

 private:
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::mutex m_mu;
  std::set<int> m_ports;
  std::thread m_thread;
};
}  // namespace

TEST(Resolver, ATimedOutLookupIsCancelledAndTheNextOneSendsFromNewSourcePorts) {
  // Channels are kept between lookups; a kept one must be idle (its timed-out lookup cancelled
  // while the lookup's state still exists) and must not reuse the last lookup's socket.
  SilentServer dns;
  auto resolver = server::va::make_resolver({dns.address()}, Seconds(1));
  auto first = resolver->addresses("a.test");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, ErrorKind::Dns);
  EXPECT_NE(first.error().detail.find("timed out"), std::string::npos) << first.error().detail;
  const auto after_first = dns.ports();
  ASSERT_FALSE(after_first.empty());
  auto second = resolver->txt("_acme-challenge.a.test");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::Dns);
  const auto after_second = dns.ports();
  EXPECT_GT(after_second.size(), after_first.size()) << "the second lookup reused the first one's source port";
}
