// fuzz/declarative_fuzz.cc: the declarative parsers (issue 23) on arbitrary bytes. Loads the
// shipped definitions (parsers/defs) and the bench's (bench/declarative: key=value, grok) once,
// then parses the bytes as a bare line and as the message of a syslog line from each program
// they claim. Checks what the engine promises: the original line is kept, and no field outside
// the definitions' own names comes from the log (nothing under kamatama.*, no empty name or empty
// dotted segment).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/raw_record.h"
#include "parsers/declarative/parser_set.h"
#include "parsers/parse.h"

namespace {

const kamatama::ParseOptions& Options() {
  static const kamatama::ParseOptions opt = [] {
    kamatama::ParseOptions o;
    std::shared_ptr<const kamatama::declarative::ParserSet> set;
    kamatama::declarative::LoadSummary summary;
    const std::string root = KMT_SOURCE_DIR;
    if (!kamatama::declarative::LoadParserSet({root + "/parsers/defs", root + "/bench/declarative"}, &set, &summary).ok() ||
        !summary.invalid.empty() || set->definitions().size() < 6)
      std::abort();  // the definitions must load: a fuzz run over nothing proves nothing
    o.user = std::make_shared<kamatama::declarative::UserParsers>();
    o.user->Swap(set);
    return o;
  }();
  return opt;
}

void Check(const kamatama::Event& ev, const std::string& line) {
  if (ev.original != line) __builtin_trap();
  for (const auto& [name, value] : ev.fields) {
    if (name.empty() || name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos ||
        name.rfind("kamatama.", 0) == 0)
      __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const kamatama::ParseOptions& opt = Options();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  kamatama::RawRecord rec;
  rec.received_ns = 1'764'158'400'000'000'000;
  for (const char* prefix : {"", "<30>Dec  7 09:12:01 h openvpn[1]: ", "<22>Dec  7 08:01:02 h dovecot: ",
                             "<38>Dec  7 10:00:00 h sshd[1]: ", "<134>Dec  7 10:00:00 h acme-gw[3]: "}) {
    rec.data = prefix + bytes;
    Check(kamatama::ParseRecord(rec, opt), rec.data);
  }
  return 0;
}
