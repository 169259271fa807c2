// tests/server_integration_test.cc: the HTTP API of a real server, through curl.
#include <simdjson.h>

#include "harness.h"

using namespace kmt_test;

namespace {
class ServerTest : public SharedServerTest {};

simdjson::dom::element ParseJson(simdjson::dom::parser& p, const std::string& s) {
  auto r = p.parse(s);
  EXPECT_FALSE(r.error()) << "not JSON: " << s;
  return r.value();
}
}  // namespace

TEST_F(ServerTest, HealthReadyMetrics) {
  int code;
  EXPECT_EQ(server_->Get("/healthz", &code), "ok\n");
  EXPECT_EQ(code, 200);
  server_->Get("/readyz", &code);
  EXPECT_EQ(code, 200);
  std::string m = server_->Get("/metrics", &code);
  EXPECT_EQ(code, 200);
  EXPECT_NE(m.find("# TYPE kamatama_events_stored_total counter"), std::string::npos) << m;
  EXPECT_NE(m.find("kamatama_partitions "), std::string::npos);
  server_->Get("/nope", &code);
  EXPECT_EQ(code, 404);
}

TEST_F(ServerTest, IngestNdjsonThenSearch) {
  std::string file = *dir_ + "/batch.ndjson";
  {
    std::ofstream out(file);
    out << R"({"@timestamp":"2026-11-20T10:00:00Z","host":{"name":"fw01"},"source":{"ip":"203.0.113.77"},"message":"deny tcp 203.0.113.77 -> 10.0.0.5:443"})" << "\n";
    out << R"({"@timestamp":"2026-11-20T10:00:01.5Z","host.name":"fw01","user":{"name":"alice"},"message":"login ok"})" << "\n";
    out << "\n";
    out << "<34>Nov 20 10:00:02 mailhost postfix/smtpd[311]: connect from unknown[198.51.100.23]\n";
    out << R"({"broken": )" << "\n";
    out << "plain text line without any syslog header zzuniquezz\n";
  }
  int code;
  std::string body = server_->Post("/api/v1/ingest", file, &code);
  EXPECT_EQ(code, 200) << body;
  simdjson::dom::parser p;
  auto doc = ParseJson(p, body);
  EXPECT_EQ(int64_t(doc["accepted"]), 4);
  EXPECT_EQ(int64_t(doc["rejected"]), 1);
  EXPECT_EQ(int64_t(doc["errors"].at(0)["line"]), 5);

  // Acknowledged means durable and searchable right away.
  body = server_->Search("203.0.113.77", "", &code);
  ASSERT_EQ(code, 200) << body;
  auto r = ParseJson(p, body);
  ASSERT_EQ(r["events"].get_array().size(), 1u) << body;
  simdjson::dom::element ev = r["events"].at(0).value();
  EXPECT_EQ(std::string_view(ev["@timestamp"]), "2026-11-20T10:00:00.000Z");
  EXPECT_EQ(std::string_view(ev["host.name"]), "fw01");
  EXPECT_EQ(std::string_view(ev["source.ip"]), "203.0.113.77");
  EXPECT_EQ(int64_t(r["matched"]), 1);
  EXPECT_TRUE(r["took_ms"].is_double() || r["took_ms"].is_int64());

  body = server_->Search("host.name:fw01", "&limit=10");
  r = ParseJson(p, body);
  ASSERT_EQ(r["events"].get_array().size(), 2u) << body;
  EXPECT_EQ(std::string_view(r["events"].at(0)["user.name"]), "alice");  // newest first

  body = server_->Search("postfix AND \"connect from\"");
  r = ParseJson(p, body);
  ASSERT_EQ(r["events"].get_array().size(), 1u) << body;
  EXPECT_EQ(std::string_view(r["events"].at(0)["host.name"]), "mailhost");
  EXPECT_EQ(int64_t(r["events"].at(0)["process.pid"]), 311);

  body = server_->Search("zzuniquezz");
  r = ParseJson(p, body);
  ASSERT_EQ(r["events"].get_array().size(), 1u) << body;
  EXPECT_EQ(std::string_view(r["events"].at(0)["event.original"]),
            "plain text line without any syslog header zzuniquezz");

  // Time range excludes them all.
  body = server_->Search("fw01", "&from=2026-11-21T00:00:00Z&to=now");
  r = ParseJson(p, body);
  EXPECT_EQ(r["events"].get_array().size(), 0u) << body;
  body = server_->Search("fw01", "&from=2026-11-20T10:00:01Z&to=2026-11-20T10:00:02Z");
  r = ParseJson(p, body);
  EXPECT_EQ(r["events"].get_array().size(), 1u) << body;
  // (NOT, OR, parentheses)
  body = server_->Search("host.name:fw01 AND NOT alice");
  r = ParseJson(p, body);
  EXPECT_EQ(r["events"].get_array().size(), 1u) << body;
  body = server_->Search("(alice OR zzuniquezz) NOT fw02");
  r = ParseJson(p, body);
  EXPECT_EQ(r["events"].get_array().size(), 2u) << body;
}

