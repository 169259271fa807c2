// tests/schedule_integration_test.cc
//! Scheduled searches and reports (issue 25) against real peers: the kamatama binary, a webhook
//! receiver (tests/notify_receiver.py, which checks the HMAC signature itself) and an SMTP server
//! (tests/notify_smtp.py, aiosmtpd); the report's CSV attachment is read back by Python's own
//! e-mail and csv modules (an oracle independent of kamatama). Proves: a threshold crossed in a
//! window raises exactly one alert and one webhook call for that window, and again for the next
//! window it is crossed in, never for the windows between; a report e-mail carries the rows as
//! HTML (log text escaped) and as a CSV attachment (formula cells guarded), a webhook report the
//! JSON rows, and the schedule's rate limit holds back the next one; permissions follow saved
//! searches and only administrators name a target; a restart keeps the history and runs a missed
//! window once, never a window twice. Windows are seconds long through schedules.min_interval
//! (a test knob); nothing is timed: every wait polls with a generous deadline.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/harness.h"
#include "tests/api_client.h"
#include "tests/peers.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Eventually;
using kmt_test::Peer;
using kmt_test::Python;
using kmt_test::Lines;
using kmt_test::ReadFile;
using kmt_test::Server;
using kmt_test::Shell;
using kmt_test::ShellQuote;

constexpr const char* kSecret = "kmt-test-webhook-secret-0123456789";
constexpr int kDeadlineMs = 60000;

class ScheduleIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Python().empty()) GTEST_SKIP() << "python3-aiosmtpd is needed (deploy/install-deps.sh)";
    dir_ = kmt_test::TempDir(std::string("schedule_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    hook_ = std::make_unique<Peer>(dir_, "hook", std::vector<std::string>{kmt_test::Script("notify_receiver.py"), "--secret",
                                                                         kSecret, "--out", dir_ + "/hook.jsonl"});
    smtp_ = std::make_unique<Peer>(dir_, "smtp", std::vector<std::string>{kmt_test::Script("notify_smtp.py"), "--out",
                                                                         dir_ + "/smtp.jsonl"});
    ASSERT_GT(hook_->port(), 0) << hook_->log();
    ASSERT_GT(smtp_->port(), 0) << smtp_->log();
    std::ofstream(dir_ + "/kamatama.yaml")
        << "schedules:\n  min_interval: 1s\n  lag: 300ms\n  history: 50\n"
        << "notifications:\n  allowed_targets: [\"127.0.0.1:" << hook_->port() << "\", \"127.0.0.1:" << smtp_->port()
        << "\"]\n  retry_initial: 200ms\n  retry_max: 1s\n";
    server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--config", dir_ + "/kamatama.yaml"});
    server_->Start();
    const std::string hook = "http://127.0.0.1:" + std::to_string(hook_->port());
    Expect(200, "PUT", "/api/v1/notifications",
           std::string("{\"targets\":[{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"") + hook + "/alert\",\"secret\":\"" +
               kSecret + "\",\"rules\":[\"Scheduled search: too many denies\"]}," +
               "{\"name\":\"report-hook\",\"type\":\"webhook\",\"url\":\"" + hook + "/report\",\"secret\":\"" + kSecret +
               "\",\"rules\":[\"none\"]}," + "{\"name\":\"mail\",\"type\":\"email\",\"url\":\"smtp://127.0.0.1:" +
               std::to_string(smtp_->port()) + "\",\"from\":\"kamatama@example.org\",\"to\":[\"soc@example.org\"]," +
               "\"rules\":[\"none\"]}]}");
  }
  void TearDown() override {
    if (server_) EXPECT_EQ(server_->Stop(), 0);
    server_.reset();
    hook_.reset();
    smtp_.reset();
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
  }
  simdjson::dom::element Expect(int want, const std::string& method, const std::string& path, const std::string& json,
                                const std::string& user = "") {
    return kmt_test::ExpectJson(*server_, dir_, parser_, &last_, want, method, path, json, user);
  }
  std::string Id(simdjson::dom::element e) {
    std::string_view id;
    EXPECT_FALSE(e["id"].get(id)) << last_;
    return std::string(id);
  }
  void AddUser(const std::string& name, const std::string& role) {
    Expect(201, "POST", "/api/v1/users",
           R"({"name":")" + name + R"(","role":")" + role + R"(","password":")" + name + R"(-password"})");
  }
  void Ingest(const std::string& ndjson) {
    std::ofstream(dir_ + "/batch.ndjson") << ndjson;
    int code = 0;
    std::string body = server_->Post("/api/v1/ingest", dir_ + "/batch.ndjson", &code);
    ASSERT_EQ(code, 200) << body;
  }
  //! `n` events of dataset kmt.sched with kmt.word `word`, all at the same moment (now).
  static std::string Events(int n, const std::string& word, const std::string& message) {
    const std::string ts = kamatama::FormatRfc3339(kamatama::NowNanos());
    std::string out;
    for (int i = 0; i < n; ++i)
      out += "{\"@timestamp\":\"" + ts + "\",\"event.dataset\":\"kmt.sched\",\"host.name\":\"pc-" + std::to_string(i) +
             "\",\"kmt.word\":\"" + word + "\",\"message\":" + message + "}\n";
    return out;
  }
  //! The runs of a schedule, newest first (as the API answers them).
  std::vector<std::string> Runs(const std::string& id, const char* field = "outcome") {
    simdjson::dom::element e = Expect(200, "GET", "/api/v1/schedules/" + id + "/runs", "");
    std::vector<std::string> out;
    simdjson::dom::array runs;
    if (e["runs"].get(runs)) return out;
    for (simdjson::dom::element r : runs) {
      std::string_view v;
      out.emplace_back(r[field].get(v) ? "" : v);
    }
    return out;
  }
  size_t Count(const std::vector<std::string>& v, const std::string& what) {
    return static_cast<size_t>(std::count(v.begin(), v.end(), what));
  }
  //! Webhook requests to `path`.
  std::vector<std::string> Hooks(const std::string& path) {
    std::vector<std::string> out;
    for (const std::string& l : Lines(dir_ + "/hook.jsonl")) {
      simdjson::dom::element e;
      std::string_view p;
      if (!parser_.parse(l).get(e) && !e["path"].get(p) && p == path) out.push_back(l);
    }
    return out;
  }
  std::string SavedSearch(const std::string& body, const std::string& user = "") {
    return Id(Expect(201, "POST", "/api/v1/saved-searches", body, user));
  }

  std::string dir_, last_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Peer> hook_, smtp_;
  simdjson::dom::parser parser_;
};

