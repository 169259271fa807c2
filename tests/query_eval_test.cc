// tests/query_eval_test.cc: every query construct evaluated over a known event set in the real
// store on disk. Each query's answer must equal (a) the set computed independently from how the
// events were generated and (b) the same query with token filters disabled and with one thread:
// pruning, column pruning and parallel evaluation change no answer. Cancellation, deadlines and
// the memory cap stop a scan as documented.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/row.h"
#include "core/time.h"
#include "query/pipes.h"
#include "query/query.h"
#include "store/block.h"
#include "store/store.h"

using namespace kamatama;

namespace {

constexpr int kEvents = 6000;
const int64_t kStart = *ParseRfc3339("2026-11-18T00:00:00Z");
constexpr int64_t kStep = 97LL * 1'000'000'000;  // ~3 days in all, so several day partitions

const char* kUsers[] = {"root", "alice", "Bob", "admin-svc", "administrator"};
const char* kActions[] = {"deny", "allow", "drop"};
const char* kFiles[] = {"invoice.exe", "report.pdf", "setup.EXE", "notes.txt"};

// Event i, fully determined by i.
struct Spec {
  int i;
  int64_t ts;
  std::string user, action, src, dst6, file;
  int port;
  bool has_hash;
};

Spec SpecOf(int i) {
  Spec s;
  s.i = i;
  s.ts = kStart + static_cast<int64_t>(i) * kStep;
  s.user = kUsers[i % 5];
  s.action = kActions[i % 3];
  s.src = fmt::format("10.{}.{}.{}", i % 4, (i / 7) % 256, i % 250);
  if (i % 113 == 0) s.src = "203.0.113.66";  // a rare IP, 54 times
  s.dst6 = fmt::format("2001:db8:{:x}::{:x}", i % 3, i % 200 + 1);
  s.file = kFiles[i % 4];
  s.port = (i * 37) % 65536;
  s.has_hash = i % 10 == 0;
  return s;
}

Event EventOf(int i) {
  Spec s = SpecOf(i);
  Event ev;
  ev.timestamp_ns = s.ts;
  ev.ingested_ns = s.ts;
  ev.original = fmt::format("id={} {} user={} src={} dport={} file={} rare{}", i, s.action, s.user, s.src, s.port,
                            s.file, i % 997 == 0 ? " zebraquokka" : "");
  ev.Add("event.id", std::to_string(i));
  ev.Add("event.action", s.action);
  ev.Add("user.name", s.user);
  ev.Add("source.ip", s.src);
  ev.Add("destination.ip", s.dst6);
  ev.Add("destination.port", std::to_string(s.port));
  ev.Add("file.name", s.file);
  ev.Add("message", fmt::format("{} connection from {} to port {}", s.action, s.src, s.port));
  if (s.has_hash) ev.Add("file.hash.sha256", fmt::format("{:064x}", i));
  return ev;
}

Event Reparse(const RawRecord& r) { return EventOf(std::stoi(r.data)); }

class QueryFilter final : public RowFilter {
 public:
  explicit QueryFilter(const query::Query& q) : q_(q) {}
  bool MayMatch(const TokenFilter& has) const override { return q_.MayMatch(has); }
  BlockAnswer Answer(const TokenFilter& has) const override { return q_.Answer(has); }
  bool Matches(const FieldAccessor& row) const override {
    asked.fetch_add(1, std::memory_order_relaxed);
    return q_.Matches(row);
  }
  const std::vector<std::string>& ReferencedFields() const override { return q_.ReferencedFields(); }
  const std::vector<std::string>& RequiredText() const override { return q_.RequiredText(); }
  mutable std::atomic<uint64_t> asked{0};  // rows evaluated

