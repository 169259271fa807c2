// tests/store_test.cc: the real RocksDB store on disk: round trip, pruning, restart, retention.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <filesystem>
#include <random>

#include <rocksdb/db.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include "core/time.h"
#include "core/tokenize.h"
#include "core/varint.h"
#include <map>
#include <set>
#include "query/query.h"
#include "store/block.h"
#include "store/store.h"

using namespace kamatama;
using store::ScanOptions;
using store::ScanResult;
using store::Store;

namespace {
class QueryFilter final : public RowFilter {
 public:
  explicit QueryFilter(std::string_view text) : q_(std::get<query::Query>(query::Query::Parse(text))) {}
  bool MayMatch(const TokenFilter& has) const override { return q_.MayMatch(has); }
  BlockAnswer Answer(const TokenFilter& has) const override { return q_.Answer(has); }
  bool Matches(const FieldAccessor& row) const override { return q_.Matches(row); }
  const std::vector<std::string>& ReferencedFields() const override { return q_.ReferencedFields(); }
  const std::vector<std::string>& RequiredText() const override { return with_text_ ? q_.RequiredText() : none_; }
  //! Without it the store cannot skip frames and rows by the text every match contains.
  void HideRequiredText() { with_text_ = false; }

 private:
  query::Query q_;
  bool with_text_ = true;
  std::vector<std::string> none_;
};

// A deterministic stand-in for the parsers: the record's data is "host|message".
Event MakeEvent(const RawRecord& r) {
  Event ev;
  ev.original = r.data;
  ev.ingested_ns = r.received_ns;
  ev.timestamp_ns = r.received_ns;
  size_t bar = r.data.find('|');
  ev.Add("host.name", r.data.substr(0, bar));
  ev.Add("message", r.data.substr(bar + 1));
  if (r.flags & kRawTruncated) ev.AddTag("truncated");
  return ev;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kmt_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    opt_.dir = dir_.string();
    opt_.block_max_events = 100;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    Status s = Store::Open(opt_, MakeEvent, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Append(int64_t ts, const std::string& data) {
    std::vector<RawRecord> raws(1);
    raws[0].received_ns = ts;
    raws[0].data = data;
    std::vector<Event> evs{MakeEvent(raws[0])};
    uint64_t expired = 0;
    ASSERT_TRUE(store_->Append(&evs, raws, &expired).ok());
  }
  ScanResult Scan(std::string_view q, ScanOptions so = {}) {
    ScanResult r;
    QueryFilter f(q);
    Status s = store_->Scan(f, so, &r);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return r;
  }

  std::filesystem::path dir_;
  store::StoreOptions opt_;
  std::unique_ptr<Store> store_;
};

const int64_t kDay0 = *ParseRfc3339("2026-11-20T00:00:00Z");
}  // namespace

TEST_F(StoreTest, RoundTripAcrossDaysNewestFirst) {
  // 3 days x 250 events: blocks sealed every 100 events, the rest stays in builders.
  for (int d = 0; d < 3; ++d) {
    for (int i = 0; i < 250; ++i) {
      int64_t ts = kDay0 + d * kNanosPerDay + i * kNanosPerSecond;
      Append(ts, "web" + std::to_string(i % 5) + "|request " + std::to_string(d * 1000 + i) + " from 10.0." +
                     std::to_string(d) + "." + std::to_string(i));
    }
  }
  ASSERT_TRUE(store_->Commit(true).ok());
  auto all = Scan("", {.limit = 10000});
  ASSERT_EQ(all.events.size(), 750u);
  EXPECT_EQ(all.matched, 750u);
  for (size_t i = 1; i < all.events.size(); ++i) EXPECT_GE(all.events[i - 1].timestamp_ns, all.events[i].timestamp_ns);
  EXPECT_EQ(all.events[0].timestamp_ns, kDay0 + 2 * kNanosPerDay + 249 * kNanosPerSecond);
  EXPECT_EQ(*all.events[0].Get("host.name"), "web4");
  EXPECT_EQ(*all.events[0].Get("message"), "request 2249 from 10.0.2.249");
  EXPECT_EQ(all.events[0].original, "web4|request 2249 from 10.0.2.249");

  auto stats = store_->Stats();
  EXPECT_EQ(stats.partitions, 3u);
  EXPECT_EQ(stats.blocks, 6u);
  EXPECT_EQ(stats.events_in_blocks, 600u);
  EXPECT_EQ(stats.events_in_memory, 150u);

  auto one = Scan("10.0.1.7");
  ASSERT_EQ(one.events.size(), 1u);
  EXPECT_EQ(*one.events[0].Get("message"), "request 1007 from 10.0.1.7");
  // A rare token skips most blocks by their filters.
  EXPECT_GE(one.blocks_pruned, 4u);

  auto host = Scan("host.name:web3 AND request", {.limit = 5});
  ASSERT_EQ(host.events.size(), 5u);
  for (auto& e : host.events) EXPECT_EQ(*e.Get("host.name"), "web3");
  EXPECT_FALSE(host.complete);  // stopped early at the limit

  // Time range: only day 1, second 10 to 19.
  auto range = Scan("", {.from_ns = kDay0 + kNanosPerDay + 10 * kNanosPerSecond,
                         .to_ns = kDay0 + kNanosPerDay + 20 * kNanosPerSecond, .limit = 100});
  ASSERT_EQ(range.events.size(), 10u);
  EXPECT_EQ(*range.events.front().Get("message"), "request 1019 from 10.0.1.19");
  EXPECT_EQ(*range.events.back().Get("message"), "request 1010 from 10.0.1.10");

  auto none = Scan("10.0.9.9");
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.matched, 0u);
}

TEST_F(StoreTest, SurvivesRestartWithPendingAndSealedEvents) {
  for (int i = 0; i < 130; ++i) Append(kDay0 + i * kNanosPerSecond, "h|line " + std::to_string(i));
  ASSERT_TRUE(store_->Commit(true).ok());
  // A clean close seals the builder's 30 events into a block (a crash, where they are recovered
  // from the pending rows, is covered by the SIGKILL integration test).
  Reopen();
  auto st = store_->Stats();
  EXPECT_EQ(st.events_in_blocks, 130u);
  EXPECT_EQ(st.events_in_memory, 0u);
  auto r = Scan("line", {.limit = 1000});
  EXPECT_EQ(r.events.size(), 130u);
  // New events after recovery get fresh sequence numbers and seal correctly.
  for (int i = 130; i < 260; ++i) Append(kDay0 + i * kNanosPerSecond, "h|line " + std::to_string(i));
  ASSERT_TRUE(store_->Commit(true).ok());
  Reopen();
  r = Scan("line", {.limit = 1000});
  EXPECT_EQ(r.events.size(), 260u);
  std::set<std::string> uniq;
  for (auto& e : r.events) uniq.insert(e.original);
  EXPECT_EQ(uniq.size(), 260u);  // nothing duplicated by the recovery
}