TEST_F(ScheduleIntegration, ThresholdCrossedRaisesExactlyOneAlertAndOneWebhookCallPerWindow) {
  const std::string saved = SavedSearch(R"({"name":"denies","query":"kmt.word:deny"})");
  const std::string id = Id(Expect(201, "POST", "/api/v1/schedules",
                                   R"({"name":"too many denies","saved_search":")" + saved +
                                       R"(","every":"2s","action":"alert","condition":"count","threshold":2,"level":"high",)"
                                       R"("rate_limit":0})"));
  const std::string rule = "schedule-" + id;
  // Windows with nothing in them pass first (the schedule runs; no alert).
  ASSERT_TRUE(Eventually([&] { return Count(Runs(id), "ok") >= 1; }, kDeadlineMs)) << last_ << server_->log();
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert rule.id:" + rule), 0u);
  // Five events in one window: the threshold (more than 2) is crossed once.
  Ingest(Events(5, "deny", "\"denied\""));
  ASSERT_TRUE(Eventually([&] { return Count(Runs(id), "alert") == 1; }, kDeadlineMs)) << last_;
  ASSERT_TRUE(Eventually([&] { return Hooks("/alert").size() == 1; }, kDeadlineMs)) << ReadFile(dir_ + "/hook.jsonl");
  // Two more windows pass without a crossing: still one alert stored, one webhook call.
  const size_t runs_then = Runs(id).size();
  ASSERT_TRUE(Eventually([&] { return Runs(id).size() >= runs_then + 2; }, kDeadlineMs)) << last_;
  ASSERT_TRUE(Eventually([&] { return server_->CountMatches("event.dataset:kamatama.alert rule.id:" + rule) == 1; },
                         kDeadlineMs));
  EXPECT_EQ(Count(Runs(id), "alert"), 1u) << last_;
  EXPECT_EQ(Hooks("/alert").size(), 1u);
  simdjson::dom::element call;
  ASSERT_FALSE(parser_.parse(Hooks("/alert")[0]).get(call));
  EXPECT_TRUE(call["signature_ok"].get_bool().value());
  std::string_view body = call["body"].get_string().value();
  EXPECT_NE(body.find("\"rule_id\":\"" + rule + "\""), std::string_view::npos) << body;
  EXPECT_NE(body.find("\"level\":\"high\""), std::string_view::npos) << body;
  EXPECT_NE(body.find("5 results from"), std::string_view::npos) << body;
  // Crossed again in a later window: a second alert and a second call, exactly.
  Ingest(Events(3, "deny", "\"denied again\""));
  ASSERT_TRUE(Eventually([&] { return Count(Runs(id), "alert") == 2; }, kDeadlineMs)) << last_;
  ASSERT_TRUE(Eventually([&] { return Hooks("/alert").size() == 2; }, kDeadlineMs));
  const size_t runs_after = Runs(id).size();
  ASSERT_TRUE(Eventually([&] { return Runs(id).size() >= runs_after + 2; }, kDeadlineMs)) << last_;
  EXPECT_EQ(Count(Runs(id), "alert"), 2u);
  EXPECT_EQ(Hooks("/alert").size(), 2u);
  ASSERT_TRUE(Eventually([&] { return server_->CountMatches("event.dataset:kamatama.alert rule.id:" + rule) == 2; },
                         kDeadlineMs));
  // Every run's search is audited, as the owner's schedule.
  const size_t runs_now = Runs(id).size();
  EXPECT_TRUE(Eventually([&] {
    return server_->CountMatches("event.dataset:kamatama.audit event.action:schedule.search kamatama.object.id:" + id) >= runs_now;
  }, kDeadlineMs));
  // The alert is an alert like a rule's: on the Alerts page with its level.
  simdjson::dom::element alerts = Expect(200, "GET", "/api/v1/alerts?rule=" + rule, "");
  EXPECT_NE(last_.find("\"level\":\"high\""), std::string::npos) << last_;
  (void)alerts;
}

