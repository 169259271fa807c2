// tests/clickhouse_sql_test.cc: the SQL that clickhouse/ produces, checked as text (what a
// reviewer can read against ClickHouse's documentation); tests/clickhouse_integration_test.cc
// runs the same translations on a real cluster and compares their answers with the RocksDB
// store's.
#include <gtest/gtest.h>

#include <variant>

#include "clickhouse/options.h"
#include "clickhouse/schema.h"
#include "clickhouse/search.h"
#include "clickhouse/sql.h"
#include "clickhouse/writer.h"
#include "query/query.h"

using namespace kamatama;

namespace {

std::string Where(const std::string& text) {
  auto parsed = query::Query::Parse(text);
  EXPECT_TRUE(std::holds_alternative<query::Query>(parsed)) << text;
  std::string sql;
  Status s = clickhouse::WhereSql(std::get<query::Query>(parsed), &sql);
  EXPECT_TRUE(s.ok()) << text << ": " << s.ToString();
  return sql;
}

Status WhereStatus(const std::string& text) {
  std::string sql;
  return clickhouse::WhereSql(std::get<query::Query>(query::Query::Parse(text)), &sql);
}

}  // namespace

TEST(ClickHouseSql, StringLiteralsEscapeQuotesBackslashesAndBytes) {
  EXPECT_EQ(clickhouse::SqlString("a'b\\c"), R"('a\'b\\c')");
  EXPECT_EQ(clickhouse::SqlString(std::string("x\0y\n\xC3\xA9", 6)), R"('x\x00y\x0A\xC3\xA9')");
  // A value trying to close the literal stays inside it.
  EXPECT_EQ(clickhouse::SqlString("') OR 1=1 --"), R"('\') OR 1=1 --')");
}

TEST(ClickHouseSql, FreeTextIsASubstringAndEveryTokenBounded) {
  // A compound token: '.'/'-' may run on around it, but no other token byte.
  const std::string ip = Where("10.1.2.3");
  EXPECT_EQ(ip.rfind("(positionCaseInsensitive(event_original, '10.1.2.3') > 0 AND match(lower(event_original), "
                     R"('(^|[\\x00-\\x2c\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f])[.\\-]*10\\.1\\.2\\.3[.\\-]*()", 0),
            0u)
      << ip;
  // The words inside it need no test of their own (the compound being a token, they are).
  EXPECT_EQ(ip.find("match(", ip.find("match(") + 1), std::string::npos) << ip;
  // A word is bounded by any non-word byte.
  EXPECT_NE(Where("sshd").find(R"x('(^|[\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f])sshd([\\x00-\\x2f)x"),
            std::string::npos);
  const std::string sql = Where("\"Failed password\"");
  EXPECT_NE(sql.find("positionCaseInsensitive(event_original, 'Failed password') > 0"), std::string::npos) << sql;
  EXPECT_NE(sql.find(R"(\\x7f])failed([)"), std::string::npos) << sql;
  EXPECT_NE(sql.find(R"(\\x7f])password([)"), std::string::npos) << sql;
}

TEST(ClickHouseSql, ColumnFieldsAndArrayFields) {
  EXPECT_EQ(Where("host.name:Web1"),
            "((notEmpty(host_name) OR has(kv_keys, 'host.name')) AND (lower(if(notEmpty(host_name), host_name, "
            "kv_values[indexOf(kv_keys, 'host.name')])) = 'web1'))");
  EXPECT_EQ(Where("custom.tag:Blue"),
            "(has(kv_keys, 'custom.tag') AND (lower(kv_values[indexOf(kv_keys, 'custom.tag')]) = 'blue'))");
  EXPECT_EQ(Where("custom.tag:*"), "has(kv_keys, 'custom.tag')");
  EXPECT_EQ(Where("custom.tag:bl*_e%"),
            R"((has(kv_keys, 'custom.tag') AND lower(kv_values[indexOf(kv_keys, 'custom.tag')]) LIKE 'bl%\\_e\\%'))");
}

