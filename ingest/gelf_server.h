// ingest/gelf_server.h
//! GELF receivers: UDP (plain, gzip or zlib datagrams, chunked messages reassembled by
//! GelfReassembler) and TCP (NUL-delimited, uncompressed, as the GELF spec and Docker's gelf
//! driver send). Like SyslogServer: Asio coroutines on the caller's io_context, records parsed
//! on the receiving thread and handed to the Pipeline in batches; TCP stops reading while the
//! pipeline is full, UDP counts drops. Every refusal is counted in
//! kamatama_events_dropped_total{reason="gelf_..."}.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "ingest/gelf.h"
#include "ingest/pipeline.h"
#include "parsers/parse.h"

namespace boost::asio {
class io_context;
}

namespace kamatama::ingest {

struct GelfOptions {
  std::string udp_listen;             //!< empty disables (the default)
  std::string tcp_listen;             //!< empty disables (the default)
  size_t max_message = 1u << 20;      //!< bytes of one message after decompression / one TCP frame
  GelfChunkOptions chunks;
  int64_t idle_timeout_ns = 600LL * 1'000'000'000;
  size_t max_connections = 10000;
  size_t udp_receive_buffer = 8u << 20;
};

//! Decompresses (gzip/zlib, sniffed) and decodes one complete GELF message. On failure returns
//! false and sets *reason to a metric label: gelf_too_large, gelf_corrupt or gelf_invalid.
bool GelfToRecord(std::string_view message, size_t max_message, int64_t now_ns, const std::string& observer,
                  RawRecord* out, const char** reason);

class GelfServer {
 public:
  GelfServer(boost::asio::io_context& io, Pipeline* pipeline, ParseOptions parse, GelfOptions opt);
  ~GelfServer();
  //! Binds the configured listeners (none if both addresses are empty).
  Status Start();
  //! Call when no thread runs the io_context.
  void Stop();
  std::string udp_address() const;
  std::string tcp_address() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kamatama::ingest
