// tests/query_api_test.cc: the query endpoints of a real server: streamed export (NDJSON and
// CSV, cut short by a client that goes away), the WebSocket live tail, unknown-field warnings,
// field names, the sources summary, the memory cap and the deadline.
#include <simdjson.h>

#include <map>
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <fmt/format.h>

#include "core/time.h"
#include "harness.h"

using namespace kmt_test;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

simdjson::dom::element ParseJson(simdjson::dom::parser& p, const std::string& s) {
  auto r = p.parse(s);
  EXPECT_FALSE(r.error()) << "not JSON: " << s.substr(0, 500);
  return r.value();
}

// Writes n syslog lines of known content to a file: firewall denies from two hosts.
std::string WriteLines(const std::string& dir, const std::string& name, int n, const std::string& tag) {
  std::string file = dir + "/" + name;
  std::ofstream out(file);
  for (int i = 0; i < n; ++i) {
    out << fmt::format(
        "<134>Nov 24 10:{:02}:{:02} fw{} kernel: [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.{} DST=10.0.0.{} "
        "PROTO=TCP SPT={} DPT={} {} seq={}\n",
        (i / 60) % 60, i % 60, i % 2 + 1, i % 200 + 1, i % 50 + 1, 40000 + i % 20000, i % 2 ? 22 : 443, tag, i);
  }
  return file;
}

class QueryApiTest : public SharedServerTest {};

TEST_F(QueryApiTest, ExportStreamsEveryEventAsNdjsonAndCsv) {
  int code;
  std::string file = WriteLines(*dir_, "export.log", 5000, "exporttag");
  std::string body = server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200) << body;
  // More than query.max_limit (10000) would also work: the export has no limit; 5,000 spans
  // two sealed blocks and an open one.
  std::string out = Shell("curl -s -D " + ShellQuote(*dir_ + "/h.txt") + " " +
                          ShellQuote(server_->Url("/api/v1/export?q=exporttag&format=ndjson")));
  std::string headers = ReadFile(*dir_ + "/h.txt");
  EXPECT_NE(headers.find("Transfer-Encoding: chunked"), std::string::npos) << headers;
  EXPECT_NE(headers.find("attachment; filename=\"kamatama-export-"), std::string::npos) << headers;
  std::istringstream in(out);
  std::string line;
  std::set<int> seqs;
  simdjson::dom::parser p;
  while (std::getline(in, line)) {
    auto ev = ParseJson(p, line);
    std::string_view orig = ev["event.original"];
    size_t at = orig.find("seq=");
    ASSERT_NE(at, std::string_view::npos);
    seqs.insert(std::atoi(std::string(orig.substr(at + 4)).c_str()));
    EXPECT_EQ(std::string_view(ev["event.dataset"]), "firewall.iptables");
  }
  EXPECT_EQ(seqs.size(), 5000u);
  EXPECT_EQ(*seqs.begin(), 0);
  EXPECT_EQ(*seqs.rbegin(), 4999);

  // CSV: chosen columns, a header, RFC 4180 quoting.
  out = server_->Get("/api/v1/export?q=" + UrlEncode("exporttag AND destination.port:22") +
                         "&format=csv&fields=" + UrlEncode("source.ip,destination.port,event.original"),
                     &code);
  ASSERT_EQ(code, 200);
  std::istringstream csv(out);
  std::getline(csv, line);
  EXPECT_EQ(line, "source.ip,destination.port,event.original\r");
  size_t rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    EXPECT_NE(line.find(",22,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 2500u);
  // A limit, and a bad format.
  out = server_->Get("/api/v1/export?q=exporttag&limit=7", &code);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 7);
  server_->Get("/api/v1/export?format=xml", &code);
  EXPECT_EQ(code, 400);
  // Pipes export their table.
  out = server_->Get("/api/v1/export?format=csv&q=" + UrlEncode("exporttag | stats count() by destination.port"),
                     &code);
  EXPECT_EQ(code, 200);
  EXPECT_NE(out.find("destination.port,count\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("22,2500\r\n"), std::string::npos) << out;
}

TEST_F(QueryApiTest, CsvCellsCannotBecomeSpreadsheetFormulas) {
  std::string file = *dir_ + "/formula.ndjson";
  {
    std::ofstream out(file);
    out << R"J({"@timestamp":"2026-11-24T09:00:00Z","user.name":"=HYPERLINK(\"http://evil\",\"x\")","message":"csvformula, with \"quotes\""})J"
        << "\n";
  }
  int code;
  server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200);
  std::string out = server_->Get("/api/v1/export?format=csv&q=csvformula&fields=user.name,message", &code);
  EXPECT_NE(out.find("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",\"csvformula, with \"\"quotes\"\"\""),
            std::string::npos)
      << out;
}

