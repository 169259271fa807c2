// bench/ingest_bench.cc
//! The store's ingest path alone (issue 24), without sockets: lines of a file are parsed
//! (ParseRecord, as the syslog receiver does) in batches the size of one TCP read, appended to a
//! fresh store and committed without fsync (the pipeline's group commit), with a WAL sync every
//! `--sync-every` batches; at the end every block is sealed and synced. Received times are a
//! fixed sequence, so two runs on the same file do the same work: a fixed replay for
//! instruction counts (`valgrind --tool=callgrind`, `perf stat -e instructions`).
//! Usage: kmt_ingest_bench [--events N] [--batch B] [--sync-every S] DATA_DIR FILE
//! DATA_DIR must not exist. Prints one JSON object: events, parse and store seconds, events/s,
//! peak resident MiB.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "parsers/parse.h"
#include "store/store.h"

using namespace kamatama;

namespace {

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int Usage() {
  fmt::print(stderr, "usage: kmt_ingest_bench [--events N] [--batch B] [--sync-every S] DATA_DIR FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  size_t max_events = SIZE_MAX, batch_lines = 400, sync_every = 50;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) max_events = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--batch" && i + 1 < argc) batch_lines = std::max<size_t>(1, std::strtoull(argv[++i], nullptr, 10));
    else if (a == "--sync-every" && i + 1 < argc) sync_every = std::max<size_t>(1, std::strtoull(argv[++i], nullptr, 10));
    else pos.push_back(a);
  }
  if (pos.size() != 2) return Usage();
  if (std::filesystem::exists(pos[0])) {
    fmt::print(stderr, "kmt_ingest_bench: {} exists; give a new directory\n", pos[0]);
    return 2;
  }
  std::vector<std::string> lines;
  {
    std::ifstream in(pos[1], std::ios::binary);
    std::string line;
    while (lines.size() < max_events && std::getline(in, line)) {
      if (!line.empty()) lines.push_back(std::move(line));
    }
  }
  ParseOptions parse;
  store::StoreOptions so;
  so.dir = pos[0];
  so.warm_filters = false;
  std::unique_ptr<store::Store> st;
  Status s = store::Store::Open(so, [parse](const RawRecord& r) { return ParseRecord(r, parse); }, &st);
  if (!s.ok()) {
    fmt::print(stderr, "kmt_ingest_bench: {}\n", s.ToString());
    return 1;
  }
  double parse_s = 0, store_s = 0;
  int64_t received = 1'790'000'000'000'000'000;  // fixed: runs are repeatable
  const auto t_start = std::chrono::steady_clock::now();
  size_t batches = 0;
  for (size_t at = 0; at < lines.size(); at += batch_lines) {
    const size_t end = std::min(lines.size(), at + batch_lines);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<RawRecord> raws;
    std::vector<Event> events;
    raws.reserve(end - at);
    events.reserve(end - at);
    for (size_t i = at; i < end; ++i) {
      RawRecord r;
      r.received_ns = received += 1000;
      r.data = lines[i];
      r.observer = "127.0.0.1";
      events.push_back(ParseRecord(r, parse));
      raws.push_back(std::move(r));
    }
    const auto t1 = std::chrono::steady_clock::now();
    uint64_t expired = 0;
    s = st->Append(&events, raws, &expired);
    if (s.ok()) s = st->Commit(false);
    if (s.ok() && ++batches % sync_every == 0) s = st->SyncWal();
    if (!s.ok()) {
      fmt::print(stderr, "kmt_ingest_bench: {}\n", s.ToString());
      return 1;
    }
    const auto t2 = std::chrono::steady_clock::now();
    parse_s += Seconds(t0, t1);
    store_s += Seconds(t1, t2);
  }
  const auto t_seal = std::chrono::steady_clock::now();
  s = st->FlushIdle(0, 0);
  const auto t_end = std::chrono::steady_clock::now();
  store_s += Seconds(t_seal, t_end);
  if (!s.ok()) {
    fmt::print(stderr, "kmt_ingest_bench: {}\n", s.ToString());
    return 1;
  }
  st.reset();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const double total = Seconds(t_start, t_end);
  fmt::print("{{\"events\":{},\"parse_s\":{:.3f},\"store_s\":{:.3f},\"events_per_s\":{:.0f},\"peak_rss_mib\":{:.1f}}}\n",
             lines.size(), parse_s, store_s, lines.size() / total, ru.ru_maxrss / 1024.0);
  return 0;
}
