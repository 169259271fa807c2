// fuzz/antivirus_fuzz.cc: the anti-virus parsers (ClamAV, amavis, Sophos XG, ESET, McAfee ePO) on arbitrary bytes, chosen by
// content and forced through each dataset, as a syslog line and as the bare message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/raw_record.h"
#include "parsers/antivirus.h"
#include "parsers/parse.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = [] {
    kamatama::RegisterAntivirusParsers(&kamatama::ParserRegistry::Global());  // idempotent if built in already
    return true;
  }();
  (void)registered;
  static const char* const kDatasets[] = {"antivirus.clamav", "antivirus.amavis", "antivirus.sophos_xg", "antivirus.eset", "antivirus.mcafee"};
  const int64_t received = 1'764'158'400'000'000'000;  // 2025-11-26T12:00:00Z
  kamatama::RawRecord rec;
  rec.received_ns = received;
  rec.data.assign(reinterpret_cast<const char*>(data), size);
  kamatama::ParseRecord(rec, {});
  for (const char* ds : kDatasets) {
    rec.source = ds;
    kamatama::ParseRecord(rec, {});
  }
  // The same bytes as the message of a syslog line from a claimed program.
  rec.data = "<13>Nov 26 12:00:00 host prog[1]: ";
  rec.data.append(reinterpret_cast<const char*>(data), size);
  rec.source.clear();
  kamatama::ParseRecord(rec, {});
  for (const char* ds : kDatasets) {
    rec.source = ds;
    kamatama::ParseRecord(rec, {});
  }
  return 0;
}
