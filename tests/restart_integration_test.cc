// tests/restart_integration_test.cc: what was acknowledged survives a restart (SIGTERM and
// SIGKILL), and retention drops old days.
#include <simdjson.h>

#include <set>

#include "core/time.h"
#include "harness.h"

using namespace kmt_test;

namespace {

void WriteJsonEvents(const std::string& file, int64_t ts_ns, int n, const std::string& marker) {
  std::ofstream out(file);
  for (int i = 0; i < n; ++i) {
    out << "{\"@timestamp\":\"" << kamatama::FormatRfc3339(ts_ns + i * 1000000LL) << "\",\"host.name\":\"h" << i % 7
        << "\",\"message\":\"" << marker << " event " << i << "\"}\n";
  }
}
}  // namespace

TEST(Restart, EverythingIsFoundAfterSigtermAndSigkill) {
  std::string dir = TempDir("restart");
  int64_t now = kamatama::NowNanos();
  {
    Server s(dir);
    s.Start();
    WriteJsonEvents(dir + "/a.ndjson", now - 3600 * kamatama::kNanosPerSecond, 3000, "httpmarker");
    int code;
    std::string body = s.Post("/api/v1/ingest", dir + "/a.ndjson", &code);
    ASSERT_EQ(code, 200) << body;
    TcpClient c(s.tcp());
    ASSERT_TRUE(c.ok());
    std::string lines;
    for (int i = 0; i < 200; ++i) lines += "<13>Nov 26 12:00:00 tcphost app: tcpmarker line " + std::to_string(i) + "\n";
    ASSERT_TRUE(c.Send(lines));
    c.Close();
    ASSERT_TRUE(Eventually([&] { return s.CountMatches("tcpmarker") == 200; }));
    EXPECT_EQ(s.CountMatches("httpmarker"), 3000u);
    EXPECT_EQ(s.Stop(SIGTERM), 0);
    EXPECT_NE(s.log().find("shutting down"), std::string::npos);
  }
  {
    Server s(dir);
    s.Start();
    EXPECT_EQ(s.CountMatches("httpmarker"), 3000u);
    EXPECT_EQ(s.CountMatches("tcpmarker"), 200u);
    // HTTP-acknowledged events survive even a SIGKILL right after the answer.
    WriteJsonEvents(dir + "/b.ndjson", now - 60 * kamatama::kNanosPerSecond, 500, "killmarker");
    int code;
    s.Post("/api/v1/ingest", dir + "/b.ndjson", &code);
    ASSERT_EQ(code, 200);
    s.Stop(SIGKILL);
  }
  {
    Server s(dir);
    s.Start();
    EXPECT_EQ(s.CountMatches("killmarker"), 500u);
    EXPECT_EQ(s.CountMatches("httpmarker"), 3000u);
    EXPECT_EQ(s.CountMatches("tcpmarker"), 200u);
    EXPECT_EQ(s.Stop(), 0);
  }
  std::filesystem::remove_all(dir);
}

TEST(Restart, RetentionDropsOldDays) {
  std::string dir = TempDir("retention");
  int64_t now = kamatama::NowNanos();
  {
    Server s(dir);
    s.Start();
    WriteJsonEvents(dir + "/old.ndjson", now - 10 * kamatama::kNanosPerDay, 100, "oldmarker");
    WriteJsonEvents(dir + "/new.ndjson", now - 3600 * kamatama::kNanosPerSecond, 100, "newmarker");
    int code;
    s.Post("/api/v1/ingest", dir + "/old.ndjson", &code);
    ASSERT_EQ(code, 200);
    s.Post("/api/v1/ingest", dir + "/new.ndjson", &code);
    ASSERT_EQ(code, 200);
    EXPECT_EQ(s.CountMatches("oldmarker"), 100u);
    EXPECT_EQ(s.Stop(), 0);
  }
  {
    std::ofstream(dir + "/kamatama.yaml") << "retention:\n  max_age_days: 3\n";
    Server s(dir, {"--config", dir + "/kamatama.yaml"});
    s.Start();
    ASSERT_TRUE(Eventually([&] { return s.CountMatches("oldmarker") == 0; }));
    EXPECT_EQ(s.CountMatches("newmarker"), 100u);
    // What is left: the new events' day, and the day(s) of the first run's audit events (the
    // searches above are audited), which differ when the test runs just after midnight UTC.
    std::set<int64_t> days{kamatama::DayOf(now - 3600 * kamatama::kNanosPerSecond), kamatama::DayOf(now),
                           kamatama::DayOf(kamatama::NowNanos())};
    EXPECT_GE(s.Metric("kamatama_partitions"), 1);
    EXPECT_LE(s.Metric("kamatama_partitions"), static_cast<double>(days.size()));
    EXPECT_NE(s.log().find("retention dropped 1 day partition"), std::string::npos) << s.log();
    EXPECT_EQ(s.Stop(), 0);
  }
  std::filesystem::remove_all(dir);
}