TEST_F(StoreTest, FlushIdleSealsEverything) {
  for (int i = 0; i < 42; ++i) Append(kDay0 + i, "h|x" + std::to_string(i));
  ASSERT_TRUE(store_->Commit(false).ok());
  ASSERT_TRUE(store_->FlushIdle(NowNanos(), 0).ok());
  auto st = store_->Stats();
  EXPECT_EQ(st.events_in_blocks, 42u);
  EXPECT_EQ(st.events_in_memory, 0u);
  Reopen();
  EXPECT_EQ(store_->Stats().events_in_memory, 0u);
  EXPECT_EQ(Scan("x41").events.size(), 1u);
}

// A narrow column must not share a RocksDB table block with a wide one: reading a block's
// event.dataset must not decompress its event.original. RocksDB's size policy appends an entry to
// the current table block unless that block is ~90% full, so the narrow columns that sort before
// event.original used to end up in one 400 KB table block with it.
TEST_F(StoreTest, NarrowColumnsDoNotShareTableBlocksWithWideOnes) {
  store_.reset();
  opt_.block_max_events = 2000;
  Reopen();
  std::mt19937 rng(7);
  std::vector<Event> evs;
  std::vector<RawRecord> raws;
  for (int i = 0; i < 2000; ++i) {
    RawRecord r;
    r.received_ns = kDay0 + i * kNanosPerSecond;
    for (int k = 0; k < 300; ++k) r.data.push_back(static_cast<char>('a' + rng() % 26));  // ~600 KB in all
    Event ev;
    ev.original = r.data;
    ev.timestamp_ns = ev.ingested_ns = r.received_ns;
    ev.Add("event.action", std::to_string(rng() % 100000));  // three narrow columns of ~12 KB
    ev.Add("event.category", std::to_string(rng() % 100000));
    ev.Add("event.dataset", std::to_string(rng() % 100000));
    ev.Add("host.name", "h" + std::to_string(i % 3));
    evs.push_back(std::move(ev));
    raws.push_back(std::move(r));
  }
  uint64_t expired = 0;
  ASSERT_TRUE(store_->Append(&evs, raws, &expired).ok());
  ASSERT_TRUE(store_->Commit(false).ok());
  ASSERT_TRUE(store_->FlushIdle(NowNanos(), 0).ok());
  store_.reset();  // flushes the memtables into table files

  rocksdb::Options o;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(o, dir_.string(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(o, dir_.string(), descs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* day = nullptr;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].size() == 9 && names[i][0] == 'd') day = handles[i];
  ASSERT_NE(day, nullptr);
  uint64_t block_id = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, day));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    block_id = DecodeFixed64BE(it->key().data());
  }
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  auto read_bytes = [&](const std::string& column, size_t* value_size) {
    rocksdb::get_perf_context()->Reset();
    rocksdb::PinnableSlice v;
    EXPECT_TRUE(db->Get(ro, day, store::BlockKey(block_id, store::KeyKind::kColumn, column), &v).ok()) << column;
    *value_size = v.size();
    return rocksdb::get_perf_context()->block_read_byte;
  };
  size_t dataset_size = 0, orig_size = 0;
  const uint64_t dataset_read = read_bytes("event.dataset", &dataset_size);
  const uint64_t orig_read = read_bytes("event.original", &orig_size);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  EXPECT_GT(orig_size, 500'000u);
  EXPECT_GT(orig_read, 300'000u) << "random letters compress to at most ~2x";
  EXPECT_LT(dataset_read, 80'000u) << "reading " << dataset_size << " bytes of event.dataset read a table block of "
                                   << dataset_read << " bytes (the event.original block is " << orig_read << ")";
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
}

// Events materialised from framed blocks (store format 3) are exactly the events stored: every
// field, in its order, the original line, @timestamp and event.ingested, whatever mix of sources
// (column sets) a block holds, and whichever columns the query decoded.
TEST_F(StoreTest, MaterialisedEventsAreExactFromMixedFramedBlocks) {
  opt_.block_max_events = 1000;
  Reopen();
  std::vector<Event> stored;
  for (int i = 0; i < 1900; ++i) {
    Event ev;
    ev.timestamp_ns = kDay0 + i * kNanosPerSecond;
    ev.ingested_ns = ev.timestamp_ns + 3 * kNanosPerDay + (i * 7919 % 1000) * 1000;  // arrival order differs
    ev.original = "src" + std::to_string(i % 3) + " line " + std::to_string(i);
    switch (i % 3) {  // three sources, three column sets
      case 0:
        ev.Add("host.name", "fw" + std::to_string(i % 4));
        ev.Add("source.ip", "10.0." + std::to_string(i % 200) + ".1");
        ev.Add("event.action", i % 2 ? "deny" : "allow");
        break;
      case 1:
        ev.Add("user.name", "user" + std::to_string(i % 9));
        ev.Add("message", "line " + std::to_string(i));
        break;
      default:
        ev.Add("host.name", "win" + std::to_string(i % 2));
        ev.Add("process.name", "proc" + std::to_string(i) + ".exe");
        ev.Add("winlog.event_id", std::to_string(4624 + i % 3));
        if (i % 5 == 0) ev.Add("file.hash.sha256", "h" + std::to_string(i));
    }
    stored.push_back(ev);
    std::vector<Event> one{ev};
    std::vector<RawRecord> raws(1);
    raws[0].received_ns = ev.ingested_ns;
    raws[0].data = ev.original;
    uint64_t expired = 0;
    ASSERT_TRUE(store_->Append(&one, raws, &expired).ok());
  }
  ASSERT_TRUE(store_->FlushIdle(INT64_MAX, 0).ok());  // 1000 + 900 events: two framed blocks
  ASSERT_TRUE(store_->Commit(true).ok());
  EXPECT_EQ(store_->Stats().events_in_blocks, 1900u);
  auto same = [&](const Event& got) {
    const int i = static_cast<int>((got.timestamp_ns - kDay0) / kNanosPerSecond);
    ASSERT_GE(i, 0);
    ASSERT_LT(i, 1900);
    const Event& want = stored[i];
    EXPECT_EQ(got.original, want.original);
    EXPECT_EQ(got.ingested_ns, want.ingested_ns) << i;
    EXPECT_EQ(got.fields, want.fields) << i;
  };
  for (const char* q : {"", "line 1234", "user.name:user4", "process.name:proc1235.exe", "source.ip:10.0.7.1"}) {
    ScanResult r = Scan(q, {.limit = 5000});
    ASSERT_GT(r.events.size(), 0u) << q;
    for (const Event& e : r.events) same(e);
    ScanResult unpruned = Scan(q, {.limit = 5000, .use_token_filters = false});
    EXPECT_EQ(unpruned.events.size(), r.events.size()) << q;
  }
  EXPECT_EQ(Scan("", {.limit = 5000}).events.size(), 1900u);
  // Which columns a set of rows has, from the row columns of an encoded block.
  std::vector<const Event*> ptrs;
  for (int i = 0; i < 1000; ++i) ptrs.push_back(&stored[i]);
  store::EncodedBlock blk;
  store::EncodeBlock(9, ptrs, &blk);
  store::BlockHeader h;
  ASSERT_TRUE(store::DecodeHeader(blk.header_value, &h).ok());
  auto columns_of = [&](std::vector<uint32_t> rows) {
    std::vector<uint8_t> wanted;
    EXPECT_TRUE(store::ColumnsOfRows(blk.row_columns, h.count, h.columns.size(), rows, &wanted).ok());
    std::set<std::string> names;
    for (size_t c = 0; c < wanted.size(); ++c) {
      if (wanted[c]) names.insert(h.columns[c]);
    }
    return names;
  };
  EXPECT_EQ(columns_of({1}), (std::set<std::string>{"event.original", "message", "user.name"}));
  EXPECT_EQ(columns_of({4, 7}), (std::set<std::string>{"event.original", "message", "user.name"}));
  EXPECT_EQ(columns_of({3, 8}), (std::set<std::string>{"event.original", "host.name", "source.ip", "event.action",
                                                      "process.name", "winlog.event_id"}));
  EXPECT_EQ(columns_of({8, 11}).count("file.hash.sha256"), 0u);
  EXPECT_EQ(columns_of({8, 20}).count("file.hash.sha256"), 1u);  // row 20 has one
  std::vector<uint8_t> wanted;
  EXPECT_FALSE(store::ColumnsOfRows(blk.row_columns, h.count, h.columns.size(), {1000}, &wanted).ok());
  EXPECT_FALSE(store::ColumnsOfRows(blk.row_columns.substr(0, 5), h.count, h.columns.size(), {999}, &wanted).ok());
}

// Regression (issue 20, the crash under the ingest bench with rules): materialising hits reads a
// block's columns into a vector of RocksDB PinnableSlices kept from block to block. The first
// block here is in a table file, so its values stay pinned to the block cache; the second, wider
// one is still in the memtable. Growing the vector by resize() moved the pinned slices, and
// RocksDB 7.8's PinnableSlice move constructor leaves the new slice's buffer pointer unset when
// the source is pinned: the memtable values were then copied through that pointer (SIGSEGV in
// rocksdb::SaveValue, or a silent heap overwrite). Every materialised field must come back intact.
TEST_F(StoreTest, MaterialisesAMemtableBlockWiderThanTheTableFileBlockBeforeIt) {
  auto append = [&](int64_t ts, int fields, int i) {
    Event ev;
    ev.timestamp_ns = ev.ingested_ns = ts;
    ev.original = "needle_zq line " + std::to_string(i);
    for (int f = 0; f < fields; ++f) ev.Add("f" + std::to_string(100 + f), "value " + std::to_string(i * 1000 + f));
    std::vector<Event> one{ev};
    std::vector<RawRecord> raws(1);
    raws[0].received_ns = ts;
    raws[0].data = ev.original;
    uint64_t expired = 0;
    ASSERT_TRUE(store_->Append(&one, raws, &expired).ok());
  };
  // The newest day, 2 columns: sealed, committed, and flushed to a table file by the clean close.
  for (int i = 0; i < 3; ++i) append(kDay0 + 2 * kNanosPerDay + i * kNanosPerSecond, 2, i);
  ASSERT_TRUE(store_->FlushIdle(INT64_MAX, 0).ok());
  ASSERT_TRUE(store_->Commit(true).ok());
  Reopen();
  // An older day, 40 columns: sealed and committed, left in the memtable.
  for (int i = 3; i < 6; ++i) append(kDay0 + i * kNanosPerSecond, 40, i);
  ASSERT_TRUE(store_->FlushIdle(INT64_MAX, 0).ok());
  ASSERT_TRUE(store_->Commit(true).ok());
  ASSERT_EQ(store_->Stats().blocks, 2u);
  // One scan thread: the table-file block is materialised first (newest first), then the wider one.
  ScanResult r = Scan("needle_zq", {.limit = 100, .parallelism = 1});
  ASSERT_EQ(r.events.size(), 6u);
  for (const Event& e : r.events) {
    const int i = std::stoi(e.original.substr(e.original.rfind(' ') + 1));
    const int fields = i < 3 ? 2 : 40;
    ASSERT_EQ(e.fields.size(), static_cast<size_t>(fields)) << e.original;
    for (int f = 0; f < fields; ++f) {
      const std::string* v = e.Get("f" + std::to_string(100 + f));
      ASSERT_NE(v, nullptr) << e.original << " f" << 100 + f;
      EXPECT_EQ(*v, "value " + std::to_string(i * 1000 + f));
    }
  }
}

// Pruning reads a day's filters once into memory; blocks sealed after that are pruned through
// RocksDB (and the set is rebuilt once a quarter of the day is newer): the same answers throughout.
TEST_F(StoreTest, FiltersInMemoryFollowNewBlocks) {
  auto add = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      Append(kDay0 + i * kNanosPerSecond,
             "h" + std::to_string(i % 3) + "|event " + std::to_string(i) + (i % 250 == 7 ? " needle" : ""));
    }
    ASSERT_TRUE(store_->Commit(true).ok());
  };
  add(0, 1000);  // 10 sealed blocks, needles at 7, 257, 507, 757
  ScanResult r = Scan("needle", {.limit = 100});
  EXPECT_EQ(r.matched, 4u);
  EXPECT_EQ(r.blocks_total, 10u);
  EXPECT_GE(r.blocks_pruned, 5u);
  for (int round = 0; round < 3; ++round) {
    add(1000 + round * 200, 1200 + round * 200);  // 2 more blocks: needles at 1007 and 1257
    r = Scan("needle", {.limit = 100});
    const uint64_t want = 5 + round;  // needles at 1007, 1257, 1507
    EXPECT_EQ(r.matched, want) << round;
    EXPECT_EQ(r.blocks_total, 12u + 2 * round) << round;
    EXPECT_EQ(r.blocks_total - r.blocks_pruned, r.blocks_read);
    EXPECT_GE(r.blocks_pruned, r.blocks_total / 2) << round;
    ScanResult all = Scan("needle", {.limit = 100, .use_token_filters = false});
    EXPECT_EQ(all.matched, want);
    EXPECT_EQ(all.blocks_pruned, 0u);
  }
}

