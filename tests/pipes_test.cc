// tests/pipes_test.cc: the pipe language (stats, top, rare, timechart, sort, head, fields, where).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "core/time.h"
#include "query/pipes.h"

using namespace kamatama;
using namespace kamatama::query;

namespace {
Pipeline P(std::string_view text) {
  auto r = ParsePipeline(text);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << text << ": " << e->message << " at " << e->position;
    return {};
  }
  return std::get<Pipeline>(r);
}
ParseError E(std::string_view text) {
  auto r = ParsePipeline(text);
  EXPECT_TRUE(std::holds_alternative<ParseError>(r)) << text;
  return std::holds_alternative<ParseError>(r) ? std::get<ParseError>(r) : ParseError{};
}

std::vector<Event> Sample() {
  // host, user, bytes
  const char* rows[][3] = {{"web1", "alice", "100"}, {"web1", "bob", "300"}, {"web2", "alice", "50"},
                           {"web1", "alice", "25"},  {"db1", "carol", "7"},  {"web2", "dave", "1000"}};
  std::vector<Event> evs;
  int64_t t0 = *ParseRfc3339("2026-11-26T10:00:00Z");
  int i = 0;
  for (auto& r : rows) {
    Event ev;
    ev.timestamp_ns = t0 + i++ * 20 * 60 * kNanosPerSecond;  // every 20 minutes
    ev.Add("host.name", r[0]);
    ev.Add("user.name", r[1]);
    ev.Add("destination.bytes", r[2]);
    evs.push_back(ev);
  }
  return evs;
}

Table RunPipe(std::string_view text) {
  Pipeline p = P(text);
  EXPECT_TRUE(p.Aggregates());
  Aggregator agg(p.stages[0], 1000);
  for (const auto& ev : Sample()) agg.Add(EventAccessor(ev), ev.timestamp_ns);
  Table t = agg.Finish();
  EXPECT_TRUE(ApplyStages(p.stages, 1, &t).ok());
  return t;
}
}  // namespace

TEST(Pipes, SplitRespectsQuotesRegexAndOr) {
  Pipeline p = P(R"(message:"a | b" OR x || y /c\|d/ | head 5)");
  EXPECT_EQ(p.filter, R"(message:"a | b" OR x || y /c\|d/ )");
  ASSERT_EQ(p.stages.size(), 1u);
  EXPECT_EQ(p.stages[0].kind, StageKind::kHead);
  EXPECT_EQ(p.stages[0].n, 5u);
  EXPECT_TRUE(P("sshd").stages.empty());
  EXPECT_TRUE(P("-/a|b/ !/c|d/").stages.empty());  // negated regexes keep their '|'
  Pipeline q = P("path:/usr/bin | head 1");          // an unclosed '/' is an ordinary byte
  EXPECT_EQ(q.filter, "path:/usr/bin ");
  EXPECT_EQ(q.stages.size(), 1u);
}

TEST(Pipes, StatsByWithAllAggregations) {
  Table t = RunPipe("* | stats count(), dc(user.name), sum(destination.bytes), avg(destination.bytes), "
                "min(destination.bytes), max(destination.bytes) as biggest by host.name");
  ASSERT_EQ(t.columns, (std::vector<std::string>{"host.name", "count", "dc(user.name)", "sum(destination.bytes)",
                                                 "avg(destination.bytes)", "min(destination.bytes)", "biggest"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"db1", "1", "1", "7", "7", "7", "7"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"web1", "3", "2", "425", "141.667", "25", "300"}));
  EXPECT_EQ(t.rows[2], (std::vector<std::string>{"web2", "2", "2", "1050", "525", "50", "1000"}));
}