TEST_F(ScheduleIntegration, ReportMailCarriesHtmlAndACsvAttachmentWebhookTheRowsAndTheRateLimitHolds) {
  // Log text that would be markup in HTML and a formula in a spreadsheet.
  Ingest(Events(2, "report", "\"=HYPERLINK(\\\"http://x\\\") <script>alert(1)</script>\""));
  const std::string saved =
      SavedSearch(R"({"name":"report rows","query":"kmt.word:report","columns":["host.name","message"]})");
  const std::string mail = Id(Expect(201, "POST", "/api/v1/schedules",
                                     R"({"name":"daily <b>report</b>","saved_search":")" + saved +
                                         R"(","at":"06:30","action":"report","target":"mail","rate_limit":1})"));
  Expect(202, "POST", "/api/v1/schedules/" + mail + "/run", "");
  ASSERT_TRUE(Eventually([&] { return Count(Runs(mail), "report") == 1; }, kDeadlineMs)) << last_;
  ASSERT_TRUE(Eventually([&] { return Lines(dir_ + "/smtp.jsonl").size() == 1; }, kDeadlineMs));
  // Python reads the message: the HTML part escaped, the CSV attachment parsed with csv.
  const std::string check = R"PY(
import csv, email, email.policy, io, json, sys
rec = json.loads(open(sys.argv[1]).readline())
msg = email.message_from_string(rec["raw"], policy=email.policy.default)
html = msg.get_body(preferencelist=("html",)).get_content()
att = [p for p in msg.iter_attachments() if p.get_filename()]
rows = list(csv.reader(io.StringIO(att[0].get_content())))
print(json.dumps({"subject": str(msg["subject"]), "filename": att[0].get_filename(), "type": att[0].get_content_type(),
                  "rows": rows, "script_in_html": "<script>" in html, "escaped": "&lt;script&gt;" in html,
                  "b_in_html": "<b>report</b>" in html}))
)PY";
  std::ofstream(dir_ + "/check.py") << check;
  const std::string out = Shell(Python() + " " + ShellQuote(dir_ + "/check.py") + " " + ShellQuote(dir_ + "/smtp.jsonl"));
  simdjson::dom::element r;
  ASSERT_FALSE(parser_.parse(out).get(r)) << out;
  EXPECT_EQ(r["subject"].get_string().value(), "[kamatama] report: daily <b>report</b>");
  EXPECT_EQ(r["filename"].get_string().value(), "report-" + mail + ".csv");
  EXPECT_EQ(r["type"].get_string().value(), "text/csv");
  EXPECT_FALSE(r["script_in_html"].get_bool().value());
  EXPECT_FALSE(r["b_in_html"].get_bool().value());
  EXPECT_TRUE(r["escaped"].get_bool().value());
  simdjson::dom::array rows = r["rows"].get_array().value();
  ASSERT_EQ(rows.size(), 3u) << out;  // the header and the two events
  EXPECT_EQ(rows.at(0).at(0).get_string().value(), "host.name");
  EXPECT_EQ(rows.at(0).at(1).get_string().value(), "message");
  std::set<std::string> hosts;
  for (size_t i = 1; i < 3; ++i) {
    hosts.emplace(rows.at(i).at(0).get_string().value());
    // The formula is guarded: a leading quote, the text otherwise intact.
    EXPECT_EQ(rows.at(i).at(1).get_string().value(), "'=HYPERLINK(\"http://x\") <script>alert(1)</script>");
  }
  EXPECT_EQ(hosts, (std::set<std::string>{"pc-0", "pc-1"}));
  // The rate limit (1 an hour): the next run sends nothing.
  Expect(202, "POST", "/api/v1/schedules/" + mail + "/run", "");
  ASSERT_TRUE(Eventually([&] { return Count(Runs(mail), "rate_limited") == 1; }, kDeadlineMs)) << last_;
  EXPECT_EQ(Lines(dir_ + "/smtp.jsonl").size(), 1u);
  // A webhook report: the rows as JSON, signed.
  const std::string hook = Id(Expect(201, "POST", "/api/v1/schedules",
                                     R"({"name":"hook report","saved_search":")" + saved +
                                         R"(","every":"1h","action":"report","target":"report-hook"})"));
  Expect(202, "POST", "/api/v1/schedules/" + hook + "/run", "");
  ASSERT_TRUE(Eventually([&] { return Hooks("/report").size() == 1; }, kDeadlineMs)) << ReadFile(dir_ + "/hook.jsonl");
  simdjson::dom::element call, payload;
  ASSERT_FALSE(parser_.parse(Hooks("/report")[0]).get(call));
  EXPECT_TRUE(call["signature_ok"].get_bool().value());
  std::string body(call["body"].get_string().value());
  simdjson::dom::parser p2;
  ASSERT_FALSE(p2.parse(body).get(payload)) << body;
  EXPECT_EQ(payload["type"].get_string().value(), "report");
  EXPECT_EQ(payload["report"]["schedule"]["id"].get_string().value(), hook);
  EXPECT_EQ(payload["report"]["rows"].get_array().value().size(), 2u);
  EXPECT_EQ(payload["report"]["rows"].at(0).at(1).get_string().value(), "=HYPERLINK(\"http://x\") <script>alert(1)</script>");
  ASSERT_TRUE(Eventually([&] { return Count(Runs(hook), "report") == 1; }, kDeadlineMs)) << last_;
}

