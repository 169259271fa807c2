// ingest/gelf.h
//! GELF (Graylog Extended Log Format) 1.1: message decoding and UDP chunk reassembly.
//! Pure and clock-free (the caller passes the time), so it can be unit-tested and fuzzed.
//!
//! A GELF message (JSON: version, host, short_message, full_message, timestamp, level,
//! facility, _additional fields) becomes one RawRecord holding a normalised JSON event:
//!   host → host.name, short_message → message, timestamp → @timestamp, level → log.syslog.severity.code
//!   (and log.level by name), full_message/facility/version/line/file → gelf.*, and each
//!   `_name` additional field → `name`, except the Docker log driver's _container_name,
//!   _container_id, _image_name, _image_id, _command, _created, _tag → container.name,
//!   container.id, container.image.name, container.image.id, container.command,
//!   container.created, container.tag.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/raw_record.h"

namespace kamatama::ingest {

//! Decodes one (decompressed) GELF JSON message into *out. False, with *error, if it is not a
//! JSON object with a short_message (or message) string.
bool DecodeGelf(std::string_view json, int64_t now_ns, const std::string& observer, RawRecord* out, std::string* error);

struct GelfChunkOptions {
  size_t max_chunks = 128;                  //!< the GELF limit; more is refused
  size_t max_pending_messages = 1000;       //!< incomplete messages held at once
  size_t max_pending_bytes = 32u << 20;     //!< bytes held by incomplete messages
  int64_t timeout_ns = 5'000'000'000;       //!< an incomplete message is dropped after this
};

//! Reassembles chunked GELF datagrams (magic 0x1e 0x0f, 8-byte message id, sequence number,
//! sequence count). Chunks may arrive in any order and duplicates are ignored. Messages are keyed
//! by sender and id, so two senders cannot mix their chunks. Thread-safe.
class GelfReassembler {
 public:
  enum class Result {
    kComplete,  //!< *out holds a whole (possibly compressed) message
    kPending,   //!< a chunk was stored; more are needed
    kDropped,   //!< the datagram was refused; *reason says why (a metric label)
  };
  explicit GelfReassembler(GelfChunkOptions opt = {}) : opt_(opt) {}

  //! Feeds one datagram. A datagram that is not a chunk is returned whole (kComplete).
  Result Add(std::string_view datagram, std::string_view sender, int64_t now_ns, std::string* out, const char** reason);
  //! Drops incomplete messages older than the timeout; returns how many.
  size_t Expire(int64_t now_ns);

  size_t pending_messages() const;
  size_t pending_bytes() const;

 private:
  struct Pending {
    int64_t first_ns = 0;
    uint8_t count = 0;
    size_t received = 0;
    size_t bytes = 0;
    std::vector<std::string> parts;
    std::vector<bool> have;
  };
  GelfChunkOptions opt_;
  mutable std::mutex mu_;
  std::map<std::string, Pending> pending_;
  size_t bytes_ = 0;
};

//! Whether a datagram is a GELF chunk (starts with 0x1e 0x0f).
inline bool IsGelfChunk(std::string_view d) {
  return d.size() >= 2 && static_cast<unsigned char>(d[0]) == 0x1e && static_cast<unsigned char>(d[1]) == 0x0f;
}

}  // namespace kamatama::ingest