TEST(ClickHouseSql, BooleansNestAsWritten) {
  const std::string sql = Where("NOT (custom.a:x OR custom.b:y) custom.c:z");
  EXPECT_EQ(sql.rfind("(NOT (", 0), 0u) << sql;
  EXPECT_NE(sql.find(" OR "), std::string::npos) << sql;
  EXPECT_NE(sql.find(") AND ("), std::string::npos) << sql;
}

TEST(ClickHouseSql, CidrRangesAndRegexes) {
  EXPECT_EQ(Where("custom.ip:10.0.0.0/8"),
            "(has(kv_keys, 'custom.ip') AND IPv4NumToString(IPv4StringToNum(kv_values[indexOf(kv_keys, 'custom.ip')])) = "
            "kv_values[indexOf(kv_keys, 'custom.ip')] AND bitAnd(IPv4StringToNum(kv_values[indexOf(kv_keys, "
            "'custom.ip')]), 4278190080) = 167772160)");
  EXPECT_NE(Where("custom.n:[10 TO 20}").find("toInt64OrZero(kv_values[indexOf(kv_keys, 'custom.n')]) >= 10 AND "
                                               "toInt64OrZero(kv_values[indexOf(kv_keys, 'custom.n')]) < 20"),
            std::string::npos);
  EXPECT_EQ(Where("custom.x:/ab+c/"),
            "(has(kv_keys, 'custom.x') AND match(kv_values[indexOf(kv_keys, 'custom.x')], '^(?:ab+c)$'))");
  EXPECT_EQ(Where("/ab+c/"), "match(event_original, 'ab+c')");
}

TEST(ClickHouseSql, TimestampBoundsBecomeTsAndTsNs) {
  EXPECT_EQ(Where("@timestamp:[2026-01-02T00:00:00Z TO 2026-01-03T00:00:00Z} custom.a:x")
                .rfind("(ts >= toDateTime(1767312000) AND ts_ns >= 1767312000000000000 AND ts <= toDateTime(1767398400) "
                       "AND ts_ns < 1767398400000000000) AND (1 AND (has(kv_keys, 'custom.a')",
                       0),
            0u);
  EXPECT_EQ(Where("*"), "1");
}

TEST(ClickHouseSql, WhatIsNotTranslatedSaysSo) {
  const Status s = WhereStatus("event.ingested:>2026-01-01T00:00:00Z");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("time ranges on event.ingested"), std::string::npos) << s.ToString();
}

TEST(ClickHouseSql, Ipv6NetworksAreByteRangesOfTheParsedAddress) {
  const std::string sql = Where("custom.ip:2001:db8:8000::/33");
  // The address must parse (IPv6StringToNum answers :: for what it refuses), then lie between
  // the network's first and last address.
  EXPECT_NE(sql.find("position(kv_values[indexOf(kv_keys, 'custom.ip')], ':') > 0"), std::string::npos) << sql;
  EXPECT_NE(sql.find("BETWEEN toFixedString(' \\x01\\x0D\\xB8\\x80\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00', 16) "
                     "AND toFixedString(' \\x01\\x0D\\xB8\\xFF\\xFF\\xFF\\xFF\\xFF\\xFF\\xFF\\xFF\\xFF\\xFF\\xFF\\xFF', 16)"),
            std::string::npos)
      << sql;
}

namespace {

struct FixedList final : query::ValueList {
  bool has_contents = true;
  Contents contents;
  bool Contains(std::string_view) const override { return false; }
  bool GetContents(Contents* out) const override {
    if (has_contents) *out = contents;
    return has_contents;
  }
};
struct OneList final : query::ListResolver {
  std::shared_ptr<FixedList> list = std::make_shared<FixedList>();
  std::shared_ptr<const query::ValueList> Find(std::string_view name) const override { return name == "l" ? list : nullptr; }
};

Status ListWhere(const OneList& lists, std::string* sql) {
  query::ParseSettings settings;
  settings.lists = &lists;
  return clickhouse::WhereSql(std::get<query::Query>(query::Query::Parse("source.ip:@l", settings)), sql);
}

}  // namespace

