// tests/cli_integration_test.cc: `kamatama parse`, configuration errors, the idle timeout.
#include <simdjson.h>

#include "harness.h"

using namespace kmt_test;

TEST(Cli, ParsePrintsNdjsonFromFileAndStdin) {
  std::string dir = TempDir("cli_parse");
  {
    std::ofstream out(dir + "/in.log");
    out << "<38>Nov 26 10:11:12 bastion sshd[4242]: Failed password for root from 203.0.113.9 port 52144 ssh2\n";
    out << "<13>1 2026-11-26T10:11:13.250+01:00 web01 nginx 77 ACC [x@1 k=\"v\"] GET /index.html\n";
    out << "{\"@timestamp\":\"2026-11-26T10:11:14Z\",\"user\":{\"name\":\"bob\"}}\n";
  }
  int st;
  std::string out = Shell(std::string(KMT_BINARY) + " parse " + ShellQuote(dir + "/in.log"), &st);
  ASSERT_EQ(st, 0);
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u) << out;
  simdjson::dom::parser p;
  auto e0 = p.parse(lines[0]).value();
  EXPECT_EQ(std::string_view(e0["host.name"]), "bastion");
  EXPECT_EQ(std::string_view(e0["process.name"]), "sshd");
  EXPECT_EQ(int64_t(e0["process.pid"]), 4242);
  EXPECT_EQ(std::string_view(e0["message"]), "Failed password for root from 203.0.113.9 port 52144 ssh2");
  EXPECT_EQ(std::string_view(e0["log.syslog.severity.name"]), "informational");
  auto e1 = p.parse(lines[1]).value();
  EXPECT_EQ(std::string_view(e1["@timestamp"]), "2026-11-26T09:11:13.250Z");
  EXPECT_EQ(std::string_view(e1["log.syslog.msgid"]), "ACC");
  EXPECT_EQ(std::string_view(e1["log.syslog.structured_data.x@1.k"]), "v");
  auto e2 = p.parse(lines[2]).value();
  EXPECT_EQ(std::string_view(e2["user.name"]), "bob");
  EXPECT_EQ(std::string_view(e2["@timestamp"]), "2026-11-26T10:11:14.000Z");
  // stdin
  out = Shell("printf '<13>Nov 26 10:00:00 h t: from stdin\\n' | " + std::string(KMT_BINARY) + " parse", &st);
  ASSERT_EQ(st, 0);
  EXPECT_NE(out.find("\"message\":\"from stdin\""), std::string::npos) << out;
  Shell(std::string(KMT_BINARY) + " parse /nonexistent/file 2>/dev/null", &st);
  EXPECT_NE(st, 0);
  std::filesystem::remove_all(dir);
}

TEST(Cli, ParseStatsCountsDatasetsAndShowsUnparsedLines) {
  int st;
  std::string out = Shell("printf '<13>Nov 26 10:00:00 h t: generic one\\nnot syslog at all\\n"
                          "<13>Nov 26 10:00:01 h t: generic two\\n' | " + std::string(KMT_BINARY) + " parse --stats", &st);
  ASSERT_EQ(st, 0);
  std::string flat;  // the table with runs of spaces collapsed
  for (char c : out) {
    if (c != ' ' || flat.empty() || flat.back() != ' ') flat.push_back(c);
  }
  EXPECT_NE(flat.find("syslog.generic (no source parser) 2 66.7%"), std::string::npos) << out;
  EXPECT_NE(flat.find("syslog.raw (no source parser) 1 33.3%"), std::string::npos) << out;
  EXPECT_NE(flat.find("not understood by any source parser 3"), std::string::npos) << out;
  EXPECT_NE(out.find("  not syslog at all"), std::string::npos) << out;
}

TEST(Cli, BadConfigIsAClearError) {
  std::string dir = TempDir("cli_config");
  std::ofstream(dir + "/typo.yaml") << "storage:\n  sync_intervl: 1s\n";
  std::ofstream(dir + "/bad.yaml") << "retention:\n  max_age_days: forever\n";
  int st;
  std::string out = Shell(std::string(KMT_BINARY) + " serve --config " + dir + "/typo.yaml 2>&1", &st);
  EXPECT_EQ(st, 2);
  EXPECT_NE(out.find("storage.sync_intervl: unknown key"), std::string::npos) << out;
  out = Shell(std::string(KMT_BINARY) + " serve --config " + dir + "/bad.yaml 2>&1", &st);
  EXPECT_EQ(st, 2);
  EXPECT_NE(out.find("retention.max_age_days"), std::string::npos) << out;
  // The example configuration shipped in deploy/ is valid (checked by starting with it).
  Server s(dir, {"--config", std::string(KMT_SOURCE_DIR) + "/deploy/kamatama.yaml"});
  s.Start();
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

TEST(Cli, IdleConnectionsAreClosed) {
  std::string dir = TempDir("cli_idle");
  std::ofstream(dir + "/idle.yaml") << "syslog:\n  idle_timeout: 500ms\n";
  Server s(dir, {"--config", dir + "/idle.yaml"});
  s.Start();
  TcpClient c(s.tcp());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Eventually([&] { return s.Metric("kamatama_idle_connections_closed_total") == 1; }, 5000));
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

TEST(Cli, BackpressureSlowsTcpSendersInsteadOfDropping) {
  // A tiny queue: TCP readers must wait for the writer instead of dropping anything.
  std::string dir = TempDir("cli_backpressure");
  std::ofstream(dir + "/bp.yaml") << "storage:\n  queue: 4KiB\n";
  Server s(dir, {"--config", dir + "/bp.yaml"});
  s.Start();
  std::string lines;
  for (int i = 0; i < 20000; ++i) lines += "<13>Nov 26 12:00:00 h app: bpmarker " + std::to_string(i) + "\n";
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&] {
      TcpClient c(s.tcp());
      c.Send(lines);
    });
  }
  for (auto& t : senders) t.join();
  ASSERT_TRUE(Eventually([&] { return s.Metric("kamatama_events_stored_total") == 80000; }, 60000))
      << s.Metric("kamatama_events_stored_total");
  EXPECT_GT(s.Metric("kamatama_tcp_backpressure_waits_total"), 0);  // the readers did wait
  std::string m = s.Get("/metrics");
  EXPECT_EQ(m.find("kamatama_events_dropped_total{reason=\"udp_queue_full\"} 1"), std::string::npos);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}
