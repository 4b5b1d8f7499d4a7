#include "server/http/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/metrics/metrics.hpp"

namespace pkictl::server::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

constexpr auto read_timeout = std::chrono::seconds(30);
constexpr std::size_t header_limit = 16 * 1024;  // ACME requests carry a few headers; Go's net/http allows 1 MiB
constexpr auto handshake_timeout = std::chrono::seconds(10);
constexpr auto lag_probe_interval = std::chrono::milliseconds(100);

/** Runs `f` on the worker pool and resumes the awaiting coroutine on its own executor.
 * Not a coroutine itself, and `f` travels as an initiation argument: GCC 12 mishandles
 * temporaries with destructors inside co_await expressions. */
inline auto run_blocking(asio::thread_pool& pool, std::function<Response()> f) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Response)>(
      [&pool](auto handler, std::function<Response()> fn) {
        asio::post(pool, [handler = std::move(handler), fn = std::move(fn)]() mutable {
          Response r = fn();
          auto ex = asio::get_associated_executor(handler);
          asio::post(ex, [handler = std::move(handler), r = std::move(r)]() mutable { handler(std::move(r)); });
        });
      },
      use_awaitable, std::move(f));
}

std::shared_ptr<ssl::context> make_tls(const TlsMaterial& m) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  // TLS 1.2 and 1.3 only.
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  // TLS 1.2 with forward secrecy and AEAD only (Mozilla's "intermediate" list without finite-field
  // DHE): OpenSSL's default also offers CBC suites with SHA-1 MACs. Every ACME client in Debian and
  // Go's crypto/tls speak these; TLS 1.3's suites are all AEAD and stay as they are.
  if (SSL_CTX_set_cipher_list(ctx->native_handle(),
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                              "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1)
    throw std::runtime_error("setting the TLS 1.2 cipher suites failed");
  ctx->use_certificate_chain(asio::buffer(m.chain_pem));
  ctx->use_private_key(asio::buffer(m.key_pem), ssl::context::pem);
  return ctx;
}

struct Shared : std::enable_shared_from_this<Shared> {
  Handler handler;
  asio::thread_pool* pool = nullptr;  // none: handlers run on the I/O threads
  std::size_t body_limit;
  std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls;
  std::atomic<int> in_flight{0};
  std::atomic<int> connections{0};
  int max_connections = 0;
  std::function<void(const std::string&)> on_accept_trouble;
  std::mutex trouble_mutex;
  std::map<std::string, std::chrono::steady_clock::time_point> trouble_said;  // kind → when last told
  void trouble(const std::string& kind, const std::string& what) {
    if (!on_accept_trouble) return;
    {
      std::lock_guard lock(trouble_mutex);
      const auto now = std::chrono::steady_clock::now();
      auto [it, fresh] = trouble_said.try_emplace(kind, now);
      if (!fresh && now - it->second < std::chrono::seconds(10)) return;
      it->second = now;
    }
    on_accept_trouble(what);
  }
  std::function<void(std::uint64_t, std::function<void(bool)>)> await_durable;
  std::mutex io_mutex;
  bool io_gone = false;  // the io_context is being destroyed: completions must not post to it
  std::shared_ptr<ssl::context> current_tls() {
    std::lock_guard lock(tls_mutex);
    return tls;
  }
};

/** Resumes the awaiting coroutine (on its own executor) once `ticket` is durable, with ok.
 * Plain arguments only: GCC 12 mishandles temporaries with destructors in co_await expressions. */
inline auto durable(Shared* shared, std::uint64_t ticket) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(bool)>(
      [](auto handler, Shared* raw, std::uint64_t t) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        raw->await_durable(t, [h, ex, sh = raw->shared_from_this()](bool ok) mutable {
          std::lock_guard lock(sh->io_mutex);
          if (sh->io_gone) {
            // Shutdown outran the sync: the session belongs to a destroyed io_context, so its
            // handler must never run or be destroyed here. Leak it (once, at exit).
            (void)new auto(std::move(h));
            return;
          }
          asio::post(ex, [h = std::move(h), ok]() mutable { (*h)(ok); });
        });
      },
      use_awaitable, shared, ticket);
}