TEST(ClickHouseSql, ListsBecomeInSetsWithNetworksAsWholeBytePrefixes) {
  OneList lists;
  query::ValueList::Contents::Network n;
  query::ParseIpAddress("10.1.16.0", &n.ip);
  n.prefix_len = 20;  // ::ffff:10.1.16.0/116: 16 prefixes of 15 bytes (10.1.16 .. 10.1.31)
  lists.list->contents.networks = {n};
  lists.list->contents.texts = {"evil.example"};
  lists.list->contents.domains = {"evil.example"};
  std::string sql;
  ASSERT_TRUE(ListWhere(lists, &sql).ok());
  EXPECT_NE(sql.find(", 1, 15) IN ('\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xFF\\xFF\\x0A\\x01\\x10', "),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("\\x0A\\x01\\x1F')"), std::string::npos) << sql;
  EXPECT_NE(sql.find(") IN ('evil.example')"), std::string::npos) << sql;
  EXPECT_NE(sql.find("arrayExists(s -> s IN ('evil.example'), "), std::string::npos) << sql;
  // Too many values for one statement, or a list that cannot list its values: refused, named.
  n.prefix_len = 9;  // 128 prefixes each
  lists.list->contents.networks.assign(2000, n);
  Status s = ListWhere(lists, &sql);
  EXPECT_NE(s.message().find("the list @l is too large"), std::string::npos) << s.ToString();
  lists.list->has_contents = false;
  s = ListWhere(lists, &sql);
  EXPECT_NE(s.message().find("the list @l cannot be translated"), std::string::npos) << s.ToString();
}

TEST(ClickHouseSchema, StatementsAreIdempotentAndOnTheCluster) {
  clickhouse::ClickHouseOptions o;
  o.cluster = "c1";
  o.database = "db1";
  const auto sql = clickhouse::SchemaStatements(o);
  ASSERT_EQ(sql.size(), 5u);
  for (const std::string& s : sql) {
    EXPECT_NE(s.find("IF NOT EXISTS db1."), s.find("CREATE DATABASE")) << s;
    EXPECT_NE(s.find(" ON CLUSTER c1"), std::string::npos) << s;
  }
  EXPECT_NE(sql[1].find("ReplicatedMergeTree('/clickhouse/tables/{shard}/db1/events_local', '{replica}') PARTITION BY "
                        "toYYYYMMDD(ts) ORDER BY (toStartOfHour(ts), host_name, ts_ns)"),
            std::string::npos);
  EXPECT_NE(sql[2].find("Distributed(c1, db1, events_local, cityHash64(node, seq))"), std::string::npos);
}

TEST(ClickHouseOptions, ValidateRefusesWhatWouldBreakTheSql) {
  clickhouse::ClickHouseOptions o;
  o.urls = {"http://127.0.0.1:8123"};
  o.cluster = "kmt";
  EXPECT_TRUE(clickhouse::Validate(o, "c").ok());
  o.cluster = "kmt; DROP";
  EXPECT_FALSE(clickhouse::Validate(o, "c").ok());
  o.cluster = "kmt";
  o.urls = {"ftp://x"};
  EXPECT_FALSE(clickhouse::Validate(o, "c").ok());
  o.urls = {"http://u:p@x"};
  EXPECT_FALSE(clickhouse::Validate(o, "c").ok());
  o.urls.clear();
  EXPECT_FALSE(clickhouse::Validate(o, "c").ok());
}