// min/max of values that are not numbers: byte order, empty values left out whatever their
// order (an empty value used to reset the minimum, so the value after it won).
TEST(Pipes, MinAndMaxOfTextIgnoreEmptyValues) {
  Pipeline p = P("* | stats min(user.name), max(user.name), min(user.id)");
  for (const std::vector<std::string>& order : {std::vector<std::string>{"bob", "Alice", "", "alice"},
                                                std::vector<std::string>{"", "alice", "Alice", "bob"}}) {
    Aggregator agg(p.stages[0], 10);
    for (const std::string& name : order) {
      Event ev;
      ev.Add("user.name", name);
      ev.Add("user.id", "");
      agg.Add(EventAccessor(ev), 0);
    }
    Table t = agg.Finish();
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(t.rows[0], (std::vector<std::string>{"Alice", "bob", ""}));
  }
}

// dc() over many values and through the merge of per-thread aggregators: against a reference
// set, with values shared between the aggregators, an empty value, and the per-group cap.
TEST(Pipes, DistinctCountsAreExactAcrossMergedAggregators) {
  Pipeline p = P("* | stats dc(source.ip), count() by host.name");
  std::vector<std::unique_ptr<Aggregator>> parts;
  for (int w = 0; w < 3; ++w) parts.push_back(std::make_unique<Aggregator>(p.stages[0], 1000));
  std::map<std::string, std::set<std::string>> want;
  std::map<std::string, int> rows;
  std::mt19937 rng(5);
  for (int i = 0; i < 60000; ++i) {
    Event ev;
    const std::string host = fmt::format("h{}", rng() % 7);
    // host h0 sees few values (many repeats), the others up to 20,000 each; "" is a value too.
    const uint32_t n = host == "h0" ? 3 : 20000;
    const uint32_t x = rng() % n;
    const std::string ip = x == 0 ? "" : fmt::format("10.{}.{}.{}", x >> 16, (x >> 8) & 255, x & 255);
    ev.Add("host.name", host);
    ev.Add("source.ip", ip);
    want[host].insert(ip);
    ++rows[host];
    parts[rng() % parts.size()]->Add(EventAccessor(ev), 0);
  }
  for (size_t w = 1; w < parts.size(); ++w) parts[0]->Merge(std::move(*parts[w]));
  Table t = parts[0]->Finish();
  ASSERT_EQ(t.rows.size(), want.size());
  for (const auto& row : t.rows) {
    EXPECT_EQ(row[1], std::to_string(want[row[0]].size())) << row[0];
    EXPECT_EQ(row[2], std::to_string(rows[row[0]])) << row[0];
  }

  // A group stops counting at a million distinct values.
  Aggregator big(p.stages[0], 10);
  Event ev;
  ev.Add("host.name", "h");
  ev.Add("source.ip", "");
  for (int i = 0; i < 1'000'100; ++i) {
    ev.fields.back().second = std::to_string(i);
    big.Add(EventAccessor(ev), 0);
  }
  Table capped = big.Finish();
  ASSERT_EQ(capped.rows.size(), 1u);
  EXPECT_EQ(capped.rows[0][1], "1000000");
  EXPECT_EQ(capped.rows[0][2], "1000100");
}

TEST(Pipes, SortHeadWhereFields) {
  Table t = RunPipe("* | stats count() by host.name | sort -count, host.name | head 2");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0], "web1");
  EXPECT_EQ(t.rows[1][0], "web2");
  t = RunPipe("* | stats sum(destination.bytes) as b by user.name | where b > 99 | fields user.name");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"user.name"}));
  ASSERT_EQ(t.rows.size(), 3u);  // alice 175, bob 300, dave 1000 (numeric, not string, comparison)
  EXPECT_EQ(t.rows[0][0], "alice");
  EXPECT_EQ(t.rows[2][0], "dave");
}

TEST(Pipes, TopAndRare) {
  Table t = RunPipe("* | top 1 user.name");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"alice", "3", "50.00"}));
  t = RunPipe("* | rare 2 host.name");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0], "db1");
  EXPECT_EQ(t.rows[0][1], "1");
}

