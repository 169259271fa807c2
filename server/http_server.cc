// server/http_server.cc
//! The listener: accepting connections under the limits, start, stop, TLS reload. The request
//! loop is in http_impl.h, compiled per stream type in http_serve_plain.cc and http_serve_tls.cc.
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include "server/http_impl.h"

namespace kamatama::server {

HttpServer::HttpServer(const HttpOptions& opt, Api* api) : impl_(std::make_unique<Impl>(opt, api)) {}
HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  Impl& m = *impl_;
  if (m.opt_.tls) {
    ingest::TlsFiles files{m.opt_.tls_cert, m.opt_.tls_key, m.opt_.tls_client_ca, m.opt_.client_certs};
    if (Status s = m.tls_.Load(files); !s.ok()) return s;
  }
  if (Status s = ingest::ListenTcp(m.acceptor_, m.opt_.listen, "HTTP"); !s.ok()) return s;
  asio::co_spawn(m.io_, m.Accept(), asio::detached);
  m.thread_ = std::thread([&m] { m.io_.run(); });
  return Status::OK();
}

void HttpServer::Stop() {
  Impl& m = *impl_;
  if (m.stopping_.exchange(true)) return;
  m.io_.stop();
  if (m.thread_.joinable()) m.thread_.join();
  boost::system::error_code ec;
  m.acceptor_.close(ec);
  m.pool_.join();
}

Status HttpServer::ReloadTls(const HttpOptions& opt) {
  Impl& m = *impl_;
  if (!m.opt_.tls) return Status::OK();
  return m.tls_.Load(ingest::TlsFiles{opt.tls_cert, opt.tls_key, opt.tls_client_ca, opt.client_certs});
}

std::string HttpServer::address() const { return ingest::LocalAddress(impl_->acceptor_); }

}  // namespace kamatama::server
