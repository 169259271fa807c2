// server/http_impl.h
//! Private to the HTTP listener (http_server.cc, http_serve_plain.cc, http_serve_tls.cc): the
//! listener's state and the request loop, templated on the stream (TCP or TLS). Includes Beast:
//! nothing else may include it.
#pragma once
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/metrics.h"
#include "core/safe_file.h"
#include "ingest/listen.h"
#include "ingest/tls.h"

namespace kamatama::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
namespace ssl = asio::ssl;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace http_detail {
template <class Stream>
tcp::socket& Sock(Stream& s) {
  return beast::get_lowest_layer(s).socket();
}
template <class Stream>
void Expire(Stream& s, std::chrono::nanoseconds d) {
  beast::get_lowest_layer(s).expires_after(d);
}
}  // namespace http_detail
using http_detail::Expire;
using http_detail::Sock;

class HttpServer::Impl {
 public:
  Impl(const HttpOptions& opt, Api* api) : opt_(opt), api_(api), acceptor_(io_), pool_(opt.worker_threads) {}
  ~Impl() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    pool_.join();
  }

  // HTTP runs on its own single-threaded io_context: sessions need no strands (Beast's stream
  // timeouts on a strand executor crash Boost 1.74 under load), and the work is done on pool_.
  asio::io_context io_;
  std::thread thread_;
  HttpOptions opt_;
  Api* api_;
  tcp::acceptor acceptor_;
  asio::thread_pool pool_;
  std::atomic<bool> stopping_{false};
  ingest::TlsContextSlot tls_;  // HTTPS when http.tls; replaced by ReloadTls
  std::shared_ptr<ssl::context> CurrentTls() { return tls_.Current(); }
  // Connections open, in total and per address (touched only on the io thread). Shared with
  // the sessions' guards, which may be destroyed with the io_context after the other members.
  struct ConnCounts {
    size_t open = 0;
    std::unordered_map<std::string, size_t> per_ip;
  };
  std::shared_ptr<ConnCounts> counts_ = std::make_shared<ConnCounts>();
  struct ConnGuard {
    std::shared_ptr<ConnCounts> c;
    std::string ip;
    ~ConnGuard() {
      --c->open;
      if (auto it = c->per_ip.find(ip); it != c->per_ip.end() && --it->second == 0) c->per_ip.erase(it);
    }
  };

  // Runs blocking work on the worker pool and resumes on the connection's executor. What `work`
  // refers to lives in the calling coroutine's frame, which stays put while suspended.
  template <class F>
  asio::awaitable<void> OnPool(F work) {
    auto ex = co_await asio::this_coro::executor;
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this, ex, &work](auto handler) {
          asio::post(pool_, [ex, &work, h = std::move(handler)]() mutable {
            work();
            asio::post(ex, std::move(h));
          });
        },
        asio::use_awaitable);
  }

  asio::awaitable<void> RunHandler(Request* req, Response* res) {
    co_await OnPool([this, req, res] {
      try {
        *res = api_->Handle(*req);
      } catch (const std::exception& e) {
        *res = Response{500, "application/json", "{\"error\":\"internal error\"}"};
        fmt::print(stderr, "kamatama: handler for {} threw: {}\n", req->path, e.what());
      }
    });
  }

  // Request bodies being read, in bytes (http.bodies_in_flight; issue 19). Touched only on the
  // io thread.
  size_t bodies_in_flight_ = 0;
  class BodyReservation {
   public:
    BodyReservation(Impl* m, size_t bytes) : m_(m), bytes_(bytes) { m_->bodies_in_flight_ += bytes_; }
    BodyReservation(const BodyReservation&) = delete;
    BodyReservation& operator=(const BodyReservation&) = delete;
    ~BodyReservation() { m_->bodies_in_flight_ -= bytes_; }

   private:
    Impl* m_;
    size_t bytes_;
  };

  void SetCommonHeaders(http::response<http::string_body>* res) const {
    if (opt_.tls) res->set(http::field::strict_transport_security, "max-age=31536000");
    res->set(http::field::server, "kamatama");
    res->set("X-Content-Type-Options", "nosniff");
    res->set("Cache-Control", "no-store");
    // API answers are data, never a page: nothing in them may run or be framed. The UI's
    // own responses (server/web_routes.cc) set their policy over this one.
    res->set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    res->set("X-Frame-Options", "DENY");
    res->set("Referrer-Policy", "no-referrer");
  }

  // Sends the header, then the body that r.stream produces on the worker pool, in chunks.
  template <class Stream>
  asio::awaitable<void> WriteStreamed(Stream& stream, unsigned version, Response r) {
    http::response<http::empty_body> hres{static_cast<http::status>(r.status), version};
    hres.set(http::field::server, "kamatama");
    hres.set("X-Content-Type-Options", "nosniff");
    hres.set("Cache-Control", "no-store");
    hres.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    hres.set("X-Frame-Options", "DENY");
    if (opt_.tls) hres.set(http::field::strict_transport_security, "max-age=31536000");
    hres.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) hres.set(k, v);
    hres.keep_alive(false);
    hres.chunked(true);
    http::response_serializer<http::empty_body> sr{hres};
    boost::system::error_code ec;
    Expire(stream, std::chrono::seconds(60));
    co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto ex = co_await asio::this_coro::executor;
    // The producer blocks in `send` until its piece is written by this connection's executor.
    auto send = [this, ex, &stream](std::string_view piece) -> bool {
      auto done = std::make_shared<std::promise<bool>>();
      auto fut = done->get_future();
      asio::post(ex, [&stream, piece, done] {
        Expire(stream, std::chrono::seconds(60));
        asio::async_write(stream, http::make_chunk(asio::const_buffer(piece.data(), piece.size())),
                          [done](const boost::system::error_code& wec, size_t) { done->set_value(!wec); });
      });
      while (fut.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
        if (stopping_) return false;
      }
      return fut.get();
    };
    Response* rp = &r;
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this, ex, rp, send](auto handler) {
          asio::post(pool_, [this, ex, rp, send, h = std::move(handler)]() mutable {
            std::string buf;
            bool ok = true;
            BodyWriter writer = [&](std::string_view piece) {
              if (!ok) return false;
              buf.append(piece);
              if (buf.size() >= (64u << 10)) {
                ok = send(buf);
                buf.clear();
              }
              return ok;
            };
            try {
              rp->stream(writer);
            } catch (const std::exception& e) {
              fmt::print(stderr, "kamatama: streamed response threw: {}\n", e.what());
              ok = false;
            }
            if (ok && !buf.empty()) send(buf);
            asio::post(ex, std::move(h));
          });
        },
        asio::use_awaitable);
    if (stopping_) co_return;
    Expire(stream, std::chrono::seconds(60));
    co_await asio::async_write(stream, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
    Sock(stream).shutdown(tcp::socket::shutdown_send, ec);
    Sock(stream).close(ec);
  }

  // A live tail over WebSocket (http_tail.h), one per stream type: the plain one in
  // http_serve_plain.cc, the TLS one in http_tail_tls.cc.
  asio::awaitable<void> OpenTail(beast::tcp_stream stream, http::request<http::string_body> msg, Request req);
  asio::awaitable<void> OpenTail(TlsStream stream, http::request<http::string_body> msg, Request req);
  template <class Stream>
  asio::awaitable<void> Tail(Stream stream, http::request<http::string_body> msg, Request req);

  asio::awaitable<void> Session(tcp::socket socket, std::string client) {
    ConnGuard guard{counts_, client};
    if (opt_.tls) {
      co_await ServeTls(std::move(socket), std::move(client));
    } else {
      co_await ServePlain(std::move(socket), std::move(client));
    }
  }
  // One per stream type, each in its own file (http_serve_plain.cc, http_serve_tls.cc): the
  // coroutines below are instantiated once per stream type, and one file for both took minutes
  // and gigabytes to compile with the sanitizers.
  asio::awaitable<void> ServePlain(tcp::socket socket, std::string client);
  asio::awaitable<void> ServeTls(tcp::socket socket, std::string client);

  // Writes a short JSON answer and says whether the connection may go on.
  template <class Stream>
  asio::awaitable<bool> Answer(Stream& stream, http::response<http::string_body>& res, unsigned version, bool keep_alive) {
    boost::system::error_code ec;
    res.version(version);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    Expire(stream, std::chrono::seconds(60));
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec && keep_alive;
  }
  // After an answer given without reading the request body: close the sending side, then read
  // and drop what the client still sends (at most 4 MiB, for at most 2 s) before closing. Closing
  // with unread bytes makes the kernel send a reset, which can reach the client before it has read
  // the answer (curl then reports no status at all). Nothing read is kept.
  template <class Stream>
  asio::awaitable<void> LingerClose(Stream& stream) {
    boost::system::error_code ec;
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 16384> sink;
    size_t dropped = 0;
    lowest.expires_after(std::chrono::seconds(2));
    while (!ec && !stopping_ && dropped < (size_t{4} << 20)) {
      dropped += co_await lowest.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }
    lowest.socket().close(ec);
  }
  http::response<http::string_body> JsonAnswer(int status, std::string_view error) const {
    http::response<http::string_body> res;
    SetCommonHeaders(&res);
    res.result(static_cast<http::status>(status));
    res.set(http::field::content_type, "application/json");
    res.body() = "{\"error\":\"" + std::string(error) + "\"}";
    return res;
  }
  void Fill(http::response<http::string_body>& res, Response r, bool head) const {
    res.result(static_cast<http::status>(r.status));
    res.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.set(k, v);
    if (!head) res.body() = std::move(r.body);
  }

  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, std::string client, std::string cert_subject, bool tls) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    bool linger = false;  // answered before the request body was read
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(opt_.max_header));
      parser.body_limit(opt_.max_body);
      // Slow clients: the header (or the next request on a kept-alive connection) must come
      // within http.header_timeout, the whole request within http.read_timeout.
      const auto started = std::chrono::steady_clock::now();
      Expire(stream, std::chrono::nanoseconds(std::min(opt_.header_timeout_ns, opt_.read_timeout_ns)));
      co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
        break;
      if (ec) {
        // Malformed header or over a limit: answer and close.
        int status = ec == http::error::body_limit ? 413 : ec == http::error::header_limit ? 431 : 400;
        auto res = JsonAnswer(status, status == 413   ? "request body too large"
                                      : status == 431 ? "request headers too large"
                                                      : "malformed HTTP request");
        co_await Answer(stream, res, 11, false);
        break;
      }
      auto& msg = parser.get();
      const unsigned version = msg.version();
      Request req;
      req.method = std::string(msg.method_string());
      req.client = client;
      req.tls = tls;
      req.client_cert_subject = cert_subject;
      for (const auto& f : msg) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers.emplace(std::move(name), std::string(f.value()));
      }
      std::string_view target(msg.target().data(), msg.target().size());
      if (!ParseTarget(target, &req.path, &req.params)) {
        auto res = JsonAnswer(400, "bad URL encoding");
        co_await Answer(stream, res, version, false);
        break;
      }
      const bool head = msg.method() == http::verb::head;
      if (head) req.method = "GET";
      // Issue 19: authenticate and authorise on the header alone. A refused request is answered
      // and the connection closed without reading its body; an admitted one may send only as
      // much body as its route takes, and only while the bodies in flight leave room.
      size_t body_limit = 0;
      std::optional<Response> refused;
      co_await OnPool([&] {
        try {
          refused = api_->Admit(req, &body_limit);
        } catch (const std::exception& e) {
          refused = Response{500, "application/json", "{\"error\":\"internal error\"}"};
          fmt::print(stderr, "kamatama: admission of {} threw: {}\n", EscapeControl(req.path), e.what());
        }
      });
      if (refused) {
        http::response<http::string_body> res;
        SetCommonHeaders(&res);
        Fill(res, std::move(*refused), head);
        co_await Answer(stream, res, version, false);
        linger = !parser.is_done();
        break;
      }
      if (websocket::is_upgrade(msg) && req.path == "/api/v1/tail") {
        co_await OpenTail(std::move(stream), parser.release(), std::move(req));
        co_return;
      }
      std::optional<BodyReservation> reservation;
      if (!parser.is_done()) {
        static Counter& busy = GetCounter("kamatama_http_bodies_refused_total", "",
                                          "Request bodies refused because http.bodies_in_flight was used up");
        auto length = parser.content_length();
        if (length && *length > body_limit) {
          auto res = JsonAnswer(413, "request body too large for this route");
          co_await Answer(stream, res, version, false);
          linger = true;
          break;
        }
        const size_t need = length ? static_cast<size_t>(*length) : body_limit;
        if (bodies_in_flight_ > 0 && bodies_in_flight_ + need > opt_.bodies_in_flight) {
          busy.Add();
          auto res = JsonAnswer(503, "too many request bodies in flight; retry");
          res.set(http::field::retry_after, "1");
          co_await Answer(stream, res, version, false);
          linger = true;
          break;
        }
        reservation.emplace(this, need);
        parser.body_limit(body_limit);
        if (const std::string* expect = req.Header("expect"); expect && beast::iequals(*expect, "100-continue")) {
          http::response<http::empty_body> cont{http::status::continue_, version};
          Expire(stream, std::chrono::seconds(10));
          co_await http::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
          if (ec) break;
        }
        auto left = std::chrono::nanoseconds(opt_.read_timeout_ns) - (std::chrono::steady_clock::now() - started);
        Expire(stream, std::max<std::chrono::nanoseconds>(left, std::chrono::milliseconds(1)));
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
            ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
          break;
        if (ec) {
          auto res = JsonAnswer(ec == http::error::body_limit ? 413 : 400,
                                ec == http::error::body_limit ? "request body too large" : "malformed HTTP request");
          co_await Answer(stream, res, version, false);
          linger = ec == http::error::body_limit;
          break;
        }
      }
      const bool keep_alive = msg.keep_alive();
      req.body = std::move(msg.body());
      // A client that disconnects while its (long) request runs cancels it.
      auto cancelled = std::make_shared<std::atomic<bool>>(false);
      auto watching = std::make_shared<bool>(true);
      req.cancelled = cancelled.get();
      auto& sock = Sock(stream);
      sock.async_wait(tcp::socket::wait_read, [cancelled, watching, &sock](const boost::system::error_code& wec) {
        if (!*watching || wec) return;
        char c;
        ssize_t n = ::recv(sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) cancelled->store(true);
      });
      Response r;
      co_await RunHandler(&req, &r);
      *watching = false;
      sock.cancel(ec);
      ec = {};
      reservation.reset();  // the body is no longer needed
      req.body.clear();
      req.body.shrink_to_fit();
      if (r.stream && !head && r.status == 200) {
        co_await WriteStreamed(stream, version, std::move(r));
        break;  // a streamed body ends the connection
      }
      http::response<http::string_body> res;
      SetCommonHeaders(&res);
      Fill(res, std::move(r), head);
      if (!co_await Answer(stream, res, version, keep_alive)) break;
    }
    if (linger) {
      co_await LingerClose(stream);
      co_return;
    }
    Sock(stream).shutdown(tcp::socket::shutdown_send, ec);
    Sock(stream).close(ec);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(io_);
      co_await acceptor_.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      if (ec) {
        asio::steady_timer t(io_, std::chrono::milliseconds(50));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      // Limits (issue 8): connections in total and per address; the rest are closed at once.
      static Counter& refused = GetCounter("kamatama_http_connections_refused_total", "",
                                           "HTTP connections closed at once by http.max_connections(_per_ip)");
      auto rep = s.remote_endpoint(ec);
      std::string client = ec ? "" : rep.address().to_string();
      ConnCounts& cc = *counts_;
      if (cc.open >= opt_.max_connections || cc.per_ip[client] >= opt_.max_connections_per_ip) {
        refused.Add();
        if (cc.per_ip[client] == 0) cc.per_ip.erase(client);
        s.close(ec);
        continue;
      }
      ++cc.open;
      ++cc.per_ip[client];
      auto ex = s.get_executor();
      asio::co_spawn(ex, Session(std::move(s), std::move(client)), asio::detached);
    }
  }
};


}  // namespace kamatama::server
