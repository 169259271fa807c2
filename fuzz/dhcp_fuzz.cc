// fuzz/dhcp_fuzz.cc: the DHCP parsers (ISC, dnsmasq, Kea, Windows CSV) on arbitrary bytes.
#include "datasets_fuzz.h"
#include "parsers/dhcp.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (kamatama::RegisterDhcpParsers(&kamatama::ParserRegistry::Global()), true);  // idempotent if built in
  (void)registered;
  kamatama::fuzz::RunThroughDatasets(data, size, {"dhcp.isc", "dhcp.dnsmasq", "dhcp.kea", "dhcp.windows"});
  return 0;
}
