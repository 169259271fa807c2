// bench/query_bench.cc
//! The query path alone (issue 24), without HTTP: opens a store and runs a query the way the
//! server's search does (filter parsed, the audit and internal datasets hidden as for a user who
//! does not name them, an aggregating pipeline through one query::Aggregator per scanning thread,
//! merged; a plain filter counted with limit 0), `--runs` times. For instruction counts
//! (`valgrind --tool=callgrind --toggle-collect='kamatama::store::Store::Scan*'`) and quick A/B
//! timings on a copy of a store that kmt_ingest_bench built.
//! Usage: kmt_query_bench [--runs N] [--threads T] [--limit L] [--cache-mb M] [--per-row] [--no-token-index] DATA_DIR QUERY
//! --cache-mb: the block cache (256 as the server's default; a small one makes a small store read
//! like a large one). --per-row: aggregations get every row through visit_worker (no batches), the
//! way before RowBatch, for A/B.
//! Prints one JSON object: each run's milliseconds, matched and scanned rows, and a digest of the
//! result table (same digest = same answer), then the table's first rows on stderr.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "parsers/parse.h"
#include "query/pipes.h"
#include "query/query.h"
#include "store/store.h"

using namespace kamatama;

namespace {

int Usage() {
  fmt::print(stderr, "usage: kmt_query_bench [--runs N] [--threads T] [--limit L] [--cache-mb M] [--per-row] [--no-token-index] DATA_DIR QUERY\n");
  return 2;
}

// What the server adds to a query of a user who does not ask for its own datasets.
std::string HideServerDatasets(const std::string& filter) {
  const std::string hide = "NOT event.dataset:kamatama.audit AND NOT event.dataset:kamatama.internal";
  if (filter.find_first_not_of(" \t\r\n") == std::string::npos) return hide;
  return "(" + filter + " ) AND " + hide;
}

uint64_t Digest(const query::Table& t) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
  };
  for (const auto& c : t.columns) mix(c);
  for (const auto& r : t.rows)
    for (const auto& v : r) mix(v);
  return h;
}

struct Run {
  double ms = 0;
  store::ScanResult res;
  query::Table table;
};

Status RunOnce(const store::Store& st, const query::Pipeline& p, const query::Query& q, const store::ScanOptions& base,
               bool per_row, Run* out) {
  query::QueryFilter filter(q);
  store::ScanOptions so = base;
  const auto t0 = std::chrono::steady_clock::now();
  if (p.Aggregates()) {
    std::vector<std::unique_ptr<query::Aggregator>> aggs(store::ScanOptions::kMaxScanWorkers);
    for (auto& a : aggs) a = std::make_unique<query::Aggregator>(p.stages[0], 100000);
    so.visit_worker = [&aggs](unsigned w, const FieldAccessor& row, int64_t ts) { aggs[w]->Add(row, ts); };
    if (!per_row) so.visit_batch = [&aggs](unsigned w, const RowBatch& rows) { aggs[w]->AddBatch(rows); };
    so.visit_fields = p.AggregateFields();
    so.need_timestamps = p.stages[0].kind == query::StageKind::kTimechart;
    if (Status s = st.Scan(filter, so, &out->res); !s.ok()) return s;
    for (size_t w = 1; w < aggs.size(); ++w) aggs[0]->Merge(std::move(*aggs[w]));
    out->table = aggs[0]->Finish();
    if (Status s = query::ApplyStages(p.stages, 1, &out->table); !s.ok()) return s;
  } else {
    if (Status s = st.Scan(filter, so, &out->res); !s.ok()) return s;
    out->table.columns = {"matched"};
    out->table.rows = {{std::to_string(out->res.matched)}};
  }
  out->ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  size_t runs = 5, limit = 0, cache_mb = 256;
  bool per_row = false, token_index = true;
  unsigned threads = 0;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::max<size_t>(1, std::strtoull(argv[++i], nullptr, 10));
    else if (a == "--threads" && i + 1 < argc) threads = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    else if (a == "--limit" && i + 1 < argc) limit = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--cache-mb" && i + 1 < argc) cache_mb = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--per-row") per_row = true;
    else if (a == "--no-token-index") token_index = false;  // issue 24: the days' token indexes unused, for A/B
    else pos.push_back(a);
  }
  if (pos.size() != 2) return Usage();
  auto pipeline_or = query::ParsePipeline(pos[1]);
  if (auto* e = std::get_if<query::ParseError>(&pipeline_or)) {
    fmt::print(stderr, "kmt_query_bench: {} at {}\n", e->message, e->position);
    return 2;
  }
  const query::Pipeline p = std::get<query::Pipeline>(std::move(pipeline_or));
  auto q_or = query::Query::Parse(HideServerDatasets(p.filter));
  if (auto* e = std::get_if<query::ParseError>(&q_or)) {
    fmt::print(stderr, "kmt_query_bench: {} at {}\n", e->message, e->position);
    return 2;
  }
  const query::Query q = std::get<query::Query>(std::move(q_or));
  ParseOptions parse;
  store::StoreOptions opts;
  opts.dir = pos[0];
  opts.warm_filters = false;
  opts.cache_mb = cache_mb;
  std::unique_ptr<store::Store> st;
  Status s = store::Store::Open(opts, [parse](const RawRecord& r) { return ParseRecord(r, parse); }, &st);
  if (!s.ok()) {
    fmt::print(stderr, "kmt_query_bench: {}\n", s.ToString());
    return 1;
  }
  store::ScanOptions so;
  so.limit = limit;
  so.parallelism = threads;
  so.use_token_index = token_index;
  so.from_ns = std::max(so.from_ns, q.TimeBounds().from_ns);
  so.to_ns = std::min(so.to_ns, q.TimeBounds().to_ns);
  std::vector<double> ms;
  Run last;
  for (size_t r = 0; r < runs; ++r) {
    last = Run();
    s = RunOnce(*st, p, q, so, per_row, &last);
    if (!s.ok()) {
      fmt::print(stderr, "kmt_query_bench: {}\n", s.ToString());
      return 1;
    }
    ms.push_back(last.ms);
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  fmt::print("{{\"runs_ms\":[{:.1f}],\"median_ms\":{:.1f},\"matched\":{},\"scanned\":{},\"blocks_read\":{},"
             "\"rows\":{},\"digest\":\"{:016x}\"}}\n",
             fmt::join(ms, ","), sorted[sorted.size() / 2], last.res.matched, last.res.scanned, last.res.blocks_read,
             last.table.rows.size(), Digest(last.table));
  for (size_t i = 0; i < last.table.rows.size() && i < 5; ++i)
    fmt::print(stderr, "  {}\n", fmt::join(last.table.rows[i], " | "));
  return 0;
}
