// fuzz/datasets_fuzz.h: the body shared by the parser-family targets. The bytes run as a bare
// line and as the message of a syslog line from a claimed program; each form is parsed once with
// the parser chosen by content and once forced through every dataset of the family. `check`
// sees every event (the generic targets check field names with it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "core/raw_record.h"
#include "parsers/parse.h"

namespace kamatama::fuzz {

inline constexpr int64_t kReceivedNs = 1'764'158'400'000'000'000;  // 2025-11-26T12:00:00Z

template <typename Check>
void RunThroughDatasets(const uint8_t* data, size_t size, std::initializer_list<const char*> datasets, Check check) {
  RawRecord rec;
  rec.received_ns = kReceivedNs;
  for (int wrapped = 0; wrapped < 2; ++wrapped) {
    rec.data = wrapped ? "<13>Nov 26 12:00:00 host prog[1]: " : "";
    rec.data.append(reinterpret_cast<const char*>(data), size);
    rec.source.clear();
    check(ParseRecord(rec, {}));
    for (const char* ds : datasets) {
      rec.source = ds;
      check(ParseRecord(rec, {}));
    }
  }
}

inline void RunThroughDatasets(const uint8_t* data, size_t size, std::initializer_list<const char*> datasets) {
  RunThroughDatasets(data, size, datasets, [](const Event&) {});
}

}  // namespace kamatama::fuzz
