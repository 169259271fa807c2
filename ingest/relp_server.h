// ingest/relp_server.h
//! The RELP receiver (issue 27; the protocol is in relp.h): rsyslog's omrelp sends each message
//! as a numbered frame and keeps it until it is answered. A `syslog` frame is answered only once
//! its message is as durable as an HTTP-ingested event: the frames of each read become one batch
//! with a completion callback, which the pipeline writes and fsyncs at once (group commit), and
//! the `200 OK` answers go out from that callback. So a kill -9 of kamatama loses nothing the
//! sender gave it: what was not answered is sent again on the next session.
//!
//! The price is duplicates: a message fsynced whose answer had not reached the sender when
//! kamatama died is sent again and stored twice. At most the sender's window (omrelp
//! `windowSize`, 128 by default: the unanswered frames a session may have) per connection per
//! crash. A clean stop (SIGTERM) sends every answer that is due before it closes, so it causes
//! none. RELP transaction numbers restart at 1 on each session, so they cannot recognise them.
//!
//! Backpressure: when the pipeline is full (or the disk is, or the store is read-only) a session
//! stops reading; its window fills and the sender holds the messages.
//! Sessions run on the io_context's threads, one strand each; answers are written from it.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "ingest/pipeline.h"
#include "ingest/syslog_server.h"
#include "parsers/parse.h"

namespace boost::asio {
class io_context;
}

namespace kamatama::ingest {

class RelpServer {
 public:
  //! Uses opt.relp_listen (empty: Start does nothing), relp_tls, the tls_* files, max_frame,
  //! idle_timeout_ns, max_connections, max_connections_per_ip and source of SyslogOptions.
  RelpServer(boost::asio::io_context& io, Pipeline* pipeline, ParseOptions parse, SyslogOptions opt);
  ~RelpServer();
  Status Start();
  //! Call once no thread runs the io_context, before Pipeline::Stop: waits (up to 5 s) for the
  //! batches in flight to become durable, sends their answers and a `serverclose` hint, and
  //! closes every session.
  void Stop();
  std::string address() const;
  //! New certificate, key and client CA for sessions accepted from now on (SIGHUP).
  Status ReloadTls(const SyslogOptions& opt);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kamatama::ingest
