// fuzz/query_fuzz.cc: the search language on arbitrary bytes (issue 9), parsed and evaluated
// (issue 29). A query that parses is run on a small fixed event set: Matches on every event, and
// MayMatch/Answer on each event's own token set, which must never prune an event that matches
// (nor answer kAll for one that does not). The same bytes as a pipeline ("filter | stats ...")
// run their stages over the matching events, aggregated in two halves merged and in one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/tokenize.h"
#include "query/pipes.h"
#include "query/query.h"

namespace {

using kamatama::Event;
using kamatama::EventAccessor;
using kamatama::query::Query;

struct Sample {
  Event ev;
  std::unordered_set<uint64_t> tokens;  // of the original line and every field value
};

std::vector<Sample> MakeSamples() {
  std::vector<Sample> out;
  auto add = [&](std::string original, int64_t ts_ns, std::vector<std::pair<std::string, std::string>> fields) {
    Sample s;
    s.ev.original = std::move(original);
    s.ev.timestamp_ns = ts_ns;
    for (auto& [n, v] : fields) s.ev.Add(n, v);
    auto tok = [&](std::string_view text) {
      kamatama::ForEachToken(text, [&](std::string_view t) { s.tokens.insert(kamatama::HashTokenLower(t)); });
    };
    tok(s.ev.original);
    for (const auto& [n, v] : s.ev.fields) tok(v);
    out.push_back(std::move(s));
  };
  const int64_t t0 = 1795000000LL * 1000000000LL;
  add("Nov 26 12:00:01 web1 sshd[1234]: Failed password for root from 10.1.2.3 port 22 ssh2", t0,
      {{"host.name", "web1"}, {"process.name", "sshd"}, {"user.name", "root"}, {"source.ip", "10.1.2.3"},
       {"source.port", "22"}, {"event.dataset", "auth.sshd"}, {"event.outcome", "failure"}});
  add("Nov 26 12:00:02 WEB2 sshd[99]: Accepted publickey for admin from 192.168.0.10 port 50022 ssh2", t0 + 1000000000,
      {{"host.name", "WEB2"}, {"process.name", "sshd"}, {"user.name", "admin"}, {"source.ip", "192.168.0.10"},
       {"event.dataset", "auth.sshd"}, {"event.outcome", "success"}});
  add("[UFW BLOCK] IN=eth0 OUT= SRC=192.168.0.10 DST=10.0.0.1 PROTO=TCP SPT=4444 DPT=22", t0 + 61000000000LL,
      {{"event.dataset", "firewall.iptables"}, {"source.ip", "192.168.0.10"}, {"destination.ip", "10.0.0.1"},
       {"destination.port", "22"}, {"network.transport", "tcp"}, {"tags", "ufw,block"}});
  add("GET /index.html?q=caf\xc3\xa9 HTTP/1.1 200 1234 \"Mozilla/5.0 (X11; Linux x86_64)\"", t0 + 3600000000000LL,
      {{"url.original", "/index.html?q=caf\xc3\xa9"}, {"http.response.status_code", "200"},
       {"http.response.bytes", "1234"}, {"user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"}});
  add("C:\\Windows\\System32\\cmd.exe /c whoami --verbose guid 3f2504e0-4f89-11d3-9a0c-0305e82c3301", t0 + 7200000000000LL,
      {{"process.executable", "C:\\Windows\\System32\\cmd.exe"}, {"process.name", "cmd.exe"},
       {"host.name", "win-01.corp.example.com"}, {"guid", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}, {"user.name", "-"}});
  add("", t0 + 7200000000001LL, {});
  return out;
}

const std::vector<Sample>& Samples() {
  static const std::vector<Sample> samples = MakeSamples();
  return samples;
}

// A property the engine broke: abort, so libFuzzer keeps the input.
#define KMT_FUZZ_CHECK(cond) \
  do {                       \
    if (!(cond)) std::abort(); \
  } while (0)

void Evaluate(const Query& q, std::vector<Event>* matched) {
  for (const Sample& s : Samples()) {
    const bool m = q.Matches(EventAccessor(s.ev));
    kamatama::TokenFilter has = [&s](uint64_t h) { return s.tokens.count(h) > 0; };
    const bool may = q.MayMatch(has);
    const kamatama::BlockAnswer a = q.Answer(has);
    KMT_FUZZ_CHECK(!m || may);                                  // pruned a matching event
    KMT_FUZZ_CHECK(!m || a != kamatama::BlockAnswer::kNone);    // settled "none" on a match
    KMT_FUZZ_CHECK(m || a != kamatama::BlockAnswer::kAll);      // settled "all" on a non-match
    KMT_FUZZ_CHECK(q.Matches(EventAccessor(s.ev)) == m);        // const evaluation is stable
    if (m && matched) matched->push_back(s.ev);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto parsed = Query::Parse(in);
  if (auto* q = std::get_if<Query>(&parsed)) Evaluate(*q, nullptr);

  auto pipeline = kamatama::query::ParsePipeline(in);
  auto* p = std::get_if<kamatama::query::Pipeline>(&pipeline);
  if (!p) return 0;
  auto filter = Query::Parse(p->filter);
  auto* fq = std::get_if<Query>(&filter);
  if (!fq) return 0;
  std::vector<Event> matched;
  Evaluate(*fq, &matched);
  kamatama::query::Table table;
  size_t first = 0;
  if (p->Aggregates()) {
    // One aggregator over every row, and two over halves merged: the same table.
    const auto& stage = p->stages[0];
    kamatama::query::Aggregator whole(stage, 1000), left(stage, 1000), right(stage, 1000);
    for (size_t i = 0; i < matched.size(); ++i) {
      whole.Add(EventAccessor(matched[i]), matched[i].timestamp_ns);
      (i % 2 ? right : left).Add(EventAccessor(matched[i]), matched[i].timestamp_ns);
    }
    left.Merge(std::move(right));
    table = whole.Finish();
    kamatama::query::Table merged = left.Finish();
    KMT_FUZZ_CHECK(merged.columns == table.columns);
    KMT_FUZZ_CHECK(merged.rows.size() == table.rows.size());
    first = 1;
  } else {
    table = kamatama::query::EventsToTable(matched, {});
  }
  (void)kamatama::query::ApplyStages(p->stages, first, &table);
  return 0;
}