TEST_F(QueryApiTest, ExportStopsWhenTheClientGoesAway) {
  int code;
  std::string file = WriteLines(*dir_, "big.log", 40000, "bigexport");
  ASSERT_EQ((server_->Post("/api/v1/ingest", file, &code), code), 200);
  double before = server_->Metric("kamatama_exported_events_total");
  // Read the first bytes of a ~15 MB export, then hang up.
  {
    TcpClient c(server_->http_address());
    ASSERT_TRUE(c.Send("GET /api/v1/export?q=bigexport HTTP/1.1\r\nHost: x\r\n" + Server::AuthHeader() + "\r\n"));
    char buf[4096];
    ASSERT_GT(::recv(c.fd(), buf, sizeof buf, 0), 0);
  }
  double after = -1;
  ASSERT_TRUE(Eventually([&] {
    double a = server_->Metric("kamatama_exported_events_total");
    bool settled = a == after;
    after = a;
    return settled && a > before;
  }, 20000));
  EXPECT_LT(after - before, 40000) << "the export went on after the client left";
  EXPECT_TRUE(server_->Alive());
  EXPECT_EQ(server_->Get("/healthz", &code), "ok\n");
}

TEST_F(QueryApiTest, UnknownFieldsWarnAndMatchNothing) {
  int code;
  // Each test case may run in its own server: store some known fields first.
  ASSERT_EQ((server_->Post("/api/v1/ingest", WriteLines(*dir_, "known.log", 10, "knowntag"), &code), code), 200);
  simdjson::dom::parser p;
  std::string body = server_->Search("nosuch.field:x OR bogus.thing:*", "", &code);
  ASSERT_EQ(code, 200) << body;
  auto r = ParseJson(p, body);
  EXPECT_EQ(r["events"].get_array().size(), 0u);
  auto w = r["warnings"].get_array();
  ASSERT_EQ(w.size(), 2u) << body;
  EXPECT_NE(std::string_view(w.at(0)).find("nosuch.field"), std::string_view::npos);
  EXPECT_NE(std::string_view(w.at(1)).find("bogus.thing"), std::string_view::npos);
  // Known fields, and names made by pipes, give no warning.
  body = server_->Search("event.dataset:* | stats count() by host.name | sort -count", "", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(ParseJson(p, body)["warnings"].get_array().size(), 0u) << body;
  body = server_->Search("* | stats count() by nosuch.group", "", &code);
  EXPECT_NE(body.find("nosuch.group"), std::string::npos) << body;
  // Field names for completion.
  body = server_->Get("/api/v1/fieldnames", &code);
  ASSERT_EQ(code, 200);
  EXPECT_NE(body.find("\"source.ip\""), std::string::npos);
  EXPECT_EQ(body.find("nosuch.field"), std::string::npos);
}

TEST_F(QueryApiTest, SourcesSummariseFamiliesAndHosts) {
  int code;
  std::string file = WriteLines(*dir_, "sources.log", 100, "sourcestag");
  ASSERT_EQ((server_->Post("/api/v1/ingest", file, &code), code), 200);
  std::string body = server_->Get("/api/v1/sources?refresh=1", &code);
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::parser p;
  auto r = ParseJson(p, body);
  EXPECT_GT(uint64_t(r["disk"]["total_bytes"]), 0u);
  EXPECT_GT(uint64_t(r["disk"]["store_bytes"]), 0u);
  bool found = false;
  for (auto fam : r["families"].get_array()) {
    if (std::string_view(fam["family"]) != "firewall") continue;
    for (auto h : fam["hosts"].get_array()) {
      if (std::string_view(h["host"]) == "fw1") {
        found = true;
        EXPECT_GE(uint64_t(h["events"]), 50u);
        EXPECT_EQ(std::string_view(h["datasets"].at(0)), "firewall.iptables");
        EXPECT_EQ(h["per_day"].get_array().size(), 30u);
      }
    }
  }
  EXPECT_TRUE(found) << body;

  // Silent sources: "srcquiet" sent every 3 h from 6 days ago until 2 days ago, then stopped;
  // "srcbusy" sends every 5 minutes, the last a minute ago.
  using kamatama::FormatRfc3339, kamatama::kNanosPerSecond;
  const int64_t now = kamatama::NowNanos();
  constexpr int64_t kHour = 3600 * kNanosPerSecond;
  const int64_t quiet_last = now - 48 * kHour;
  std::string nd;
  auto line = [&](const char* host, int64_t ts) {
    nd += fmt::format("{{\"@timestamp\":\"{}\",\"host\":{{\"name\":\"{}\"}},\"message\":\"silenttest\"}}\n",
                      FormatRfc3339(ts), host);
  };
  for (int i = 0; i <= 32; ++i) line("srcquiet", quiet_last - i * 3 * kHour);
  for (int i = 0; i < 24; ++i) line("srcbusy", now - 60 * kNanosPerSecond - i * 300 * kNanosPerSecond);
  std::string nd_file = *dir_ + "/silent.ndjson";
  std::ofstream(nd_file) << nd;
  ASSERT_EQ((server_->Post("/api/v1/ingest", nd_file, &code), code), 200);
  body = server_->Get("/api/v1/sources?refresh=1", &code);
  ASSERT_EQ(code, 200) << body;
  auto r2 = ParseJson(p, body);
  std::map<std::string, simdjson::dom::element> by_host;
  for (auto fam : r2["families"].get_array())
    for (auto h : fam["hosts"].get_array()) by_host[std::string(std::string_view(h["host"]))] = h;
  ASSERT_TRUE(by_host.count("srcquiet") && by_host.count("srcbusy")) << body;
  auto quiet = by_host["srcquiet"], busy = by_host["srcbusy"];
  EXPECT_EQ(uint64_t(quiet["events"]), 33u);
  EXPECT_EQ(int64_t(quiet["typical_gap_s"]), 3 * 3600);
  EXPECT_GE(int64_t(quiet["silent_for_s"]), 48 * 3600);
  EXPECT_LE(int64_t(quiet["silent_for_s"]), 48 * 3600 + 120);
  EXPECT_TRUE(bool(quiet["silent"])) << body;
  EXPECT_EQ(int64_t(busy["typical_gap_s"]), 300);
  EXPECT_FALSE(bool(busy["silent"])) << body;
  // The oldest day kept covers srcquiet's first event even before any block is sealed.
  EXPECT_LE(std::string_view(r2["oldest_day"]), FormatRfc3339(quiet_last - 96 * kHour).substr(0, 10)) << body;
}

// A minimal WebSocket client (Beast) for the live tail.
class TailClient {
 public:
  TailClient(const std::string& hostport, const std::string& q) : ws_(io_) {
    auto colon = hostport.rfind(':');
    asio::ip::tcp::resolver res(io_);
    auto eps = res.resolve(hostport.substr(0, colon), hostport.substr(colon + 1));
    asio::connect(ws_.next_layer(), eps);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::authorization, "Basic " + BasicCredentials(kAdminUser, kAdminPassword));
    }));
    ws_.handshake(hostport, "/api/v1/tail?q=" + UrlEncode(q));
  }
  // The next message, or "" after timeout_ms (the stream is not read again after a timeout).
  std::string Next(int timeout_ms = 5000) {
    beast::flat_buffer b;
    std::string out;
    bool done = false;
    ws_.async_read(b, [&](const boost::system::error_code& ec, size_t) {
      done = true;
      if (!ec) out = beast::buffers_to_string(b.data());
    });
    io_.restart();
    io_.run_for(std::chrono::milliseconds(timeout_ms));
    if (!done) {
      boost::system::error_code ec;
      ws_.next_layer().cancel(ec);
      io_.restart();
      io_.run();
    }
    return out;
  }
  void Close() {
    boost::system::error_code ec;
    ws_.close(websocket::close_code::normal, ec);
  }

 private:
  asio::io_context io_;
  websocket::stream<asio::ip::tcp::socket> ws_;
};

