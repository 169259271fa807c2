// fuzz/dns_fuzz.cc: the dns source parsers (parsers/dns.h) on arbitrary bytes, chosen by
// program/content and forced through each dataset.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/raw_record.h"
#include "parsers/dns.h"
#include "parsers/parse.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = [] {
    kamatama::RegisterDnsParsers(&kamatama::ParserRegistry::Global());  // no-op once the lead wires it in
    return true;
  }();
  (void)registered;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  kamatama::RawRecord rec;
  rec.received_ns = 1'764'158'400'000'000'000;  // 2025-11-26T12:00:00Z
  rec.data.assign(in);
  kamatama::ParseRecord(rec, {});
  for (const char* ds : {"dns.bind", "dns.dnsmasq", "dns.unbound", "dns.windows", "dns.suricata"}) {
    rec.source = ds;
    kamatama::ParseRecord(rec, {});
  }
  return 0;
}