TEST_F(ScheduleIntegration, PermissionsFollowSavedSearchesAndOnlyAdminsNameATarget) {
  AddUser("viewer1", "viewer");
  AddUser("analyst1", "analyst");
  AddUser("analyst2", "analyst");
  const std::string shared_search = SavedSearch(R"({"name":"s","query":"kmt.word:x","shared":true})", "analyst1");
  const std::string private_search = SavedSearch(R"({"name":"p","query":"kmt.word:y"})", "analyst1");
  const std::string alert = std::string(R"(","every":"1h","action":"alert","threshold":5})");
  // A viewer creates nothing (the route table); an analyst creates an alert schedule of their own.
  Expect(403, "POST", "/api/v1/schedules", R"({"name":"v","saved_search":")" + shared_search + alert, "viewer1");
  const std::string mine = Id(Expect(
      201, "POST", "/api/v1/schedules", R"({"name":"mine","shared":true,"saved_search":")" + shared_search + alert, "analyst1"));
  // Only administrators make a schedule send to a notification target.
  Expect(403, "POST", "/api/v1/schedules",
         R"({"name":"r","saved_search":")" + shared_search + R"(","every":"1h","action":"report","target":"mail"})",
         "analyst1");
  Expect(201, "POST", "/api/v1/schedules",
         R"({"name":"r","saved_search":")" + shared_search + R"(","every":"1h","action":"report","target":"mail"})");
  Expect(400, "POST", "/api/v1/schedules",
         R"({"name":"r","saved_search":")" + shared_search + R"(","every":"1h","action":"report","target":"nope"})");
  // Another analyst's private saved search is not there for analyst2.
  Expect(400, "POST", "/api/v1/schedules", R"({"name":"x","saved_search":")" + private_search + alert, "analyst2");
  // Checks: shorter than schedules.min_interval (1s here), both every and at, unknown fields.
  Expect(400, "POST", "/api/v1/schedules",
         R"({"name":"x","saved_search":")" + shared_search + R"(","every":"500ms","action":"alert"})");
  Expect(400, "POST", "/api/v1/schedules",
         R"({"name":"x","saved_search":")" + shared_search + R"(","every":"1h","at":"06:00","action":"alert"})");
  Expect(400, "POST", "/api/v1/schedules",
         R"({"name":"x","saved_search":")" + shared_search + R"(","at":"25:00","action":"alert"})");
  Expect(400, "POST", "/api/v1/schedules",
         R"({"name":"x","saved_search":")" + shared_search + R"(","every":"1h","action":"report","target":"mail","threshold":1})");
  // Everyone who searches reads the shared schedule and its runs; only the owner and admins change or run it.
  Expect(200, "GET", "/api/v1/schedules/" + mine, "", "viewer1");
  Expect(200, "GET", "/api/v1/schedules/" + mine + "/runs", "", "viewer1");
  Expect(403, "POST", "/api/v1/schedules/" + mine + "/run", "", "viewer1");
  Expect(403, "PATCH", "/api/v1/schedules/" + mine, R"({"enabled":false})", "analyst2");
  Expect(403, "POST", "/api/v1/schedules/" + mine + "/run", "", "analyst2");
  Expect(403, "DELETE", "/api/v1/schedules/" + mine, "", "analyst2");
  auto patched = Expect(200, "PATCH", "/api/v1/schedules/" + mine, R"({"enabled":false})", "analyst1");
  EXPECT_FALSE(patched["enabled"].get_bool().value());
  // The owner cannot add a target to it either; an admin can change it.
  Expect(403, "PUT", "/api/v1/schedules/" + mine,
         R"({"name":"mine","saved_search":")" + shared_search + R"(","every":"1h","action":"report","target":"mail"})",
         "analyst1");
  Expect(200, "PATCH", "/api/v1/schedules/" + mine, R"({"name":"renamed by admin"})");
  Expect(202, "POST", "/api/v1/schedules/" + mine + "/run", "", "analyst1");
  Expect(200, "DELETE", "/api/v1/schedules/" + mine, "", "analyst1");
  Expect(404, "GET", "/api/v1/schedules/" + mine + "/runs", "");
}

