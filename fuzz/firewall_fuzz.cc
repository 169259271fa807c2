// fuzz/firewall_fuzz.cc: the firewall parsers (iptables, pfSense, Cisco ASA, FortiGate) on arbitrary bytes.
#include "datasets_fuzz.h"
#include "parsers/firewall.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (kamatama::RegisterFirewallParsers(&kamatama::ParserRegistry::Global()), true);  // idempotent if built in
  (void)registered;
  kamatama::fuzz::RunThroughDatasets(data, size, {"firewall.iptables", "firewall.pfsense", "firewall.cisco_asa", "firewall.fortigate"});
  return 0;
}
