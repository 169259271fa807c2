// tests/token_index_test.cc: the days' token indexes (issue 24, store/token_index.h): the index
// never loses a block that holds a token, and a store answers every search the same with the
// index, without it, and without any token pruning, on disk, for days with and without an index.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "core/time.h"
#include "core/tokenize.h"
#include "query/query.h"
#include "store/store.h"
#include "store/token_index.h"

using namespace kamatama;
using store::ScanOptions;
using store::ScanResult;
using store::Store;
using store::TokenIndex;
using store::TokenIndexBuilder;

namespace {

// Blocks of random token hashes, some sharing a fingerprint (high 32 bits) on purpose; the index
// built over them, with a stored round trip halfway, must name every block of every token.
TEST(TokenIndex, NeverLosesABlockOfAToken) {
  std::mt19937_64 rng(7);
  std::map<uint64_t, std::set<uint32_t>> truth;  // hash -> block ordinals
  std::vector<uint64_t> pool;                    // hashes that recur across blocks
  for (int i = 0; i < 300; ++i) pool.push_back(rng());
  // Collisions: same fingerprint, different hash.
  for (int i = 0; i < 50; ++i) pool.push_back((pool[i] & 0xffffffff00000000ull) | (rng() & 0xffffffffull));
  TokenIndexBuilder b;
  const int kBlocks = 60;
  for (int blk = 0; blk < kBlocks; ++blk) {
    std::set<uint64_t> hashes;
    for (int i = 0; i < 400; ++i) hashes.insert(rng());                      // unique to the block
    for (int i = 0; i < 40; ++i) hashes.insert(pool[rng() % pool.size()]);  // rare to common
    if (blk % 3 == 0) hashes.insert(pool[0]);                               // in 20 blocks: common
    std::vector<uint64_t> v(hashes.begin(), hashes.end());
    for (uint64_t h : v) truth[h].insert(static_cast<uint32_t>(blk));
    b.AddBlock(1000 + static_cast<uint64_t>(blk) * 3, v);
    if (blk == kBlocks / 2) {  // a writer continuing from the stored index
      TokenIndexBuilder again;
      ASSERT_TRUE(TokenIndexBuilder::FromIndex(b.Encode(), &again).ok());
      b = std::move(again);
    }
  }
  TokenIndex idx;
  ASSERT_TRUE(TokenIndex::Parse(b.Encode(), &idx).ok());
  ASSERT_EQ(idx.blocks().size(), static_cast<size_t>(kBlocks));
  EXPECT_EQ(idx.Ordinal(1000 + 3 * 7), 7);
  EXPECT_EQ(idx.Ordinal(1001), -1);
  size_t exact = 0, common = 0;
  for (const auto& [h, blocks] : truth) {
    const TokenIndex::Posting p = idx.Lookup(h);
    ASSERT_NE(p.kind, TokenIndex::Kind::kAbsent) << h;
    for (uint32_t o : blocks) ASSERT_TRUE(p.Has(o)) << h << " block " << o;
    if (p.kind == TokenIndex::Kind::kCommon) ++common;
    if (p.kind == TokenIndex::Kind::kBlocks && p.count == blocks.size()) ++exact;
  }
  EXPECT_EQ(idx.Lookup(pool[0]).kind, TokenIndex::Kind::kCommon);
  EXPECT_GT(exact, truth.size() * 9 / 10);  // nearly every token names exactly its blocks
  EXPECT_GT(common, 0u);
  size_t absent = 0;
  for (int i = 0; i < 10000; ++i) absent += idx.Lookup(rng()).kind == TokenIndex::Kind::kAbsent;
  EXPECT_GT(absent, 9900u);  // a token of no block: its fingerprint is rarely taken
  TokenIndex bad;
  EXPECT_FALSE(TokenIndex::Parse(std::string("\x09", 1), &bad).ok());
}

// The indexed hashes that sealing takes from the tokenizer's one pass are exactly those of the
// tokens IsIndexedToken picks (what a search looks up), on random text with every byte class.
TEST(TokenIndex, SealingIndexesExactlyTheIndexedTokens) {
  std::mt19937 rng(11);
  const std::string alphabet = "aZ_09.-x= \xc3\xa9Q7..--";
  size_t indexed_seen = 0;
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    const size_t len = rng() % 60;
    for (size_t i = 0; i < len; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<uint64_t> all, indexed, expected;
    HashTokensLower(text, &all, store::kIndexedTokenMin, &indexed);
    ForEachToken(text, [&](std::string_view t) {
      if (store::IsIndexedToken(t)) expected.push_back(HashTokenLower(t));
    });
    std::sort(indexed.begin(), indexed.end());
    std::sort(expected.begin(), expected.end());
    ASSERT_EQ(indexed, expected) << text;
    indexed_seen += indexed.size();
  }
  EXPECT_GT(indexed_seen, 1000u);
}

const int64_t kDay0 = *ParseRfc3339("2026-11-20T00:00:00Z");
constexpr int kDays = 3, kPerDay = 3000, kBlockRows = 300;  // 10 blocks a day, 2 frames each
const std::string kHash = "5f1b2c3d4e5f60718293a4b5c6d7e8f9";

Event MakeEvent(const RawRecord& r) {
  Event ev;
  ev.original = r.data;
  ev.ingested_ns = r.received_ns;
  ev.timestamp_ns = r.received_ns;
  const size_t bar = r.data.find('|');
  ev.Add("host.name", r.data.substr(0, bar));
  ev.Add("message", r.data.substr(bar + 1));
  return ev;
}

// Row i of day d, and the tokens the test plants (the expectations come from here, not from the
// store): rowtoken<d>x<i> once each, `medium` in every 40th row (every block: common), needle_user in a
// few rows (two of them the last of a frame and the first of the next, one upper case), the hash
// twice, `frameedge` only in rows 255 and 256 of blocks.
std::string Line(int d, int i, std::map<std::string, uint64_t>* count) {
  std::string line = "web" + std::to_string(i % 7) + "|event rowtoken" + std::to_string(d) + "x" + std::to_string(i);
  (*count)["rowtoken" + std::to_string(d) + "x" + std::to_string(i)]++;
  auto plant = [&](const std::string& token, const std::string& key) {
    line += " " + token;
    (*count)[key]++;
  };
  if (i % 40 == 0) plant("medium", "medium");
  if ((d == 0 && (i == 5 || i == 255 || i == 256)) || (d == 2 && i == 2900)) plant("user=needle_user", "needle_user");
  if (d == 1 && i == 1700) plant("user=NEEDLE_USER", "needle_user");
  if ((d == 1 && i == 42) || (d == 2 && i == 1234)) plant("md5=" + kHash, kHash);
  if (i % kBlockRows == 255 || i % kBlockRows == 256) plant("frameedge", "frameedge");
  return line;
}

class TokenIndexStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kmt_token_index_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    opt_.dir = dir_.string();
    opt_.block_max_events = kBlockRows;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store_.reset();
    ASSERT_TRUE(Store::Open(opt_, MakeEvent, &store_).ok());
  }
  // Rows [from, to) of every day, sealed into blocks.
  void Write(int from, int to) {
    for (int d = 0; d < kDays; ++d) {
      std::vector<RawRecord> raws;
      std::vector<Event> evs;
      for (int i = from; i < to; ++i) {
        RawRecord r;
        r.received_ns = kDay0 + d * kNanosPerDay + int64_t{i} * kNanosPerSecond;
        r.data = Line(d, i, &count_);
        evs.push_back(MakeEvent(r));
        raws.push_back(std::move(r));
      }
      uint64_t expired = 0;
      ASSERT_TRUE(store_->Append(&evs, raws, &expired).ok());
    }
    ASSERT_TRUE(store_->FlushIdle(NowNanos(), 0).ok());
  }
  struct Answer {
    uint64_t matched = 0;
    std::vector<std::string> lines;
    uint64_t pruned_by_index = 0;
  };
  Answer Ask(const std::string& q, bool index, bool filters = true) {
    const query::Query parsed = std::get<query::Query>(query::Query::Parse(q));
    const query::QueryFilter f(parsed);
    ScanOptions so;
    so.limit = 10000;
    so.use_token_index = index;
    so.use_token_filters = filters;
    ScanResult r;
    Status s = store_->Scan(f, so, &r);
    EXPECT_TRUE(s.ok()) << s.ToString();
    Answer a{r.matched, {}, r.blocks_pruned_by_index};
    for (const auto& ev : r.events) a.lines.push_back(ev.original);
    return a;
  }
  // Every query answers the same three ways; single tokens match as the generator counted.
  // Returns the blocks the index pruned in all.
  uint64_t CheckAll() {
    std::vector<std::string> queries = {"needle_user", "NEEDLE_USER", "\"Needle_User\"", kHash, "frameedge",
                                        "medium", "medium AND needle_user", "needle_user OR rowtoken1x77",
                                        "NOT needle_user", "host.name:web3 AND frameedge", "absent_token_xyz",
                                        "needle_user AND NOT medium", "rowtoken2x2999 OR " + kHash, "user=needle_user"};
    std::mt19937 rng(3);
    for (int k = 0; k < 60; ++k) {  // present and absent row tokens
      queries.push_back("rowtoken" + std::to_string(rng() % (kDays + 2)) + "x" + std::to_string(rng() % kPerDay));
    }
    uint64_t pruned = 0;
    for (const auto& q : queries) {
      SCOPED_TRACE(q);
      const Answer with = Ask(q, true), without = Ask(q, false), unpruned = Ask(q, false, false);
      EXPECT_EQ(with.matched, unpruned.matched);
      EXPECT_EQ(without.matched, unpruned.matched);
      EXPECT_EQ(with.lines, unpruned.lines);
      EXPECT_EQ(without.lines, unpruned.lines);
      EXPECT_EQ(without.pruned_by_index, 0u);
      std::string key = q;
      for (char& c : key) c = AsciiLower(c);
      if (key.front() == '"') key = key.substr(1, key.size() - 2);
      if (q.find(' ') == std::string::npos && q.find('=') == std::string::npos) {
        auto it = count_.find(key);
        EXPECT_EQ(with.matched, it == count_.end() ? 0 : it->second);
      }
      pruned += with.pruned_by_index;
    }
    return pruned;
  }

  std::filesystem::path dir_;
  store::StoreOptions opt_;
  std::unique_ptr<Store> store_;
  std::map<std::string, uint64_t> count_;
};

}  // namespace