 private:
  const query::Query& q_;
};

bool InV4(const std::string& ip, int a, int b_lo, int b_hi) {
  int x[4];
  if (std::sscanf(ip.c_str(), "%d.%d.%d.%d", &x[0], &x[1], &x[2], &x[3]) != 4) return false;
  return x[0] == a && x[1] >= b_lo && x[1] <= b_hi;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
bool IEndsWith(std::string_view a, std::string_view suffix) {
  return a.size() >= suffix.size() && IEquals(a.substr(a.size() - suffix.size()), suffix);
}

struct Case {
  std::string q;
  std::function<bool(const Spec&)> expect;
};

class QueryEval : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("kmt_query_eval_" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    // Small blocks (128 events, one frame each), so pruning and parallelism have work to do, and
    // blocks of ~890 events (a day; at most 1000) cut into frames of 256 (the last one partial), pruned frame by frame.
    OpenAndFill(dir_->string() + "/small", 128, &store_);
    OpenAndFill(dir_->string() + "/framed", 1000, &framed_);
    // A day holds ~890 events: seal them, so that every one is read from framed blocks.
    ASSERT_TRUE(framed_->FlushIdle(INT64_MAX, 0).ok());
    ASSERT_TRUE(framed_->Commit(false).ok());
  }
  static void OpenAndFill(const std::string& dir, size_t block_events, std::unique_ptr<store::Store>* out) {
    store::StoreOptions opt;
    opt.dir = dir;
    opt.block_max_events = block_events;
    opt.scan_threads = 4;
    ASSERT_TRUE(store::Store::Open(opt, Reparse, out).ok());
    store::Store* st = out->get();
    for (int start = 0; start < kEvents; start += 500) {
      std::vector<Event> evs;
      std::vector<RawRecord> raws;
      for (int i = start; i < std::min(kEvents, start + 500); ++i) {
        evs.push_back(EventOf(i));
        RawRecord r;
        r.received_ns = SpecOf(i).ts;
        r.data = std::to_string(i);
        raws.push_back(std::move(r));
      }
      uint64_t expired = 0;
      ASSERT_TRUE(st->Append(&evs, raws, &expired).ok());
      ASSERT_TRUE(st->Commit(false).ok());
    }
    // The newest events stay in an open builder: they are searched from memory.
  }
  static void TearDownTestSuite() {
    store_.reset();
    framed_.reset();
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  // The ids a query returns (all of them: limit above the event count).
  static std::set<int> Run(const std::string& text, store::ScanOptions so, store::ScanResult* out = nullptr,
                           store::Store* st = store_.get()) {
    auto parsed = query::Query::Parse(text);
    EXPECT_TRUE(std::holds_alternative<query::Query>(parsed)) << text;
    if (!std::holds_alternative<query::Query>(parsed)) return {};
    const auto& q = std::get<query::Query>(parsed);
    QueryFilter f(q);
    so.from_ns = std::max(so.from_ns, q.TimeBounds().from_ns);
    so.to_ns = std::min(so.to_ns, q.TimeBounds().to_ns);
    if (so.limit == 100) so.limit = kEvents + 1;
    store::ScanResult res;
    Status s = st->Scan(f, so, &res);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::set<int> ids;
    for (const auto& ev : res.events) ids.insert(std::stoi(*ev.Get("event.id")));
    EXPECT_EQ(ids.size(), res.events.size()) << "duplicates for " << text;
    if (out) *out = std::move(res);
    return ids;
  }

  inline static std::filesystem::path* dir_ = nullptr;
  inline static std::unique_ptr<store::Store> store_;
  inline static std::unique_ptr<store::Store> framed_;
};

TEST_F(QueryEval, EveryConstructExactAndUnchangedByPruningOrThreads) {
  const std::string t_mid = FormatRfc3339(kStart + 3000 * kStep);
  const std::string t_end = FormatRfc3339(kStart + 3100 * kStep);
  std::vector<Case> cases = {
      {"", [](const Spec&) { return true; }},
      {"203.0.113.66", [](const Spec& s) { return s.src == "203.0.113.66"; }},
      {"zebraquokka", [](const Spec& s) { return s.i % 997 == 0; }},
      {"ZebraQuokka", [](const Spec& s) { return s.i % 997 == 0; }},  // free text ignores case
      {"/zebra[q]uokka/", [](const Spec& s) { return s.i % 997 == 0; }},  // literal "zebraquokka"
      {"/ZEBRAquokka/", [](const Spec&) { return false; }},               // a regex keeps case
      {"\"deny user=root\"", [](const Spec& s) { return s.action == "deny" && s.user == "root"; }},
      {"\"user=root deny\"", [](const Spec&) { return false; }},  // phrase order matters
      {"message:\"DENY connection from 203.0.113.66 to port 0\"", [](const Spec& s) { return s.i == 0; }},
      {"message:*203.0.113.66*", [](const Spec& s) { return s.src == "203.0.113.66"; }},
      {"user.name:root", [](const Spec& s) { return s.user == "root"; }},
      {"user.name:bob", [](const Spec& s) { return s.user == "Bob"; }},  // keywords compare without case
      {"user.name:adm*", [](const Spec& s) { return s.user.rfind("adm", 0) == 0; }},
      {"file.name:*.exe", [](const Spec& s) { return IEndsWith(s.file, ".exe"); }},
      {"user.name:/admin(istrator)?/", [](const Spec& s) { return s.user == "administrator"; }},
      {"destination.port:[1 TO 1024]", [](const Spec& s) { return s.port >= 1 && s.port <= 1024; }},
      {"destination.port:>=65000", [](const Spec& s) { return s.port >= 65000; }},
      {"destination.port:<100", [](const Spec& s) { return s.port < 100; }},
      {"destination.port:>60000 AND destination.port:<=60100",
       [](const Spec& s) { return s.port > 60000 && s.port <= 60100; }},
      {"source.ip:10.0.0.0/8", [](const Spec& s) { return s.src.rfind("10.", 0) == 0; }},
      {"source.ip:10.1.0.0/16", [](const Spec& s) { return InV4(s.src, 10, 1, 1); }},
      {"source.ip:[10.2.0.0 TO 10.3.255.255]", [](const Spec& s) { return InV4(s.src, 10, 2, 3); }},
      {"destination.ip:2001:db8:1::/48", [](const Spec& s) { return s.i % 3 == 1; }},
      {"_exists_:file.hash.sha256", [](const Spec& s) { return s.has_hash; }},
      {"NOT _exists_:file.hash.sha256", [](const Spec& s) { return !s.has_hash; }},
      {"user.name:root OR user.name:alice", [](const Spec& s) { return s.user == "root" || s.user == "alice"; }},
      {"deny user.name:root", [](const Spec& s) { return s.action == "deny" && s.user == "root"; }},
      {"(deny OR drop) AND NOT user.name:root",
       [](const Spec& s) { return s.action != "allow" && s.user != "root"; }},
      {"event.action:deny -user.name:Bob", [](const Spec& s) { return s.action == "deny" && s.user != "Bob"; }},
      {"nosuch.field:x", [](const Spec&) { return false; }},
      // NOTs the tokens settle for whole blocks and frames (no row of them evaluated).
      {"NOT zebraquokka", [](const Spec& s) { return s.i % 997 != 0; }},
      {"NOT nosuch.field:x", [](const Spec&) { return true; }},
      {"* AND NOT user.name:nobodyhere", [](const Spec&) { return true; }},
      {"NOT zebraquokka AND user.name:root", [](const Spec& s) { return s.i % 997 != 0 && s.user == "root"; }},
      {"NOT zebraquokka OR user.name:root", [](const Spec& s) { return s.i % 997 != 0 || s.user == "root"; }},
      {"NOT (zebraquokka OR user.name:nobodyhere)", [](const Spec& s) { return s.i % 997 != 0; }},
      {"NOT NOT zebraquokka", [](const Spec& s) { return s.i % 997 == 0; }},
      {"@timestamp:[" + t_mid + " TO " + t_end + "]", [](const Spec& s) { return s.i >= 3000 && s.i <= 3100; }},
      {"@timestamp:>=" + t_mid + " AND user.name:root",
       [](const Spec& s) { return s.i >= 3000 && s.user == "root"; }},
  };
  for (store::Store* st : {store_.get(), framed_.get()}) {
    const char* which = st == store_.get() ? "small blocks" : "framed blocks";
    for (const auto& c : cases) {
      std::set<int> want;
      for (int i = 0; i < kEvents; ++i) {
        if (c.expect(SpecOf(i))) want.insert(i);
      }
      store::ScanOptions pruned;
      store::ScanResult res;
      std::set<int> got = Run(c.q, pruned, &res, st);
      EXPECT_EQ(got, want) << which << ", query: " << c.q << " (" << got.size() << " vs " << want.size()
                           << " expected)";
      EXPECT_TRUE(res.complete) << c.q;
      store::ScanOptions unpruned;
      unpruned.use_token_filters = false;
      unpruned.parallelism = 1;
      store::ScanResult res2;
      EXPECT_EQ(Run(c.q, unpruned, &res2, st), got) << which << ": token filters or threads changed the answer of " << c.q;
      EXPECT_EQ(res2.blocks_pruned, 0u);
      EXPECT_EQ(res.matched, res2.matched) << c.q;
    }
  }
  // The rare tokens really were pruned (most blocks skipped), so the comparison above means something.
  store::ScanResult rare;
  Run("zebraquokka", {}, &rare);
  EXPECT_GT(rare.blocks_pruned, rare.blocks_total / 2) << rare.blocks_total;
  // In blocks of ~890 events (a day each) each holds about one zebraquokka: the block filters let most blocks
  // through (all ~6000 rows), the frame filters then leave most of their rows unread (7 frames
  // with a hit and ~15% of the others: ~2,300 rows). An OR promises no text, so only the
  // filters prune it.
  store::ScanResult framed, whole;
  store::ScanOptions no_filters;
  no_filters.use_token_filters = false;
  const std::string either = "zebraquokka OR nosuchwordanywhere";
  EXPECT_EQ(Run(either, {}, &framed, framed_.get()).size(), 7u);  // 0, 997, ... 5982
  Run(either, no_filters, &whole, framed_.get());
  EXPECT_EQ(whole.scanned, static_cast<uint64_t>(kEvents));
  EXPECT_LT(framed.scanned, whole.scanned / 2) << framed.scanned << " rows evaluated of " << whole.scanned;
  // Text every match contains (zebraquokka) skips the frames whose lines lack it, filters or not:
  // only the 7 frames holding one are evaluated.
  store::ScanResult text_only;
  EXPECT_EQ(Run("zebraquokka", no_filters, &text_only, framed_.get()).size(), 7u);
  EXPECT_LE(text_only.scanned, 7u * store::kFrameRows);
  EXPECT_GT(text_only.scanned, 0u);
}

TEST_F(QueryEval, RowsOfBlocksAndFramesTheTokensSettleAreNotEvaluated) {
  // `NOT zebraquokka`: ~6 blocks of ~890 events, each holding one zebraquokka; in a frame whose
  // filter lacks it every row matches unasked. Only the frames holding it (7) and the frames
  // whose filters answer falsely (~15%) are evaluated row by row. The aggregation still sees
  // every hit, and with its fields.
  const query::Query q = std::get<query::Query>(query::Query::Parse("NOT zebraquokka"));
  QueryFilter f(q);
  store::ScanOptions so;
  so.limit = kEvents + 1;
  std::atomic<uint64_t> visited{0}, with_user{0};
  so.visit_fields = {"user.name"};
  so.visit_worker = [&](unsigned, const FieldAccessor& row, int64_t) {
    visited.fetch_add(1);
    std::string_view v;
    if (row.Get("user.name", &v) && !v.empty()) with_user.fetch_add(1);
  };
  store::ScanResult res;
  ASSERT_TRUE(framed_->Scan(f, so, &res).ok());
  uint64_t want = 0, want_user = 0;
  for (int i = 0; i < kEvents; ++i) {
    if (i % 997 == 0) continue;
    ++want;
    if (!SpecOf(i).user.empty()) ++want_user;
  }
  EXPECT_EQ(visited.load(), want);
  EXPECT_EQ(with_user.load(), want_user);
  EXPECT_EQ(res.matched, want);
  // The newest events are still in memory (evaluated row by row): at most a block's worth.
  EXPECT_LT(f.asked.load(), static_cast<uint64_t>(kEvents) / 2) << f.asked.load() << " rows evaluated";
  // Without token filters every row is asked.
  QueryFilter g(q);
  so.use_token_filters = false;
  visited = 0;
  ASSERT_TRUE(framed_->Scan(g, so, &res).ok());
  EXPECT_EQ(visited.load(), want);
  EXPECT_EQ(g.asked.load(), static_cast<uint64_t>(kEvents));
}

// A filter reading only dictionary-encoded columns (user.name, event.action, file.name: a few
// values each) is asked once per block for each combination of values its rows hold, not once per
// row, and answers as the generated events say; one reading a column of mostly distinct values
// (source.ip) is still asked row by row, with the same answers.
TEST_F(QueryEval, FiltersOverDictionaryColumnsAreAskedOncePerCombinationOfValues) {
  const std::vector<Case> cases = {
      {"user.name:root AND event.action:deny", [](const Spec& s) { return s.user == "root" && s.action == "deny"; }},
      {"user.name:adm* OR NOT file.name:*.exe",
       [](const Spec& s) { return s.user.rfind("adm", 0) == 0 || !IEndsWith(s.file, ".exe"); }},
      {"user.name:/admin(istrator)?/ AND NOT event.action:allow",
       [](const Spec& s) { return s.user == "administrator" && s.action != "allow"; }},
      {"source.ip:10.0.0.0/8 AND user.name:root", [](const Spec& s) { return s.src.rfind("10.", 0) == 0 && s.user == "root"; }},
  };
  for (const auto& c : cases) {
    std::set<int> want;
    for (int i = 0; i < kEvents; ++i) {
      if (c.expect(SpecOf(i))) want.insert(i);
    }
    const query::Query q = std::get<query::Query>(query::Query::Parse(c.q));
    QueryFilter f(q);
    store::ScanOptions so;
    so.limit = kEvents + 1;
    so.use_token_filters = false;  // every row of every block is evaluated
    store::ScanResult res;
    ASSERT_TRUE(framed_->Scan(f, so, &res).ok());
    std::set<int> got;
    for (const auto& ev : res.events) got.insert(std::stoi(*ev.Get("event.id")));
    EXPECT_EQ(got, want) << c.q;
    EXPECT_EQ(res.scanned, static_cast<uint64_t>(kEvents)) << c.q;
    if (c.q.rfind("source.ip", 0) == 0) {
      EXPECT_EQ(f.asked.load(), static_cast<uint64_t>(kEvents)) << c.q << ": a column of distinct values is asked row by row";
    } else {
      // 7 sealed blocks (days) of ~890 rows, each asked at most once per combination of values.
      EXPECT_LT(f.asked.load(), 7u * 5 * 3 * 4) << c.q;
      EXPECT_GT(f.asked.load(), 0u) << c.q;
    }
  }
}

TEST_F(QueryEval, NewestFirstWithLimitIsTheSameInParallel) {
  for (unsigned threads : {1u, 2u, 4u}) {
    for (std::string q : {"", "user.name:root", "source.ip:10.0.0.0/8 AND deny"}) {
      store::ScanOptions so;
      so.limit = 50;
      so.parallelism = threads;
      auto parsed = std::get<query::Query>(query::Query::Parse(q));
      QueryFilter f(parsed);
      store::ScanResult res;
      ASSERT_TRUE(store_->Scan(f, so, &res).ok());
      ASSERT_EQ(res.events.size(), 50u) << q;
      // Exactly the 50 newest matches, newest first.
      std::vector<int> want;
      for (int i = kEvents - 1; i >= 0 && want.size() < 50; --i) {
        Event ev = EventOf(i);
        if (parsed.Matches(EventAccessor(ev))) want.push_back(i);
      }
      for (size_t k = 0; k < 50; ++k) {
        EXPECT_EQ(*res.events[k].Get("event.id"), std::to_string(want[k])) << q;
        // Every field comes back exactly (sparse columns included).
        Event orig = EventOf(want[k]);
        auto sorted = [](std::vector<std::pair<std::string, std::string>> f) {
          std::sort(f.begin(), f.end());
          return f;
        };
        EXPECT_EQ(sorted(res.events[k].fields), sorted(orig.fields)) << q << " event " << want[k];
        EXPECT_EQ(res.events[k].original, orig.original);
        EXPECT_EQ(res.events[k].timestamp_ns, orig.timestamp_ns);
      }
      EXPECT_FALSE(res.complete) << "the scan should stop early once the newest 50 are certain";
    }
  }
}

// visit_worker (one accumulator per thread, no lock): counts per user equal the generated ones,
// with every thread count, and with need_timestamps off (blocks wholly in range skip their times
// column) the answer over a range that cuts blocks is the same.
TEST_F(QueryEval, WorkerVisitorsCountExactlyWithOrWithoutTimes) {
  const int64_t from = kStart + 1000 * kStep + kStep / 2, to = kStart + 4321 * kStep + kStep / 2;
  std::map<std::string, uint64_t> want;
  for (int i = 0; i < kEvents; ++i) {
    Spec sp = SpecOf(i);
    if (sp.ts >= from && sp.ts < to && sp.action == "deny") ++want[sp.user];
  }
  auto parsed = std::get<query::Query>(query::Query::Parse("event.action:deny"));
  QueryFilter f(parsed);
  for (unsigned threads : {1u, 2u, 4u}) {
    for (bool need_ts : {true, false}) {
      std::vector<std::map<std::string, uint64_t>> per(store::ScanOptions::kMaxScanWorkers);
      std::vector<int64_t> bad_ts(store::ScanOptions::kMaxScanWorkers, 0);
      store::ScanOptions so;
      so.from_ns = from;
      so.to_ns = to;
      so.parallelism = threads;
      so.need_timestamps = need_ts;
      so.visit_fields = {"user.name"};
      so.visit_worker = [&](unsigned w, const FieldAccessor& row, int64_t ts) {
        std::string_view u;
        ASSERT_TRUE(row.Get("user.name", &u));
        ++per[w][std::string(u)];
        if (need_ts && (ts < from || ts >= to)) ++bad_ts[w];
      };
      store::ScanResult res;
      ASSERT_TRUE(store_->Scan(f, so, &res).ok());
      std::map<std::string, uint64_t> got;
      for (const auto& m : per)
        for (const auto& [u, n] : m) got[u] += n;
      EXPECT_EQ(got, want) << threads << " thread(s), need_timestamps " << need_ts;
      for (int64_t b : bad_ts) EXPECT_EQ(b, 0);
    }
  }
}

// Aggregations fed a block's rows at once (visit_batch: counted by dictionary index where the
// column has one, a plain column read without a lookup per row, other stages row by row) give the
// same table as row by row (visit_worker alone), on both stores, with and without a filter, with
// one thread and several; the dictionary path and the plain path are both taken; and the counts by
// user equal the generated ones.
TEST_F(QueryEval, BatchedAggregationsEqualRowByRow) {
  const std::vector<std::string> pipelines = {
      "stats count() by user.name",  "stats count() by source.ip", "stats count() by file.hash.sha256",
      "top file.name",               "rare user.name",             "top file.hash.sha256",
      "stats count()",               "stats count() by user.name, event.action",
      "stats dc(source.ip) by user.name", "timechart span=1d count() by user.name",
      // Timecharts of counts: tallied per block by bucket and dictionary index (a few buckets per
      // block), row by row for a plain column or a block spanning more than 16 buckets (1m).
      "timechart span=1d count()", "timechart span=1h count() by event.action", "timechart span=1d count() by source.ip",
      "timechart span=1m count() by user.name", "timechart span=1d count() by file.hash.sha256"};
  auto run = [](store::Store& st, const std::string& text, unsigned threads, bool batch, bool* dict_seen,
                bool* plain_seen) {
    auto p = std::get<query::Pipeline>(query::ParsePipeline(text));
    auto q = std::get<query::Query>(query::Query::Parse(p.filter));
    QueryFilter f(q);
    std::vector<std::unique_ptr<query::Aggregator>> aggs(store::ScanOptions::kMaxScanWorkers);
    for (auto& a : aggs) a = std::make_unique<query::Aggregator>(p.stages[0], 100000);
    store::ScanOptions so;
    so.parallelism = threads;
    so.visit_fields = p.AggregateFields();
    so.need_timestamps = p.stages[0].kind == query::StageKind::kTimechart;
    so.visit_worker = [&](unsigned w, const FieldAccessor& row, int64_t ts) { aggs[w]->Add(row, ts); };
    std::atomic<bool> dict{false}, plain{false};
    if (batch) {
      so.visit_batch = [&](unsigned w, const RowBatch& rows) {
        for (const auto& name : p.stages[0].by) {
          const ColumnView c = rows.Column(name);
          if (c.ids) dict = true;
          else if (c.values) plain = true;
        }
        aggs[w]->AddBatch(rows);
      };
    }
    store::ScanResult res;
    EXPECT_TRUE(st.Scan(f, so, &res).ok());
    for (size_t w = 1; w < aggs.size(); ++w) aggs[0]->Merge(std::move(*aggs[w]));
    query::Table t = aggs[0]->Finish();
    EXPECT_TRUE(query::ApplyStages(p.stages, 1, &t).ok());
    if (dict_seen) *dict_seen = *dict_seen || dict;
    if (plain_seen) *plain_seen = *plain_seen || plain;
    return t.rows;
  };
  bool dict_seen = false, plain_seen = false;
  for (store::Store* st : {store_.get(), framed_.get()}) {
    for (const std::string filter : {"", "event.action:deny "}) {
      for (const auto& pl : pipelines) {
        const std::string text = filter + "| " + pl;
        const auto want = run(*st, text, 1, false, nullptr, nullptr);
        EXPECT_FALSE(want.empty()) << text;
        for (unsigned threads : {1u, 3u})
          EXPECT_EQ(run(*st, text, threads, true, &dict_seen, &plain_seen), want) << text << ", " << threads;
      }
    }
  }
  EXPECT_TRUE(dict_seen) << "no column was dictionary-encoded: the per-index count went untested";
  EXPECT_TRUE(plain_seen) << "no plain column: the per-value path went untested";
  std::map<std::string, uint64_t> per_user;
  for (int i = 0; i < kEvents; ++i) {
    if (SpecOf(i).action == "deny") ++per_user[SpecOf(i).user];
  }
  std::vector<std::vector<std::string>> want;
  for (const auto& [u, n] : per_user) want.push_back({u, std::to_string(n)});
  EXPECT_EQ(run(*framed_, "event.action:deny | stats count() by user.name", 2, true, nullptr, nullptr), want);
}

TEST_F(QueryEval, VisitEventStreamsEveryMatchAndCanStop) {
  auto q = std::get<query::Query>(query::Query::Parse("user.name:alice"));
  QueryFilter f(q);
  store::ScanOptions so;
  so.limit = 0;
  std::set<int> seen;
  so.visit_event = [&](Event&& ev) {
    seen.insert(std::stoi(*ev.Get("event.id")));
    EXPECT_FALSE(ev.original.empty());
    return true;
  };
  store::ScanResult res;
  ASSERT_TRUE(store_->Scan(f, so, &res).ok());
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents / 5));
  size_t n = 0;
  so.visit_event = [&](Event&&) { return ++n < 7; };
  ASSERT_TRUE(store_->Scan(f, so, &res).ok());
  EXPECT_EQ(n, 7u);
  EXPECT_FALSE(res.complete);
}

