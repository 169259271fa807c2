// tests/senders_integration_test.cc: real senders (util-linux logger, rsyslog over syslog and
// through omelasticsearch to /_bulk) to a real server; every line is found again through
// GET /api/v1/search with its host, program and timestamp.
#include <simdjson.h>

#include "core/time.h"
#include "harness.h"

using namespace kmt_test;

namespace {
std::string Hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}


class SendersTest : public SharedServerTest {
 protected:

  // Waits until `marker` is found `count` times; returns the events array JSON.
  static std::string WaitFor(const std::string& marker, size_t count = 1) {
    std::string body;
    Eventually([&] {
      body = server_->Search(marker, "&limit=100");
      simdjson::dom::parser p;
      auto r = p.parse(body);
      return !r.error() && r.value()["events"].get_array().size() >= count;
    });
    return body;
  }

  // Checks one found event: host, program, time within `slack` of when it was sent.
  static void CheckEvent(simdjson::dom::element ev, const std::string& program, int64_t sent_ns, bool micro) {
    EXPECT_EQ(std::string_view(ev["host.name"]), Hostname());
    EXPECT_EQ(std::string_view(ev["process.name"]), program);
    auto ts = kamatama::ParseRfc3339(std::string(std::string_view(ev["@timestamp"])));
    ASSERT_TRUE(ts);
    // RFC 3164 has whole seconds; RFC 5424 from logger has microseconds.
    EXPECT_LE(std::llabs(*ts - sent_ns), 3 * kamatama::kNanosPerSecond) << std::string_view(ev["@timestamp"]);
    if (!micro) { EXPECT_EQ(*ts % kamatama::kNanosPerSecond, 0); }
  }

};
}  // namespace

TEST_F(SendersTest, LoggerUdp) {
  int64_t sent = kamatama::NowNanos();
  int st;
  Shell("logger -n 127.0.0.1 -P " + server_->udp_port() + " -d -t udptag --id=4242 'hello over udp marker1udp'", &st);
  ASSERT_EQ(st, 0);
  std::string body = WaitFor("marker1udp");
  simdjson::dom::parser p;
  auto r = p.parse(body).value();
  ASSERT_EQ(r["events"].get_array().size(), 1u) << body;
  simdjson::dom::element ev = r["events"].at(0).value();
  CheckEvent(ev, "udptag", sent, true);
  EXPECT_EQ(int64_t(ev["process.pid"]), 4242);
  EXPECT_EQ(std::string_view(ev["message"]), "hello over udp marker1udp");
  EXPECT_EQ(std::string_view(ev["observer.ip"]), "127.0.0.1");
}

TEST_F(SendersTest, LoggerTcpOctetCountedRfc5424) {
  int64_t sent = kamatama::NowNanos();
  int st;
  Shell("logger -n 127.0.0.1 -P " + server_->tcp_port() +
            " -T --octet-count --rfc5424 -t octtag 'hello octet counted marker2oct'",
        &st);
  ASSERT_EQ(st, 0);
  std::string body = WaitFor("marker2oct");
  simdjson::dom::parser p;
  auto r = p.parse(body).value();
  ASSERT_EQ(r["events"].get_array().size(), 1u) << body;
  simdjson::dom::element ev = r["events"].at(0).value();
  CheckEvent(ev, "octtag", sent, true);
  EXPECT_EQ(std::string_view(ev["message"]), "hello octet counted marker2oct");
  EXPECT_EQ(int64_t(ev["log.syslog.severity.code"]), 5);
  EXPECT_EQ(int64_t(ev["log.syslog.facility.code"]), 1);
}

TEST_F(SendersTest, LoggerTcpNewlineRfc3164) {
  int64_t sent = kamatama::NowNanos();
  int st;
  Shell("logger -n 127.0.0.1 -P " + server_->tcp_port() + " -T --rfc3164 -p auth.warning -t nltag 'hello newline marker3nl'",
        &st);
  ASSERT_EQ(st, 0);
  std::string body = WaitFor("marker3nl");
  simdjson::dom::parser p;
  auto r = p.parse(body).value();
  ASSERT_EQ(r["events"].get_array().size(), 1u) << body;
  simdjson::dom::element ev = r["events"].at(0).value();
  CheckEvent(ev, "nltag", sent, false);
  EXPECT_EQ(std::string_view(ev["message"]), "hello newline marker3nl");
  EXPECT_EQ(int64_t(ev["log.syslog.facility.code"]), 4);
  EXPECT_EQ(int64_t(ev["log.syslog.severity.code"]), 4);
}

