// tests/declarative_parsers_integration_test.cc
//! Declarative parsers with the real binary (issue 23): `serve --parsers DIR` with a shipped
//! definition and a broken one (reported with its file and position, the server runs), lines
//! over TCP syslog found by their ECS fields, a definition added and picked up on SIGHUP while
//! lines keep arriving (none lost), and the `kamatama parsers check|test` commands on the
//! shipped definitions (parsers/defs) and on wrong expectations.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/json.h"
#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;
using kmt_test::Shell;
using kmt_test::ShellQuote;

std::string Defs(const std::string& name) { return std::string(KMT_SOURCE_DIR) + "/parsers/defs/" + name; }

//! Runs the binary with `args`; its output (stdout and stderr), *status its exit code.
std::string Kamatama(const std::string& args, int* status) {
  return Shell(ShellQuote(KMT_BINARY) + " " + args + " 2>&1", status);
}

//! A field of the first event a search returns ("" if none).
std::string FirstField(const Server& s, const std::string& q, const char* name) {
  simdjson::dom::parser p;
  simdjson::dom::element ev;
  if (p.parse(s.Search(q))["events"].at(0).get(ev)) return "";
  std::string_view v;
  if (int64_t n = 0; !ev[name].get(n)) return std::to_string(n);  // integer fields (ports) are numbers
  return ev[name].get(v) ? std::string() : std::string(v);
}

const char* kBad = "parser: broken\nwhen:\n  program: x\nextract:\n  - regex: '(?P<unclosed'\n";

class DeclarativeParsersIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = kmt_test::TempDir("declarative_parsers");
    fs::create_directories(dir_ + "/parsers");
    fs::copy_file(Defs("openvpn.yaml"), dir_ + "/parsers/openvpn.yaml");
    std::ofstream(dir_ + "/parsers/broken.yaml") << kBad;
  }
  void TearDown() override {
    if (server_) EXPECT_EQ(server_->Stop(), 0);
    server_.reset();
    fs::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(DeclarativeParsersIntegration, LinesGetTheirFieldsAndASighupAddsADefinitionWithoutLosingLines) {
  // Without the shipped definitions (which include OpenVPN and Dovecot): this is about the user's.
  std::ofstream(dir_ + "/kamatama.yaml") << "parsers:\n  shipped: false\n";
  server_ = std::make_unique<Server>(
      dir_, std::vector<std::string>{"--config", dir_ + "/kamatama.yaml", "--parsers", dir_ + "/parsers"});
  server_->Start();
  // The broken definition is reported at the line and column of its regex; the server runs.
  const std::string log = server_->log();
  EXPECT_NE(log.find("parser invalid: " + dir_ + "/parsers/broken.yaml:5:12: regex: invalid named capture group"), std::string::npos) << log;
  EXPECT_NE(log.find("parsers: 1 loaded (0 shipped), 1 invalid"), std::string::npos) << log;

  kmt_test::TcpClient tcp(server_->tcp());
  ASSERT_TRUE(tcp.ok());
  auto vpn_lines = [&](int from, int n) {
    std::string batch;
    for (int i = from; i < from + n; ++i)
      batch += "<30>Dec  7 09:12:01 vpn01 openvpn[1432]: 198.51.100.23:" + std::to_string(40000 + i) +
               " [user" + std::to_string(i) + "] Peer Connection Initiated with [AF_INET]198.51.100.23:" +
               std::to_string(40000 + i) + "\n";
    return tcp.Send(batch);
  };
  ASSERT_TRUE(vpn_lines(0, 300));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:vpn.openvpn") == 300; }));
  EXPECT_EQ(server_->CountMatches("event.dataset:vpn.openvpn source.ip:198.51.100.23 event.outcome:success"), 300u);
  EXPECT_EQ(FirstField(*server_, "user.name:user7", "source.port"), "40007");
  EXPECT_EQ(FirstField(*server_, "user.name:user7", "event.action"), "connected");
  EXPECT_NE(FirstField(*server_, "user.name:user7", "event.original").find(" 198.51.100.23:40007 [user7] Peer Connection"),
            std::string::npos);

  // Dovecot's lines are not understood yet ...
  const std::string dovecot =
      "<22>Dec  7 08:03:40 mx1 dovecot: pop3-login: Disconnected (auth failed, 3 attempts in 12 secs): user=<bob>, "
      "method=PLAIN, rip=203.0.113.9, lip=192.0.2.5, TLS, session=<Zz9>\n";
  ASSERT_TRUE(tcp.Send(dovecot));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("\"session=<Zz9>\"") == 1; }));
  EXPECT_EQ(server_->CountMatches("event.dataset:mail.dovecot"), 0u);
  // ... until its definition is added and the server reloads, while OpenVPN lines keep coming.
  fs::copy_file(Defs("dovecot.yaml"), dir_ + "/parsers/dovecot.yaml");
  ASSERT_TRUE(vpn_lines(300, 200));
  ::kill(server_->pid(), SIGHUP);
  ASSERT_TRUE(vpn_lines(500, 200));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->log().find("parsers: 4 loaded (0 shipped), 1 invalid") != std::string::npos; }))
      << server_->log();
  ASSERT_TRUE(tcp.Send(dovecot));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:mail.dovecot") == 1; }));
  EXPECT_EQ(server_->CountMatches("event.dataset:mail.dovecot user.name:bob source.ip:203.0.113.9 event.outcome:failure"), 1u);
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:vpn.openvpn") == 700; }))
      << server_->CountMatches("event.dataset:vpn.openvpn");
  // The reload is audited with the hook's result.
  const std::string audit = "event.dataset:kamatama.audit AND event.action:config.reload";
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches(audit) == 1; }));
  EXPECT_NE(FirstField(*server_, audit, "kamatama.changes").find("parsers reloaded"), std::string::npos);
}