/** Resumes the awaiting coroutine when `*timer` expires or when the hold's wake calls back
 * (which cancels the timer), whichever is first. The wait starts before wake is called, so a
 * wake-up that comes at once is not lost. Plain arguments only (GCC 12, as above). */
inline auto held(std::shared_ptr<asio::steady_timer>* timer, Shared* shared, Response::Hold* hold) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [](auto handler, std::shared_ptr<asio::steady_timer>* t, Shared* raw, Response::Hold* h) {
        auto ex = asio::get_associated_executor(handler);
        (*t)->async_wait(asio::bind_executor(ex, [handler = std::move(handler)](boost::system::error_code) mutable { handler(); }));
        h->wake([weak = std::weak_ptr<asio::steady_timer>(*t), ex, sh = raw->shared_from_this()] {
          std::lock_guard lock(sh->io_mutex);
          if (sh->io_gone) return;  // the session went with its io_context
          asio::post(ex, [weak] {
            if (auto live = weak.lock()) live->cancel();
          });
        });
      },
      use_awaitable, timer, shared, hold);
}

/** What is sent instead of a response whose changes could not be made durable. */
Response not_durable(Response original) {
  Response r;
  r.status = 500;
  for (auto& [k, v] : original.headers)
    if (k == "Replay-Nonce" || k == "Link") r.headers.emplace_back(k, std::move(v));
  r.headers.emplace_back("Content-Type", "application/problem+json");
  r.body = R"j({"type":"urn:ietf:params:acme:error:serverInternal","status":500,)j"
           R"j("detail":"the server could not write the change to disk; retry the request (the server log says why)"})j";
  r.sent = std::move(original.sent);  // the request is logged with the status it got
  return r;
}

/** The origin-form of a request target (RFC 9112 §3.2): an absolute-form target
 * ("https://host/acme/directory"), which a server MUST accept, loses its scheme and authority. */
std::string origin_form(std::string_view target) {
  const auto scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos || target.substr(0, 1) == "/") return std::string(target);
  const auto path = target.find_first_of("/?", scheme_end + 3);
  if (path == std::string_view::npos) return "/";
  return (target[path] == '?' ? "/" : "") + std::string(target.substr(path));
}

Request to_request(const bhttp::request<bhttp::string_body>& req, const std::string& remote) {
  Request r;
  r.method = std::string(req.method_string());
  r.target = origin_form(std::string_view(req.target().data(), req.target().size()));
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = req.body();
  r.remote = remote;
  return r;
}

/** Our Response as Beast's message, for every answer the transport writes. */
bhttp::response<bhttp::string_body> to_beast(Response&& resp, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(resp.status), version};
  res.set(bhttp::field::server, "pkictl");
  for (const auto& [k, v] : resp.headers) res.insert(k, v);
  res.keep_alive(keep_alive);
  res.body() = std::move(resp.body);
  res.prepare_payload();
  return res;
}

/** What an error from reading a request means for the answer: none (the peer went away or went
 * quiet), or the reason the request cannot be read. */
Request::Unread unread_kind(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit) return Request::Unread::BodyTooLarge;
  if (ec == bhttp::error::header_limit) return Request::Unread::HeaderTooLarge;
  // The peer closed (between requests or inside one) or a timer fired: nobody to answer.
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category())
    return Request::Unread::No;
  return Request::Unread::BadSyntax;  // bad_method, bad_target, bad_version, bad_field, bad_transfer_encoding, …
}

/** A request that cannot be read gets its problem (413, 431 or 400, from the handler like any
 * other answer), then the connection closes. A client whose request is too large is most likely
 * still sending: closing at once resets the connection under it, and a client that writes its
 * whole body before reading (Python's requests, for one) sees only the reset. So the rest is read
 * and dropped first, bounded in bytes and time (nginx's lingering close). */