// After a start, the newest days' token filters are loaded in the background (warm_filters), so
// the first search does not load them; without it they arrive only with the first search. A
// store with no room for filters (they are budgeted at half of the cache) loads none.
TEST_F(StoreTest, FiltersAreLoadedInTheBackgroundAfterAStart) {
  for (int day = 0; day < 3; ++day)
    for (int i = 0; i < 300; ++i)
      Append(kDay0 + day * 86400 * kNanosPerSecond + i * kNanosPerSecond,
             "h|event " + std::to_string(i) + (i == 150 ? " needle" : ""));
  ASSERT_TRUE(store_->Commit(true).ok());
  auto wait_for_filters = [&] {
    for (int i = 0; i < 500 && store_->Stats().filter_bytes == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return store_->Stats().filter_bytes;
  };

  opt_.warm_filters = false;
  Reopen();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(store_->Stats().filter_bytes, 0u);
  EXPECT_EQ(Scan("needle").matched, 3u);  // the search loads them
  const uint64_t loaded_by_search = store_->Stats().filter_bytes;
  EXPECT_GT(loaded_by_search, 0u);

  opt_.warm_filters = true;
  Reopen();
  EXPECT_EQ(wait_for_filters(), loaded_by_search);  // all three days, before any search
  EXPECT_EQ(Scan("needle").matched, 3u);
  EXPECT_EQ(store_->Stats().filter_bytes, loaded_by_search);  // nothing more to load

  // Closing right after opening stops the warm-up cleanly (repeated to catch a race).
  for (int i = 0; i < 20; ++i) Reopen();
  EXPECT_EQ(Scan("needle").matched, 3u);
}

// Rows are asked only where their line holds the text every match contains: the same hits,
// counts and scanned rows as a scan that evaluates every row of the frames it reads.
TEST_F(StoreTest, RowsWithoutTheRequiredTextAreNotEvaluatedAndAnswersDoNotChange) {
  store_.reset();
  opt_.block_max_events = 1000;  // frames of 256
  Reopen();
  std::mt19937 rng(3);
  uint64_t want = 0;  // lines holding the token 198.51.100.77
  for (int i = 0; i < 5000; ++i) {
    std::string line = "h" + std::to_string(i % 7) + "|event " + std::to_string(i);
    const unsigned r = rng() % 100;
    want += r < 3 || r == 5;
    if (r < 3) line += " from 198.51.100.77";
    else if (r < 5) line += " from 198.51.100.770";  // the text, not the token
    else if (r < 6) line += " FAILED login from 198.51.100.77";
    else if (r < 8) line += " failed";
    Append(kDay0 + i * kNanosPerSecond, line);
  }
  ASSERT_TRUE(store_->Commit(true).ok());
  for (const char* q : {"198.51.100.77", "198.51.100.77 failed", "\"from 198.51.100.77\"", "failed NOT 198.51.100.77",
                        "198.51.100.77 OR failed", "198.51.100.77 host.name:h3", "198.51.100.77 NOT host.name:h3",
                        "/198\\.51\\.100\\.77[0-9]/", "198.51.100.77*"}) {
    QueryFilter with(q), without(q);
    without.HideRequiredText();
    for (uint64_t limit : {0u, 7u, 10000u}) {
      ScanResult a, b;
      // One thread: a scan stopped by its limit counts what it read before stopping, which with
      // several threads depends on their timing.
      ASSERT_TRUE(store_->Scan(with, {.limit = limit, .parallelism = 1}, &a).ok());
      ASSERT_TRUE(store_->Scan(without, {.limit = limit, .parallelism = 1}, &b).ok());
      EXPECT_EQ(a.matched, b.matched) << q << " limit " << limit;
      EXPECT_EQ(a.scanned, b.scanned) << q << " limit " << limit;
      ASSERT_EQ(a.events.size(), b.events.size()) << q << " limit " << limit;
      for (size_t k = 0; k < a.events.size(); ++k) {
        EXPECT_EQ(a.events[k].original, b.events[k].original) << q;
        EXPECT_EQ(a.events[k].timestamp_ns, b.events[k].timestamp_ns) << q;
        EXPECT_EQ(a.events[k].fields, b.events[k].fields) << q;
      }
    }
  }
  // The counts themselves.
  EXPECT_EQ(Scan("198.51.100.77", {.limit = 0}).matched, want);
  ScanResult r = Scan("198.51.100.77", {.limit = 10000});
  EXPECT_EQ(r.events.size(), want);
  for (const Event& e : r.events) EXPECT_NE(e.original.find("198.51.100.77"), std::string::npos);
  for (const Event& e : r.events) EXPECT_EQ(e.original.find("198.51.100.770"), std::string::npos);
  EXPECT_GT(r.events.size(), 100u);
}

TEST_F(StoreTest, RetentionDropsOldDays) {
  store_.reset();
  opt_.max_age_days = 2;
  Reopen();
  int64_t now = kDay0 + 10 * kNanosPerDay + 12 * 3600 * kNanosPerSecond;
  for (int d = 0; d <= 10; ++d) {
    for (int i = 0; i < 120; ++i) Append(kDay0 + d * kNanosPerDay + i * kNanosPerSecond, "h|day" + std::to_string(d));
  }
  ASSERT_TRUE(store_->Commit(true).ok());
  EXPECT_EQ(store_->Stats().partitions, 11u);
  int dropped = 0;
  ASSERT_TRUE(store_->EnforceRetention(now, &dropped).ok());
  // Kept: days whose end is within 2 days of now: day 8 (partly), 9 and 10.
  EXPECT_EQ(dropped, 8);
  EXPECT_EQ(store_->Stats().partitions, 3u);
  EXPECT_TRUE(Scan("day3").events.empty());
  EXPECT_EQ(Scan("day9", {.limit = 1000}).events.size(), 120u);
  // Events for a dropped day are refused, not resurrected.
  std::vector<RawRecord> raws(1);
  raws[0].received_ns = kDay0 + kNanosPerDay;
  raws[0].data = "h|late";
  std::vector<Event> evs{MakeEvent(raws[0])};
  uint64_t expired = 0;
  ASSERT_TRUE(store_->Append(&evs, raws, &expired).ok());
  EXPECT_EQ(expired, 1u);
  Reopen();
  EXPECT_EQ(store_->Stats().partitions, 3u);
  EXPECT_TRUE(Scan("day1").events.empty());
  EXPECT_EQ(Scan("day10", {.limit = 1000}).events.size(), 120u);
}

// Store format 3: a block of more than kFrameRows events is cut into frames; a column decoded
// for some frames, or a few rows extracted, gives exactly what a whole decode gives for them.
TEST(Block, FramesDecodeAndExtractExactlyTheRowsAsked) {
  constexpr int kN = 1000;  // frames of 256: 256, 256, 256, 232
  std::vector<Event> evs(kN);
  for (int i = 0; i < kN; ++i) {
    evs[i].timestamp_ns = kDay0 + i * 1000;
    evs[i].ingested_ns = evs[i].timestamp_ns;
    evs[i].original = "<13>Nov 20 00:00:00 host" + std::to_string(i % 5) + " app[1]: line " + std::to_string(i) +
                      (i == 600 ? " onlyinframetwo" : "");
    evs[i].Add("host.name", "host" + std::to_string(i % 5));                            // dictionary
    evs[i].Add("message", i % 11 ? "line " + std::to_string(i) : "not a suffix " + std::to_string(i));
    if (i % 3 == 0) evs[i].Add("user.name", "user" + std::to_string(i));              // sparse, plain
    if (i >= 300 && i < 350) evs[i].Add("rare.field", "r" + std::to_string(i));       // one frame only
    if (i % 7 < 3) evs[i].Add("event.outcome", i % 2 ? "success" : "failure");         // sparse dictionary
  }
  std::vector<const Event*> ptrs;
  for (auto& e : evs) ptrs.push_back(&e);
  store::EncodedBlock blk;
  store::EncodeBlock(5, ptrs, &blk);
  store::BlockHeader h;
  ASSERT_TRUE(store::DecodeHeader(blk.header_value, &h).ok());
  ASSERT_EQ(h.frame_rows, store::kFrameRows);
  ASSERT_EQ(h.frames(), 4u);
  std::vector<std::string_view> ffilters;
  ASSERT_TRUE(store::DecodeFrameFilters(blk.frame_filters, h.frames(), &ffilters).ok());
  ASSERT_EQ(ffilters.size(), 4u);
  const uint64_t only = HashTokenLower("onlyinframetwo");
  EXPECT_TRUE(store::TokenBloom::MayContain(ffilters[2], only));  // row 600 is in frame 2
  int fp = 0;
  for (int f : {0, 1, 3}) fp += store::TokenBloom::MayContain(ffilters[f], only);
  for (int i = 0; i < 1000; ++i) {
    // Every token of a frame is in its filter; absent ones mostly are not (~15% false positives).
    EXPECT_TRUE(store::TokenBloom::MayContain(ffilters[i / 256], HashTokenLower(std::to_string(i))));
    fp += store::TokenBloom::MayContain(ffilters[i % 4], HashTokenLower("absent" + std::to_string(i)));
  }
  EXPECT_LT(fp, 250);
  EXPECT_FALSE(store::DecodeFrameFilters(blk.frame_filters, 3, &ffilters).ok());

  std::map<std::string, std::string> data(blk.columns.begin(), blk.columns.end());
  // Dictionary columns (kind 1; the high bit marks frame offsets), dense and sparse.
  EXPECT_EQ(data["host.name"][0] & 0x7f, 1);
  EXPECT_EQ(data["event.outcome"][0] & 0x7f, 1);
  EXPECT_EQ(data["event.outcome"][1], 1);  // with a presence bitmap
  std::map<std::string, store::DecodedColumn> whole;
  for (const char* name : {"event.original", "message", "host.name", "user.name", "rare.field", "event.outcome"}) {
    ASSERT_TRUE(store::DecodeColumn(data[name], kN, std::string_view(name) == "message" ? &whole["event.original"] : nullptr,
                                    &whole[name]).ok()) << name;
  }
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(whole["event.original"].values[i], evs[i].original);
    ASSERT_EQ(whole["message"].values[i], *evs[i].Get("message"));
    ASSERT_EQ(whole["user.name"].present[i], i % 3 == 0);
    ASSERT_EQ(whole["rare.field"].present[i], i >= 300 && i < 350);
  }
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint8_t> mask(4);
    for (auto& m : mask) m = rng() % 2;
    std::map<std::string, store::DecodedColumn> part;
    for (const char* name : {"event.original", "message", "host.name", "user.name", "rare.field", "event.outcome"}) {
      ASSERT_TRUE(store::DecodeColumn(data[name], kN, std::string_view(name) == "message" ? &part["event.original"] : nullptr,
                                      &part[name], &mask).ok());
      for (int i = 0; i < kN; ++i) {
        if (mask[i / 256]) {
          ASSERT_EQ(part[name].present[i], whole[name].present[i]) << name << " row " << i;
          ASSERT_EQ(part[name].values[i], whole[name].values[i]) << name << " row " << i;
        } else {
          ASSERT_FALSE(part[name].present[i]) << name << " row " << i << " of a frame not asked for";
        }
      }
    }
    // A few rows (ascending), anywhere in the block.
    std::vector<uint32_t> rows;
    for (int i = 0; i < kN; ++i) {
      if (rng() % 40 == 0) rows.push_back(static_cast<uint32_t>(i));
    }
    std::vector<std::string_view> orig_rows, vals;
    std::vector<uint8_t> pres;
    ASSERT_TRUE(store::ExtractRows(data["event.original"], kN, rows, nullptr, &orig_rows, &pres).ok());
    for (const char* name : {"event.original", "message", "host.name", "user.name", "rare.field", "event.outcome"}) {
      ASSERT_TRUE(store::ExtractRows(data[name], kN, rows, &orig_rows, &vals, &pres).ok()) << name;
      for (size_t k = 0; k < rows.size(); ++k) {
        ASSERT_EQ(pres[k], whole[name].present[rows[k]]) << name << " row " << rows[k];
        ASSERT_EQ(vals[k], whole[name].values[rows[k]]) << name << " row " << rows[k];
      }
    }
    // The same rows decoded in place (DecodeRows): those rows as a whole decode has them, every
    // other row absent.
    std::map<std::string, store::DecodedColumn> few;
    std::vector<uint8_t> wanted(kN, 0);
    for (uint32_t r : rows) wanted[r] = 1;
    for (const char* name : {"event.original", "message", "host.name", "user.name", "rare.field", "event.outcome"}) {
      ASSERT_TRUE(store::DecodeRows(data[name], kN, std::string_view(name) == "message" ? &few["event.original"] : nullptr,
                                    rows, &few[name]).ok()) << name;
      for (int i = 0; i < kN; ++i) {
        ASSERT_EQ(few[name].present[i], wanted[i] && whole[name].present[i]) << name << " row " << i;
        if (few[name].present[i]) { ASSERT_EQ(few[name].values[i], whole[name].values[i]) << name << " row " << i; }
      }
    }
  }
  // Times of the first rows only: the same values as a whole decode.
  store::BlockHeader th;
  ASSERT_TRUE(store::DecodeHeader(blk.header_value, &th).ok());
  std::vector<int64_t> ts_all, ing_all, ts_few, ing_few;
  ASSERT_TRUE(store::DecodeTimes(blk.times, th, &ts_all, &ing_all).ok());
  for (uint32_t n : {1u, 255u, 256u, 700u, 1000u}) {
    ASSERT_TRUE(store::DecodeTimes(blk.times, th, &ts_few, &ing_few, n).ok());
    for (uint32_t i = 0; i < n; ++i) {
      ASSERT_EQ(ts_few[i], evs[i].timestamp_ns) << n << " " << i;
      ASSERT_EQ(ing_few[i], ing_all[i]) << n << " " << i;
    }
  }
  EXPECT_FALSE(store::DecodeTimes(std::string_view(blk.times).substr(0, blk.times.size() / 2), th, &ts_few, &ing_few, 10).ok());
  // Damaged frame offsets are an error, never a read out of bounds.
  std::string bad = data["user.name"];
  bad.resize(bad.size() / 2);
  store::DecodedColumn out;
  EXPECT_FALSE(store::DecodeColumn(bad, kN, nullptr, &out).ok());
  std::vector<uint8_t> mask{0, 0, 0, 1};
  EXPECT_FALSE(store::DecodeColumn(bad, kN, nullptr, &out, &mask).ok());
  // A block of at most one frame has neither frames nor frame filters.
  store::EncodedBlock small;
  ptrs.resize(200);
  store::EncodeBlock(6, ptrs, &small);
  ASSERT_TRUE(store::DecodeHeader(small.header_value, &h).ok());
  EXPECT_EQ(h.frame_rows, 0u);
  EXPECT_EQ(h.frames(), 1u);
  EXPECT_TRUE(small.frame_filters.empty());
}

