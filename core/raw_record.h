// core/raw_record.h
//! A record as it arrives, before parsing: the bytes of one frame plus where and when it came.
#pragma once

#include <cstdint>
#include <string>

namespace kamatama {

enum RawFlags : uint8_t {
  kRawTruncated = 1,  //!< the frame was longer than the maximum and was cut
  kRawJson = 2,       //!< the sender said this is a JSON event (HTTP ingest of an object)
};

struct RawRecord {
  int64_t received_ns = 0;  //!< when the frame was received (becomes event.ingested)
  std::string data;         //!< the frame, framing and one trailing LF/NUL stripped
  std::string observer;     //!< the sender's address, e.g. "127.0.0.1"
  std::string source;       //!< parser override (dataset name); empty = choose automatically
  uint8_t flags = 0;        //!< RawFlags
};

}  // namespace kamatama
