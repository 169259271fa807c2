// tests/powershell_decode_test.cc: encoded PowerShell decoded at parse time (issue 22). The
// expected scripts were decoded independently (Python's base64 and UTF-16LE codecs).
#include "parsers/powershell_decode.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/event.h"
#include "core/raw_record.h"
#include "parsers/parse.h"

namespace kamatama {
namespace {

// base64(UTF-16LE("Write-Host \"hé\"; whoami"))
constexpr const char* kEncoded = "VwByAGkAdABlAC0ASABvAHMAdAAgACIAaADpACIAOwAgAHcAaABvAGEAbQBpAA==";
constexpr const char* kScript = "Write-Host \"h\xc3\xa9\"; whoami";

TEST(PowerShellDecode, EveryFlagSpelling) {
  for (std::string flag : {"-enc", "-EncodedCommand", "-e", "-ec", "-En", "/enc", "-encodedc", "-ENCODEDCOMMAND"}) {
    auto d = DecodePowerShellCommand("powershell.exe -NoP -w hidden " + flag + " " + kEncoded);
    ASSERT_TRUE(d) << flag;
    EXPECT_EQ(*d, kScript) << flag;
  }
  auto quoted = DecodePowerShellCommand(std::string("\"C:\\Program Files\\PowerShell\\7\\pwsh.exe\" -enc  \"") +
                                        kEncoded + "\"");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(*quoted, kScript);
}

TEST(PowerShellDecode, LeavesEverythingElse) {
  EXPECT_FALSE(DecodePowerShellCommand(std::string("tool.exe -enc ") + kEncoded)) << "not PowerShell";
  EXPECT_FALSE(DecodePowerShellCommand("powershell.exe -ex bypass -File x.ps1")) << "-ex is ExecutionPolicy";
  EXPECT_FALSE(DecodePowerShellCommand("powershell.exe -ea SilentlyContinue")) << "-ea is not a command";
  EXPECT_FALSE(DecodePowerShellCommand("powershell.exe -enc not*base64")) << "not base64";
  EXPECT_FALSE(DecodePowerShellCommand("powershell.exe -enc aGVsbG8gd29ybGQh")) << "base64 of ASCII, not UTF-16LE";
  EXPECT_FALSE(DecodePowerShellCommand("powershell.exe -enc")) << "no argument";
}

// The Empire stager of ../shared/attack/empire_launcher_vbs, through the whole parse (NXLog JSON).
TEST(PowerShellDecode, EmpireStagerSearchableAfterParsing) {
  std::ifstream in(std::string(KMT_SOURCE_DIR) +
                   "/../shared/attack/empire_launcher_vbs/empire_launcher_vbs_2020-09-04160940.json");
  if (!in) GTEST_SKIP() << "../shared/attack is not available";
  std::string line;
  int decoded = 0, process_creates = 0;
  while (std::getline(in, line)) {
    if (line.find("-enc") == std::string::npos) continue;
    RawRecord rec;
    rec.data = line;
    Event ev = ParseRecord(rec, ParseOptions{});
    const std::string* ds = ev.Get("event.dataset");
    const std::string* d = ev.Get("process.command_line_decoded");
    if (ds && *ds == "sysmon.process_create" && ev.Get("process.name") && *ev.Get("process.name") == "powershell.exe") {
      ++process_creates;
      ASSERT_TRUE(d);
    }
    if (!d) continue;
    ++decoded;
    EXPECT_EQ(d->rfind("If($PSVERSiOnTaBlE.PSVErSIOn.MajOR -gE 3){", 0), 0u) << *d;
    EXPECT_NE(d->find("'/news.php'"), std::string::npos);
    EXPECT_EQ(d->size(), 1895u);
    EXPECT_EQ(d->substr(d->size() - 4), "|IEX");
  }
  EXPECT_EQ(process_creates, 1) << "the one Sysmon 1 of powershell.exe -enc";
  EXPECT_GE(decoded, 2) << "Sysmon 1 and the PowerShell 4103 host application";
}

}  // namespace
}  // namespace kamatama
