// tests/alerts_integration_test.cc
//! Alerts an analyst can work (issue 21), against the real binary: deduplication (1,000 matching
//! events in a minute are one alert with a count of 1,000), the per-rule cap against a rule that
//! matches everything, triage (status, assignee, comment; audited), tuning (exclusion, level
//! override, off) kept in the data directory across a restart, and coverage (a Windows rule is
//! blind until Sysmon events arrive). The rules are written by the test; events go through
//! /api/v1/ingest; expectations come from what the test sent.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;
using kmt_test::ShellQuote;

constexpr const char* kWordRule = R"(title: Test word seen
id: 11111111-2222-3333-4444-000000000001
status: test
author: kamatama tests
level: medium
references:
  - https://example.org/word
tags:
  - attack.execution
  - attack.t1059
logsource:
  product: kmt
  service: words
detection:
  selection:
    kmt.word: needle
  condition: selection
)";

constexpr const char* kFloodRule = R"(title: Test everything matches
id: 11111111-2222-3333-4444-000000000002
level: low
logsource:
  product: kmt
  service: flood
detection:
  selection:
    kmt.word|exists: true
  condition: selection
)";

constexpr const char* kSysmonRule = R"(title: Test process creation on Windows
id: 11111111-2222-3333-4444-000000000003
level: high
tags:
  - attack.execution
  - attack.t1204
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\nothing-like-this.exe'
  condition: selection
)";

const char* kWordId = "11111111-2222-3333-4444-000000000001";
const char* kFloodId = "11111111-2222-3333-4444-000000000002";

fs::path Corpus() { return fs::path(KMT_SOURCE_DIR) / ".." / "shared" / "corpus"; }

class AlertsIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = kmt_test::TempDir("alerts_integration");
    fs::create_directories(dir_ + "/rules");
    std::ofstream(dir_ + "/rules/word.yml") << kWordRule;
    std::ofstream(dir_ + "/rules/flood.yml") << kFloodRule;
    std::ofstream(dir_ + "/rules/sysmon.yml") << kSysmonRule;
    std::ofstream(dir_ + "/config.yml") << "detection:\n  alerts:\n    per_rule_cap: 5\n    dedup_window: 10m\n";
    StartServer();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  void StartServer() {
    server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--rules", dir_ + "/rules", "--config", dir_ + "/config.yml"});
    server_->Start();
  }

  //! Posts NDJSON lines; expects 200.
  void Ingest(const std::string& ndjson) {
    const std::string file = dir_ + "/batch.ndjson";
    std::ofstream(file) << ndjson;
    int code = 0;
    std::string body = server_->Post("/api/v1/ingest", file, &code);
    ASSERT_EQ(code, 200) << body;
  }
  //! A JSON event of dataset kmt.<service> at `ts` (RFC 3339).
  static std::string Event(const std::string& service, const std::string& ts, const std::string& host,
                           const std::string& word) {
    return "{\"@timestamp\":\"" + ts + "\",\"event.dataset\":\"kmt." + service + "\",\"host.name\":\"" + host +
           "\",\"kmt.word\":\"" + word + "\",\"message\":\"the word is " + word + "\"}\n";
  }
  //! A request with a JSON body through curl (PATCH, POST); returns the body, *code the status.
  //! As `user` (password `<user>-password`) when given, else as the admin.
  std::string Send(const std::string& method, const std::string& path, const std::string& json, int* code,
                   const std::string& user = "") {
    std::ofstream(dir_ + "/body.json") << json;
    const std::string as = user.empty() ? "" : "-u " + ShellQuote(user + ":" + user + "-password") + " ";
    const std::string url = user.empty() ? server_->Url(path) : server_->AnonUrl(path);
    std::string out = kmt_test::Shell("curl -s -m 30 -w '\\n%{http_code}' " + as + "-X " + method +
                                      " -H 'Content-Type: application/json' --data-binary @" +
                                      ShellQuote(dir_ + "/body.json") + " " + ShellQuote(url));
    size_t nl = out.rfind('\n');
    *code = std::atoi(out.c_str() + nl + 1);
    return out.substr(0, nl);
  }
  //! GET as JSON; fails the test unless 200.
  simdjson::dom::element GetJson(const std::string& path) {
    int code = 0;
    last_ = server_->Get(path, &code);
    EXPECT_EQ(code, 200) << path << ": " << last_;
    simdjson::dom::element e;
    EXPECT_FALSE(parser_.parse(last_).get(e)) << last_;
    return e;
  }
  //! The alerts of a rule (GET /api/v1/alerts?rule=).
  simdjson::dom::array AlertsOf(const std::string& rule, int64_t* total) {
    simdjson::dom::element e = GetJson("/api/v1/alerts?rule=" + rule);
    *total = -1;
    EXPECT_FALSE(e["total"].get(*total));
    simdjson::dom::array a;
    EXPECT_FALSE(e["alerts"].get(a));
    return a;
  }
  //! The rule's object in GET /api/v1/rules.
  simdjson::dom::element RuleOf(const std::string& id) {
    simdjson::dom::element e = GetJson("/api/v1/rules");
    simdjson::dom::array rules;
    EXPECT_FALSE(e["rules"].get(rules));
    for (simdjson::dom::element r : rules) {
      std::string_view rid;
      if (!r["id"].get(rid) && rid == id) return r;
    }
    ADD_FAILURE() << "rule " << id << " not listed: " << last_;
    return e;
  }
  static int64_t Hit(simdjson::dom::element rule, const char* what) {
    int64_t n = -1;
    EXPECT_FALSE(rule["hits"][what].get(n)) << what;
    return n;
  }

  std::string dir_;
  std::unique_ptr<Server> server_;
  simdjson::dom::parser parser_;
  std::string last_;
};

