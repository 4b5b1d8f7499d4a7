#pragma once
// The HTTP(S) transport: Beast sessions that move bytes and call one handler. Beast and Asio
// appear only in http_server.cpp; this header is cheap to include.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "server/wfe/wfe.hpp"

namespace pkictl::server::http {

struct TlsMaterial {
  std::string chain_pem;  // server certificate, then intermediates
  std::string key_pem;    // unencrypted, in memory only
};

struct HttpOptions {
  std::vector<std::string> listen;  // host:port; port 0 picks a free one
  std::vector<std::string> internal_listen;  // plain HTTP, requests marked Listener::Metrics (metrics, health)
  std::vector<std::string> publish_listen;   // plain HTTP, requests marked Listener::Publish (CRLs, CA certificates)
  std::optional<TlsMaterial> tls;   // none: plain HTTP (behind a TLS-terminating proxy)
  int io_threads = 2;
  /** 0: handlers run on the I/O threads (they must not block: durability is awaited through
   * await_durable). More: a pool of that many threads runs them (a store that blocks). */
  int workers = 0;
  std::size_t body_limit = 64 * 1024;
  /** Open connections at most (every listener together); at the cap, new ones wait in the
   * kernel's listen queue until a connection ends. 0: no cap. */
  int max_connections = 0;
  /** Told (at most every 10 s per kind of trouble) when accepting stalls: the cap is reached, or
   * accept() fails (out of file descriptors, say; the listener then retries after 100 ms). */
  std::function<void(const std::string& what)> on_accept_trouble;
  /** Called about every minute; a returned value replaces the TLS certificate for new connections. */
  std::function<std::optional<TlsMaterial>()> renew_tls;
  /** Called on SIGHUP (on an I/O thread): reload what can change without a restart. */
  std::function<void()> on_reload;
  /** Calls done(ok) once Response::durable_after is on disk (from any thread); not ok answers
   * 500 instead of the response. Unset: durable_after is ignored. */
  std::function<void(std::uint64_t ticket, std::function<void(bool ok)> done)> await_durable;
  /** Called every lag_probe_interval (on an I/O thread) with how late the probe ran: the time a
   * handler posted now would wait for an I/O thread. Unset: no probe. */
  std::function<void(std::chrono::steady_clock::duration late)> on_loop_lag;
  /** Called once listening, with the bound "host:port" strings. */
  std::function<void(const std::vector<std::string>&)> on_listening;
};

using Handler = std::function<Response(const Request&)>;

/** Serves until SIGINT or SIGTERM, then drains in-flight requests; SIGHUP calls on_reload.
 * Errors: Io (cannot listen), Config. */
[[nodiscard]] Result<void> run(const HttpOptions& opts, Handler handler);

}  // namespace pkictl::server::http