TEST_F(DeclarativeParsersIntegration, AnUnreadableDirectoryStopsTheStartAndConfigNamesTheKey) {
  int status = 0;
  const std::string out = Shell("KAMATAMA_ADMIN_PASSWORD=x timeout 30 " + ShellQuote(KMT_BINARY) + " serve --data-dir " +
                                    ShellQuote(dir_ + "/data") + " --syslog-udp '' --syslog-tcp '' --http 127.0.0.1:0 --parsers " +
                                    ShellQuote(dir_ + "/no-such-dir") + " 2>&1",
                                &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("cannot read parser directory"), std::string::npos) << out;
  std::ofstream(dir_ + "/bad.yaml") << "parsers:\n  dir: [x]\n";
  const std::string check = Kamatama("check-config " + ShellQuote(dir_ + "/bad.yaml"), &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(check.find("parsers.dir"), std::string::npos) << check;
}

TEST_F(DeclarativeParsersIntegration, CheckAndTestCommands) {
  int status = -1;
  // Every shipped definition loads and passes its own examples.
  std::string out = Kamatama("parsers check " + ShellQuote(std::string(KMT_SOURCE_DIR) + "/parsers/defs"), &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("33 loaded, 0 invalid"), std::string::npos) << out;
  out = Kamatama("parsers test " + ShellQuote(std::string(KMT_SOURCE_DIR) + "/parsers/defs"), &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("102 example(s), 0 failed"), std::string::npos) << out;
  // The worked example of docs/parsers.md, copied as a newcomer would, passes its own example.
  const std::string guide = kmt_test::ReadFile(std::string(KMT_SOURCE_DIR) + "/docs/parsers.md");
  const size_t from = guide.find("```yaml\nparser: acmefw"), to = guide.find("```", from + 7);
  ASSERT_NE(from, std::string::npos);
  std::ofstream(dir_ + "/acmefw.yaml") << guide.substr(from + 8, to - from - 8);
  out = Kamatama("parsers test " + ShellQuote(dir_ + "/acmefw.yaml"), &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("1 example(s), 0 failed"), std::string::npos) << out;
  // A broken definition: reported with its position, exit 1.
  out = Kamatama("parsers check --json " + ShellQuote(dir_ + "/parsers"), &status);
  EXPECT_EQ(status, 1) << out;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_FALSE(p.parse(out).get(doc)) << out;
  EXPECT_EQ(int64_t(doc["loaded"]), 1);
  EXPECT_EQ(int64_t(doc["invalid"]), 1);
  EXPECT_EQ(int64_t(doc["problems"].at(0)["line"]), 5);
  EXPECT_EQ(int64_t(doc["problems"].at(0)["column"]), 12);
  // Samples with expected fields: right, then one value wrong.
  const std::string sample = dir_ + "/sample.log", expect = dir_ + "/expect.ndjson";
  std::ofstream(sample) << "<30>Dec  7 10:02:13 vpn01 openvpn[1]: alice/198.51.100.23:51234 SIGTERM[soft,remote-exit] "
                           "received, client-instance exiting\n"
                           "<38>Dec  7 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n";
  std::ofstream(expect) << R"({"parser":"openvpn","user.name":"alice","event.action":"disconnected","error.message":null})" "\n"
                        << R"({"parser":"auth.sshd","source.ip":"192.0.2.1"})" "\n";
  const std::string defs = ShellQuote(dir_ + "/parsers/openvpn.yaml");
  out = Kamatama("parsers test --expect " + ShellQuote(expect) + " " + defs + " " + ShellQuote(sample), &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("sample.log:1: openvpn (vpn.openvpn)"), std::string::npos) << out;
  EXPECT_NE(out.find("  source.ip: 198.51.100.23"), std::string::npos) << out;
  EXPECT_NE(out.find("sample.log:2: auth.sshd (auth.sshd)"), std::string::npos) << out;
  EXPECT_NE(out.find("2 sample line(s): 1 by declarative parsers, 1 by built-in ones, 0 by none; 0 mismatch(es)"),
            std::string::npos) << out;
  // `kamatama parse --parsers` prints the same events as NDJSON.
  out = Kamatama("parse --parsers " + defs + " " + ShellQuote(sample), &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(R"("event.dataset":"vpn.openvpn")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("event.dataset":"auth.sshd")"), std::string::npos) << out;
  std::ofstream(expect) << R"({"parser":"openvpn","user.name":"mallory"})" "\n" << R"({"parser":"openvpn"})" "\n";
  out = Kamatama("parsers test --json --expect " + ShellQuote(expect) + " " + defs + " " + ShellQuote(sample), &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find(R"("mismatches":["user.name: expected 'mallory', got 'alice'"])"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("mismatches":["parser: expected openvpn, got auth.sshd"])"), std::string::npos) << out;
}

}  // namespace

namespace {

// kamatama_parser_errors_total{parser=...} (issue 23): a definition whose typed field gets a value
// not of its type writes error.message on that event and counts it; its clean lines do not count.
TEST_F(DeclarativeParsersIntegration, ParserErrorsAreCountedPerDefinition) {
  std::ofstream(dir_ + "/parsers/typed.yaml")
      << "parser: typed-port\nwhen:\n  program: portlog\nextract:\n  - regex: '^port (?P<p>\\S+)$'\n"
         "fields:\n  destination.port: {from: p, type: port}\n";
  server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--parsers", dir_ + "/parsers"});
  server_->Start();
  const std::string metric = "kamatama_parser_errors_total{parser=\"typed-port\"}";
  EXPECT_EQ(server_->Metric(metric), 0) << "registered at load, before any line";
  EXPECT_EQ(server_->Metric("kamatama_parser_errors_total{parser=\"openvpn\"}"), 0);
  kmt_test::TcpClient tcp(server_->tcp());
  ASSERT_TRUE(tcp.ok());
  std::string batch;
  for (const char* p : {"443", "99999", "80", "http", "22"}) batch += std::string("<14>Dec  7 10:00:00 h1 portlog: port ") + p + "\n";
  ASSERT_TRUE(tcp.Send(batch));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:typed-port") == 5; }));
  EXPECT_EQ(server_->CountMatches("event.dataset:typed-port error.message:*"), 2u);
  EXPECT_EQ(server_->Metric(metric), 2);  // 99999 and http are not ports
  EXPECT_EQ(server_->Metric("kamatama_parser_errors_total{parser=\"openvpn\"}"), 0);
}

}  // namespace

namespace {

//! POSTs a JSON body to the server as the admin; the answer, *code its status.
std::string PostJson(const Server& s, const std::string& dir, const std::string& path, const std::string& body, int* code) {
  const std::string file = dir + "/body.json";
  std::ofstream(file, std::ios::trunc) << body;
  return s.Post(path, file, code);
}

std::string SaveBody(const std::string& yaml) {
  std::string b = "{\"definition\":";
  kamatama::AppendJsonString(&b, yaml);
  return b + "}";
}

const char* kAcme = R"(parser: acmegw
dataset: custom.acmegw
when: {program: acmegw}
extract:
  - grok: 'blocked connection from %{IP:src} port %{INT:sport}'
fields:
  source.ip: {from: src, type: ip}
  source.port: {from: sport, type: port}
set:
  event.action: blocked
examples:
  - line: '<134>Dec  7 10:15:30 gw1 acmegw[211]: blocked connection from 203.0.113.40 port 52310'
    expect: {source.ip: 203.0.113.40, source.port: '52310', event.dataset: custom.acmegw}
)";

}  // namespace

//! Issue 23: the builder saves. A definition tried on the Unparsed page is saved over the API
//! (admins only: the route matrix checks the other roles), checked as a file is and against its
//! examples, written to <data>/parsers and active for the next line without a restart, audited,
//! and still there after a restart; one named as a shipped definition replaces it.
TEST_F(DeclarativeParsersIntegration, BuilderSaveMakesADefinitionActiveWithoutARestart) {
  server_ = std::make_unique<Server>(dir_, std::vector<std::string>{});
  server_->Start();
  EXPECT_NE(server_->log().find(" shipped), 0 invalid"), std::string::npos) << server_->log();
  kmt_test::TcpClient tcp(server_->tcp());
  ASSERT_TRUE(tcp.ok());
  ASSERT_TRUE(tcp.Send("<134>Dec  7 10:15:31 gw1 acmegw[211]: blocked connection from 203.0.113.41 port 52311\n"));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:syslog.generic") == 1; }));

  int code = 0;
  // Refused: a regex that does not compile (with its position), an example that does not hold.
  std::string out = PostJson(*server_, dir_, "/api/v1/unparsed/save",
                             SaveBody("parser: acmegw\nwhen: {program: acmegw}\nextract:\n  - regex: '(unclosed'\n"), &code);
  EXPECT_EQ(code, 400) << out;
  EXPECT_NE(out.find("definition:4:"), std::string::npos) << out;
  std::string wrong = kAcme;
  wrong.replace(wrong.find("source.port: '52310'"), 20, "source.port: '1'");
  out = PostJson(*server_, dir_, "/api/v1/unparsed/save", SaveBody(wrong), &code);
  EXPECT_EQ(code, 400) << out;
  EXPECT_NE(out.find("acmegw example 1: source.port: expected '1', got '52310'"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_ + "/data/parsers/acmegw.yaml"));

  // Saved: the file, and the next line parsed by it.
  out = PostJson(*server_, dir_, "/api/v1/unparsed/save", SaveBody(kAcme), &code);
  ASSERT_EQ(code, 200) << out;
  EXPECT_NE(out.find("\"saved\":\"acmegw\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"replaces_shipped\":false"), std::string::npos) << out;
  EXPECT_EQ(kmt_test::ReadFile(dir_ + "/data/parsers/acmegw.yaml"), kAcme);
  ASSERT_TRUE(tcp.Send("<134>Dec  7 10:15:32 gw1 acmegw[211]: blocked connection from 203.0.113.42 port 52312\n"));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:custom.acmegw") == 1; }));
  EXPECT_EQ(FirstField(*server_, "event.dataset:custom.acmegw", "source.ip"), "203.0.113.42");
  EXPECT_EQ(FirstField(*server_, "event.dataset:custom.acmegw", "source.port"), "52312");
  // Audited, the failures too.
  const std::string audit = "event.dataset:kamatama.audit AND event.action:parser.save";
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches(audit) == 3; }));
  EXPECT_EQ(server_->CountMatches(audit + " AND event.outcome:success AND kamatama.object.name:acmegw"), 1u);
  EXPECT_EQ(server_->CountMatches(audit + " AND event.outcome:failure"), 2u);

  // A saved definition named as a shipped one replaces it.
  out = PostJson(*server_, dir_, "/api/v1/unparsed/save",
                 SaveBody("parser: checkpoint\ndataset: custom.cp\nwhen: {contains: 'origin:\"'}\n"), &code);
  ASSERT_EQ(code, 200) << out;
  EXPECT_NE(out.find("\"replaces_shipped\":true"), std::string::npos) << out;

  // After a restart the saved definitions load with the others.
  EXPECT_EQ(server_->Stop(), 0);
  server_->Start();
  EXPECT_NE(server_->log().find("parser checkpoint: the user's definition replaces the shipped one"), std::string::npos)
      << server_->log();
  kmt_test::TcpClient tcp2(server_->tcp());
  ASSERT_TRUE(tcp2.Send("<134>Dec  7 10:15:33 gw1 acmegw[211]: blocked connection from 203.0.113.43 port 52313\n"));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:custom.acmegw") == 2; }));
}

