// server/http_tail.h
//! Private to the HTTP listener: the live tail over WebSocket, each new matching event sent as
//! one text message. Included by the two files that instantiate it (http_serve_plain.cc for TCP,
//! http_tail_tls.cc for TLS).
#pragma once
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include <boost/beast/websocket.hpp>

#include "server/http_impl.h"

namespace kamatama::server {

template <class Stream>
asio::awaitable<void> HttpServer::Impl::Tail(Stream stream, http::request<http::string_body> msg, Request req) {
  auto ex = co_await asio::this_coro::executor;
  Api::TailStart start = api_->OpenTail(req);
  boost::system::error_code ec;
  if (start.refused) {
    // Not authorised: a plain HTTP answer, no upgrade.
    http::response<http::string_body> res{static_cast<http::status>(start.refused->status), msg.version()};
    SetCommonHeaders(&res);
    res.set(http::field::content_type, start.refused->content_type);
    for (auto& [k, v] : start.refused->headers) res.set(k, v);
    res.body() = std::move(start.refused->body);
    res.keep_alive(false);
    res.prepare_payload();
    Expire(stream, std::chrono::seconds(10));
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    Sock(stream).shutdown(tcp::socket::shutdown_send, ec);
    Sock(stream).close(ec);
    co_return;
  }
  websocket::stream<Stream> ws(std::move(stream));
  beast::get_lowest_layer(ws).expires_never();
  websocket::stream_base::timeout to{};
  to.handshake_timeout = std::chrono::seconds(30);
  to.idle_timeout = std::chrono::seconds(60);
  to.keep_alive_pings = true;  // a ping after 30 s of silence; a dead peer is dropped after 60 s
  ws.set_option(to);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "kamatama"); }));
  ws.read_message_max(64u << 10);
  co_await ws.async_accept(msg, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  ws.text(true);
  if (!start.subscriber) {
    co_await ws.async_write(asio::buffer(start.error_json), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await ws.async_close(websocket::close_code::policy_error, asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  auto closed = std::make_shared<bool>(false);
  auto reader_done = std::make_shared<bool>(false);
  // The client sends nothing we need; reading is how its close frame and pongs are seen.
  asio::co_spawn(
      ex,
      [&ws, closed, reader_done]() -> asio::awaitable<void> {
        beast::flat_buffer b;
        boost::system::error_code rec;
        for (;;) {
          co_await ws.async_read(b, asio::redirect_error(asio::use_awaitable, rec));
          if (rec) break;
          b.consume(b.size());
        }
        *closed = true;
        *reader_done = true;
      },
      asio::detached);
  asio::steady_timer timer(ex);
  std::vector<std::string> events;
  uint64_t dropped = 0;
  // Issue 19: the credentials that opened the tail are checked again every few seconds, and
  // at once when any session ends or credential changes; a tail whose credentials no longer
  // hold is closed with 1008 (policy violation).
  uint64_t epoch = api_->AuthEpoch();
  auto checked = std::chrono::steady_clock::now();
  while (!*closed && !stopping_) {
    timer.expires_after(std::chrono::milliseconds(200));
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (api_->AuthEpoch() != epoch || std::chrono::steady_clock::now() - checked > std::chrono::seconds(5)) {
      epoch = api_->AuthEpoch();
      checked = std::chrono::steady_clock::now();
      bool still = false;
      co_await OnPool([&] { still = api_->StillAuthorized(req); });
      if (!still) {
        static Counter& ended = GetCounter("kamatama_tails_revoked_total", "",
                                           "Live tails closed because their credentials no longer held");
        ended.Add();
        std::string note = "{\"type\":\"error\",\"error\":\"credentials no longer valid\"}";
        co_await ws.async_write(asio::buffer(note), asio::redirect_error(asio::use_awaitable, ec));
        co_await ws.async_close(websocket::close_reason(websocket::close_code::policy_error, "credentials no longer valid"),
                                asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
    }
    start.subscriber->Take(&events, &dropped);
    if (dropped) {
      std::string note = fmt::format("{{\"type\":\"dropped\",\"count\":{}}}", dropped);
      co_await ws.async_write(asio::buffer(note), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    for (const auto& e : events) {
      co_await ws.async_write(asio::buffer(e), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    if (ec) break;
  }
  start.subscriber.reset();
  if (!*reader_done) {
    beast::get_lowest_layer(ws).socket().close(ec);
    while (!*reader_done && !stopping_) {
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

}  // namespace kamatama::server