//! 2026-01-10T10:00:SS.mmmZ for the i-th of 1,000 events spread over one minute.
std::string InMinute(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2026-01-10T10:00:%02d.%03dZ", i * 60 / 1000, (i * 60) % 1000);
  return buf;
}

TEST_F(AlertsIntegration, ThousandMatchesInAMinuteAreOneAlertWithTheirCount) {
  std::string batch;
  for (int i = 0; i < 1000; ++i) batch += Event("words", InMinute(i), "web-1", "needle");
  batch += Event("words", InMinute(500), "web-1", "haystack");  // not a match
  Ingest(batch);
  int64_t total = 0;
  simdjson::dom::array alerts = AlertsOf(kWordId, &total);
  ASSERT_EQ(total, 1) << last_;
  int64_t count = 0;
  ASSERT_FALSE(alerts.at(0)["count"].get(count));
  EXPECT_EQ(count, 1000);
  std::string_view status, host;
  EXPECT_FALSE(alerts.at(0)["status"].get(status));
  EXPECT_EQ(status, "new");
  EXPECT_FALSE(alerts.at(0)["host"].get(host));
  EXPECT_EQ(host, "web-1");
  // One alert event stored, carrying the alert's id.
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert rule.id:\"" + std::string(kWordId) + "\""), 1u);
  simdjson::dom::element rule = RuleOf(kWordId);
  EXPECT_EQ(Hit(rule, "matches"), 1000);
  EXPECT_EQ(Hit(rule, "raised"), 1);
  EXPECT_EQ(Hit(rule, "deduplicated"), 999);
  // A match on another host is another alert; one an hour later on the same host too (window).
  Ingest(Event("words", "2026-01-10T10:00:30Z", "web-2", "needle") + Event("words", "2026-01-10T11:00:30Z", "web-1", "needle"));
  AlertsOf(kWordId, &total);
  EXPECT_EQ(total, 3) << last_;
  // The count survives a restart (alerts.json in the data directory).
  ASSERT_EQ(server_->Stop(), 0);
  StartServer();
  alerts = AlertsOf(kWordId, &total);
  EXPECT_EQ(total, 3) << last_;
  int64_t max_count = 0;
  for (simdjson::dom::element a : alerts) max_count = std::max<int64_t>(max_count, a["count"].get_int64().value());
  EXPECT_EQ(max_count, 1000);
}