// A save reloads with the parsers.* of the last SIGHUP, not with the configuration the server
// started with: a definition disabled by a reload stays disabled after a save.
TEST_F(DeclarativeParsersIntegration, BuilderSaveKeepsTheParsersSectionOfTheLastReload) {
  const std::string config = dir_ + "/kamatama.yaml";
  std::ofstream(config) << "parsers:\n  shipped: false\n  dirs: [" << dir_ << "/parsers]\n";
  server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--config", config});
  server_->Start();
  ASSERT_NE(server_->log().find("parsers: 1 loaded (0 shipped), 1 invalid"), std::string::npos) << server_->log();
  std::ofstream(config) << "parsers:\n  shipped: false\n  dirs: [" << dir_ << "/parsers]\n  disable: [openvpn]\n";
  ::kill(server_->pid(), SIGHUP);
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->log().find("parsers: 0 loaded (0 shipped), 1 invalid") != std::string::npos; }))
      << server_->log();
  int code = 0;
  std::string out = PostJson(*server_, dir_, "/api/v1/unparsed/save", SaveBody(kAcme), &code);
  ASSERT_EQ(code, 200) << out;
  EXPECT_NE(out.find("\"loaded\":1,"), std::string::npos) << out;  // acmegw alone: openvpn stays disabled
  kmt_test::TcpClient tcp(server_->tcp());
  ASSERT_TRUE(tcp.Send("<30>Dec  7 09:12:01 vpn01 openvpn[1432]: 198.51.100.23:40001 [user1] Peer Connection "
                       "Initiated with [AF_INET]198.51.100.23:40001\n"
                       "<134>Dec  7 10:15:32 gw1 acmegw[211]: blocked connection from 203.0.113.42 port 52312\n"));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:custom.acmegw") == 1; }));
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("\"Peer Connection Initiated\"") == 1; }));
  EXPECT_EQ(server_->CountMatches("event.dataset:vpn.openvpn"), 0u);
}
