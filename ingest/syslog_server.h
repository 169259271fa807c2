// ingest/syslog_server.h
//! Syslog receivers: UDP (one datagram, one message) and TCP (RFC 6587 framing detected per
//! frame, see framing.h), on an Asio io_context run by the caller's threads. Frames are parsed
//! on the receiving thread and handed to the Pipeline in batches; when the pipeline is full, TCP
//! connections stop reading (the sender's window closes) and UDP datagrams are counted as dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "ingest/pipeline.h"
#include "parsers/parse.h"

namespace boost::asio {
class io_context;
}

namespace kamatama::ingest {

struct SyslogOptions {
  std::string udp_listen = "127.0.0.1:5514";  //!< empty disables
  std::string tcp_listen = "127.0.0.1:5514";  //!< empty disables
  size_t max_frame = 64 * 1024;               //!< longer frames are truncated and flagged
  int64_t idle_timeout_ns = 600LL * 1'000'000'000;
  size_t max_connections = 10000;
  size_t max_connections_per_ip = 2048;  //!< TCP/TLS connections from one address (0 = no limit)
  std::string source;                         //!< parser override for everything received here
  size_t udp_receive_buffer = 8u << 20;
  // Syslog over TLS (RFC 5425, octet counting; issue 8). Empty tls_listen disables.
  std::string tls_listen;                     //!< e.g. "0.0.0.0:6514"
  std::string tls_cert, tls_key, tls_client_ca;
  std::string tls_client_certs = "none";      //!< none | optional | require
  // RELP (issue 27, relp_server.h): each message answered once it is durable. Empty disables.
  std::string relp_listen;                    //!< e.g. "127.0.0.1:2514"
  bool relp_tls = false;                      //!< RELP over TLS with tls_cert/tls_key (and tls_client_certs)
};

class SyslogServer {
 public:
  SyslogServer(boost::asio::io_context& io, Pipeline* pipeline, ParseOptions parse, SyslogOptions opt);
  ~SyslogServer();
  //! Binds the listeners and starts accepting; returns an error naming the address on failure.
  Status Start();
  //! Stops accepting and closes every connection (pending frames are already in the pipeline).
  //! Call it when no thread runs the io_context (Asio sockets are not thread-safe).
  void Stop();
  //! The bound addresses as "host:port" (useful with port 0).
  std::string udp_address() const;
  std::string tcp_address() const;
  std::string tls_address() const;
  //! New certificate, key and client CA for TLS connections accepted from now on (SIGHUP); on
  //! an error the current ones stay. A no-op without a TLS listener.
  Status ReloadTls(const SyslogOptions& opt);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};


}  // namespace kamatama::ingest