// top and rare pick their N groups without turning every group into a row: the answer equals the
// whole table ranked the way it was before (count, then the row's cells as strings, a value that
// is a prefix of another first), for every N, over values with many equal counts.
TEST(Pipes, TopAndRareRankAsTheWholeTableWould) {
  const std::vector<std::string> pool = {"a", "a b", "ab", std::string("a\x01", 2), "B", "\xc3\xa9t\xc3\xa9", "10", "9",
                                         "zz", "a bc", "\xff"};
  std::mt19937 rng(7);
  std::vector<Event> evs;
  for (int i = 0; i < 600; ++i) {
    Event ev;
    ev.timestamp_ns = i;
    // Few distinct counts, so that ties decide most places; every 7th event has no value.
    if (i % 7) ev.Set("f", pool[rng() % pool.size()]);
    evs.push_back(ev);
  }
  auto run = [&](std::string_view text) {
    Pipeline p = P(text);
    Aggregator agg(p.stages[0], 1000);
    for (const auto& ev : evs) agg.Add(EventAccessor(ev), ev.timestamp_ns);
    return agg.Finish();
  };
  // The whole table, from the counts of stats (its "" row: the events without the field, which
  // top and rare leave out).
  Table all = run("* | stats count() by f");
  std::erase_if(all.rows, [](const auto& r) { return r[0].empty(); });
  double total = 0;
  for (const auto& r : all.rows) total += std::stod(r[1]);
  for (auto& r : all.rows) r.push_back(fmt::format("{:.2f}", 100.0 * std::stod(r[1]) / total));
  for (bool top : {true, false}) {
    std::vector<std::vector<std::string>> want = all.rows;
    std::stable_sort(want.begin(), want.end(), [&](const auto& a, const auto& b) {
      const double x = std::stod(a[1]), y = std::stod(b[1]);
      if (x != y) return top ? x > y : x < y;
      return a < b;
    });
    for (size_t n : {size_t{1}, size_t{3}, size_t{5}, size_t{100}}) {
      Table t = run(fmt::format("* | {} {} f", top ? "top" : "rare", n));
      auto cut = want;
      if (cut.size() > n) cut.resize(n);
      EXPECT_EQ(t.rows, cut) << (top ? "top " : "rare ") << n;
    }
  }
}

// One block's rows of a plain column, for AddBatch.
class PlainBatch final : public RowBatch {
 public:
  explicit PlainBatch(std::vector<std::string> values) : strings_(std::move(values)) {
    for (uint32_t r = 0; r < strings_.size(); ++r) rows_.push_back(r);
    for (const auto& v : strings_) views_.push_back(v);
    present_.assign(strings_.size(), 1);
  }
  const std::vector<uint32_t>& Rows() const override { return rows_; }
  int64_t Timestamp(uint32_t) const override { return 0; }
  ColumnView Column(std::string_view name) const override {
    ColumnView c;
    if (name == "f") {
      c.present = &present_;
      c.values = &views_;
    }
    return c;
  }
  const FieldAccessor& At(uint32_t) const override {
    ADD_FAILURE() << "a count by one plain column is not read row by row";
    static const Event none;
    static const EventAccessor row(none);
    return row;
  }

 private:
  std::vector<std::string> strings_;
  std::vector<uint32_t> rows_;
  std::vector<std::string_view> views_;
  std::vector<uint8_t> present_;
};

// A value counted from a batch (a plain column, its key written into the prefetch ring) and row
// by row (the key built from the row) is one group, whatever its length (every tail of the
// eight-byte words the group hash reads), within one aggregator and across merged ones.
TEST(Pipes, AValueCountedInBatchesAndRowByRowIsOneGroup) {
  std::vector<std::string> values;
  for (size_t n = 0; n <= 25; ++n) values.push_back(std::string(n, static_cast<char>('a' + n % 26)));
  values.push_back("10.0.124.175");
  const Pipeline p = P("* | stats count() by f");
  Aggregator one(p.stages[0], 1000), other(p.stages[0], 1000);
  for (const auto& v : values) {
    Event ev;
    ev.Add("f", v);
    one.Add(EventAccessor(ev), 0);
  }
  one.AddBatch(PlainBatch(values));
  other.AddBatch(PlainBatch(values));
  one.Merge(std::move(other));
  Table t = one.Finish();
  ASSERT_EQ(t.rows.size(), values.size());
  for (const auto& r : t.rows) EXPECT_EQ(r[1], "3") << "'" << r[0] << "'";
}