TEST_F(QueryApiTest, LiveTailStreamsNewMatchingEventsOnly) {
  TailClient tail(server_->http_address(), "tailneedle AND host.name:fw2");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // subscribed before the ingest
  int code;
  std::string file = *dir_ + "/tail.log";
  {
    std::ofstream out(file);
    out << "<134>Nov 24 11:00:00 fw1 kernel: tailneedle from fw1 (not matching)\n";
    out << "<134>Nov 24 11:00:01 fw2 kernel: tailneedle from fw2 <script>alert(1)</script>\n";
    out << "<134>Nov 24 11:00:02 fw2 kernel: another line\n";
  }
  ASSERT_EQ((server_->Post("/api/v1/ingest", file, &code), code), 200);
  std::string msg = tail.Next();
  simdjson::dom::parser p;
  auto m = ParseJson(p, msg);
  EXPECT_EQ(std::string_view(m["type"]), "event");
  EXPECT_EQ(std::string_view(m["event"]["host.name"]), "fw2");
  EXPECT_NE(std::string_view(m["event"]["event.original"]).find("<script>"), std::string_view::npos);
  EXPECT_EQ(msg.find("<script>"), std::string::npos) << "markup must be escaped in JSON: " << msg;
  EXPECT_EQ(tail.Next(700), "") << "only one event matches";
  tail.Close();

  // A bad query: one error message with its position, then the server closes.
  TailClient bad(server_->http_address(), "user.name:(");
  msg = bad.Next();
  auto e = ParseJson(p, msg);
  EXPECT_EQ(std::string_view(e["type"]), "error");
  EXPECT_EQ(int64_t(e["position"]), 10);
  // A plain GET is told to upgrade.
  server_->Get("/api/v1/tail?q=x", &code);
  EXPECT_EQ(code, 426);
}

