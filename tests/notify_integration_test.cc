// tests/notify_integration_test.cc
//! Alert notifications (issue 21) against real peers, all real processes: the kamatama binary,
//! a webhook receiver (tests/notify_receiver.py: Python's http.server, which checks the
//! HMAC-SHA256 signature with the shared secret itself) and SMTP servers (tests/notify_smtp.py:
//! aiosmtpd, whose messages Python's own e-mail parser reads). Proves: an alert reaches the
//! webhook signed and the SMTP server with the right subject and recipient (also over STARTTLS
//! with a login, and an https webhook verified against notifications.ca_file); a receiver down at
//! first gets the alert once it is up; targets outside notifications.allowed_targets (127.0.0.1
//! not listed, 169.254.169.254, a name resolving to loopback) are refused at save and never
//! contacted, and refused again at connect time when the file holds them anyway; a log line with
//! CR/LF and header-looking text stays inert in the mail; a rate limit lets N through and tells
//! the rest in one digest; a certificate no trusted CA signed is refused; a 4xx is given up at
//! once and a receiver that never listens after max_attempts. Nothing is timed: every wait polls
//! with a generous deadline.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/harness.h"
#include "tests/peers.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Eventually;
using kmt_test::ReadFile;
using kmt_test::Server;
using kmt_test::Shell;
using kmt_test::ShellQuote;
using kmt_test::Peer;
using kmt_test::Python;
using kmt_test::Lines;

constexpr const char* kSecret = "kmt-test-webhook-secret-0123456789";
//! Long enough for a loaded 2-core machine; the waits end as soon as the condition holds.
constexpr int kDeadlineMs = 30000;

//! A rule of level `level` on events of dataset kmt.notify whose kmt.word is `word`.
std::string Rule(const std::string& id, const std::string& title, const std::string& level, const std::string& word) {
  return "title: " + title + "\nid: " + id + "\nlevel: " + level +
         "\nlogsource:\n  product: kmt\n  service: notify\ndetection:\n  selection:\n    kmt.word: " + word +
         "\n  condition: selection\n";
}
const char* kHookRule = "22222222-0000-0000-0000-000000000001";
const char* kLowRule = "22222222-0000-0000-0000-000000000002";
const char* kMailRule = "22222222-0000-0000-0000-000000000003";
const char* kLateRule = "22222222-0000-0000-0000-000000000004";
const char* kFloodRule = "22222222-0000-0000-0000-000000000005";
const char* kTlsRule = "22222222-0000-0000-0000-000000000006";
const char* kGiveUpRule = "22222222-0000-0000-0000-000000000007";

using kmt_test::Script;


std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  return e[key].get(v) ? std::string("<missing ") + key + ">" : std::string(v);
}

class NotifyIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (Python().empty()) {
      skip_ = true;
      return;
    }
    dir_ = new std::string(kmt_test::TempDir("notify_integration"));
    const std::string& d = *dir_;
    int st = 0;
    Shell(std::string(KMT_BINARY) + " cert self-signed --out " + ShellQuote(d + "/tls") + " --host localhost", &st);
    ASSERT_EQ(st, 0);
    hook_ = new Peer(d, "hook", {Script("notify_receiver.py"), "--secret", kSecret, "--out", d + "/hook.jsonl"});
    decoy_ = new Peer(d, "decoy", {Script("notify_receiver.py"), "--secret", kSecret, "--out", d + "/decoy.jsonl"});
    tls_hook_ = new Peer(d, "tls_hook", {Script("notify_receiver.py"), "--secret", kSecret, "--out", d + "/tls_hook.jsonl",
                                         "--cert", d + "/tls/cert.pem", "--key", d + "/tls/key.pem"});
    smtp_ = new Peer(d, "smtp", {Script("notify_smtp.py"), "--out", d + "/smtp.jsonl"});
    smtp_tls_ = new Peer(d, "smtp_tls", {Script("notify_smtp.py"), "--out", d + "/smtp_tls.jsonl", "--cert",
                                         d + "/tls/cert.pem", "--key", d + "/tls/key.pem", "--auth", "kmt:smtp-pw"});
    // A receiver whose certificate notifications.ca_file does not trust, and one that answers 400.
    Shell(std::string(KMT_BINARY) + " cert self-signed --out " + ShellQuote(d + "/tls2") + " --host localhost", &st);
    ASSERT_EQ(st, 0);
    untrusted_ = new Peer(d, "untrusted", {Script("notify_receiver.py"), "--secret", kSecret, "--out", d + "/untrusted.jsonl",
                                           "--cert", d + "/tls2/cert.pem", "--key", d + "/tls2/key.pem"});
    rejecting_ = new Peer(d, "rejecting", {Script("notify_receiver.py"), "--secret", kSecret, "--out",
                                           d + "/rejecting.jsonl", "--status", "400"});
    late_port_ = kmt_test::FreeLocalPort();
    dead_port_ = kmt_test::FreeLocalPort();  // nothing ever listens there
    for (Peer* p : {hook_, decoy_, tls_hook_, smtp_, smtp_tls_, untrusted_, rejecting_}) ASSERT_GT(p->port(), 0) << p->log();
    fs::create_directories(d + "/rules");
    std::ofstream(d + "/rules/hook.yml") << Rule(kHookRule, "Notify hook", "high", "hook");
    std::ofstream(d + "/rules/low.yml") << Rule(kLowRule, "Notify low", "low", "lowly");
    std::ofstream(d + "/rules/mail.yml") << Rule(kMailRule, "Notify mail", "critical", "mail");
    std::ofstream(d + "/rules/late.yml") << Rule(kLateRule, "Notify late", "high", "late");
    std::ofstream(d + "/rules/flood.yml") << Rule(kFloodRule, "Notify flood", "medium", "flood");
    std::ofstream(d + "/rules/tls.yml") << Rule(kTlsRule, "Notify tls", "high", "tls");
    std::ofstream(d + "/rules/giveup.yml") << Rule(kGiveUpRule, "Notify give up", "high", "giveup");
    const auto p = [](Peer* peer) { return std::to_string(peer->port()); };
    // 127.0.0.1 is allowed only on the ports of the peers meant to be reached; the decoy's port is
    // allowed by the name "localhost" alone (which resolves to loopback: still refused).
    std::ofstream(d + "/kamatama.yaml")
        << "detection:\n  alerts:\n    per_rule_cap: 100000\n"
        << "notifications:\n  allowed_targets: [\"127.0.0.1:" << p(hook_) << "\", \"127.0.0.1:" << p(smtp_)
        << "\", \"127.0.0.1:" << late_port_ << "\", \"localhost:" << p(decoy_) << "\", \"localhost:" << p(tls_hook_)
        << "\", \"127.0.0.1:" << p(tls_hook_) << "\", \"[::1]:" << p(tls_hook_) << "\", \"localhost:" << p(smtp_tls_)
        << "\", \"127.0.0.1:" << p(smtp_tls_) << "\", \"[::1]:" << p(smtp_tls_) << "\", \"127.0.0.1:" << p(untrusted_) << "\", \"127.0.0.1:" << p(rejecting_)
        << "\", \"127.0.0.1:" << dead_port_ << "\"]\n"
        << "  retry_initial: 200ms\n  retry_max: 1s\n  max_attempts: 12\n  timeout: 10s\n  rate_window: 3s\n"
        << "  ca_file: " << d << "/tls/cert.pem\n";
    server_ = new Server(d, {"--rules", d + "/rules", "--config", d + "/kamatama.yaml"});
    server_->Start();
  }
  static void TearDownTestSuite() {
    if (skip_) return;
    if (server_) EXPECT_EQ(server_->Stop(), 0);
    for (Peer* p : {hook_, decoy_, tls_hook_, smtp_, smtp_tls_, untrusted_, rejecting_}) delete p;
    delete server_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    if (skip_) GTEST_SKIP() << "python3-aiosmtpd is needed (deploy/install-deps.sh)";
  }

  //! The targets every test works with (each filters on its own rule, so tests do not mix).
  static std::string Targets() {
    const std::string hook = "http://127.0.0.1:" + std::to_string(hook_->port());
    return std::string("{\"targets\":[") +
           "{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"" + hook + "/hook\",\"secret\":\"" + kSecret +
           "\",\"min_level\":\"medium\",\"rules\":[\"" + kHookRule + "\",\"" + kLowRule + "\"]}," +
           "{\"name\":\"flood\",\"type\":\"webhook\",\"url\":\"" + hook + "/flood\",\"secret\":\"" + kSecret +
           "\",\"rules\":[\"Notify flood\"],\"rate_limit\":5}," +
           "{\"name\":\"late\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:" + std::to_string(late_port_) +
           "/late\",\"secret\":\"" + kSecret + "\",\"rules\":[\"" + kLateRule + "\"]}," +
           "{\"name\":\"tls-hook\",\"type\":\"webhook\",\"url\":\"https://localhost:" + std::to_string(tls_hook_->port()) +
           "/tls\",\"secret\":\"" + kSecret + "\",\"rules\":[\"" + kTlsRule + "\"]}," +
           "{\"name\":\"mail\",\"type\":\"email\",\"url\":\"smtp://127.0.0.1:" + std::to_string(smtp_->port()) +
           "\",\"from\":\"kamatama@example.org\",\"to\":[\"soc@example.org\"],\"rules\":[\"" + kMailRule + "\"]}," +
           "{\"name\":\"mail-tls\",\"type\":\"email\",\"url\":\"smtp://localhost:" + std::to_string(smtp_tls_->port()) +
           "\",\"from\":\"kamatama@example.org\",\"to\":[\"oncall@example.org\",\"lead@example.org\"],\"starttls\":true,"
           "\"username\":\"kmt\",\"secret\":\"smtp-pw\",\"rules\":[\"" + kTlsRule + "\"]}," +
           "{\"name\":\"untrusted\",\"type\":\"webhook\",\"url\":\"https://127.0.0.1:" + std::to_string(untrusted_->port()) +
           "/u\",\"secret\":\"" + kSecret + "\",\"rules\":[\"no such rule\"]}," +
           "{\"name\":\"rejecting\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:" + std::to_string(rejecting_->port()) +
           "/r\",\"secret\":\"" + kSecret + "\",\"rules\":[\"" + kGiveUpRule + "\"]}," +
           "{\"name\":\"dead\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:" + std::to_string(dead_port_) +
           "/d\",\"secret\":\"" + kSecret + "\",\"rules\":[\"" + kGiveUpRule + "\"]}]}";
  }
  //! A request with a JSON body (PUT, POST) as the admin; the body, *code the status.
  static std::string Send(const std::string& method, const std::string& path, const std::string& json, int* code) {
    std::ofstream(*dir_ + "/body.json") << json;
    std::string out = Shell("curl -s -m 60 -w '\\n%{http_code}' -X " + method + " -H 'Content-Type: application/json' " +
                            "--data-binary @" + ShellQuote(*dir_ + "/body.json") + " " + ShellQuote(server_->Url(path)));
    const size_t nl = out.rfind('\n');
    *code = std::atoi(out.c_str() + nl + 1);
    return out.substr(0, nl);
  }
  static void PutTargets() {
    int code = 0;
    std::string body = Send("PUT", "/api/v1/notifications", Targets(), &code);
    ASSERT_EQ(code, 200) << body << server_->log();
  }
  //! Ingests NDJSON; expects 200.
  static void Ingest(const std::string& ndjson) {
    std::ofstream(*dir_ + "/batch.ndjson") << ndjson;
    int code = 0;
    std::string body = server_->Post("/api/v1/ingest", *dir_ + "/batch.ndjson", &code);
    ASSERT_EQ(code, 200) << body;
  }
  static std::string Event(const std::string& host, const std::string& word, const std::string& extra = "") {
    return "{\"@timestamp\":\"2026-03-01T10:00:00Z\",\"event.dataset\":\"kmt.notify\",\"host.name\":\"" + host +
           "\",\"kmt.word\":\"" + word + "\"" + extra + ",\"message\":\"the word is " + word + "\"}\n";
  }
  //! The records of `file` whose body (or, for mail, raw text) holds `needle`.
  static std::vector<std::string> With(const std::string& file, const std::string& needle) {
    std::vector<std::string> out;
    for (const std::string& l : Lines(*dir_ + "/" + file))
      if (l.find(needle) != std::string::npos) out.push_back(l);
    return out;
  }

  inline static bool skip_ = false;
  inline static std::string* dir_ = nullptr;
  inline static Server* server_ = nullptr;
  inline static Peer *hook_ = nullptr, *decoy_ = nullptr, *tls_hook_ = nullptr, *smtp_ = nullptr, *smtp_tls_ = nullptr,
                     *untrusted_ = nullptr, *rejecting_ = nullptr;
  inline static int late_port_ = 0, dead_port_ = 0;
  simdjson::dom::parser parser_;
};

