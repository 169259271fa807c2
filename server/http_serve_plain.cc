// server/http_serve_plain.cc
//! The request loop and the live tail over plain TCP (http_impl.h and http_tail.h instantiated
//! for beast::tcp_stream).
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include "server/http_impl.h"
#include "server/http_tail.h"

namespace kamatama::server {

asio::awaitable<void> HttpServer::Impl::ServePlain(tcp::socket socket, std::string client) {
  beast::tcp_stream stream(std::move(socket));
  co_await Serve(stream, std::move(client), std::string(), false);
}

asio::awaitable<void> HttpServer::Impl::OpenTail(beast::tcp_stream stream, http::request<http::string_body> msg,
                                                 Request req) {
  co_await Tail(std::move(stream), std::move(msg), std::move(req));
}

}  // namespace kamatama::server