TEST_F(AlertsIntegration, PerRuleCapHoldsAgainstARuleThatMatchesEverything) {
  std::string batch;
  for (int i = 0; i < 300; ++i) batch += Event("flood", "2026-01-10T10:00:00Z", "host-" + std::to_string(i), "w" + std::to_string(i));
  Ingest(batch);
  int64_t total = 0;
  AlertsOf(kFloodId, &total);
  EXPECT_EQ(total, 5) << last_;  // per_rule_cap: 5 in the config
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert rule.id:\"" + std::string(kFloodId) + "\""), 5u);
  simdjson::dom::element rule = RuleOf(kFloodId);
  EXPECT_EQ(Hit(rule, "matches"), 300);
  EXPECT_EQ(Hit(rule, "raised"), 5);
  EXPECT_EQ(Hit(rule, "capped"), 295);
  EXPECT_EQ(Hit(rule, "raised_this_hour"), 5);
  int64_t cap = 0;
  EXPECT_FALSE(GetJson("/api/v1/rules")["per_rule_cap"].get(cap));
  EXPECT_EQ(cap, 5);
}

TEST_F(AlertsIntegration, TriageIsAuditedAndValidated) {
  Ingest(Event("words", "2026-01-10T10:00:00Z", "db-1", "needle"));
  int64_t total = 0;
  simdjson::dom::array alerts = AlertsOf(kWordId, &total);
  ASSERT_EQ(total, 1) << last_;
  const int64_t id = alerts.at(0)["id"].get_int64().value();
  const std::string path = "/api/v1/alerts/" + std::to_string(id);
  int code = 0;
  std::string body = Send("PATCH", path, R"({"status":"acknowledged","assignee":"alice","comment":"looking\r\nX-Evil: 1"})", &code);
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::element a = GetJson(path);
  EXPECT_EQ(a["status"].get_string().value(), "acknowledged");
  EXPECT_EQ(a["assignee"].get_string().value(), "alice");
  EXPECT_EQ(a["comments"].at(0)["user"].get_string().value(), "admin");
  EXPECT_EQ(a["comments"].at(0)["text"].get_string().value(), "looking\r\nX-Evil: 1");  // kept as text
  EXPECT_NE(Send("PATCH", path, R"({"status":"resolved"})", &code).find("status must be"), std::string::npos);
  EXPECT_EQ(code, 400);
  Send("PATCH", "/api/v1/alerts/999999", R"({"status":"closed"})", &code);
  EXPECT_EQ(code, 404);
  Send("PATCH", path, R"({"status":"closed"})", &code);
  EXPECT_EQ(code, 200);
  // Filters: closed alerts by status.
  EXPECT_EQ(GetJson("/api/v1/alerts?status=closed&host=db-1")["total"].get_int64().value(), 1);
  EXPECT_EQ(GetJson("/api/v1/alerts?status=new&host=db-1")["total"].get_int64().value(), 0);
  EXPECT_EQ(GetJson("/api/v1/alerts?level=medium&host=db-1")["total"].get_int64().value(), 1);
  // A closed alert takes no more matches: the next match is a new alert.
  Ingest(Event("words", "2026-01-10T10:00:05Z", "db-1", "needle"));
  EXPECT_EQ(GetJson("/api/v1/alerts?host=db-1")["total"].get_int64().value(), 2);
  // Roles: a viewer reads but cannot work an alert; an analyst works alerts but cannot tune rules.
  for (const char* role : {"viewer", "analyst"}) {
    body = Send("POST", "/api/v1/users", std::string(R"({"name":")") + role + R"(1","role":")" + role +
                                             R"(","password":")" + role + R"(1-password"})", &code);
    ASSERT_EQ(code, 201) << body;
  }
  Send("GET", "/api/v1/alerts", "", &code, "viewer1");
  EXPECT_EQ(code, 200);
  Send("PATCH", path, R"({"comment":"viewer"})", &code, "viewer1");
  EXPECT_EQ(code, 403);
  Send("PATCH", path, R"({"comment":"analyst"})", &code, "analyst1");
  EXPECT_EQ(code, 200);
  Send("PATCH", std::string("/api/v1/rules/") + kWordId, R"({"enabled":false})", &code, "analyst1");
  EXPECT_EQ(code, 403);
  EXPECT_EQ(GetJson(path)["comments"].at(1)["user"].get_string().value(), "analyst1");
  // Audited: the acknowledgement, the refused status, the close and the analyst's comment (the
  // 404 and the viewer's refused request never reached the handler).
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.audit event.action:alert.update kamatama.alert.id:" +
                                  std::to_string(id)), 4u);
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.audit event.action:alert.update kamatama.alert.status:acknowledged "
                                  "kamatama.alert.assignee:alice"), 1u);
}