TEST_F(ServerTest, SyntaxErrorReportsPosition) {
  int code;
  std::string body = server_->Search("host.name:web AND (sshd OR", "", &code);
  EXPECT_EQ(code, 400) << body;
  simdjson::dom::parser p;
  auto r = ParseJson(p, body);
  EXPECT_TRUE(r["error"].is_string());
  EXPECT_TRUE(r["position"].is_int64() || r["position"].is_uint64());
  EXPECT_EQ(int64_t(r["position"]), 26);
  body = server_->Search("x", "&from=yesterday", &code);
  EXPECT_EQ(code, 400) << body;
  body = server_->Search("x", "&limit=abc", &code);
  EXPECT_EQ(code, 400) << body;
}

TEST_F(ServerTest, HostileStringsAreEscaped) {
  std::string file = *dir_ + "/xss.ndjson";
  {
    std::ofstream out(file);
    out << "<13>Nov 20 11:00:00 h app: <script>alert(1)</script> \xff\xfe bad utf8 xssmarker\n";
  }
  int code;
  server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200);
  std::string body = server_->Search("xssmarker");
  EXPECT_EQ(body.find("<script>"), std::string::npos) << body;
  EXPECT_NE(body.find("\\u003cscript\\u003e"), std::string::npos) << body;
  simdjson::dom::parser p;
  auto r = ParseJson(p, body);  // valid UTF-8 JSON despite the invalid bytes
  ASSERT_EQ(r["events"].get_array().size(), 1u);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  std::string file = *dir_ + "/huge.ndjson";
  {
    std::ofstream out(file);
    std::string line(1 << 20, 'a');
    for (int i = 0; i < 70; ++i) out << line << "\n";  // 70 MiB > 64 MiB limit
  }
  int code;
  server_->Post("/api/v1/ingest", file, &code);
  EXPECT_EQ(code, 413);
  server_->Get("/healthz", &code);
  EXPECT_EQ(code, 200);
  std::filesystem::remove(file);
}

TEST_F(ServerTest, OverlongLinesOverHttp) {
  std::string file = *dir_ + "/long.ndjson";
  {
    std::ofstream out(file);
    out << "{\"message\":\"" << std::string(70000, 'j') << "\"}\n";                 // JSON: refused
    out << "<13>Nov 20 12:00:00 h app: longrawmarker " << std::string(70000, 'r') << "\n";  // raw: cut
  }
  int code;
  std::string body = server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::parser p;
  auto doc = ParseJson(p, body);
  EXPECT_EQ(int64_t(doc["accepted"]), 1);
  EXPECT_EQ(int64_t(doc["rejected"]), 1);
  EXPECT_NE(std::string_view(doc["errors"].at(0)["error"]).find("longer than syslog.max_frame"), std::string_view::npos);
  auto r = ParseJson(p, server_->Search("longrawmarker"));
  ASSERT_EQ(r["events"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(r["events"].at(0)["event.original"]).size(), 65536u);
  EXPECT_EQ(std::string_view(r["events"].at(0)["tags"]), "truncated");
}

TEST_F(ServerTest, PipesReturnColumnsAndRows) {
  std::string file = *dir_ + "/pipes.ndjson";
  {
    std::ofstream out(file);
    const char* hosts[] = {"p1", "p1", "p2", "p1", "p3"};
    for (int i = 0; i < 5; ++i) {
      out << "{\"@timestamp\":\"2026-11-19T0" << i << ":10:00Z\",\"host.name\":\"" << hosts[i]
          << "\",\"destination.port\":" << (i + 1) * 100 << ",\"message\":\"pipemarker\"}\n";
    }
  }
  int code;
  server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200);
  simdjson::dom::parser p;
  std::string body = server_->Search("pipemarker | stats count(), max(destination.port) by host.name | sort -count", "", &code);
  ASSERT_EQ(code, 200) << body;
  auto r = ParseJson(p, body);
  auto cols = r["columns"].get_array();
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(std::string_view(cols.at(0)), "host.name");
  auto rows = r["rows"].get_array();
  ASSERT_EQ(rows.size(), 3u) << body;
  EXPECT_EQ(std::string_view(rows.at(0).at(0)), "p1");
  EXPECT_EQ(int64_t(rows.at(0).at(1)), 3);
  EXPECT_EQ(int64_t(rows.at(0).at(2)), 400);
  EXPECT_EQ(int64_t(r["matched"]), 5);

  body = server_->Search("pipemarker | timechart span=1h count()", "", &code);
  ASSERT_EQ(code, 200) << body;
  r = ParseJson(p, body);
  EXPECT_EQ(r["rows"].get_array().size(), 5u) << body;

  body = server_->Search("pipemarker | fields host.name, destination.port | head 2", "", &code);
  ASSERT_EQ(code, 200) << body;
  r = ParseJson(p, body);
  ASSERT_EQ(r["rows"].get_array().size(), 2u) << body;
  EXPECT_EQ(int64_t(r["rows"].at(0).at(1)), 500);  // newest first

  body = server_->Search("pipemarker | stats nope()", "", &code);
  EXPECT_EQ(code, 400) << body;
  r = ParseJson(p, body);
  EXPECT_EQ(int64_t(r["position"]), 19);
}

