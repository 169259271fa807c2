// fuzz/proxy_fuzz.cc: the proxy parsers (Squid, access logs, HAProxy, Sophos XG, Proxifier) on arbitrary bytes.
#include "datasets_fuzz.h"
#include "parsers/proxy.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (kamatama::RegisterProxyParsers(&kamatama::ParserRegistry::Global()), true);  // idempotent if built in
  (void)registered;
  kamatama::fuzz::RunThroughDatasets(data, size, {"proxy.squid", "proxy.access", "proxy.haproxy", "proxy.sophos_xg", "proxy.proxifier"});
  return 0;
}