TEST_F(SendersTest, LoggerManyLinesOneConnection) {
  std::string file = *dir_ + "/many.txt";
  {
    std::ofstream out(file);
    for (int i = 0; i < 500; ++i) out << "bulk line " << i << " marker4bulk\n";
  }
  int st;
  Shell("logger -n 127.0.0.1 -P " + server_->tcp_port() + " -T --octet-count -t bulktag -f " + file, &st);
  ASSERT_EQ(st, 0);
  ASSERT_TRUE(Eventually([&] {
    std::string b = server_->Search("marker4bulk", "&limit=1000");
    simdjson::dom::parser p;
    auto r = p.parse(b);
    return !r.error() && r.value()["events"].get_array().size() == 500;
  }));
}

TEST_F(SendersTest, RsyslogForwardsOverTcp) {
  if (Shell("command -v rsyslogd").empty()) GTEST_SKIP() << "rsyslogd not installed (deploy/install-deps.sh installs it)";
  std::string rdir = *dir_ + "/rsyslog";
  std::filesystem::create_directories(rdir + "/work");
  int in_port = FreeLocalPort(SOCK_DGRAM);
  {
    std::ofstream conf(rdir + "/rsyslog.conf");
    conf << "global(workDirectory=\"" << rdir << "/work\")\n"
         << "module(load=\"imudp\")\n"
         << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << in_port << "\")\n"
         // RFC 3164 in octet-counted frames, and RFC 5424 (rsyslog's template) newline framed.
         << "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"" << server_->tcp_port()
         << "\" protocol=\"tcp\" TCP_Framing=\"octet-counted\")\n"
         << "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"" << server_->tcp_port()
         << "\" protocol=\"tcp\" template=\"RSYSLOG_SyslogProtocol23Format\")\n";
  }
  pid_t pid = StartRsyslogd(rdir);
  // Wait for rsyslog's UDP input, then send through it.
  int64_t sent = 0;
  bool found = Eventually(
      [&] {
        sent = kamatama::NowNanos();
        Shell("logger -n 127.0.0.1 -P " + std::to_string(in_port) + " -d --rfc3164 -t rstag 'via rsyslog marker5rs'");
        std::string b = server_->Search("marker5rs", "&limit=100");
        return b.find("marker5rs") != std::string::npos;
      },
      15000);
  ASSERT_TRUE(found) << ReadFile(rdir + "/rsyslogd.out");
  std::string body = WaitFor("marker5rs", 2);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  simdjson::dom::parser p;
  auto r = p.parse(body).value();
  auto events = r["events"].get_array();
  ASSERT_GE(events.size(), 2u) << body;
  bool saw_5424 = false, saw_3164 = false;
  for (auto ev : events) {
    EXPECT_EQ(std::string_view(ev["host.name"]), Hostname());
    EXPECT_EQ(std::string_view(ev["process.name"]), "rstag");
    EXPECT_EQ(std::string_view(ev["message"]), "via rsyslog marker5rs");
    auto ts = kamatama::ParseRfc3339(std::string(std::string_view(ev["@timestamp"])));
    ASSERT_TRUE(ts);
    EXPECT_LE(std::llabs(*ts - sent), 20 * kamatama::kNanosPerSecond);
    if (ev["log.syslog.version"].error()) saw_3164 = true;
    else saw_5424 = true;
  }
  EXPECT_TRUE(saw_5424) << body;
  EXPECT_TRUE(saw_3164) << body;
}

