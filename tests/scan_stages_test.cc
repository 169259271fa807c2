// tests/scan_stages_test.cc (issue 24): the stages of a scan that have behaviour of their own,
// on their own: the plan (store/scan_plan.h) from real parsed queries, and the evaluate stage
// (store/scan_eval.h) over a real encoded and decoded block: frames skipped or settled, rows
// narrowed to candidates, the time range, and the dictionary memo giving the same hits while
// asking the filter once per distinct value. The RocksDB stages (prune, fetch, aggregate,
// materialise) are covered through Store::Scan by store_test, token_index_test and query_eval_test.
// Runs in well under a second.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "query/query.h"
#include "store/block.h"
#include "store/scan_eval.h"
#include "store/scan_plan.h"

using namespace kamatama;
using store::BlockEval;
using store::ScanOptions;
using store::ScanPlan;

namespace {

// A parsed query as a row filter that counts how often it is asked.
class CountingFilter final : public RowFilter {
 public:
  explicit CountingFilter(std::string_view text) : q_(std::get<query::Query>(query::Query::Parse(text))) {}
  bool MayMatch(const TokenFilter& has) const override { return q_.MayMatch(has); }
  BlockAnswer Answer(const TokenFilter& has) const override { return q_.Answer(has); }
  bool Matches(const FieldAccessor& row) const override {
    ++asked;
    return q_.Matches(row);
  }
  const std::vector<std::string>& ReferencedFields() const override { return q_.ReferencedFields(); }
  const std::vector<std::string>& RequiredText() const override { return q_.RequiredText(); }
  mutable std::atomic<int> asked{0};

 private:
  query::Query q_;
};

ScanPlan Plan(std::string_view q, const ScanOptions& so = {}, size_t blocks = 10) {
  CountingFilter f(q);
  return store::PlanScan(f, so, 4, blocks);
}

TEST(ScanPlan, TokenFiltersAreReadOnlyWhereTheyCanDecide) {
  // Free text: a block without the token has no match.
  ScanPlan p = Plan("zz_needle_user");
  EXPECT_EQ(p.token_free, BlockAnswer::kNone);
  EXPECT_TRUE(p.read_filters);
  EXPECT_FALSE(p.same_for_all);
  // A NOT of a term: a block without it matches whole, which spares evaluating its column.
  p = Plan("NOT event.dataset:audit");
  EXPECT_EQ(p.token_free, BlockAnswer::kAll);
  EXPECT_TRUE(p.read_filters);
  // An existence test: tokens decide nothing.
  p = Plan("_exists_:user.name");
  EXPECT_EQ(p.token_free, BlockAnswer::kSome);
  EXPECT_FALSE(p.read_filters);
  // Proving pruning changes nothing: filters off.
  ScanOptions off;
  off.use_token_filters = false;
  EXPECT_FALSE(Plan("zz_needle_user", off).read_filters);
}

TEST(ScanPlan, AFilterReadingNoColumnIsAskedOnce) {
  ScanPlan p = Plan("*");
  EXPECT_TRUE(p.same_for_all);
  EXPECT_TRUE(p.all_match);
  p = Plan("user.name:root");
  EXPECT_FALSE(p.same_for_all);
  EXPECT_FALSE(p.all_match);
}

TEST(ScanPlan, WhatTheCallerWantsAndHowManyThreads) {
  ScanOptions so;
  EXPECT_FALSE(Plan("x", so).count_only);
  EXPECT_EQ(Plan("x", so).threads, 4u);       // the store's default
  EXPECT_EQ(Plan("x", so, 3).threads, 3u);    // no more threads than blocks
  EXPECT_EQ(Plan("x", so, 0).threads, 1u);    // nothing stored: still one (the caller's)
  so.parallelism = 2;
  EXPECT_EQ(Plan("x", so).threads, 2u);
  so.limit = 0;
  EXPECT_TRUE(Plan("x", so).count_only);
  so.visit_worker = [](unsigned, const FieldAccessor&, int64_t) {};
  ScanPlan p = Plan("x", so);
  EXPECT_TRUE(p.visiting);
  EXPECT_FALSE(p.count_only);  // a visitor wants the hits even with limit 0
  ScanOptions exp;
  exp.visit_event = [](Event&&) { return true; };
  exp.parallelism = 4;
  p = Plan("x", exp);
  EXPECT_TRUE(p.whole_events);
  EXPECT_EQ(p.threads, 1u);  // an export keeps block order
}

// A block of 700 events: 3 frames (256, 256, 188 rows).
class EvaluateTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kN = 700;
  void SetUp() override {
    for (uint32_t i = 0; i < kN; ++i) {
      Event ev;
      ev.timestamp_ns = 1'000 + i;
      ev.original = "line " + std::to_string(i) + (i % 5 == 0 ? " root" : " alice");
      ev.Add("user.name", i % 5 == 0 ? "root" : "alice");     // dictionary
      ev.Add("event.outcome", i % 2 ? "success" : "failure");  // dictionary
      if (i % 3 == 0) ev.Add("note", "n" + std::to_string(i)); // plain, sparse
      evs_.push_back(std::move(ev));
    }
    std::vector<const Event*> ptrs;
    for (auto& e : evs_) ptrs.push_back(&e);
    store::EncodeBlock(1, ptrs, &blk_);
    ASSERT_TRUE(store::DecodeHeader(blk_.header_value, &h_).ok());
    ASSERT_EQ(h_.frames(), 3u);
    for (auto& [name, data] : blk_.columns) {
      ASSERT_TRUE(store::DecodeColumn(data, kN, nullptr, &cols_[name]).ok()) << name;
    }
  }
  store::BlockRow Row(std::initializer_list<const char*> names) {
    store::BlockRow row;
    for (const char* n : names) row.cols.emplace_back(cols_.find(n)->first, &cols_.find(n)->second);
    return row;
  }
  BlockEval In() const {
    BlockEval in;
    in.count = kN;
    in.frame_rows = h_.frame_rows;
    return in;
  }
  std::vector<uint32_t> Expected(std::string_view q, uint32_t begin = 0, uint32_t end = kN) {
    auto parsed = std::get<query::Query>(query::Query::Parse(q));
    std::vector<uint32_t> out;
    for (uint32_t i = begin; i < end; ++i) {
      if (parsed.Matches(EventAccessor(evs_[i]))) out.push_back(i);
    }
    return out;
  }
  std::vector<Event> evs_;
  store::EncodedBlock blk_;
  store::BlockHeader h_;
  std::map<std::string, store::DecodedColumn> cols_;
};

