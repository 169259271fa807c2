// fuzz/syslog_fuzz.cc: the syslog envelope, JSON events and ParseRecord on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/raw_record.h"
#include "parsers/json_event.h"
#include "parsers/parse.h"
#include "parsers/syslog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const int64_t received = 1'764'158'400'000'000'000;  // 2025-11-26T12:00:00Z
  kamatama::Event ev;
  kamatama::ParseSyslog(in, received, {}, &ev);
  kamatama::Event js;
  std::string err;
  kamatama::ParseJsonEvent(in, received, &js, &err);
  kamatama::RawRecord rec;
  rec.received_ns = received;
  rec.data.assign(in);
  kamatama::ParseRecord(rec, {});
  rec.flags = kamatama::kRawJson | kamatama::kRawTruncated;
  kamatama::ParseRecord(rec, {});
  return 0;
}