// The rows holding a text, found with one pass over each frame's lines, are exactly those whose
// line contains it (ASCII case ignored). An occurrence that runs from one line over the length
// prefix of the next (the prefix byte can be any character) belongs to no line.
TEST(Block, RowsContainingAreExactlyTheLinesHoldingTheText) {
  constexpr int kN = 1000;  // frames of 256
  const std::string needle = "Zq.10.1.2.3";
  std::mt19937 rng(5);
  std::vector<Event> evs(kN);
  auto sized = [](std::string s, size_t n) {  // pads or cuts to exactly n bytes
    s.resize(n, 'x');
    return s;
  };
  for (int i = 0; i < kN; ++i) {
    evs[i].timestamp_ns = kDay0 + i * 1000;
    evs[i].ingested_ns = evs[i].timestamp_ns;
    std::string line = "<13>Nov 20 00:00:00 h app: n=" + std::to_string(i);
    switch (rng() % 8) {
      case 0: line += " from zQ.10.1.2.3 port 22"; break;
      case 1: line += " ZQ.10.1.2.3 and again zq.10.1.2.3"; break;
      case 2: line = "Zq.10.1.2.3 " + line; break;
      case 3: line += " Zq.10.1.2.3"; break;  // at the very end
      case 4: line += " Zq.10.1.2.4 Zq.10.1.2"; break;  // almost
      default: break;
    }
    evs[i].original = line;
    evs[i].Add("host.name", "h" + std::to_string(i % 4));
  }
  // Row 100 ends with "Zq.10.1.2." and row 101 is 51 bytes long: its length prefix is '3', so the
  // column holds "Zq.10.1.2.3" across the two. Row 300 ends with "Zq.10.1.2", row 301 is 46 bytes
  // ('.') and starts with "3": the needle runs from one line through a prefix into the next.
  evs[100].original = "<13>Nov 20 00:00:00 h app: ends with Zq.10.1.2.";
  evs[101].original = sized("<13>Nov 20 00:00:00 h app: length fifty-one ", 51);
  evs[300].original = "<13>Nov 20 00:00:00 h app: ends with Zq.10.1.2";
  evs[301].original = sized("3 <13>Nov 20 00:00:00 h app: forty-six bytes ", 46);
  std::vector<const Event*> ptrs;
  for (auto& e : evs) ptrs.push_back(&e);
  store::EncodedBlock blk;
  store::EncodeBlock(9, ptrs, &blk);
  std::map<std::string, std::string> data(blk.columns.begin(), blk.columns.end());
  ASSERT_NE(data["event.original"].find("Zq.10.1.2.3"), std::string::npos);
  auto expect = [&](const std::vector<uint8_t>* frames) {
    std::vector<uint32_t> rows;
    for (int i = 0; i < kN; ++i) {
      if (frames && !(*frames)[i / 256]) continue;
      if (FindIgnoreCase(evs[i].original, needle) != std::string_view::npos) rows.push_back(static_cast<uint32_t>(i));
    }
    return rows;
  };
  std::vector<uint32_t> rows;
  ASSERT_TRUE(store::RowsContaining(data["event.original"], kN, needle, nullptr, &rows));
  const std::vector<uint32_t> all = expect(nullptr);
  EXPECT_EQ(rows, all);
  EXPECT_GT(all.size(), 300u);
  for (uint32_t r : {100u, 101u, 300u, 301u}) EXPECT_EQ(std::count(rows.begin(), rows.end(), r), 0) << r;
  for (int round = 0; round < 16; ++round) {
    std::vector<uint8_t> frames{uint8_t(round & 1), uint8_t(round >> 1 & 1), uint8_t(round >> 2 & 1), uint8_t(round >> 3 & 1)};
    rows.clear();
    ASSERT_TRUE(store::RowsContaining(data["event.original"], kN, needle, &frames, &rows));
    EXPECT_EQ(rows, expect(&frames)) << round;
  }
  // A row's own text only: "n=1" is in many lines, "n=999" in one.
  rows.clear();
  ASSERT_TRUE(store::RowsContaining(data["event.original"], kN, "N=999", nullptr, &rows));
  EXPECT_EQ(rows, std::vector<uint32_t>{999});
  // Not a plain column, an empty needle, damage: false (the caller evaluates every row).
  EXPECT_FALSE(store::RowsContaining(data["host.name"], kN, "h1", nullptr, &rows));
  EXPECT_FALSE(store::RowsContaining(data["event.original"], kN, "", nullptr, &rows));
  EXPECT_FALSE(store::RowsContaining(data["event.original"].substr(0, 40), kN, needle, nullptr, &rows));
}