TEST_F(EvaluateTest, EveryRowAskedGivesTheFiltersAnswer) {
  CountingFilter f("user.name:root AND note:*");
  store::BlockRow row = Row({"user.name", "note"});
  store::DictMemo memo;
  std::vector<uint32_t> hits;
  EXPECT_EQ(store::EvaluateBlock(f, In(), row, memo, &hits), kN);
  EXPECT_EQ(hits, Expected("user.name:root AND note:*"));
  EXPECT_EQ(f.asked, static_cast<int>(kN));  // a plain column: no memo
}

TEST_F(EvaluateTest, DictionaryMemoAsksOncePerCombination) {
  CountingFilter f("user.name:root AND event.outcome:failure");
  store::BlockRow row = Row({"user.name", "event.outcome"});
  store::DictMemo memo;
  std::vector<uint32_t> hits;
  store::EvaluateBlock(f, In(), row, memo, &hits);
  EXPECT_EQ(hits, Expected("user.name:root AND event.outcome:failure"));
  EXPECT_FALSE(hits.empty());
  EXPECT_EQ(f.asked, 4);  // 2 users x 2 outcomes
}

TEST_F(EvaluateTest, FramesSkippedOrSettled) {
  CountingFilter f("user.name:root");
  store::BlockRow row = Row({"user.name"});
  store::DictMemo memo;
  std::vector<uint8_t> frames = {store::kMaybe, store::kPruned, store::kSettledAll};
  BlockEval in = In();
  in.frames = &frames;
  std::vector<uint32_t> hits;
  // Frame 1 is neither scanned nor asked; every row of frame 2 is a hit unasked.
  EXPECT_EQ(store::EvaluateBlock(f, in, row, memo, &hits), 256u + 188u);
  std::vector<uint32_t> want = Expected("user.name:root", 0, 256);
  for (uint32_t i = 512; i < kN; ++i) want.push_back(i);
  EXPECT_EQ(hits, want);
}

TEST_F(EvaluateTest, OnlyCandidateRowsAndRowsInRangeAreAsked) {
  CountingFilter f("user.name:root");
  store::BlockRow row = Row({"user.name"});
  store::DictMemo memo;
  std::vector<uint32_t> cand = {0, 1, 5, 300, 305, 650};
  std::vector<int64_t> ts;
  for (const auto& e : evs_) ts.push_back(e.timestamp_ns);
  BlockEval in = In();
  in.cand_rows = &cand;
  in.ts = &ts;
  in.from_ns = 1'000 + 5;    // row 5 on
  in.to_ns = 1'000 + 651;    // up to row 650
  std::vector<uint32_t> hits;
  EXPECT_EQ(store::EvaluateBlock(f, in, row, memo, &hits), 646u);  // rows 5..650 in range
  EXPECT_EQ(hits, (std::vector<uint32_t>{5, 300, 305, 650}));
  EXPECT_EQ(f.asked, 4);  // rows 0 and 1 are out of range: not asked
}

TEST_F(EvaluateTest, AFilterWithoutColumnsIsNotAskedPerRow) {
  CountingFilter f("*");
  store::BlockRow row;
  store::DictMemo memo;
  BlockEval in = In();
  in.same_for_all = true;
  in.all_match = true;
  std::vector<uint32_t> hits;
  EXPECT_EQ(store::EvaluateBlock(f, in, row, memo, &hits), kN);
  EXPECT_EQ(hits.size(), kN);
  EXPECT_EQ(f.asked, 0);
  in.all_match = false;
  store::EvaluateBlock(f, in, row, memo, &hits);
  EXPECT_TRUE(hits.empty());
}

}  // namespace