// rsyslog's omelasticsearch (Debian package rsyslog-elasticsearch) is a real _bulk client: the
// configuration of docs/shippers.md (ECS field names in a template, bulk mode, an _id per
// message, an ingest token as the Basic password) forwards lines that come back with their fields.
TEST_F(SendersTest, RsyslogOmelasticsearchToBulk) {
  if (Shell("command -v rsyslogd").empty()) GTEST_SKIP() << "rsyslogd not installed (deploy/install-deps.sh installs it)";
  std::string rdir = *dir_ + "/rsyslog-es";
  std::filesystem::create_directories(rdir + "/work");

  // An API token with the ingest scope, created by the admin (docs/security.md).
  std::string made = Shell("curl -s -m 30 -H 'Content-Type: application/json' "
                           "-d '{\"name\":\"rsyslog-es\",\"scopes\":[\"ingest\"]}' " +
                           ShellQuote(server_->Url("/api/v1/tokens")));
  simdjson::dom::parser tp;
  std::string_view token;
  ASSERT_FALSE(tp.parse(made).value()["token"].get(token)) << made;
  const std::string http_port = server_->http_address().substr(server_->http_address().rfind(':') + 1);
  int in_port = FreeLocalPort(SOCK_DGRAM);
  {
    std::ofstream conf(rdir + "/rsyslog.conf");
    conf << "global(workDirectory=\"" << rdir << "/work\")\n"
         << "module(load=\"imudp\")\n"
         << "module(load=\"omelasticsearch\")\n"
         << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << in_port << "\")\n"
         << "template(name=\"kmt_ecs\" type=\"string\" string=\"{"
            "\\\"@timestamp\\\":\\\"%timereported:::date-rfc3339%\\\","
            "\\\"host\\\":{\\\"name\\\":\\\"%hostname:::json%\\\"},"
            "\\\"process\\\":{\\\"name\\\":\\\"%programname:::json%\\\"},"
            "\\\"log\\\":{\\\"syslog\\\":{\\\"facility\\\":{\\\"name\\\":\\\"%syslogfacility-text%\\\"},"
            "\\\"severity\\\":{\\\"name\\\":\\\"%syslogseverity-text%\\\"}}},"
            "\\\"message\\\":\\\"%$.msg:::json%\\\"}\")\n"
         << "template(name=\"kmt_id\" type=\"string\" string=\"%uuid%\")\n"
         << "set $.msg = ltrim($msg);\n"
         << "action(type=\"omelasticsearch\" server=\"127.0.0.1\" serverport=\"" << http_port << "\"\n"
         << "       searchIndex=\"rsyslog\" template=\"kmt_ecs\" bulkmode=\"on\" esVersion.major=\"8\"\n"
         << "       bulkid=\"kmt_id\" dynbulkid=\"on\" uid=\"rsyslog\" pwd=\"" << token << "\"\n"
         << "       errorFile=\"" << rdir << "/es-errors.json\")\n";
  }
  int st;
  std::string check = Shell("rsyslogd -N1 -f " + ShellQuote(rdir + "/rsyslog.conf") + " 2>&1", &st);
  if (st != 0 && check.find("could not load module") != std::string::npos)
    GTEST_SKIP() << "omelasticsearch not installed (deploy/install-deps.sh installs rsyslog-elasticsearch): " << check;
  ASSERT_EQ(st, 0) << check;
  pid_t pid = StartRsyslogd(rdir);
  // Wait for rsyslog's UDP input, then send through it (a datagram sent before it listens is lost).
  int64_t sent = 0;
  bool found = Eventually(
      [&] {
        sent = kamatama::NowNanos();
        Shell("logger -n 127.0.0.1 -P " + std::to_string(in_port) + " -d --rfc3164 -p auth.warning -t estag "
              "'via omelasticsearch marker6es'");
        return server_->Search("marker6es", "&limit=1").find("marker6es") != std::string::npos;
      },
      15000);
  std::string body = WaitFor("marker6es");
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  ASSERT_TRUE(found) << ReadFile(rdir + "/rsyslogd.out") << ReadFile(rdir + "/es-errors.json");
  simdjson::dom::parser p;
  auto events = p.parse(body).value()["events"].get_array();
  ASSERT_GE(events.size(), 1u) << body;
  for (auto ev : events) {
    EXPECT_EQ(std::string_view(ev["host.name"]), Hostname());
    EXPECT_EQ(std::string_view(ev["process.name"]), "estag");
    EXPECT_EQ(std::string_view(ev["message"]), "via omelasticsearch marker6es");
    EXPECT_EQ(std::string_view(ev["log.syslog.facility.name"]), "auth");
    EXPECT_EQ(std::string_view(ev["log.syslog.severity.name"]), "warning");
    EXPECT_EQ(std::string_view(ev["event.dataset"]), "syslog.json");
    auto ts = kamatama::ParseRfc3339(std::string(std::string_view(ev["@timestamp"])));
    ASSERT_TRUE(ts);
    EXPECT_LE(std::llabs(*ts - sent), 20 * kamatama::kNanosPerSecond);
  }
  EXPECT_TRUE(ReadFile(rdir + "/es-errors.json").empty()) << ReadFile(rdir + "/es-errors.json");
  EXPECT_GE(server_->Metric("kamatama_received_total{transport=\"es_bulk\"}"), 1);
}