TEST(QueryLimits, MemoryCapAndDeadline) {
  std::string dir = TempDir("query_limits");
  std::ofstream(dir + "/k.yaml") << "query:\n  max_memory: 64KiB\n  max_limit: 100000\n  max_groups: 50\n";
  Server s(dir, {"--config", dir + "/k.yaml"});
  s.Start();
  int code;
  std::string file = WriteLines(dir, "m.log", 3000, "memtag");
  ASSERT_EQ((s.Post("/api/v1/ingest", file, &code), code), 200);
  std::string body = s.Search("memtag", "&limit=3000", &code);
  EXPECT_EQ(code, 422) << body.substr(0, 300);
  EXPECT_NE(body.find("query.max_memory"), std::string::npos) << body.substr(0, 300);
  body = s.Search("memtag", "&limit=20", &code);
  EXPECT_EQ(code, 200);
  {
    // The group cap (50; the lines come from 200 addresses): partial rows, and the warning says why.
    simdjson::dom::parser gp;
    body = s.Search("memtag | stats count() by source.ip", "", &code);
    ASSERT_EQ(code, 200) << body.substr(0, 300);
    auto g = ParseJson(gp, body);
    EXPECT_FALSE(bool(g["complete"])) << body.substr(0, 300);
    EXPECT_EQ(g["rows"].get_array().size(), 50u);
    auto w = g["warnings"].get_array();
    ASSERT_EQ(w.size(), 1u) << body.substr(0, 300);
    EXPECT_NE(std::string_view(w.at(0)).find("more than 50 groups (query.max_groups)"), std::string_view::npos);
    body = s.Search("memtag | stats count() by host.name", "", &code);
    ASSERT_EQ(code, 200);
    auto h = ParseJson(gp, body);
    EXPECT_TRUE(bool(h["complete"])) << body.substr(0, 300);
    EXPECT_EQ(h["warnings"].get_array().size(), 0u) << body.substr(0, 300);
  }
  // An export holds nothing: not limited by the cap.
  std::string out = s.Get("/api/v1/export?q=memtag", &code);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3000);
  EXPECT_EQ(s.Stop(), 0);

  // A deadline of 1 ns: any search that has a block to read stops at once, marked timed_out.
  std::ofstream(dir + "/k.yaml") << "query:\n  timeout: 1ns\n";
  Server s2(dir, {"--config", dir + "/k.yaml"});
  s2.Start();
  body = s2.Search("memtag", "&limit=3000", &code);
  EXPECT_EQ(code, 200);
  simdjson::dom::parser p;
  auto r = ParseJson(p, body);
  EXPECT_TRUE(bool(r["timed_out"])) << body.substr(0, 300);
  EXPECT_EQ(s2.Stop(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