TEST_F(ServerTest, RegexRangesCidrAndTimeBounds) {
  std::string file = *dir_ + "/filters.ndjson";
  {
    std::ofstream out(file);
    out << R"({"@timestamp":"2026-11-18T01:00:00Z","source":{"ip":"10.1.2.3"},"destination":{"port":22},"user":{"name":"admin7"},"message":"fltmarker one"})" << "\n";
    out << R"({"@timestamp":"2026-11-18T02:00:00Z","source":{"ip":"192.168.9.9"},"destination":{"port":443},"user":{"name":"bob"},"message":"fltmarker two"})" << "\n";
    out << R"({"@timestamp":"2026-11-18T03:00:00Z","source":{"ip":"2001:db8::5"},"destination":{"port":8080},"user":{"name":"adm"},"message":"fltmarker three"})" << "\n";
  }
  int code;
  server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200);
  EXPECT_EQ(server_->CountMatches("fltmarker source.ip:10.0.0.0/8"), 1u);
  EXPECT_EQ(server_->CountMatches("fltmarker source.ip:2001:db8::/32"), 1u);
  EXPECT_EQ(server_->CountMatches("fltmarker destination.port:[1 TO 1023]"), 2u);
  EXPECT_EQ(server_->CountMatches("fltmarker destination.port:>1000"), 1u);
  EXPECT_EQ(server_->CountMatches("fltmarker user.name:/adm(in)?[0-9]*/"), 2u);
  EXPECT_EQ(server_->CountMatches("fltmarker user.name:adm*"), 2u);
  EXPECT_EQ(server_->CountMatches("fltmarker @timestamp:>=2026-11-18T02:00:00Z"), 2u);
  std::string body = server_->Search("fltmarker user.name:/(/", "", &code);
  EXPECT_EQ(code, 400) << body;
}

TEST_F(ServerTest, HistogramAndFieldSummary) {
  std::string file = *dir_ + "/hist.ndjson";
  {
    std::ofstream out(file);
    // 6 events: 3 in the first hour, 1 in the second, 2 in the fourth.
    const char* times[] = {"00:05", "00:10", "00:50", "01:30", "03:01", "03:59"};
    const char* users[] = {"ann", "ann", "ben", "ann", "cy", "ben"};
    for (int i = 0; i < 6; ++i) {
      out << "{\"@timestamp\":\"2026-11-17T" << times[i] << ":00Z\",\"user.name\":\"" << users[i]
          << "\",\"message\":\"histmarker\"}\n";
    }
  }
  int code;
  server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200);
  simdjson::dom::parser p;
  std::string body = server_->Get("/api/v1/histogram?q=histmarker&from=2026-11-17T00:00:00Z&to=2026-11-17T04:00:00Z&buckets=4", &code);
  ASSERT_EQ(code, 200) << body;
  auto r = ParseJson(p, body);
  auto b = r["buckets"].get_array();
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(std::string_view(b.at(0)["time"]), "2026-11-17T00:00:00.000Z");
  EXPECT_EQ(int64_t(b.at(0)["count"]), 3);
  EXPECT_EQ(int64_t(b.at(1)["count"]), 1);
  EXPECT_EQ(int64_t(b.at(2)["count"]), 0);
  EXPECT_EQ(int64_t(b.at(3)["count"]), 2);
  EXPECT_EQ(int64_t(r["interval_ms"]), 3600000);

  body = server_->Get("/api/v1/fields?q=histmarker&from=2026-11-17T00:00:00Z&to=2026-11-18T00:00:00Z", &code);
  ASSERT_EQ(code, 200) << body;
  r = ParseJson(p, body);
  EXPECT_EQ(int64_t(r["sampled"]), 6);
  bool found = false;
  for (auto f : r["fields"].get_array()) {
    if (std::string_view(f["name"]) != "user.name") continue;
    found = true;
    EXPECT_EQ(int64_t(f["count"]), 6);
    EXPECT_EQ(int64_t(f["distinct"]), 3);
    EXPECT_EQ(std::string_view(f["top"].at(0)["value"]), "ann");
    EXPECT_EQ(int64_t(f["top"].at(0)["count"]), 3);
  }
  EXPECT_TRUE(found) << body;
  server_->Get("/api/v1/histogram?q=histmarker&buckets=0", &code);
  EXPECT_EQ(code, 400);
}