TEST(ClickHouseWriter, RowsAreTheSameBytesForTheSameBatchAndEscaped) {
  std::vector<Event> evs(2);
  evs[0].timestamp_ns = 1'767'312'000'123'456'789;
  evs[0].original = "a\tb'c\\d\ne";
  evs[0].Add("host.name", "h1");
  evs[0].Add("custom.k", "v'1");
  evs[0].Add("user.name", "");
  evs[1] = evs[0];
  clickhouse::Batch b{"node1", 41, &evs};
  const std::string rows = clickhouse::EventRows(b);
  EXPECT_EQ(rows, clickhouse::EventRows(b));
  const std::string first = rows.substr(0, rows.find('\n') + 1);
  EXPECT_EQ(first.rfind("1767312000\t1767312000123456789\t0\tnode1\t41\ta\\tb\\'c\\\\d\\ne\th1\t", 0), 0u) << first;
  EXPECT_NE(first.find("\t['custom.k','user.name']\t['v\\'1','']\n"), std::string::npos) << first;
  EXPECT_NE(rows.find("\tnode1\t42\t"), std::string::npos);  // the second event: its own seq
  EXPECT_NE(clickhouse::TokenRows(b).find("a\t1767312000\t1767312000123456789\tnode1\t41\n"), std::string::npos);
}

// Answers read back (issue 26, clickhouse/search.h): TabSeparated values and Array(String) as
// ClickHouse writes them (quotes, backslashes, tabs, line breaks and bytes escaped).
TEST(ClickHouseSearch, TabSeparatedValuesAndArraysReadBack) {
  EXPECT_EQ(clickhouse::UnescapeTsv("a\\tb\\nc\\\\d\\'e\\0f\\x41"), std::string("a\tb\nc\\d'e\0fA", 12));
  EXPECT_EQ(clickhouse::UnescapeTsv("plain text"), "plain text");
  std::vector<std::string> items;
  ASSERT_TRUE(clickhouse::ParseStringArray("[]", &items));
  EXPECT_TRUE(items.empty());
  ASSERT_TRUE(clickhouse::ParseStringArray("['a','b\\'c','','x,y]','t\\tn\\n\\\\']", &items));
  EXPECT_EQ(items, (std::vector<std::string>{"a", "b'c", "", "x,y]", "t\tn\n\\"}));
  EXPECT_FALSE(clickhouse::ParseStringArray("['a'", &items));
  EXPECT_FALSE(clickhouse::ParseStringArray("['a' 'b']", &items));
  EXPECT_FALSE(clickhouse::ParseStringArray("a", &items));
}

// Hunts (issue 26): the node decides on what comes back, so the SQL may only widen. A regex that
// folds case is not trusted to 18.16's match() (it looks for the literal part without folding:
// match('xFOOx', '(?i)foo') is 0 there); what is not translated widens to true.
TEST(ClickHouseSql, SupersetWidensWhatIsNotExactOnly) {
  auto superset = [](const std::string& text) {
    return clickhouse::SupersetSql(std::get<query::Query>(query::Query::Parse(text)));
  };
  for (const char* exact : {"user.name:root AND NOT host.name:web*", "process.command_line:/(?s)a\\.b.*/", "x:/(?-i)a/"})
    EXPECT_EQ(superset(exact), Where(exact)) << exact;
  const std::string folded = superset("process.command_line:/(?i)foo\\.exe/");
  EXPECT_EQ(folded, "(notEmpty(process_command_line) OR has(kv_keys, 'process.command_line'))");
  EXPECT_EQ(superset("x:/(?is)a/ OR y:/(?i:b)/"), "(has(kv_keys, 'x') OR has(kv_keys, 'y'))");
  EXPECT_EQ(superset("user.name:root AND NOT x:/(?i)a/"), "(" + Where("user.name:root") + " AND NOT 0)");
  EXPECT_EQ(superset("/(?i)free text/"), "1");
  // Not translated: true, and false under NOT (so that NOT widens too).
  EXPECT_FALSE(WhereStatus("event.ingested:>2026-01-01T00:00:00Z").ok());
  EXPECT_EQ(superset("event.ingested:>2026-01-01T00:00:00Z AND user.name:root"), "(1 AND " + Where("user.name:root") + ")");
  EXPECT_EQ(superset("NOT event.ingested:>2026-01-01T00:00:00Z"), "NOT 0");
}