TEST_F(ScheduleIntegration, RestartKeepsTheHistoryAndRunsAMissedWindowOnceNeverTwice) {
  const std::string saved = SavedSearch(R"({"name":"all","query":"kmt.word:restart"})");
  const std::string id = Id(Expect(201, "POST", "/api/v1/schedules",
                                   R"({"name":"restart","saved_search":")" + saved +
                                       R"(","every":"1s","action":"alert","threshold":1000})"));
  ASSERT_TRUE(Eventually([&] { return Runs(id).size() >= 3; }, kDeadlineMs)) << last_;
  ASSERT_EQ(server_->Stop(), 0);
  const int64_t stopped = kamatama::NowNanos();
  // The last window run before the stop (no run can start once it is stopped), from the state file.
  std::string last_before;
  {
    simdjson::dom::element st;
    ASSERT_FALSE(parser_.parse(ReadFile(dir_ + "/data/schedule_" + id + ".json")).get(st));
    simdjson::dom::array runs = st["runs"].get_array().value();
    last_before = kamatama::FormatRfc3339(runs.at(runs.size() - 1)["to_ns"].get_int64().value());
  }
  // Several windows pass while the server is down (waiting for the clock, not asserting on it).
  ASSERT_TRUE(Eventually([&] { return kamatama::NowNanos() > stopped + 5 * kamatama::kNanosPerSecond; }, kDeadlineMs));
  server_->Start();
  ASSERT_TRUE(Eventually([&] { return Runs(id, "trigger").size() >= 3 + 3; }, kDeadlineMs)) << last_;
  std::vector<std::string> to = Runs(id, "to"), trigger = Runs(id, "trigger"), started = Runs(id, "started");
  // No window twice.
  EXPECT_EQ(std::set<std::string>(to.begin(), to.end()).size(), to.size()) << last_;
  // The runs before the stop are still there, and the next run after them is the one catch-up
  // for all the windows missed, followed by the regular ones.
  auto it = std::find(to.begin(), to.end(), last_before);
  ASSERT_NE(it, to.end()) << last_;
  const size_t at = it - to.begin();  // newest first: the runs after the restart come before it
  ASSERT_GE(at, 2u) << last_;
  EXPECT_EQ(trigger[at - 1], "catch-up") << last_;
  EXPECT_EQ(trigger[at - 2], "schedule") << last_;
  EXPECT_EQ(std::count(trigger.begin(), trigger.end(), "catch-up"), 1) << last_;
  const int64_t gap = kamatama::ParseRfc3339(to[at - 1]).value_or(0) - kamatama::ParseRfc3339(last_before).value_or(0);
  EXPECT_GE(gap, 4 * kamatama::kNanosPerSecond) << "several windows were missed, and run once: " << last_;
  EXPECT_LT(kamatama::ParseRfc3339(started.back()).value_or(INT64_MAX), stopped) << last_;
}