template <class Stream, class Parser>
awaitable<void> refuse_unread(Stream& stream, beast::flat_buffer& buffer, Parser& parser, Shared& shared, const std::string& remote,
                              Request::Listener listener, const boost::system::error_code& why) {
  // What the parser read before it stopped: the whole header for a body over the limit (Beast
  // checks Content-Length once the header is in), the start line at most for a header.
  Request r = to_request(parser.get(), remote);
  r.body.clear();
  r.listener = listener;
  r.unread = unread_kind(why);
  r.limit = r.unread == Request::Unread::BodyTooLarge ? shared.body_limit : header_limit;
  r.why_unread = why.message();
  Response resp = shared.handler(r);  // a problem document: no store, no signature, fine on an I/O thread
  if (resp.sent) resp.sent(resp);
  auto res = to_beast(std::move(resp), 11, false);
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
  // A request too large is likely still being sent; one that is not HTTP has nothing to wait for.
  constexpr std::size_t drain_limit = 8 << 20;
  std::size_t drained = r.unread == Request::Unread::BadSyntax ? drain_limit : 0;
  buffer.clear();
  while (!ec && drained < drain_limit) {
    drained += co_await stream.async_read_some(buffer.prepare(64 * 1024), asio::redirect_error(use_awaitable, ec));
    buffer.clear();
  }
}

template <class Stream>
awaitable<void> serve_requests(Stream& stream, std::shared_ptr<Shared> shared, std::string remote, Request::Listener listener) {
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(shared->body_limit);
    parser.header_limit(header_limit);
    beast::get_lowest_layer(stream).expires_after(read_timeout);
    boost::system::error_code ec;
    co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (!ec && !parser.is_done() && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
      // RFC 9110 §10.1.1: a client that asked may hold the body back until it hears 100 (curl
      // for large bodies, .NET's HttpClient for every POST); without it, each waits a second.
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, parser.get().version()};
      co_await bhttp::async_write(stream, go_on, asio::redirect_error(use_awaitable, ec));
    }
    if (!ec && !parser.is_done()) co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (unread_kind(ec) != Request::Unread::No) co_await refuse_unread(stream, buffer, parser, *shared, remote, listener, ec);
      co_return;
    }
    const auto& req = parser.get();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    const bool head = req.method() == bhttp::verb::head;
    Request r = to_request(req, remote);
    r.listener = listener;
    if (version >= 11 && req.find(bhttp::field::host) == req.end()) {
      // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host. The message
      // itself was read whole, so the connection can go on.
      r.unread = Request::Unread::BadSyntax;
      r.why_unread = "there is no Host header field";
    }
    ++shared->in_flight;
    Response resp;
    if (shared->pool) {
      std::function<Response()> job = [shared, r = std::move(r)] { return shared->handler(r); };
      resp = co_await run_blocking(*shared->pool, std::move(job));
    } else {
      resp = shared->handler(r);
    }
    if (resp.hold) {
      // Wait for the better answer (Response::Hold), then bring the response up to date.
      auto timer = std::make_shared<asio::steady_timer>(beast::get_lowest_layer(stream).get_executor(), resp.hold->at_most);
      co_await held(&timer, shared.get(), resp.hold.get());
      std::function<Response()> job = [r = std::move(resp)]() mutable {
        try {
          r.hold->refresh(r);
        } catch (const std::exception&) {
          // The answer as it was (processing) is still true.
        }
        r.hold.reset();
        return std::move(r);
      };
      if (shared->pool) {
        resp = co_await run_blocking(*shared->pool, std::move(job));
      } else {
        resp = job();
      }
    }
    if (resp.durable_after != 0 && shared->await_durable) {
      const bool ok = co_await durable(shared.get(), resp.durable_after);
      if (!ok) resp = not_durable(std::move(resp));
    }
    --shared->in_flight;
    if (resp.sent) resp.sent(resp);
    auto res = to_beast(std::move(resp), version, keep_alive);
    if (head) res.body().clear();
    beast::get_lowest_layer(stream).expires_after(read_timeout);
    bhttp::serializer<false, bhttp::string_body> sr{res};
    if (head) {
      co_await bhttp::async_write_header(stream, sr, asio::redirect_error(use_awaitable, ec));
    } else {
      co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    }
    if (ec || !keep_alive) co_return;
  }
}

