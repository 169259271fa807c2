// fuzz/relp_fuzz.cc: the RELP glue (ingest/relp.h, issue 27) on arbitrary bytes, fed in pieces
// as a socket delivers them: the frame parser and the session rules. Every answer the session
// produces must itself parse as one well-formed rsp frame with the request's transaction number.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/relp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kamatama::ingest;
  if (size < 2) return 0;
  const size_t max_data = 8 + data[0] * 4;  // small limits reach the truncation paths
  const size_t step = 1 + data[1] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  RelpFramer framer(max_data);
  RelpSession session;
  bool failed = false;
  for (size_t off = 0; off < in.size() && !failed; off += step) {
    failed = !framer.Feed(in.substr(off, step), [&](const RelpFrame& f) {
      if (f.data.size() > max_data || f.command.empty() || f.command.size() > kRelpMaxCommand) std::abort();
      if (f.txnr > kRelpMaxTxnr) std::abort();
      RelpStep st = session.OnFrame(f);
      if (st.kind == RelpStep::kFail) {
        if (st.why.empty()) std::abort();
        return;
      }
      if (st.kind == RelpStep::kMessage && (st.message.empty() || st.message.size() > f.data.size())) std::abort();
      RelpFramer back(1 << 16);
      int frames = 0;
      if (!back.Feed(st.response, [&](const RelpFrame& r) {
            if (r.txnr != f.txnr || r.command != "rsp" || r.truncated) std::abort();
            ++frames;
          }) || frames != 1 || back.InFrame())
        std::abort();
    });
  }
  if (failed && framer.error().empty()) std::abort();
  return 0;
}