TEST_F(ScheduleIntegration, NewValueAlertsOnceForValuesNeverSeenAndRemembersThemAcrossARestart) {
  const std::string saved = SavedSearch(R"({"name":"logons","query":"kmt.word:logon"})");
  const std::string id = Id(Expect(201, "POST", "/api/v1/schedules",
                                   R"({"name":"new user","saved_search":")" + saved +
                                       R"(","every":"1s","action":"alert","condition":"new_value","field":"user.name",)"
                                       R"("rate_limit":0})"));
  const auto logons = [](std::initializer_list<const char*> users) {
    const std::string ts = kamatama::FormatRfc3339(kamatama::NowNanos());
    std::string out;
    for (const char* u : users)
      out += "{\"@timestamp\":\"" + ts + "\",\"event.dataset\":\"kmt.sched\",\"kmt.word\":\"logon\",\"user.name\":\"" + u +
             "\",\"message\":\"logon\"}\n";
    return out;
  };
  // The first run learns what is there (nothing yet): no alert.
  ASSERT_TRUE(Eventually([&] { return Count(Runs(id), "baseline") == 1; }, kDeadlineMs)) << last_;
  const auto windows_pass = [&](size_t n) {
    const size_t then = Runs(id).size();
    return Eventually([&] { return Runs(id).size() >= then + n; }, kDeadlineMs);
  };
  // The detail of the newest alert run.
  const auto last_alert = [&] {
    const std::vector<std::string> detail = Runs(id, "detail"), outcome = Runs(id, "outcome");
    const size_t at = std::find(outcome.begin(), outcome.end(), "alert") - outcome.begin();
    return at < detail.size() ? detail[at] : std::string("<no alert>");
  };
  Ingest(logons({"alice", "alice"}));
  ASSERT_TRUE(Eventually([&] { return Count(Runs(id), "alert") == 1; }, kDeadlineMs)) << last_;
  EXPECT_NE(last_alert().find("1 new value(s) of user.name never seen before: alice"), std::string::npos) << last_alert();
  // Windows with alice only pass without an alert; bob and carol are new: one alert naming both.
  Ingest(logons({"alice"}));
  ASSERT_TRUE(windows_pass(3)) << last_;
  EXPECT_EQ(Count(Runs(id), "alert"), 1u) << last_;
  Ingest(logons({"bob", "carol", "alice", "bob"}));
  ASSERT_TRUE(Eventually([&] { return Count(Runs(id), "alert") == 2; }, kDeadlineMs)) << last_;
  const std::string alert_detail = last_alert();
  EXPECT_NE(alert_detail.find("2 new value(s) of user.name never seen before: "), std::string::npos) << alert_detail;
  EXPECT_NE(alert_detail.find("bob"), std::string::npos) << alert_detail;
  EXPECT_NE(alert_detail.find("carol"), std::string::npos) << alert_detail;
  EXPECT_EQ(alert_detail.find("alice"), std::string::npos) << alert_detail;
  // Known values stay known across a restart; only dave is new.
  ASSERT_EQ(server_->Stop(), 0);
  server_->Start();
  Ingest(logons({"bob", "carol"}));
  ASSERT_TRUE(windows_pass(3)) << last_;
  EXPECT_EQ(Count(Runs(id), "alert"), 2u) << last_;
  Ingest(logons({"alice", "dave"}));
  ASSERT_TRUE(Eventually([&] { return Count(Runs(id), "alert") == 3; }, kDeadlineMs)) << last_;
  EXPECT_NE(last_alert().find("1 new value(s) of user.name never seen before: dave"), std::string::npos) << last_alert();
  ASSERT_TRUE(Eventually([&] {
    return server_->CountMatches("event.dataset:kamatama.alert rule.id:schedule-" + id) == 3;
  }, kDeadlineMs));
}

}  // namespace
