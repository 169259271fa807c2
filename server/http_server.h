// server/http_server.h
//! The HTTP/1.1 listener (Boost.Beast): reads requests with our limits, runs the API handler on
//! a worker pool, writes the response. Keep-alive, a read timeout, security headers.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "server/api.h"

namespace boost::asio {
class io_context;
}

namespace kamatama::server {

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const HttpOptions& opt, Api* api);
  ~HttpServer();
  Status Start();
  void Stop();
  std::string address() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kamatama::server