TEST_F(TokenIndexStore, AnswersAreTheSameWithAndWithoutTheIndex) {
  Open();
  Write(0, kPerDay);
  EXPECT_EQ(count_["needle_user"], 5u);
  EXPECT_GT(CheckAll(), 0u);
  // A rare token: the index leaves only its blocks (3 days x 10 blocks).
  EXPECT_GE(Ask(kHash, true).pruned_by_index, 27u);
  EXPECT_GE(Ask("absent_token_xyz", true).pruned_by_index, 30u);
  // After a restart, read from disk.
  Open();
  EXPECT_GE(Ask("needle_user", true).pruned_by_index, 25u);
  EXPECT_GT(CheckAll(), 0u);
}

// A store written before the index (days without one) answers through the blocks' filters; blocks
// added to those days later are indexed (the index covers them only) and answers stay the same.
TEST_F(TokenIndexStore, DaysWithoutAnIndexFallBackToTheFilters) {
  opt_.token_index = false;
  Open();
  Write(0, kPerDay / 2);
  EXPECT_EQ(CheckAll(), 0u);
  opt_.token_index = true;
  Open();
  EXPECT_EQ(CheckAll(), 0u);  // no day has an index yet
  Write(kPerDay / 2, kPerDay);
  EXPECT_GT(CheckAll(), 0u);
  const Answer hash = Ask(kHash, true);
  EXPECT_EQ(hash.matched, 2u);
  EXPECT_EQ(hash.pruned_by_index, 15u);  // the newer half: its two lines are in the older
}