TEST_F(NotifyIntegration, AlertReachesTheWebhookSignedAndSecretsAreNeverShown) {
  PutTargets();
  // A low alert first, then a high one, in one batch: the queue is first in, first out, so once the
  // high one arrived the low one (under the target's min_level) would have arrived before it.
  Ingest(Event("web-low", "lowly") + Event("web-hook", "hook"));
  std::vector<std::string> got;
  ASSERT_TRUE(Eventually([&] { return !(got = With("hook.jsonl", "web-hook")).empty(); }, kDeadlineMs))
      << ReadFile(*dir_ + "/hook.jsonl") << server_->log();
  EXPECT_TRUE(With("hook.jsonl", "web-low").empty()) << "an alert under min_level was sent";
  ASSERT_EQ(got.size(), 1u);
  simdjson::dom::element rec, body;
  ASSERT_FALSE(parser_.parse(got[0]).get(rec));
  bool sig = false, fresh = false;
  EXPECT_FALSE(rec["signature_ok"].get(sig));
  EXPECT_FALSE(rec["timestamp_ok"].get(fresh));
  EXPECT_TRUE(sig) << got[0];
  EXPECT_TRUE(fresh) << got[0];
  EXPECT_EQ(Str(rec, "path"), "/hook");
  EXPECT_EQ(Str(rec["headers"], "content-type"), "application/json");
  EXPECT_EQ(Str(rec["headers"], "x-kamatama-event"), "alert");
  const std::string text = Str(rec, "body");
  simdjson::dom::parser p2;
  ASSERT_FALSE(p2.parse(text).get(body)) << text;
  EXPECT_EQ(Str(body, "schema"), "kamatama.notification.v1");
  EXPECT_EQ(Str(body, "type"), "alert");
  EXPECT_EQ(Str(body, "target"), "hook");
  EXPECT_EQ(Str(body, "delivery"), Str(rec["headers"], "x-kamatama-delivery"));
  EXPECT_EQ(Str(body["alert"], "rule_id"), kHookRule);
  EXPECT_EQ(Str(body["alert"], "rule_name"), "Notify hook");
  EXPECT_EQ(Str(body["alert"], "level"), "high");
  EXPECT_EQ(Str(body["alert"], "host"), "web-hook");
  EXPECT_EQ(Str(body["alert"], "event_time"), "2026-03-01T10:00:00.000Z");
  EXPECT_NE(Str(body["alert"], "original").find("\"kmt.word\":\"hook\""), std::string::npos) << text;
  int64_t id = 0;
  EXPECT_FALSE(body["alert"]["id"].get(id));
  EXPECT_GT(id, 0);

  // The test endpoint: one signed "test" message now, its outcome in the answer.
  int code = 0;
  std::string answer = Send("POST", "/api/v1/notifications/test", "{\"target\":\"hook\"}", &code);
  EXPECT_EQ(code, 200) << answer;
  std::vector<std::string> tests = With("hook.jsonl", "x-kamatama-event\": \"test\"");
  ASSERT_EQ(tests.size(), 1u) << ReadFile(*dir_ + "/hook.jsonl");
  EXPECT_NE(tests[0].find("\"signature_ok\": true"), std::string::npos) << tests[0];
  EXPECT_NE(tests[0].find("requested_by"), std::string::npos) << tests[0];
  answer = Send("POST", "/api/v1/notifications/test", "{\"target\":\"nobody\"}", &code);
  EXPECT_EQ(code, 404) << answer;

  // Secrets never come back; the counts do. A GET answer PUT back keeps the secrets.
  std::string listed = server_->Get("/api/v1/notifications", &code);
  ASSERT_EQ(code, 200) << listed;
  EXPECT_EQ(listed.find(kSecret), std::string::npos) << listed;
  EXPECT_EQ(listed.find("smtp-pw"), std::string::npos) << listed;
  EXPECT_NE(listed.find("\"secret_set\":true"), std::string::npos) << listed;
  answer = Send("PUT", "/api/v1/notifications", listed, &code);
  ASSERT_EQ(code, 200) << answer;
  answer = Send("POST", "/api/v1/notifications/test", "{\"target\":\"hook\"}", &code);
  EXPECT_EQ(code, 200) << answer;
  EXPECT_TRUE(Eventually([&] {
    size_t signed_tests = 0;
    for (const std::string& l : Lines(*dir_ + "/hook.jsonl"))
      signed_tests += l.find("requested_by") != std::string::npos && l.find("\"signature_ok\": true") != std::string::npos;
    return signed_tests == 2;
  }, kDeadlineMs)) << ReadFile(*dir_ + "/hook.jsonl");
  // The file holding the secrets is the owner's alone.
  EXPECT_EQ(fs::status(*dir_ + "/data/notifications.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  // The changes and the test are audited.
  EXPECT_GE(server_->CountMatches("event.dataset:kamatama.audit event.action:notifications.update"), 2u);
  EXPECT_GE(server_->CountMatches("event.dataset:kamatama.audit event.action:notifications.test"), 3u);
}

TEST_F(NotifyIntegration, AlertReachesTheSmtpServerWithLogTextInert) {
  PutTargets();
  // The host name and the word come from the log line: CR/LF, header-looking text, a forged
  // boundary, non-ASCII and an encoded-word lookalike must all stay plain text.
  const std::string evil_host = "mx-1\\r\\nBcc: victim@evil.example\\r\\nSubject: forged\\u0000\\u0085 Ünïcödé =?UTF-8?B?Zm9v?=";
  Ingest(Event(evil_host, "mail", ",\"kmt.note\":\"\\r\\n.\\r\\nRCPT TO:<x@evil.example>\\r\\n\""));
  std::vector<std::string> got;
  ASSERT_TRUE(Eventually([&] { return !(got = Lines(*dir_ + "/smtp.jsonl")).empty(); }, kDeadlineMs)) << server_->log();
  ASSERT_EQ(got.size(), 1u);
  simdjson::dom::element rec;
  ASSERT_FALSE(parser_.parse(got[0]).get(rec));
  EXPECT_EQ(Str(rec, "mail_from"), "kamatama@example.org");
  simdjson::dom::array rcpt;
  ASSERT_FALSE(rec["rcpt_tos"].get(rcpt));
  ASSERT_EQ(rcpt.size(), 1u) << got[0];
  EXPECT_EQ(std::string(std::string_view(rcpt.at(0))), "soc@example.org");
  // Exactly the headers kamatama writes, one Subject, no Bcc.
  std::vector<std::string> names;
  simdjson::dom::array hn;
  ASSERT_FALSE(rec["header_names"].get(hn));
  for (auto h : hn) names.emplace_back(std::string_view(h));
  const std::vector<std::string> want = {"From", "To", "Subject", "Date", "Message-ID", "X-Kamatama-Notification",
                                         "Auto-Submitted", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"};
  EXPECT_EQ(names, want) << got[0];
  const std::string subject = Str(rec, "subject");
  // Decoded by Python: the whole host name on the one subject line, controls turned to spaces.
  EXPECT_EQ(subject, "[kamatama] critical alert: Notify mail on mx-1 Bcc: victim@evil.example Subject: forged "
                     "Ünïcödé =?UTF-8?B?Zm9v?=") << got[0];
  EXPECT_EQ(Str(rec, "content_type"), "text/plain");
  const std::string raw = Str(rec, "raw");
  EXPECT_EQ(raw.find("\nBcc:"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("\nSubject: forged"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Subject: =?UTF-8?B?"), std::string::npos) << raw;  // RFC 2047, not raw UTF-8
  for (unsigned char c : raw.substr(0, raw.find("\r\n\r\n"))) EXPECT_LT(c, 0x80) << "raw 8-bit in the header";
  // The body: the matched line with its controls written out, the rule and host on their lines.
  const std::string body = Str(rec, "body");
  EXPECT_NE(body.find("Rule:      Notify mail (" + std::string(kMailRule) + ")"), std::string::npos) << body;
  EXPECT_NE(body.find("Host:      mx-1\\x0d\\x0aBcc: victim@evil.example\\x0d\\x0aSubject: forged"), std::string::npos)
      << body;
  // The matched line as received (its JSON escapes are text), whole: the "." line in it ended nothing.
  EXPECT_NE(body.find("\"kmt.note\":\"\\r\\n.\\r\\nRCPT TO:<x@evil.example>\\r\\n\",\"message\":\"the word is mail\"}"),
            std::string::npos) << body;
}

TEST_F(NotifyIntegration, StartTlsWithLoginAndHttpsWebhookVerifiedAgainstTheCaFile) {
  PutTargets();
  Ingest(Event("web-tls", "tls"));
  std::vector<std::string> mail, hook;
  ASSERT_TRUE(Eventually([&] {
    mail = Lines(*dir_ + "/smtp_tls.jsonl");
    hook = Lines(*dir_ + "/tls_hook.jsonl");
    return !mail.empty() && !hook.empty();
  }, kDeadlineMs)) << server_->log() << smtp_tls_->log() << tls_hook_->log();
  simdjson::dom::element rec;
  ASSERT_FALSE(parser_.parse(mail[0]).get(rec));
  bool tls = false, authed = false;
  EXPECT_FALSE(rec["tls"].get(tls));
  EXPECT_FALSE(rec["authenticated"].get(authed));
  EXPECT_TRUE(tls) << mail[0];
  EXPECT_TRUE(authed) << mail[0];
  simdjson::dom::array rcpt;
  ASSERT_FALSE(rec["rcpt_tos"].get(rcpt));
  EXPECT_EQ(rcpt.size(), 2u);
  EXPECT_EQ(Str(rec, "subject"), "[kamatama] high alert: Notify tls on web-tls");
  EXPECT_NE(hook[0].find("\"signature_ok\": true"), std::string::npos) << hook[0];
  EXPECT_NE(hook[0].find("web-tls"), std::string::npos) << hook[0];
  // A certificate no trusted CA signed: refused in the handshake, nothing is sent.
  int code = 0;
  const std::string answer = Send("POST", "/api/v1/notifications/test", "{\"target\":\"untrusted\"}", &code);
  EXPECT_EQ(code, 502) << answer;
  EXPECT_NE(answer.find("certificate verify failed"), std::string::npos) << answer;
  EXPECT_TRUE(Lines(*dir_ + "/untrusted.jsonl").empty());
}

// Bounded attempts: a receiver that answers 400 is not asked again; one that never listens is
// given up after notifications.max_attempts (12 here). Both counted as failed and logged.
TEST_F(NotifyIntegration, GivenUpAfterA4xxAtOnceAndAfterMaxAttemptsWhenNobodyListens) {
  PutTargets();
  Ingest(Event("web-giveup", "giveup"));
  ASSERT_TRUE(Eventually([&] {
    const std::string log = server_->log();
    return log.find(" to rejecting after 1 attempt(s): HTTP 400") != std::string::npos &&
           log.find(" to dead after 12 attempt(s): ") != std::string::npos;
  }, kDeadlineMs)) << server_->log();
  EXPECT_EQ(Lines(*dir_ + "/rejecting.jsonl").size(), 1u);
  const std::string listed = server_->Get("/api/v1/notifications");
  for (const char* name : {"\"name\":\"rejecting\"", "\"name\":\"dead\""}) {
    const size_t at = listed.find(name);
    ASSERT_NE(at, std::string::npos) << listed;
    EXPECT_EQ(listed.find("\"failed\":1,", at), listed.find("\"failed\":", at)) << name << " " << listed;
  }
  EXPECT_GE(server_->Metric("kamatama_notifications_total{result=\"failed\"}"), 2);
}

TEST_F(NotifyIntegration, ReceiverDownAtFirstGetsTheAlertOnceItIsUp) {
  PutTargets();
  Ingest(Event("web-late", "late"));
  // Attempts fail while nothing listens (counted as retries)...
  ASSERT_TRUE(Eventually([&] {
    std::string s = server_->Get("/api/v1/notifications");
    const size_t at = s.find("\"name\":\"late\"");
    return at != std::string::npos && s.find("\"retries\":", at) != std::string::npos &&
           std::atoi(s.c_str() + s.find("\"retries\":", at) + 10) >= 2;
  }, kDeadlineMs)) << server_->Get("/api/v1/notifications");
  EXPECT_TRUE(Lines(*dir_ + "/late.jsonl").empty());
  // ...and the alert arrives once the receiver is up on its port.
  Peer late(*dir_, "late", {Script("notify_receiver.py"), "--port", std::to_string(late_port_), "--secret", kSecret,
                            "--out", *dir_ + "/late.jsonl"});
  ASSERT_EQ(late.port(), late_port_) << late.log();
  std::vector<std::string> got;
  ASSERT_TRUE(Eventually([&] { return !(got = Lines(*dir_ + "/late.jsonl")).empty(); }, kDeadlineMs)) << server_->log();
  EXPECT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("\"signature_ok\": true"), std::string::npos) << got[0];
  EXPECT_NE(got[0].find("web-late"), std::string::npos) << got[0];
  EXPECT_TRUE(Eventually([&] { return server_->log().find(" to late delivered at attempt ") != std::string::npos; }))
      << server_->log();
  EXPECT_GE(server_->Metric("kamatama_notifications_total{result=\"retried\"}"), 2);
  EXPECT_GE(server_->Metric("kamatama_notifications_total{result=\"sent\"}"), 1);
}

TEST_F(NotifyIntegration, RateLimitLetsFiveThroughAndTellsTheRestInOneDigest) {
  PutTargets();
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += Event("flood-" + std::to_string(i), "flood");
  Ingest(batch);
  // The digest comes when the rate window (3 s here) ends, after the five alerts queued before it.
  std::vector<std::string> digests;
  ASSERT_TRUE(Eventually([&] { return !(digests = With("hook.jsonl", "x-kamatama-event\": \"digest")).empty(); },
                         kDeadlineMs)) << ReadFile(*dir_ + "/hook.jsonl") << server_->log();
  ASSERT_EQ(digests.size(), 1u);
  const std::vector<std::string> alerts = With("hook.jsonl", "x-kamatama-event\": \"alert\"");
  size_t flood_alerts = 0;
  for (const std::string& a : alerts) flood_alerts += a.find("\"path\": \"/flood\"") != std::string::npos;
  EXPECT_EQ(flood_alerts, 5u);
  simdjson::dom::element rec, body;
  ASSERT_FALSE(parser_.parse(digests[0]).get(rec));
  EXPECT_EQ(Str(rec, "path"), "/flood");
  simdjson::dom::parser p2;
  ASSERT_FALSE(p2.parse(Str(rec, "body")).get(body));
  int64_t suppressed = 0, by_rule = 0;
  EXPECT_FALSE(body["digest"]["suppressed"].get(suppressed));
  EXPECT_FALSE(body["digest"]["by_rule"]["Notify flood"].get(by_rule));
  EXPECT_EQ(suppressed, 45);
  EXPECT_EQ(by_rule, 45);
  EXPECT_NE(digests[0].find("\"signature_ok\": true"), std::string::npos);
  EXPECT_GE(server_->Metric("kamatama_notifications_total{result=\"held_back\"}"), 45);
}

TEST_F(NotifyIntegration, TargetsOutsideTheAllowListAreRefusedAtSaveAndNeverContacted) {
  PutTargets();
  const std::string decoy = std::to_string(decoy_->port());
  struct Bad {
    std::string target, why;
  } bad[] = {
      // 127.0.0.1 on a port the allow-list does not give.
      {"{\"name\":\"x\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:" + decoy + "/\",\"secret\":\"" + kSecret + "\"}",
       "is not in notifications.allowed_targets"},
      // The cloud metadata address (link-local).
      {"{\"name\":\"x\",\"type\":\"webhook\",\"url\":\"http://169.254.169.254/latest/meta-data/\",\"secret\":\"" +
           std::string(kSecret) + "\"}",
       "169.254.169.254 port 80 is not in notifications.allowed_targets"},
      // A name the allow-list gives, which resolves to loopback: no address entry covers it.
      {"{\"name\":\"x\",\"type\":\"webhook\",\"url\":\"http://localhost:" + decoy + "/\",\"secret\":\"" + kSecret + "\"}",
       "resolves to the internal address"},
      {"{\"name\":\"x\",\"type\":\"email\",\"url\":\"smtp://localhost:" + decoy +
           "\",\"from\":\"a@example.org\",\"to\":[\"b@example.org\"]}",
       "resolves to the internal address"},
      // Credentials in the URL, another scheme, a header in an address.
      {"{\"name\":\"x\",\"type\":\"webhook\",\"url\":\"http://u:p@127.0.0.1:" + std::to_string(hook_->port()) +
           "/\",\"secret\":\"" + kSecret + "\"}",
       "url must be"},
      {"{\"name\":\"x\",\"type\":\"webhook\",\"url\":\"file:///etc/passwd\",\"secret\":\"" + std::string(kSecret) + "\"}",
       "url must be"},
      {"{\"name\":\"x\",\"type\":\"email\",\"url\":\"smtp://127.0.0.1:" + std::to_string(smtp_->port()) +
           "\",\"from\":\"a@example.org\",\"to\":[\"b@example.org\\r\\nBcc: c@evil.example\"]}",
       "is not one address"},
      // A webhook without a usable secret.
      {"{\"name\":\"x\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:" + std::to_string(hook_->port()) +
           "/\",\"secret\":\"short\"}",
       "secret of at least"},
  };
  for (const Bad& b : bad) {
    int code = 0;
    std::string answer = Send("PUT", "/api/v1/notifications", "{\"targets\":[" + b.target + "]}", &code);
    EXPECT_EQ(code, 400) << b.target << " -> " << answer;
    EXPECT_NE(answer.find(b.why), std::string::npos) << b.target << " -> " << answer;
  }
  // Nothing changed: the earlier targets are still in force, and the decoy saw no request.
  std::string listed = server_->Get("/api/v1/notifications");
  EXPECT_NE(listed.find("\"name\":\"hook\""), std::string::npos) << listed;
  EXPECT_EQ(listed.find("\"name\":\"x\""), std::string::npos) << listed;
  EXPECT_TRUE(Lines(*dir_ + "/decoy.jsonl").empty());
  EXPECT_EQ(decoy_->log().find("POST"), std::string::npos);
}

// The check is made again on every connection: a target the allow-list does not cover by
// address (here: put straight into the file, as an older allow-list or a DNS answer that changed
// since the save could leave it) is refused on the address resolved for the connection, and the
// peer listening there sees nothing.
TEST_F(NotifyIntegration, ConnectTimeCheckRefusesATargetTheFileHoldsAnyway) {
  const std::string d = *dir_ + "/connect";
  fs::create_directories(d + "/data");
  fs::create_directories(d + "/rules");
  std::ofstream(d + "/rules/hook.yml") << Rule(kHookRule, "Notify hook", "high", "hook");
  const std::string decoy = std::to_string(decoy_->port());
  std::ofstream(d + "/kamatama.yaml") << "notifications:\n  allowed_targets: [\"localhost:" << decoy << "\"]\n";
  std::ofstream(d + "/data/notifications.json")
      << "{\"targets\":[{\"name\":\"sneaky\",\"type\":\"webhook\",\"url\":\"http://localhost:" << decoy
      << "/sneaky\",\"secret\":\"" << kSecret << "\"},{\"name\":\"sneaky-mail\",\"type\":\"email\",\"url\":\"smtp://localhost:"
      << decoy << "\",\"from\":\"a@example.org\",\"to\":[\"b@example.org\"]}]}\n";
  Server s(d, {"--rules", d + "/rules", "--config", d + "/kamatama.yaml"});
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  std::ofstream(d + "/batch.ndjson") << Event("web-sneaky", "hook");
  int code = 0;
  std::string answer = s.Post("/api/v1/ingest", d + "/batch.ndjson", &code);
  ASSERT_EQ(code, 200) << answer;
  ASSERT_TRUE(Eventually([&] {
    const std::string log = s.log();
    return log.find("to sneaky after 1 attempt(s): localhost resolves to the internal address") != std::string::npos &&
           log.find("to sneaky-mail after 1 attempt(s): localhost resolves to the internal address") != std::string::npos;
  }, kDeadlineMs)) << s.log();
  EXPECT_LE(s.Metric("kamatama_notifications_total{result=\"sent\"}"), 0);  // absent (-1) or 0: nothing sent
  EXPECT_EQ(s.Stop(), 0);
  EXPECT_TRUE(Lines(*dir_ + "/decoy.jsonl").empty());
}

// The queue is bounded: with room for 2, ten alerts at once queue two and drop eight (counted,
// logged); what still waits at shutdown is logged and counted as given up.
TEST_F(NotifyIntegration, QueueFullDropsAndCountsAndShutdownGivesUpWhatWaits) {
  const std::string d = *dir_ + "/queue";
  fs::create_directories(d + "/data");
  fs::create_directories(d + "/rules");
  std::ofstream(d + "/rules/hook.yml") << Rule(kHookRule, "Notify hook", "high", "hook");
  const int dead = kmt_test::FreeLocalPort();
  std::ofstream(d + "/kamatama.yaml") << "notifications:\n  allowed_targets: [\"127.0.0.1:" << dead
                                      << "\"]\n  queue_size: 2\n  retry_initial: 1h\n";
  std::ofstream(d + "/data/notifications.json") << "{\"targets\":[{\"name\":\"dead\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:"
                                                << dead << "/\",\"secret\":\"" << kSecret << "\",\"rate_limit\":0}]}\n";
  Server s(d, {"--rules", d + "/rules", "--config", d + "/kamatama.yaml"});
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  std::string batch;
  for (int i = 0; i < 10; ++i) batch += Event("q-" + std::to_string(i), "hook");
  std::ofstream(d + "/batch.ndjson") << batch;
  int code = 0;
  std::string answer = s.Post("/api/v1/ingest", d + "/batch.ndjson", &code);
  ASSERT_EQ(code, 200) << answer;
  // The first drop is logged at once (later ones within 10 s only counted, in the next line).
  ASSERT_TRUE(Eventually([&] { return s.log().find("notifications: queue full (2 waiting): 1 notification(s) dropped") !=
                                      std::string::npos; }, kDeadlineMs)) << s.log();
  EXPECT_EQ(s.Metric("kamatama_notifications_total{result=\"dropped\"}"), 8);
  const std::string listed = s.Get("/api/v1/notifications");
  EXPECT_NE(listed.find("\"dropped\":8,"), std::string::npos) << listed;
  EXPECT_NE(listed.find("\"queued\":2"), std::string::npos) << listed;
  EXPECT_EQ(s.Stop(), 0);
  EXPECT_NE(s.log().find("notifications: 2 notification(s) to dead given up at shutdown"), std::string::npos) << s.log();
}

}  // namespace
