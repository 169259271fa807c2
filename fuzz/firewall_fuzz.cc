// fuzz/firewall_fuzz.cc: libFuzzer target for the firewall parsers. Runs ParseRecord on the input as a
// raw line (automatic parser choice) and once per firewall dataset forced through rec.source.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/raw_record.h"
#include "parsers/firewall.h"
#include "parsers/parse.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = [] {
    kamatama::RegisterFirewallParsers(&kamatama::ParserRegistry::Global());
    return true;
  }();
  (void)registered;
  static constexpr const char* kDatasets[] = {"firewall.iptables", "firewall.pfsense", "firewall.cisco_asa", "firewall.fortigate"};
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
