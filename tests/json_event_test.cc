// tests/json_event_test.cc
//! ParseJsonEvent: flattening, value forms, timestamps, NXLog and Suricata objects from the
//! corpus, invalid and hostile input; ParseRecord on JSON lines.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "parser_test_util.h"
#include "parsers/json_event.h"
#include "parsers/parse.h"

namespace kamatama {
namespace {

using test_util::F;
using test_util::kRecv;
using test_util::T;

struct Parsed {
  bool ok;
  Event ev;
  std::string error;
};

Parsed J(std::string_view line) {
  Parsed p;
  p.ok = ParseJsonEvent(line, kRecv, &p.ev, &p.error);
  return p;
}

std::vector<std::string> Names(const Event& ev) {
  std::vector<std::string> out;
  for (const auto& f : ev.fields) out.push_back(f.first);
  return out;
}

TEST(JsonEvent, FlattensNestedObjects) {
  auto [ok, ev, err] = J(R"({"host":{"name":"a","os":{"family":"linux"}},"message":"hi","x.y":"dotted","e":{}})");
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(Names(ev), (std::vector<std::string>{"host.name", "host.os.family", "message", "x.y"}));
  EXPECT_EQ(F(ev, "host.name"), "a");
  EXPECT_EQ(F(ev, "host.os.family"), "linux");
  EXPECT_EQ(F(ev, "x.y"), "dotted");
  EXPECT_EQ(ev.timestamp_ns, kRecv);
}

TEST(JsonEvent, ValueForms) {
  auto [ok, ev, err] = J(
      R"({"s":"a\"b\u00e9\n","i":-42,"u":18446744073709551615,"d":1.5,"d0":2.0,"e":1e300,)"
      R"("t":true,"f":false,"n":null,"arr":[1, "two", {"k" : null}, [ ]],"empty":[]})");
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(F(ev, "s"), "a\"b\xc3\xa9\n");
  EXPECT_EQ(F(ev, "i"), "-42");
  EXPECT_EQ(F(ev, "u"), "18446744073709551615");
  EXPECT_EQ(F(ev, "d"), "1.5");
  EXPECT_EQ(F(ev, "d0"), "2.0");
  EXPECT_EQ(F(ev, "e"), "1e+300");
  EXPECT_EQ(F(ev, "t"), "true");
  EXPECT_EQ(F(ev, "f"), "false");
  EXPECT_EQ(F(ev, "n"), "<absent>");
  EXPECT_EQ(F(ev, "arr"), R"([1,"two",{"k":null},[]])");
  EXPECT_EQ(F(ev, "empty"), "[]");
}

TEST(JsonEvent, DuplicateNamesKeepFirstPositionLastValue) {
  auto [ok, ev, err] = J(R"({"a":"1","b":{"c":"x"},"b.c":"y","a":"2"})");
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(Names(ev), (std::vector<std::string>{"a", "b.c"}));
  EXPECT_EQ(F(ev, "a"), "2");
  EXPECT_EQ(F(ev, "b.c"), "y");
}

TEST(JsonEvent, Tags) {
  auto [ok, ev, err] = J(R"({"tags":["beats","x,y",7],"message":"m"})");
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(F(ev, "tags"), "beats,x y,7");
  auto [ok2, ev2, err2] = J(R"({"tags":"single"})");
  EXPECT_EQ(F(ev2, "tags"), "single");
  ev2.AddTag("truncated");
  EXPECT_EQ(F(ev2, "tags"), "single,truncated");
}

TEST(JsonEvent, TimestampKeysInOrder) {
  EXPECT_EQ(J(R"({"@timestamp":"2026-11-26T11:00:00.123Z","timestamp":"2020-01-01T00:00:00Z"})").ev.timestamp_ns,
            T("2026-11-26T11:00:00.123Z"));
  EXPECT_EQ(J(R"({"time":"2026-11-26T10:00:00+02:00","ts":1})").ev.timestamp_ns, T("2026-11-26T08:00:00Z"));
  // Suricata's offset without a colon.
  EXPECT_EQ(J(R"({"timestamp":"2021-06-15T23:48:27.924120+0000"})").ev.timestamp_ns,
            T("2021-06-15T23:48:27.92412Z"));
  // NXLog EventTime: space separated, no zone = UTC.
  EXPECT_EQ(J(R"({"EventTime":"2026-11-26 12:00:00"})").ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  // Zeek-style epoch seconds, exact to the microsecond.
  EXPECT_EQ(J(R"({"ts":1732622400.123456})").ev.timestamp_ns, 1732622400123456000);
  EXPECT_EQ(J(R"({"ts":"1732622400"})").ev.timestamp_ns, 1732622400 * kNanosPerSecond);
  EXPECT_EQ(J(R"({"ts":"2026-11-26T12:00:00Z"})").ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  // Epoch milliseconds and nanoseconds by magnitude.
  EXPECT_EQ(J(R"({"@timestamp":1732622400123})").ev.timestamp_ns, 1732622400123000000);
  EXPECT_EQ(J(R"({"@timestamp":1732622400123456789})").ev.timestamp_ns, 1732622400123456789);
  EXPECT_EQ(J(R"({"ts":1.7326224e9})").ev.timestamp_ns, 1732622400 * kNanosPerSecond);
}

TEST(JsonEvent, TimestampFieldHandling) {
  // A parsed @timestamp lives in timestamp_ns only.
  auto [ok, ev, err] = J(R"({"@timestamp":"2026-11-26T11:00:00Z","timestamp":"x","m":1})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "@timestamp"), "<absent>");
  EXPECT_EQ(F(ev, "timestamp"), "x");
  // Other time keys stay as fields.
  auto [ok2, ev2, err2] = J(R"({"time":"2026-11-26T10:00:00Z"})");
  EXPECT_EQ(F(ev2, "time"), "2026-11-26T10:00:00Z");
  // Unparsable: received time; the text is kept (under json.@timestamp, since an Event's
  // @timestamp is not a field); a later key that parses is used.
  auto [ok3, ev3, err3] = J(R"({"@timestamp":"yesterday","n":1})");
  EXPECT_EQ(ev3.timestamp_ns, kRecv);
  EXPECT_EQ(F(ev3, "@timestamp"), "<absent>");
  EXPECT_EQ(F(ev3, "json.@timestamp"), "yesterday");
  EXPECT_EQ(J(R"({"@timestamp":"bad","EventTime":"2026-11-26 01:00:00"})").ev.timestamp_ns,
            T("2026-11-26T01:00:00Z"));
  // Small numbers are durations, not times.
  EXPECT_EQ(J(R"({"time":0.25})").ev.timestamp_ns, kRecv);
  EXPECT_EQ(J(R"({"time":{"taken":5}})").ev.timestamp_ns, kRecv);
  // Other reserved names are renamed too.
  auto [ok4, ev4, err4] = J(R"({"event":{"original":"raw line","ingested":"2026-01-01T00:00:00Z","kind":"event"}})");
  EXPECT_EQ(F(ev4, "event.original"), "<absent>");
  EXPECT_EQ(F(ev4, "json.event.original"), "raw line");
  EXPECT_EQ(F(ev4, "json.event.ingested"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(F(ev4, "event.kind"), "event");
}

TEST(JsonEvent, ParseJsonTimeEdges) {
  int64_t ns = 0;
  EXPECT_FALSE(ParseJsonTime("", &ns));
  EXPECT_FALSE(ParseJsonTime("abc", &ns));
  EXPECT_FALSE(ParseJsonTime("1.", &ns));
  EXPECT_FALSE(ParseJsonTime("99999999999999999999999", &ns));
  EXPECT_FALSE(ParseJsonTime("1e400", &ns));
  EXPECT_FALSE(ParseJsonTime("2026-13-01T00:00:00Z", &ns));
  EXPECT_FALSE(ParseJsonTime("9223372036.999999999", &ns));  // just past int64 nanoseconds
  EXPECT_FALSE(ParseJsonTime("9999-12-31T23:59:59Z", &ns));
  EXPECT_TRUE(ParseJsonTime("1732622400.5", &ns));
  EXPECT_EQ(ns, 1732622400500000000);
  EXPECT_TRUE(ParseJsonTime("1732622400123456", &ns));  // microseconds
  EXPECT_EQ(ns, 1732622400123456000);
}

TEST(JsonEvent, NxlogNames) {
  auto [ok, ev, err] = J(
      R"({"EventTime":"2026-11-26 12:00:00","Hostname":"WIN-1","EventID":1,)"
      R"("SourceName":"Microsoft-Windows-Sysmon","Message":"Process Create:\r\nImage: C:\\x.exe"})");
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev, "host.name"), "WIN-1");
  EXPECT_EQ(F(ev, "Hostname"), "<absent>");
  EXPECT_EQ(F(ev, "message"), "Process Create:\r\nImage: C:\\x.exe");
  EXPECT_EQ(F(ev, "Message"), "<absent>");
  EXPECT_EQ(F(ev, "EventID"), "1");
  EXPECT_EQ(F(ev, "EventTime"), "2026-11-26 12:00:00");
  // ECS names win over the NXLog ones.
  auto [ok2, ev2, err2] = J(R"({"host":{"name":"ecs"},"Hostname":"nx","message":"m","Message":"M"})");
  EXPECT_EQ(F(ev2, "host.name"), "ecs");
  EXPECT_EQ(F(ev2, "Hostname"), "nx");
  EXPECT_EQ(F(ev2, "message"), "m");
  EXPECT_EQ(F(ev2, "Message"), "M");
}

TEST(JsonEvent, Invalid) {
  for (std::string_view bad : {"", "{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1} x", "nul",
                               "{\"a\":\"\xff\"}", "{\"a\":\"x\ty\"}"}) {
    auto [ok, ev, err] = J(bad);
    EXPECT_FALSE(ok) << bad;
    EXPECT_FALSE(err.empty()) << bad;
    EXPECT_TRUE(ev.fields.empty()) << bad;
  }
  for (std::string_view nonobj : {"[1,2]", "\"str\"", "42", "null", "true"}) {
    auto [ok, ev, err] = J(nonobj);
    EXPECT_FALSE(ok) << nonobj;
    EXPECT_EQ(err, "JSON is not an object");
    EXPECT_TRUE(ev.fields.empty());
  }
  Event ev;
  EXPECT_FALSE(ParseJsonEvent("[]", kRecv, &ev, nullptr));  // error may be null
}

TEST(JsonEvent, DepthLimit) {
  auto nested = [](size_t depth, char open, char close) {
    std::string s;
    for (size_t i = 0; i < depth; ++i) s += open == '{' ? "{\"a\":" : "[";
    s += "1";
    for (size_t i = 0; i < depth; ++i) s += close;
    return open == '{' ? s : "{\"a\":" + s + "}";
  };
  auto [ok, ev, err] = J(nested(kMaxJsonDepth, '{', '}'));
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(ev.fields.size(), 1u);
  EXPECT_EQ(ev.fields[0].first.size(), 2 * kMaxJsonDepth - 1);  // a.a.....a
  auto deep = J(nested(kMaxJsonDepth + 1, '{', '}'));
  EXPECT_FALSE(deep.ok);
  EXPECT_EQ(deep.error, "JSON nested deeper than 64 levels");
  EXPECT_FALSE(J(nested(100000, '{', '}')).ok);  // no stack overflow
  EXPECT_FALSE(J(nested(100000, '[', ']')).ok);
  EXPECT_TRUE(J(nested(40, '[', ']')).ok);
}

TEST(JsonEvent, MutatedObjectsNeverCrash) {
  const std::string seed =
      R"({"@timestamp":"2026-11-26T12:00:00Z","a":{"b":[1,{"c":null}],"d":1.5e3},"tags":["x"],"ts":1732622400.5,"Message":"m\u00e9"})";
  ASSERT_TRUE(J(seed).ok);
  std::mt19937 rng(3);
  for (int round = 0; round < 20000; ++round) {
    std::string line = seed;
    for (int m = 1 + rng() % 3; m > 0 && !line.empty(); --m) {
      size_t at = rng() % line.size();
      if (rng() % 2) {
        line[at] = "{}[]\",:.e-0 \\"[rng() % 14];
      } else {
        line.erase(at, 1 + rng() % 3);
      }
    }
    Event ev;
    std::string err;
    if (!ParseJsonEvent(line, kRecv, &ev, &err)) {
      EXPECT_TRUE(ev.fields.empty());
      EXPECT_FALSE(err.empty());
    }
  }
}

TEST(JsonEvent, ThreadLocalParsers) {
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &good] {
      for (int i = 0; i < 500; ++i) {
        Event ev;
        std::string line = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        if (ParseJsonEvent(line, kRecv, &ev, nullptr) && F(ev, "i") == std::to_string(i)) ++good[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int g : good) EXPECT_EQ(g, 500);
}

std::vector<std::string> ReadLines(const std::string& rel) {
  std::ifstream in(std::string(KMT_SOURCE_DIR) + "/../shared/corpus/" + rel, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

TEST(JsonCorpus, NxlogSysmonAndSecurity) {
  auto lines = ReadLines("sysmon/windows-sysmon-nxlog-json/otrf-schtask_create_2020-12-1907003032.json");
  if (lines.empty()) GTEST_SKIP() << "corpus absent";
  size_t sysmon = 0;
  for (const auto& line : lines) {
    Event ev;
    std::string err;
    ASSERT_TRUE(ParseJsonEvent(line, kRecv, &ev, &err)) << err << "\n" << line.substr(0, 200);
    EXPECT_NE(ev.timestamp_ns, kRecv);
    EXPECT_NE(ev.Get("host.name"), nullptr);
    EXPECT_EQ(ev.Get("@timestamp"), nullptr);
    if (F(ev, "SourceName") == "Microsoft-Windows-Sysmon") ++sysmon;
  }
  EXPECT_EQ(sysmon, 906u);
  Event ev;
  std::string err;
  ASSERT_TRUE(ParseJsonEvent(lines[0], kRecv, &ev, &err)) << err;
  EXPECT_EQ(ev.timestamp_ns, T("2020-12-19T06:59:28.410Z"));
  EXPECT_EQ(F(ev, "host.name"), "WORKSTATION5.theshire.local");
  EXPECT_EQ(F(ev, "EventID"), "5158");
  EXPECT_EQ(F(ev, "Channel"), "Security");
  EXPECT_EQ(F(ev, "SourcePort"), "56581");
  EXPECT_EQ(F(ev, "message").substr(0, 62), "The Windows Filtering Platform has permitted a bind to a local");
}

TEST(JsonCorpus, SuricataEve) {
  auto lines = ReadLines("dns/suricata-eve-dns/wazuh-engine-suricata-dns_input.txt");
  if (lines.empty()) GTEST_SKIP() << "corpus absent";
  for (const auto& line : lines) {
    Event ev = ParseRecord(RawRecord{kRecv, line, "", "", 0}, {});
    EXPECT_EQ(F(ev, "event.dataset"), "dns.suricata");  // the DNS source parser claims EVE dns events
    EXPECT_EQ(F(ev, "event_type"), "dns");
  }
  // The JSON flattening itself (before the DNS parser rewrites answers into ECS form).
  Event ev;
  std::string error;
  ASSERT_TRUE(ParseJsonEvent(lines[2], kRecv, &ev, &error)) << error;
  ev.original = lines[2];
  EXPECT_EQ(ev.timestamp_ns, T("2021-06-15T23:48:27.950946Z"));
  EXPECT_EQ(F(ev, "timestamp"), "2021-06-15T23:48:27.950946+0000");
  EXPECT_EQ(F(ev, "flow_id"), "1418448010418830");
  EXPECT_EQ(F(ev, "src_port"), "53");
  EXPECT_EQ(F(ev, "dns.rrtype"), "AAAA");
  EXPECT_EQ(F(ev, "dns.qr"), "true");
  EXPECT_EQ(F(ev, "dns.answers"),
            R"([{"rrname":"google.com","rrtype":"AAAA","ttl":272,"rdata":"2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6"}])");
  EXPECT_EQ(F(ev, "dns.grouped.AAAA"), R"(["2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6"])");
  EXPECT_EQ(ev.original, lines[2]);
}

TEST(JsonRecord, EndToEnd) {
  RawRecord rec;
  rec.received_ns = kRecv;
  rec.data = R"({"@timestamp":"2026-11-26T12:00:00Z","host":{"name":"h"},"event":{"dataset":"app.log"}})";
  rec.observer = "10.0.0.1";
  Event ev = ParseRecord(rec, {});
  EXPECT_EQ(ev.original, rec.data);
  EXPECT_EQ(ev.ingested_ns, kRecv);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev, "event.dataset"), "app.log");
  EXPECT_EQ(F(ev, "host.name"), "h");
  EXPECT_EQ(F(ev, "observer.ip"), "10.0.0.1");
  // An array at top level is not a JSON event.
  rec.data = "[1,2]";
  EXPECT_EQ(F(ParseRecord(rec, {}), "event.dataset"), "syslog.raw");
  // Same record, same event.
  rec.data = R"({"a":{"b":1.25,"c":[true,null]},"ts":1732622400.5,"tags":["x"]})";
  Event a = ParseRecord(rec, {}), b = ParseRecord(rec, {});
  EXPECT_EQ(a.fields, b.fields);
  EXPECT_EQ(a.timestamp_ns, b.timestamp_ns);
  EXPECT_EQ(F(a, "a.c"), "[true,null]");
  EXPECT_EQ(F(a, "tags"), "x");
}

}  // namespace
}  // namespace kamatama
