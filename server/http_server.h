// server/http_server.h
//! The HTTP/1.1 listener (Boost.Beast): reads requests with our limits, runs the API handler on
//! a worker pool, writes the response. Keep-alive, a read timeout, security headers.
//! It runs its own network thread; Stop() (also run by the destructor) joins it and the pool.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "server/api.h"

namespace kamatama::server {

class HttpServer {
 public:
  HttpServer(const HttpOptions& opt, Api* api);
  ~HttpServer();
  Status Start();
  void Stop();
  std::string address() const;
  //! New certificate, key and client CA for connections accepted from now on (SIGHUP); on an
  //! error the current ones stay. A no-op without HTTPS.
  Status ReloadTls(const HttpOptions& opt);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kamatama::server
