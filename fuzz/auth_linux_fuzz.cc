// fuzz/auth_linux_fuzz.cc: the Linux/RADIUS auth parsers (sshd, sudo, su, PAM, RADIUS) on arbitrary bytes, chosen by
// content and forced through each dataset, as a syslog line and as the bare message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/raw_record.h"
#include "parsers/auth_linux.h"
#include "parsers/parse.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = [] {
    kamatama::RegisterLinuxAuthParsers(&kamatama::ParserRegistry::Global());  // idempotent if built in already
    return true;
  }();
  (void)registered;
  static const char* const kDatasets[] = {"auth.sshd", "auth.sudo", "auth.su", "auth.pam", "auth.radius"};
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
