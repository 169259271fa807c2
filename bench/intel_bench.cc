// bench/intel_bench.cc
//! Live threat-intelligence matching alone (issue 28): one list of N indicators (default
//! 1,000,000: 40% IPv4 addresses, 5% networks, 30% domains, 25% SHA-256 hashes, generated with a
//! fixed seed) against parsed events of the shared corpus (firewall, DNS, proxy, mail, Windows
//! Sysmon), one thread. Events are parsed once, before timing; the figure is nanoseconds per
//! event (every event's matched fields looked up), the median of `--runs` passes.
//! Usage: kmt_intel_bench [--indicators N] [--runs R] FILE...   (prints one JSON object)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "intel/matcher.h"
#include "parsers/parse.h"

using namespace kamatama;

namespace {

std::vector<Event> ReadEvents(const std::vector<std::string>& files) {
  std::vector<Event> evs;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      RawRecord rec;
      rec.data = line;
      evs.push_back(ParseRecord(rec, ParseOptions{}));
    }
  }
  return evs;
}

std::shared_ptr<std::vector<intel::Indicator>> MakeList(size_t n, const std::vector<Event>& evs) {
  auto list = std::make_shared<std::vector<intel::Indicator>>();
  list->reserve(n);
  std::mt19937_64 rng(28);
  auto add = [&](const std::string& v) {
    intel::Indicator ind;
    if (intel::MakeIndicator(v, {}, &ind).ok()) list->push_back(std::move(ind));
  };
  // A few values the corpus holds, so that the pass also pays for hits (one in 50 events).
  for (size_t i = 0; i < evs.size(); i += 50) {
    for (const char* f : {"source.ip", "dns.question.name"}) {
      if (const std::string* v = evs[i].Get(f)) add(*v);
    }
  }
  while (list->size() < n) {
    const size_t k = list->size() % 20;
    const uint64_t r = rng();
    if (k < 8) add(fmt::format("{}.{}.{}.{}", 1 + r % 223, (r >> 8) & 255, (r >> 16) & 255, (r >> 24) & 255));
    else if (k < 9) add(fmt::format("{}.{}.{}.0/{}", 1 + r % 223, (r >> 8) & 255, (r >> 16) & 255, 16 + (r >> 24) % 9));
    else if (k < 15) add(fmt::format("h{:x}.{}", r >> 20, k % 2 ? "example" : "test"));
    else add(fmt::format("{:016x}{:016x}{:016x}{:016x}", r, rng(), rng(), rng()));
  }
  return list;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1'000'000;
  int runs = 5;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--indicators" && i + 1 < argc) n = std::stoul(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
    else files.push_back(a);
  }
  const std::vector<Event> evs = ReadEvents(files);
  if (evs.empty()) {
    std::fprintf(stderr, "no events\n");
    return 1;
  }
  auto list = MakeList(n, evs);
  const auto b0 = std::chrono::steady_clock::now();
  intel::ListMatcher matcher(list);
  const double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - b0).count();
  size_t fields = 0;
  for (const Event& ev : evs) fields += ev.fields.size();
  // Each pass evaluates at least 200,000 events (the corpus, repeated).
  const size_t reps = std::max<size_t>(1, 200'000 / evs.size());
  std::vector<double> ns;
  size_t hits_per_pass = 0;
  std::vector<intel::Hit> hits;
  for (int r = 0; r < runs; ++r) {
    size_t pass_hits = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t rep = 0; rep < reps; ++rep) {
      for (const Event& ev : evs) {
        hits.clear();
        matcher.MatchEvent(ev, 0, &hits);
        pass_hits += hits.size();
      }
    }
    const double took = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    ns.push_back(took / static_cast<double>(reps * evs.size()));
    hits_per_pass = pass_hits / reps;
  }
  std::vector<double> sorted = ns;
  std::sort(sorted.begin(), sorted.end());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::string runs_json;
  for (double v : ns) runs_json += (runs_json.empty() ? "" : ",") + fmt::format("{:.1f}", v);
  std::printf("{\"indicators\":%zu,\"duplicates\":%zu,\"events\":%zu,\"fields_per_event\":%.1f,\"ns_per_event\":%.1f,"
              "\"ns_per_event_runs\":[%s],\"hits_per_pass\":%zu,\"build_ms\":%.0f,\"max_rss_mib\":%.0f}\n",
              list->size(), matcher.duplicates(), evs.size(), static_cast<double>(fields) / evs.size(),
              sorted[sorted.size() / 2], runs_json.c_str(), hits_per_pass, build_ms, ru.ru_maxrss / 1024.0);
  return 0;
}