// Store format 4: a field whose value is found in its line is stored as a span of it (length,
// offset); hostile values (not in the line, repeated, UTF-8, empty, a line over 64 KiB) come back
// byte for byte, whole, by frames, by rows; damage is an error, never a crash.
TEST(Block, SpanColumnsRoundTripHostileValues) {
  constexpr int kN = 700;  // frames of 256: 256, 256, 188
  std::vector<Event> evs(kN);
  const std::string huge = "cmd=" + std::string(70000, 'x') + "/end";
  for (int i = 0; i < kN; ++i) {
    // Long enough to be stored as spans (short fields stay plain: kSpanMinMean).
    const std::string ip = "10." + std::to_string(i % 200) + ".0." + std::to_string(i % 97 + 1) + ".hosts.example.internal";
    evs[i].timestamp_ns = kDay0 + i * 1000;
    evs[i].ingested_ns = evs[i].timestamp_ns;
    evs[i].original = "<13>Nov 20 00:00:00 h app[1]: from " + ip + " to " + ip + " to " + ip + " ab user=j\xc3\xb6rg \xe2\x9c\x93 " +
                      (i == 300 ? huge : "cmd=short" + std::to_string(i) + " --and-a-long-option");
    evs[i].Add("source.ip", ip);                                         // a span
    evs[i].Add("user.name", "j\xc3\xb6rg \xe2\x9c\x93 cmd=" + (i == 300 ? std::string(24, 'x') : "short" + std::to_string(i) + " --and"));  // UTF-8
    evs[i].Add("rep", i % 2 ? ip : ip + " to " + ip);                   // found twice in the line
    evs[i].Add("mixed", i % 8 ? ip + " ab" : "not in the line, not at all: " + std::to_string(i));
    if (i % 5 == 0) evs[i].Add("empty", "");                             // present, empty
    evs[i].Add("client.ip", ip.substr(0, ip.find(".hosts")));            // short: stays plain
    evs[i].Add("process.command_line", i == 300 ? huge : "cmd=short" + std::to_string(i) + " --and-a-long-option");
  }
  std::vector<const Event*> ptrs;
  for (auto& e : evs) ptrs.push_back(&e);
  store::EncodedBlock blk;
  store::EncodeBlock(8, ptrs, &blk);
  std::map<std::string, std::string> data(blk.columns.begin(), blk.columns.end());
  for (const char* name : {"source.ip", "user.name", "rep", "mixed", "process.command_line"}) {
    EXPECT_EQ(data[name][0] & 0x7f, 3) << name << " is a span column";
    EXPECT_TRUE(store::ColumnNeedsOriginal(data[name])) << name;
  }
  EXPECT_FALSE(store::ColumnNeedsOriginal(data["event.original"]));
  EXPECT_EQ(data["client.ip"][0] & 0x7f, 0) << "a short field is not a span: reading it must not read the lines";
  const std::vector<std::string> names = {"source.ip", "user.name", "rep", "mixed", "empty", "client.ip", "process.command_line"};
  store::DecodedColumn orig;
  ASSERT_TRUE(store::DecodeColumn(data["event.original"], kN, nullptr, &orig).ok());
  auto decode = [&](const std::string& name, const store::DecodedColumn& o, store::DecodedColumn* out,
                    const std::vector<uint8_t>* mask) {
    return store::DecodeColumn(data[name], kN, store::ColumnNeedsOriginal(data[name]) ? &o : nullptr, out, mask);
  };
  for (const auto& name : names) {
    store::DecodedColumn col;
    ASSERT_TRUE(decode(name, orig, &col, nullptr).ok()) << name;
    for (int i = 0; i < kN; ++i) {
      const std::string* want = evs[i].Get(name);
      ASSERT_EQ(col.present[i], want != nullptr) << name << " row " << i;
      if (want) {
        ASSERT_EQ(col.values[i], *want) << name << " row " << i;
      }
    }
    // Frames 0 and 2 only, then rows 1, 300 (the 70 KB line) and 699.
    const std::vector<uint8_t> mask = {1, 0, 1};
    store::DecodedColumn o2, part;
    ASSERT_TRUE(store::DecodeColumn(data["event.original"], kN, nullptr, &o2, &mask).ok());
    ASSERT_TRUE(decode(name, o2, &part, &mask).ok()) << name;
    for (int i = 0; i < kN; ++i) {
      ASSERT_EQ(part.present[i], mask[i / 256] && evs[i].Get(name)) << name << " row " << i;
      if (part.present[i]) {
        ASSERT_EQ(part.values[i], *evs[i].Get(name)) << name << " row " << i;
      }
    }
    const std::vector<uint32_t> rows = {1, 300, 699};
    store::DecodedColumn few;
    ASSERT_TRUE(store::DecodeRows(data[name], kN, &orig, rows, &few).ok()) << name;
    for (uint32_t r : rows) {
      ASSERT_EQ(few.present[r], evs[r].Get(name) != nullptr) << name << " row " << r;
      if (few.present[r]) {
        ASSERT_EQ(few.values[r], *evs[r].Get(name)) << name << " row " << r;
      }
    }
  }
  // Damage: a span column without its lines, spans past a (shorter) line, a truncated column.
  store::DecodedColumn bad, short_orig = orig;
  EXPECT_FALSE(store::DecodeColumn(data["source.ip"], kN, nullptr, &bad).ok());
  for (auto& v : short_orig.values) v = v.substr(0, 10);
  EXPECT_FALSE(store::DecodeColumn(data["source.ip"], kN, &short_orig, &bad).ok());
  for (size_t cut : {size_t{1}, size_t{5}, data["mixed"].size() / 2, data["mixed"].size() - 1})
    EXPECT_FALSE(store::DecodeColumn(data["mixed"].substr(0, cut), kN, &orig, &bad).ok()) << cut;
}

