// fuzz/proxy_fuzz.cc: libFuzzer target for the proxy parsers. Runs ParseRecord on the input as a
// raw line (automatic parser choice) and once per proxy dataset forced through rec.source.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/raw_record.h"
#include "parsers/proxy.h"
#include "parsers/parse.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = [] {
    kamatama::RegisterProxyParsers(&kamatama::ParserRegistry::Global());
    return true;
  }();
  (void)registered;
  static constexpr const char* kDatasets[] = {"proxy.squid", "proxy.access", "proxy.haproxy", "proxy.sophos_xg", "proxy.proxifier"};
  kamatama::RawRecord rec;
  rec.received_ns = 1'795'000'000'000'000'000;
  rec.data.assign(reinterpret_cast<const char*>(data), size);
  kamatama::ParseOptions opt;
  (void)kamatama::ParseRecord(rec, opt);
  for (const char* ds : kDatasets) {
    rec.source = ds;
    (void)kamatama::ParseRecord(rec, opt);
  }
  return 0;
}