TEST_F(QueryEval, CancelDeadlineAndMemoryCap) {
  auto q = std::get<query::Query>(query::Query::Parse("user.name:root"));
  QueryFilter f(q);
  {
    std::atomic<bool> cancelled{true};
    store::ScanOptions so;
    so.cancelled = &cancelled;
    so.limit = kEvents;
    store::ScanResult res;
    ASSERT_TRUE(store_->Scan(f, so, &res).ok());
    EXPECT_TRUE(res.timed_out);
    EXPECT_FALSE(res.complete);
    EXPECT_EQ(res.blocks_read, 0u);  // stopped before reading any block
  }
  {
    store::ScanOptions so;
    so.deadline_ns = store::NowSteady() - 1;  // already past
    so.limit = kEvents;
    store::ScanResult res;
    ASSERT_TRUE(store_->Scan(f, so, &res).ok());
    EXPECT_TRUE(res.timed_out);
    EXPECT_EQ(res.blocks_read, 0u);
  }
  {
    store::ScanOptions so;
    so.limit = kEvents;
    so.max_memory_bytes = 64 << 10;  // far less than 1,200 events
    store::ScanResult res;
    Status s = store_->Scan(f, so, &res);
    EXPECT_EQ(s.code(), Status::Code::kResourceExhausted) << s.ToString();
    so.limit = 10;  // 10 events fit
    EXPECT_TRUE(store_->Scan(f, so, &res).ok());
    EXPECT_EQ(res.events.size(), 10u);
  }
}

TEST_F(QueryEval, FieldNamesCoverStoredAndBufferedEvents) {
  auto names = store_->FieldNames();
  for (const char* n : {"user.name", "source.ip", "file.hash.sha256", "destination.port", "@timestamp"}) {
    EXPECT_TRUE(std::binary_search(names.begin(), names.end(), n)) << n;
  }
  EXPECT_FALSE(std::binary_search(names.begin(), names.end(), "nosuch.field"));
}

}  // namespace