// A full group table (the cap) keeps the first groups in row order and goes on counting them
// exactly: the bitset that turns other keys away before they probe the table never refuses a
// key it holds. Batches of plain values (blocks) and rows one by one, over many keys.
TEST(Pipes, AFullGroupTableKeepsTheFirstGroupsAndCountsThemExactly) {
  const Pipeline p = P("* | stats count() by f");
  const size_t cap = 3000;
  Aggregator agg(p.stages[0], cap);
  std::mt19937 rng(11);
  std::vector<std::string> order;  // distinct values, first seen first
  std::map<std::string, int> count;
  for (int block = 0; block < 40; ++block) {
    std::vector<std::string> values;
    for (int i = 0; i < 2048; ++i) {
      // a few hot values among up to 60,000 others
      const uint32_t x = rng() % 8 == 0 ? rng() % 10 : rng() % 60000;
      values.push_back(fmt::format("10.{}.{}.{}", x >> 16, (x >> 8) & 255, x & 255));
    }
    for (const auto& v : values) {
      if (count[v]++ == 0) order.push_back(v);
    }
    if (block % 4 != 3) {
      agg.AddBatch(PlainBatch(values));
      continue;
    }
    for (const auto& v : values) {
      Event ev;
      ev.Add("f", v);
      agg.Add(EventAccessor(ev), 0);
    }
  }
  ASSERT_GT(order.size(), cap);
  EXPECT_FALSE(agg.complete());
  Table t = agg.Finish();
  ASSERT_EQ(t.rows.size(), cap);
  std::map<std::string, std::string> got;
  for (const auto& r : t.rows) got[r[0]] = r[1];
  for (size_t i = 0; i < cap; ++i) EXPECT_EQ(got[order[i]], std::to_string(count[order[i]])) << order[i];
}

TEST(Pipes, TimechartBuckets) {
  Table t = RunPipe("* | timechart span=1h count() by host.name");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"_time", "host.name", "count"}));
  // 10:00 web1,web1,web2 ; 11:00 web1,db1,web2
  ASSERT_EQ(t.rows.size(), 5u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"2026-11-26T10:00:00.000Z", "web1", "2"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"2026-11-26T10:00:00.000Z", "web2", "1"}));
  EXPECT_EQ(t.rows[2][0], "2026-11-26T11:00:00.000Z");
}

TEST(Pipes, GroupLimitMarksIncomplete) {
  Pipeline p = P("* | stats count() by user.name");
  Aggregator agg(p.stages[0], 2);
  for (const auto& ev : Sample()) agg.Add(EventAccessor(ev), ev.timestamp_ns);
  EXPECT_FALSE(agg.complete());
  EXPECT_EQ(agg.Finish().rows.size(), 2u);
}

TEST(Pipes, ErrorsHavePositions) {
  EXPECT_EQ(E("x | bogus").position, 4u);
  EXPECT_EQ(E("x | stats cnt()").position, 10u);
  EXPECT_EQ(E("x | stats count(").position, 16u);
  EXPECT_EQ(E("x | head ten").position, 9u);
  EXPECT_EQ(E("x | timechart span=5x count()").position, 19u);
  EXPECT_EQ(E("x | where a ~ 3").position, 12u);
  EXPECT_EQ(E("x | sort").position, 8u);
  EXPECT_EQ(E("x | head 3 | timechart count()").position, 13u);
  EXPECT_EQ(E("x | stats count() extra").position, 18u);
  // Not a word where a pipe command goes: the text is named, at its position.
  ParseError tag = E("x |  <script>alert(1)</script>");
  EXPECT_EQ(tag.position, 5u);
  EXPECT_EQ(tag.message, "unexpected '<script>alert(1)</sc'");  // 20 bytes
  ParseError none = E("x |   ");
  EXPECT_EQ(none.message, "missing pipe command after '|'");
  EXPECT_EQ(none.position, 6u);
  EXPECT_EQ(E("x | head 3 |").message, "missing pipe command after '|'");
}