awaitable<void> session(tcp::socket socket, std::shared_ptr<Shared> shared, Request::Listener listener) {
  std::string remote;
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (!ec) remote = ep.address().to_string();
  try {
    auto tls = listener == Request::Listener::Acme ? shared->current_tls() : nullptr;  // the others are plain HTTP
    if (!tls) {
      beast::tcp_stream stream(std::move(socket));
      co_await serve_requests(stream, shared, remote, listener);
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    } else {
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
      beast::get_lowest_layer(stream).expires_after(handshake_timeout);
      co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      co_await serve_requests(stream, shared, remote, listener);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
      co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
    }
  } catch (const std::exception&) {
    // A broken connection ends its session only; the request log has already said what happened.
  }
}

/** Counts a session's connection (for the cap and the gauge) from accept to its end. */
struct ConnectionSlot {
  explicit ConnectionSlot(std::shared_ptr<Shared> s) : shared(std::move(s)) {
    ++shared->connections;
    metrics::registry().add("pkictl_http_connections_open", {}, 1);
  }
  ~ConnectionSlot() {
    --shared->connections;
    metrics::registry().add("pkictl_http_connections_open", {}, -1);
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  std::shared_ptr<Shared> shared;
};

awaitable<void> accept_loop(tcp::acceptor& acceptor, std::shared_ptr<Shared> shared, Request::Listener listener) {
  asio::steady_timer pause(acceptor.get_executor());
  for (;;) {
    boost::system::error_code ec;
    // At the cap, leave new connections in the kernel's listen queue (they are accepted as soon
    // as a connection ends) rather than spend descriptors the store and the validator need.
    if (shared->max_connections > 0 && shared->connections.load() >= shared->max_connections) {
      shared->trouble("cap", "server.max_connections (" + std::to_string(shared->max_connections) +
                                 ") connections are open: new ones wait in the listen queue until one ends");
      pause.expires_after(std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!acceptor.is_open()) co_return;
      continue;
    }
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of descriptors (EMFILE, ENFILE) or memory: the pending connection stays queued and the
      // listener stays readable, so retrying at once would spin on every core. Wait instead.
      shared->trouble("accept", "accepting a connection failed (" + ec.message() + "); retrying in 100 ms");
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!acceptor.is_open()) co_return;
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto slot = std::make_shared<ConnectionSlot>(shared);
    asio::co_spawn(acceptor.get_executor(), session(std::move(socket), shared, listener), [slot](std::exception_ptr) {});
  }
}

Result<tcp::endpoint> parse_endpoint(const std::string& hp) {
  const auto colon = hp.rfind(':');
  std::string host = hp.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) {
    if (host == "localhost") addr = asio::ip::make_address("127.0.0.1");
    else return fail(ErrorKind::Config, "listen address \"" + hp + "\" is not an IP address with a port");
  }
  return tcp::endpoint(addr, static_cast<unsigned short>(std::stoi(hp.substr(colon + 1))));
}

}  // namespace

