// fuzz/antivirus_fuzz.cc: the anti-virus parsers (ClamAV, amavis, Sophos XG, ESET, McAfee ePO) on arbitrary bytes.
#include "datasets_fuzz.h"
#include "parsers/antivirus.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (kamatama::RegisterAntivirusParsers(&kamatama::ParserRegistry::Global()), true);  // idempotent if built in
  (void)registered;
  kamatama::fuzz::RunThroughDatasets(data, size, {"antivirus.clamav", "antivirus.amavis", "antivirus.sophos_xg", "antivirus.eset", "antivirus.mcafee"});
  return 0;
}