TEST_F(AlertsIntegration, ExclusionLevelAndSwitchSurviveARestart) {
  int code = 0;
  // An exclusion that does not parse is refused with the reason.
  std::string body = Send("PATCH", std::string("/api/v1/rules/") + kWordId, R"({"add_exclusion":"host.name:(a"})", &code);
  EXPECT_EQ(code, 400) << body;
  body = Send("PATCH", std::string("/api/v1/rules/") + kWordId, R"({"add_exclusion":"*"})", &code);
  EXPECT_EQ(code, 400) << body;
  body = Send("PATCH", std::string("/api/v1/rules/") + kWordId, R"({"add_exclusion":"host.name:build-*","level":"critical"})", &code);
  ASSERT_EQ(code, 200) << body;
  ASSERT_EQ(server_->Stop(), 0);  // kept in the data directory, apart from the rule files
  StartServer();
  Ingest(Event("words", "2026-01-10T10:00:00Z", "build-7", "needle") + Event("words", "2026-01-10T10:00:00Z", "app-1", "needle"));
  int64_t total = 0;
  simdjson::dom::array alerts = AlertsOf(kWordId, &total);
  ASSERT_EQ(total, 1) << last_;
  EXPECT_EQ(alerts.at(0)["host"].get_string().value(), "app-1");
  EXPECT_EQ(alerts.at(0)["level"].get_string().value(), "critical");
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert rule.level:critical host.name:app-1"), 1u);
  simdjson::dom::element rule = RuleOf(kWordId);
  EXPECT_EQ(Hit(rule, "excluded"), 1);
  EXPECT_EQ(rule["effective_level"].get_string().value(), "critical");
  EXPECT_EQ(rule["exclusions"].at(0).get_string().value(), "host.name:build-*");
  // Off: matches are counted, nothing is raised.
  body = Send("PATCH", std::string("/api/v1/rules/") + kWordId, R"({"enabled":false})", &code);
  ASSERT_EQ(code, 200) << body;
  Ingest(Event("words", "2026-01-10T12:00:00Z", "app-9", "needle"));
  AlertsOf(kWordId, &total);
  EXPECT_EQ(total, 1) << last_;
  EXPECT_EQ(Hit(RuleOf(kWordId), "disabled"), 1);
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.audit event.action:rule.update"), 4u);  // 2 refused, 2 done
  // The rule's detail carries its YAML as written.
  simdjson::dom::element detail = GetJson(std::string("/api/v1/rules/") + kWordId);
  EXPECT_EQ(detail["yaml"].get_string().value(), kWordRule);
}

TEST_F(AlertsIntegration, ListPagesCountsAndDrawsAHistogramOfTheFilteredSet) {
  // Five hosts, one match each, a minute apart: five alerts (the host is in the dedup key; five
  // is the per-rule cap of the config).
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += Event("words", "2026-01-10T10:0" + std::to_string(i) + ":30Z", "h-" + std::to_string(i), "needle");
  batch += Event("flood", "2026-01-10T10:00:30Z", "h-0", "other");  // another rule: filtered out
  Ingest(batch);
  const std::string q = std::string("/api/v1/alerts?rule=") + kWordId + "&from=2026-01-10T10:00:00Z&to=2026-01-10T11:00:00Z";
  simdjson::dom::element first = GetJson(q + "&limit=3");
  EXPECT_EQ(first["total"].get_int64().value(), 5) << last_;
  std::set<int64_t> ids;
  for (simdjson::dom::element a : simdjson::dom::array(first["alerts"].get_array().value())) ids.insert(a["id"].get_int64().value());
  EXPECT_EQ(ids.size(), 3u);
  simdjson::dom::element second = GetJson(q + "&limit=3&offset=3");
  EXPECT_EQ(second["offset"].get_int64().value(), 3);
  for (simdjson::dom::element a : simdjson::dom::array(second["alerts"].get_array().value())) ids.insert(a["id"].get_int64().value());
  EXPECT_EQ(ids.size(), 5u) << "the two pages together are the five alerts, none twice";
  // Counts over the whole filtered set (not the page): by host and by rule.
  simdjson::dom::element all = GetJson(q + "&limit=1");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(all["by_host"]["h-" + std::to_string(i)].get_int64().value(), 1) << last_;
  EXPECT_EQ(all["by_rule"]["Test word seen"].get_int64().value(), 5);
  EXPECT_TRUE(all["by_rule"]["Test everything matches"].error()) << "the flood rule is filtered out";
  // The histogram: an hour in 60 one-minute buckets; the five alerts in the first five.
  simdjson::dom::element h = all["histogram"];
  EXPECT_EQ(h["interval_ms"].get_int64().value(), 60000);
  EXPECT_EQ(h["from"].get_string().value().substr(0, 19), "2026-01-10T10:00:00");
  simdjson::dom::array buckets = h["buckets"].get_array().value();
  ASSERT_EQ(buckets.size(), 60u);
  int64_t i = 0;
  for (simdjson::dom::element b : buckets) {
    EXPECT_EQ(b["count"].get_int64().value(), i < 5 ? 1 : 0) << "bucket " << i;
    ++i;
  }
  // A range of 400 years (its length is beyond int64 nanoseconds), one before 1970 and none: an
  // answer, every alert counted once.
  for (const char* range : {"&from=1800-01-01T00:00:00Z&to=2200-12-31T00:00:00Z", "&to=1800-01-01T00:00:00Z", ""}) {
    int code = 0;
    const std::string body = server_->Get(std::string("/api/v1/alerts?limit=0") + range, &code);
    simdjson::dom::element e;
    ASSERT_FALSE(parser_.parse(body).get(e)) << range << ": " << code << " " << body.substr(0, 300);
    ASSERT_EQ(code, 200) << range << ": " << body.substr(0, 300);
    int64_t sum = 0;
    for (simdjson::dom::element b : simdjson::dom::array(e["histogram"]["buckets"].get_array().value())) sum += b["count"].get_int64().value();
    EXPECT_EQ(sum, e["total"].get_int64().value()) << range;
  }
  // Times beyond int64 nanoseconds (a year 1, epoch seconds or a relative time past 2262) are
  // refused as such on the alert list and on search, not computed into an overflow.
  for (const char* path : {"/api/v1/alerts?limit=0", "/api/v1/search?q=needle"}) {
    for (const char* range : {"&from=0001-01-01", "&to=9999-12-31T23:59:59Z", "&to=99999999999", "&to=now%2B100000d",
                              "&from=99999999999999999999"}) {
      int code = 0;
      const std::string body = server_->Get(std::string(path) + range, &code);
      EXPECT_EQ(code, 400) << path << range << ": " << body.substr(0, 300);
      EXPECT_NE(body.find("time out of range"), std::string::npos) << path << range << ": " << body.substr(0, 300);
    }
  }
  int code = 0;
  server_->Get("/api/v1/alerts?limit=0&from=2261-12-31T23:59:59Z", &code);
  EXPECT_EQ(code, 200) << "the last accepted second";
}

TEST_F(AlertsIntegration, AnAlertKeepsTheMatchedValuesAndItsStatusHistory) {
  Ingest(Event("words", "2026-01-10T10:00:00Z", "db-2", "needle"));
  int64_t total = 0;
  simdjson::dom::array alerts = AlertsOf(kWordId, &total);
  ASSERT_EQ(total, 1) << last_;
  const std::string path = "/api/v1/alerts/" + std::to_string(alerts.at(0)["id"].get_int64().value());
  EXPECT_EQ(alerts.at(0)["values"]["kmt.word"].get_string().value(), "needle") << last_;
  int code = 0;
  Send("PATCH", path, R"({"status":"acknowledged","assignee":"bob"})", &code);
  ASSERT_EQ(code, 200);
  Send("PATCH", path, R"({"status":"acknowledged","comment":"same status: no change recorded"})", &code);
  ASSERT_EQ(code, 200);
  Send("PATCH", path, R"({"status":"closed"})", &code);
  ASSERT_EQ(code, 200);
  ASSERT_EQ(server_->Stop(), 0);  // kept in alerts.json
  StartServer();
  simdjson::dom::array history = GetJson(path)["history"].get_array().value();
  ASSERT_EQ(history.size(), 3u) << last_;
  const char* expected[][2] = {{"status", "acknowledged"}, {"assignee", "bob"}, {"status", "closed"}};
  size_t k = 0;
  for (simdjson::dom::element c : history) {
    EXPECT_EQ(c["field"].get_string().value(), expected[k][0]);
    EXPECT_EQ(c["value"].get_string().value(), expected[k][1]);
    EXPECT_EQ(c["user"].get_string().value(), "admin");
    EXPECT_GT(c["at_ns"].get_int64().value(), 0);
    ++k;
  }
  // The rule's detail names the hourly cap its alerts are under.
  EXPECT_EQ(GetJson(std::string("/api/v1/rules/") + kWordId)["per_rule_cap"].get_int64().value(), 5);
}

TEST_F(AlertsIntegration, WindowsRulesAreBlindUntilSysmonEventsArrive) {
  Ingest(Event("words", "2026-01-10T10:00:00Z", "web-1", "hello"));
  // Events are "sent in the last N days" by their time: use now.
  auto blind_of = [&](const std::string& technique) -> int64_t {
    simdjson::dom::element cov = GetJson("/api/v1/rules/coverage?days=3650");
    simdjson::dom::array list;
    EXPECT_FALSE(cov["blind_by_technique"].get(list)) << last_;
    for (simdjson::dom::element t : list)
      if (t["id"].get_string().value() == technique) return t["blind_rules"].get_int64().value();
    return 0;
  };
  int code = 0;
  server_->Get("/api/v1/rules/coverage?days=0", &code);
  EXPECT_EQ(code, 400);
  EXPECT_EQ(blind_of("T1204"), 1) << last_;  // windows/process_creation: no Sysmon, no 4688
  EXPECT_EQ(blind_of("T1059"), 0) << last_;  // kmt.words is sending
  EXPECT_NE(last_.find("process_creation"), std::string::npos);
  // Sysmon events of the shared corpus (NXLog JSON) arrive: the rule is fed.
  const fs::path file = Corpus() / "sysmon" / "windows-sysmon-nxlog-json" / "otrf-schtask_create_2020-12-1907003032.json";
  if (!fs::exists(file)) GTEST_SKIP() << "the shared corpus is not beside the checkout";
  std::ifstream in(file);
  std::string line, batch;
  while (std::getline(in, line)) batch += line + "\n";
  Ingest(batch);
  EXPECT_EQ(blind_of("T1204"), 0) << last_;
}

}  // namespace