Result<void> run(const HttpOptions& opts, Handler handler) {
  asio::io_context ioc(opts.io_threads);
  auto shared = std::make_shared<Shared>();
  struct IoGone {  // destroyed before ioc: late durability completions stop posting to it
    Shared& s;
    ~IoGone() {
      std::lock_guard lock(s.io_mutex);
      s.io_gone = true;
    }
  } io_gone{*shared};
  std::optional<asio::thread_pool> pool;
  if (opts.workers > 0) pool.emplace(static_cast<std::size_t>(opts.workers));
  shared->handler = std::move(handler);
  shared->pool = pool ? &*pool : nullptr;
  shared->body_limit = opts.body_limit;
  shared->await_durable = opts.await_durable;
  shared->max_connections = opts.max_connections;
  shared->on_accept_trouble = opts.on_accept_trouble;
  try {
    if (opts.tls) shared->tls = make_tls(*opts.tls);
  } catch (const std::exception& e) {
    return fail(ErrorKind::Config, "cannot use the TLS certificate and key", e.what());
  }
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::string> bound;
  std::vector<Request::Listener> kinds;
  std::vector<std::pair<std::string, Request::Listener>> all;
  for (const auto& hp : opts.listen) all.emplace_back(hp, Request::Listener::Acme);
  for (const auto& hp : opts.internal_listen) all.emplace_back(hp, Request::Listener::Metrics);
  for (const auto& hp : opts.publish_listen) all.emplace_back(hp, Request::Listener::Publish);
  for (const auto& [hp, kind] : all) {
    PKI_TRY_ASSIGN(auto ep, parse_endpoint(hp));
    auto acc = std::make_unique<tcp::acceptor>(ioc);
    boost::system::error_code ec;
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(ErrorKind::Io, "cannot listen on " + hp + ": " + ec.message());
    const auto local = acc->local_endpoint();
    bound.push_back((local.address().is_v6() ? "[" + local.address().to_string() + "]" : local.address().to_string()) + ":" +
                    std::to_string(local.port()));
    acceptors.push_back(std::move(acc));
    kinds.push_back(kind);
  }
  for (std::size_t i = 0; i < acceptors.size(); ++i) asio::co_spawn(ioc, accept_loop(*acceptors[i], shared, kinds[i]), asio::detached);

  // TLS renewal: swap the context for new connections; running ones keep theirs.
  asio::steady_timer renew_timer(ioc);
  std::function<void()> schedule_renewal = [&] {
    renew_timer.expires_after(std::chrono::seconds(60));
    renew_timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      if (opts.renew_tls && shared->tls) {
        if (auto m = opts.renew_tls()) {
          try {
            auto ctx = make_tls(*m);
            std::lock_guard lock(shared->tls_mutex);
            shared->tls = ctx;
          } catch (const std::exception&) {
          }
        }
      }
      schedule_renewal();
    });
  };
  schedule_renewal();

  // Event-loop lag: a timer due every lag_probe_interval reports how late it ran, which is how
  // long every ready handler waits for an I/O thread (requests queued behind busy handlers).
  asio::steady_timer lag_timer(ioc);
  std::function<void()> probe_lag = [&] {
    const auto due = std::chrono::steady_clock::now() + lag_probe_interval;
    lag_timer.expires_at(due);
    lag_timer.async_wait([&, due](boost::system::error_code ec) {
      if (ec) return;
      opts.on_loop_lag(std::chrono::steady_clock::now() - due);
      probe_lag();
    });
  };
  if (opts.on_loop_lag) probe_lag();

  asio::signal_set hangup(ioc, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      if (opts.on_reload) opts.on_reload();
      await_hangup();
    });
  };
  await_hangup();

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  // Stop accepting; let in-flight requests finish (checked every 50 ms, for 5 s at most), then
  // stop. The wait is a timer on the io_context, so run() cannot return (and ioc be destroyed)
  // while something still means to stop it: a detached thread doing this crashed at exit.
  asio::steady_timer drain_timer(ioc);
  int drain_checks = 0;
  std::function<void()> drain = [&] {
    if (shared->in_flight.load() == 0 || ++drain_checks > 100) {
      ioc.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(50));
    drain_timer.async_wait([&](boost::system::error_code) { drain(); });
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    for (auto& acc : acceptors) {
      boost::system::error_code ignored;
      acc->close(ignored);
    }
    renew_timer.cancel();
    lag_timer.cancel();
    hangup.cancel();
    drain();
  });
  if (opts.on_listening) opts.on_listening(bound);
  std::vector<std::thread> threads;
  for (int i = 1; i < opts.io_threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  if (pool) pool->join();
  return {};
}

}  // namespace pkictl::server::http