TEST(Block, EncodeDecodeColumnsAndFilter) {
  std::vector<Event> evs(300);
  for (int i = 0; i < 300; ++i) {
    evs[i].timestamp_ns = kDay0 + (i * 7919 % 300) * 1000;
    evs[i].ingested_ns = evs[i].timestamp_ns + 5;
    evs[i].original = "<13>Nov 20 00:00:00 host" + std::to_string(i % 3) + " sshd[1]: msg " + std::to_string(i);
    evs[i].Add("host.name", "host" + std::to_string(i % 3));                     // dictionary
    evs[i].Add("message", "msg " + std::to_string(i));                           // suffix of original
    if (i % 2) evs[i].Add("user.name", "user" + std::to_string(i));              // sparse, plain
  }
  std::vector<const Event*> ptrs;
  for (auto& e : evs) ptrs.push_back(&e);
  store::EncodedBlock blk;
  store::EncodeBlock(77, ptrs, &blk);
  store::BlockHeader h;
  ASSERT_TRUE(store::DecodeHeader(blk.header_value, &h).ok());
  EXPECT_EQ(h.count, 300u);
  EXPECT_EQ(h.columns.size(), 4u);
  std::vector<int64_t> ts, ing;
  ASSERT_TRUE(store::DecodeTimes(blk.times, h, &ts, &ing).ok());
  std::map<std::string, store::DecodedColumn> cols;
  for (auto& [name, data] : blk.columns) {
    ASSERT_TRUE(store::DecodeColumn(data, h.count, name == "message" ? &cols["event.original"] : nullptr, &cols[name]).ok())
        << name;
  }
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(ts[i], evs[i].timestamp_ns);
    EXPECT_EQ(ing[i], evs[i].ingested_ns);
    EXPECT_EQ(cols["event.original"].values[i], evs[i].original);
    EXPECT_EQ(cols["message"].values[i], *evs[i].Get("message"));
    EXPECT_EQ(cols["host.name"].values[i], *evs[i].Get("host.name"));
    EXPECT_EQ(cols["user.name"].present[i], i % 2);
    if (i % 2) { EXPECT_EQ(cols["user.name"].values[i], *evs[i].Get("user.name")); }
  }
  int false_positives = 0;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(store::TokenBloom::MayContain(blk.filter, HashTokenLower("user" + std::to_string(2 * (i % 150) + 1))));
    false_positives += store::TokenBloom::MayContain(blk.filter, HashTokenLower("absent" + std::to_string(i)));
  }
  EXPECT_LT(false_positives, 50);  // ~1% expected
  // Corrupt input is an error, never a crash.
  store::DecodedColumn bad;
  EXPECT_FALSE(store::DecodeColumn("\x01", 10, nullptr, &bad).ok());
  EXPECT_FALSE(store::DecodeColumn(std::string("\x00\x00\x05", 3), 10, nullptr, &bad).ok());
}

