// server/http_serve_tls.cc
//! The request loop over TLS (http_impl.h instantiated for beast::ssl_stream): the handshake,
//! then the same loop with the client certificate's subject.
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include "server/http_impl.h"

namespace kamatama::server {

asio::awaitable<void> HttpServer::Impl::ServeTls(tcp::socket socket, std::string client) {
  static Counter& failed = GetCounter("kamatama_tls_handshake_failures_total", "listener=\"http\"",
                                      "TLS handshakes that failed (no or bad client certificate, not TLS, ...)");
  auto ctx = CurrentTls();
  TlsStream stream(beast::tcp_stream(std::move(socket)), *ctx);
  boost::system::error_code ec;
  Expire(stream, std::chrono::nanoseconds(opt_.header_timeout_ns));
  co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    failed.Add();
    Sock(stream).close(ec);
    co_return;
  }
  co_await Serve(stream, std::move(client), ingest::PeerSubject(stream.native_handle()), true);
}

}  // namespace kamatama::server
