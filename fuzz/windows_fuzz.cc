// fuzz/windows_fuzz.cc: the Windows event XML scanner and the Windows parsers (Sysmon, Security,
// PowerShell, Defender) on arbitrary bytes: raw, with the source forced to each dataset, and
// wrapped as event XML and as a Sysmon-for-Linux syslog line so the mappers see hostile data.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/raw_record.h"
#include "parsers/parse.h"
#include "parsers/registry.h"
#include "parsers/winevent.h"
#include "parsers/windows.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool registered = [] {
    kamatama::RegisterWindowsParsers(&kamatama::ParserRegistry::Global());
    return true;
  }();
  (void)registered;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  kamatama::winevent::Record record;
  kamatama::winevent::ScanEventXml(in, &record);
  kamatama::winevent::LooksLikeEventXml(in);
  std::string decoded;
  kamatama::winevent::AppendXmlDecoded(in, &decoded);

  kamatama::RawRecord rec;
  rec.received_ns = 1'764'158'400'000'000'000;  // 2025-11-26T12:00:00Z
  const std::string wrapped[] = {
      std::string(in),
      // The input as EventData of each family, so every mapper runs on it.
      "<Event><System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>1</EventID></System><EventData>" +
          std::string(in) + "</EventData></Event>",
      "<Event><System><Channel>Security</Channel><EventID>4624</EventID></System><EventData>" + std::string(in) +
          "</EventData></Event>",
      "Jun  7 03:08:51 host sysmon: <Event><System><Provider Name=\"Linux-Sysmon\"/>" + std::string(in),
  };
  for (const std::string& line : wrapped) {
    rec.data = line;
    for (const char* source : {"", "sysmon", "auth.windows_security", "powershell", "antivirus.windows_defender"}) {
      rec.source = source;
      rec.flags = 0;
      kamatama::ParseRecord(rec, {});
    }
  }
  return 0;
}