// The filter's bits are on disk: probe i of a token sets bit (h1 + i * h2) % bits with the sum
// wrapping at 2^64 (what MayContain reads). Build computes the probes without a division each;
// its bytes must equal the formula's, for hashes near the wrap too, duplicates and 0 included.
TEST(Block, TokenBloomBitsFollowTheFormat) {
  std::mt19937_64 rng(24);
  for (int n : {0, 1, 5, 700, 3000, 20000}) {
    for (auto [bits_per_key, probes] : {std::pair{10, 7}, std::pair{4, 3}}) {
      std::vector<uint64_t> hashes;
      for (int i = 0; i < n; ++i) hashes.push_back(i % 3 == 0 ? UINT64_MAX - rng() % 1000 : rng());
      for (int i = 0; i < n / 2; ++i) hashes.push_back(hashes[static_cast<size_t>(i) * 2]);  // duplicates
      if (n) hashes.push_back(0);
      std::set<uint64_t> distinct;
      for (uint64_t h : hashes) distinct.insert(h ? h : 1);
      uint64_t bits = std::max<uint64_t>(64, distinct.size() * static_cast<uint64_t>(bits_per_key));
      bits = (bits + 7) / 8 * 8;
      std::string want(bits / 8 + 1, '\0');
      want[0] = static_cast<char>(probes);
      for (uint64_t h : distinct) {
        const uint64_t h2 = (h >> 32) | (h << 32) | 1;
        for (int i = 0; i < probes; ++i) {
          const uint64_t bit = (h + static_cast<uint64_t>(i) * h2) % bits;
          want[1 + bit / 8] = static_cast<char>(want[1 + bit / 8] | (1 << (bit % 8)));
        }
      }
      std::vector<uint64_t> in = hashes;
      const std::string got = store::TokenBloom::Build(&in, bits_per_key, probes);
      EXPECT_EQ(got, want) << n << " hashes, " << bits_per_key << " bits per key";
      EXPECT_EQ(in.size(), distinct.size());
      for (uint64_t h : hashes) EXPECT_TRUE(store::TokenBloom::MayContain(got, h));
    }
  }
}

