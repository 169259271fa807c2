// server/http_tail_tls.cc
//! The live tail over TLS (http_tail.h instantiated for beast::ssl_stream), in a file of its own:
//! WebSocket over TLS is the heaviest instantiation of the listener.
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include <boost/beast/websocket/ssl.hpp>

#include "server/http_tail.h"

namespace kamatama::server {

asio::awaitable<void> HttpServer::Impl::OpenTail(TlsStream stream, http::request<http::string_body> msg, Request req) {
  co_await Tail(std::move(stream), std::move(msg), std::move(req));
}

}  // namespace kamatama::server
