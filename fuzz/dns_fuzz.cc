// fuzz/dns_fuzz.cc: the DNS parsers (BIND, dnsmasq, Unbound, Windows DNS, Suricata) on arbitrary bytes.
#include "datasets_fuzz.h"
#include "parsers/dns.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (kamatama::RegisterDnsParsers(&kamatama::ParserRegistry::Global()), true);  // idempotent if built in
  (void)registered;
  kamatama::fuzz::RunThroughDatasets(data, size, {"dns.bind", "dns.dnsmasq", "dns.unbound", "dns.windows", "dns.suricata"});
  return 0;
}
