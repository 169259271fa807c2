// bench/detect_bench.cc
//! Rule evaluation alone: every loadable Sigma rule against parsed Windows events, one thread.
//! Usage: kmt_detect_bench RULE_DIR... -- EVENT_FILE...  (event XML files holding <Event>
//! elements, as in the shared corpus). Events are parsed once, before timing; the figure is
//! events evaluated per second of one core, with the average number of rules routed per event and
//! of rules evaluated after the literal prefilter. `--no-prefilter` (first argument) evaluates
//! every routed rule, as before the prefilter. `--passes N` evaluates the events exactly N times
//! instead of for 3 s (for repeatable instruction counts under callgrind). `--unfiltered` also
//! prints to stderr each rule without a required literal (evaluated on every event routed to it)
//! with its matches and microseconds over all the events (its logsource condition included).
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/row.h"
#include "detect/ruleset.h"
#include "parsers/parse.h"

// Under `valgrind --tool=callgrind --instr-atstart=no` only the evaluation loop is instrumented
// (loading 3,755 rules instrumented takes minutes); natively these are no-ops.
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

using namespace kamatama;

namespace {

void PrintUnfiltered(const detect::RuleSet& set, const std::vector<Event>& evs) {
  for (uint32_t i : set.prefilter().unfiltered()) {
    const detect::Rule& rule = *set.rules()[i];
    size_t hits = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (const Event& ev : evs) hits += rule.query.Matches(EventAccessor(ev));
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "unfiltered: %8.0f us %4zu matches  %s (%s)\n", us, hits, rule.title.c_str(), rule.path.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> dirs, files;
  bool events = false, prefilter = true, unfiltered = false;
  size_t passes = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-prefilter") prefilter = false;
    else if (a == "--unfiltered") unfiltered = true;
    else if (a == "--passes" && i + 1 < argc) passes = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--") events = true;
    else (events ? files : dirs).push_back(a);
  }
  detect::RuleSet set;
  detect::LoadSummary summary;
  (void)set.Load(dirs, {}, &summary);
  set.set_use_prefilter(prefilter);
  std::vector<Event> evs;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    for (size_t at = text.find("<Event "); at != std::string::npos;) {
      const size_t end = text.find("</Event>", at);
      if (end == std::string::npos) break;
      RawRecord rec;
      rec.data = text.substr(at, end + 8 - at);
      for (char& c : rec.data) c = c == '\n' ? ' ' : c;
      evs.push_back(ParseRecord(rec, ParseOptions{}));
      at = text.find("<Event ", end);
    }
  }
  if (evs.empty()) {
    std::fprintf(stderr, "no events\n");
    return 1;
  }
  if (unfiltered) PrintUnfiltered(set, evs);
  size_t candidates = 0, filtered = 0;
  for (const Event& ev : evs) {
    candidates += set.CandidateCount(ev);
    filtered += set.EvaluatedCount(ev);
  }
  std::vector<const detect::Rule*> out;
  size_t evaluated = 0, alerts = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double secs = 0;
  CALLGRIND_START_INSTRUMENTATION;
  do {
    for (const Event& ev : evs) {
      out.clear();
      set.Match(ev, &out);
      alerts += out.size();
    }
    evaluated += evs.size();
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (passes ? evaluated < passes * evs.size() : secs < 3.0);
  CALLGRIND_STOP_INSTRUMENTATION;
  std::printf("{\"rules\":%zu,\"events\":%zu,\"prefilter\":%s,\"rules_routed_per_event\":%.1f,"
              "\"rules_evaluated_per_event\":%.2f,\"unfiltered_rules\":%zu,\"literals\":%zu,\"literal_fields\":%zu,"
              "\"events_per_s\":%.0f,\"alerts_per_pass\":%zu}\n",
              set.rules().size(), evs.size(), prefilter ? "true" : "false", double(candidates) / evs.size(),
              double(filtered) / evs.size(), set.prefilter().unfiltered_rules(), set.prefilter().literal_count(),
              set.prefilter().field_count(), evaluated / secs, alerts * evs.size() / evaluated);
  return 0;
}
