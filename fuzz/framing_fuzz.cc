// fuzz/framing_fuzz.cc: RFC 6587 TCP framing (octet counts, lines, truncation) on arbitrary bytes,
// fed in pieces of varying size as a socket would deliver them (issue 9).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/framing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t max_frame = 16 + data[0] * 4;  // small limits reach the truncation paths
  const size_t step = 1 + data[1] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  kamatama::ingest::SyslogFramer framer(max_frame);
  size_t total = 0;
  for (size_t off = 0; off < in.size(); off += step) {
    framer.Feed(in.substr(off, step), [&](std::string_view frame, bool) {
      if (frame.empty() || frame.size() > max_frame) std::abort();  // the framer's contract
      total += frame.size();
    });
  }
  if (total > in.size()) std::abort();
  return 0;
}