// ---- outbox (issue 26): the local store as the spool of the ClickHouse backend ----

// The outbox hands out, in sequence order, exactly the events appended (fields, times and
// original line as stored, across days and sealed blocks), only once they are fsynced; the
// position survives a restart, acknowledged events leave it, and new events never reuse a
// sequence number already handed out (even when retention dropped the day holding it).
TEST_F(StoreTest, OutboxHandsOutDurableEventsInOrderAndKeepsItsPosition) {
  opt_.outbox = true;
  Reopen();
  std::vector<std::string> sent;
  for (int i = 0; i < 250; ++i) {  // two days, two blocks sealed per day at 100 events
    const int64_t ts = kDay0 + (i % 2) * kNanosPerDay + i * kNanosPerSecond;
    const std::string data = "h" + std::to_string(i % 3) + "|line " + std::to_string(i);
    Append(ts, data);
    sent.push_back(data);
  }
  ASSERT_TRUE(store_->Commit(false).ok());
  std::vector<store::OutboxEvent> got;
  ASSERT_TRUE(store_->ReadOutbox(0, 1000, 1u << 30, &got).ok());
  EXPECT_TRUE(got.empty()) << "handed out before the fsync";
  ASSERT_TRUE(store_->SyncWal().ok());
  ASSERT_TRUE(store_->ReadOutbox(0, 1000, 1u << 30, &got).ok());
  ASSERT_EQ(got.size(), sent.size());
  EXPECT_EQ(store_->OutboxEvents(), sent.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, got[0].seq + i);
    EXPECT_EQ(got[i].event.original, sent[i]);
    const std::string* host = got[i].event.Get("host.name");
    ASSERT_NE(host, nullptr);
    EXPECT_EQ(*host, sent[i].substr(0, 2));
    EXPECT_EQ(got[i].event.timestamp_ns, kDay0 + static_cast<int64_t>(i % 2) * kNanosPerDay + static_cast<int64_t>(i) * kNanosPerSecond);
  }
  const uint64_t first = got[0].seq;
  // A batch of 100 in flight, then confirmed up to its end; then the next one in flight.
  ASSERT_TRUE(store_->SetOutboxPosition({first + 99, first + 100, first + 149}, true).ok());
  EXPECT_EQ(store_->OutboxEvents(), 150u);
  ASSERT_TRUE(store_->ReadOutbox(first + 99, 1000, 1u << 30, &got).ok());
  ASSERT_EQ(got.size(), 150u);
  EXPECT_EQ(got[0].event.original, sent[100]);
  Reopen();  // the position and the outbox survive; the in-flight batch reads back the same
  store::OutboxPosition pos = store_->GetOutboxPosition();
  EXPECT_EQ(pos.acked, first + 99);
  EXPECT_EQ(pos.inflight_first, first + 100);
  EXPECT_EQ(pos.inflight_last, first + 149);
  EXPECT_EQ(store_->OutboxEvents(), 150u);
  ASSERT_TRUE(store_->ReadOutbox(pos.inflight_first - 1, 50, 1u << 30, &got).ok());
  ASSERT_EQ(got.size(), 50u);
  EXPECT_EQ(got.back().seq, first + 149);
  EXPECT_EQ(got.back().event.original, sent[149]);
  // Everything confirmed: the outbox is empty, and a new event continues after the last number.
  ASSERT_TRUE(store_->SetOutboxPosition({first + 249, 0, 0}, false).ok());
  EXPECT_EQ(store_->OutboxEvents(), 0u);
  EXPECT_EQ(store_->OutboxBytes(), 0u);
  ASSERT_TRUE(store_->ReadOutbox(first + 249, 1000, 1u << 30, &got).ok());
  EXPECT_TRUE(got.empty());
  // Retention drops every day (and with them the blocks that said which numbers were used).
  int dropped = 0;
  store_->SetMaxAgeDays(1);
  ASSERT_TRUE(store_->EnforceRetention(NowNanos(), &dropped).ok());
  EXPECT_EQ(dropped, 2);
  Reopen();
  Append(NowNanos(), "h9|after");
  ASSERT_TRUE(store_->Commit(true).ok());
  ASSERT_TRUE(store_->ReadOutbox(store_->GetOutboxPosition().acked, 1000, 1u << 30, &got).ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, first + 250);
  EXPECT_EQ(got[0].event.original, "h9|after");
}

// The limit: OutboxFull once the unsent bytes pass outbox_max_bytes, and no longer once the
// sender confirmed them. A store without an outbox refuses the outbox calls.
TEST_F(StoreTest, OutboxFullPastItsLimitAndNotAfterTheSenderConfirms) {
  std::vector<store::OutboxEvent> none;
  EXPECT_FALSE(store_->ReadOutbox(0, 10, 1u << 20, &none).ok());
  opt_.outbox = true;
  opt_.outbox_max_bytes = 2000;
  Reopen();
  int n = 0;
  while (!store_->OutboxFull() && n < 1000) {
    Append(kDay0 + n, "h|" + std::string(50, 'x') + std::to_string(n));
    ASSERT_TRUE(store_->Commit(true).ok());
    ++n;
  }
  ASSERT_TRUE(store_->OutboxFull());
  EXPECT_GT(n, 10);  // about 2000 / 60 bytes
  EXPECT_LT(n, 60);
  std::vector<store::OutboxEvent> got;
  ASSERT_TRUE(store_->ReadOutbox(0, 1000, 1u << 30, &got).ok());
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  ASSERT_TRUE(store_->SetOutboxPosition({got.back().seq, 0, 0}, true).ok());
  EXPECT_FALSE(store_->OutboxFull());
}
