// tests/hunt_integration_test.cc
//! POST /api/v1/hunt with the real binary: SigmaHQ rules (copied at test time from
//! ../shared/sigma, never vendored) run over stored regression events, by id, all at once and as
//! pasted YAML; the time range, counts per rule, alerts raised once however often a hunt runs,
//! a client that goes away stopping the hunt, permissions, and a bad rule answered 400 with why.
//! Expected counts come from the regression data (each case's event fires its rule), not from
//! the engine.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/json.h"
#include "tests/harness.h"
#include "tests/sigma_util.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;
using kmt_test::ShellQuote;

using kmt_sigma::RegressionEventLine;
using kmt_sigma::SigmaDir;

const char* kBitsadmin = "rules/windows/process_creation/proc_creation_win_bitsadmin_download";
const char* kAmsi = "rules/windows/process_creation/proc_creation_win_amsi_registry_tampering";
// The bitsadmin regression event is of 2025-12-10, the AMSI one of 2025-12-25 (their own times).
const char* kDayOfEvents = "2025-12-10T00:00:00Z";
const char* kDayAfter = "2025-12-11T00:00:00Z";
const char* kAmsiDay = "2025-12-25T00:00:00Z";
const char* kEnd = "2025-12-26T00:00:00Z";

std::string RuleId(const std::string& rule) {
  const std::string yaml = "\n" + kmt_test::ReadFile((SigmaDir() / (rule + ".yml")).string());
  const size_t at = yaml.find("\nid: ");
  return at == std::string::npos ? "" : yaml.substr(at + 5, yaml.find('\n', at + 5) - at - 5);
}

//! A hunt's answer: the NDJSON lines by type.
struct HuntAnswer {
  int code = 0;
  std::string body;
  std::vector<std::string> matches;  //!< the match lines
  std::map<std::string, uint64_t> counts;  //!< rule id -> count, from the done line
  std::string done;
  int64_t Done(const char* key) const {
    simdjson::dom::parser p;
    int64_t v = -1;
    if (p.parse(done)[key].get(v)) return -1;
    return v;
  }
};

class HuntIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::is_directory(SigmaDir())) return;
    dir_ = new std::string(kmt_test::TempDir("hunt_integration"));
    fs::create_directories(*dir_ + "/rules");
    fs::copy_file(SigmaDir() / (std::string(kAmsi) + ".yml"), *dir_ + "/rules/amsi.yml");
    fs::copy_file(SigmaDir() / (std::string(kBitsadmin) + ".yml"), *dir_ + "/rules/bitsadmin.yml");
    server_ = new Server(*dir_, {"--rules", *dir_ + "/rules"});
    server_->Start();
    // The two regression events, and events of the next day that fire nothing.
    std::ofstream f(*dir_ + "/events.ndjson");
    f << RegressionEventLine(kAmsi) << "\n" << RegressionEventLine(kBitsadmin) << "\n";
    for (int i = 0; i < 50; ++i)
      f << "{\"@timestamp\":\"2025-12-11T0" << i % 10 << ":00:00Z\",\"message\":\"benign line " << i
        << " of the day after\",\"host.name\":\"pc7\"}\n";
    f.close();
    int code = 0;
    std::string body = server_->Post("/api/v1/ingest", *dir_ + "/events.ndjson", &code);
    EXPECT_EQ(code, 200) << body;
    // A restart seals the events into blocks with token filters: what hunts prune by.
    EXPECT_EQ(server_->Stop(), 0);
    server_->Start();
  }
  static void TearDownTestSuite() {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
    delete server_;
    server_ = nullptr;
    if (dir_) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!server_) GTEST_SKIP() << "the SigmaHQ snapshot (../shared/sigma) is not beside the checkout";
  }

  //! POSTs `json` to /api/v1/hunt (as `auth`, curl arguments; the admin by default).
  static HuntAnswer Hunt(const std::string& json, const std::string& auth = "") {
    const std::string file = *dir_ + "/hunt.json";
    std::ofstream(file) << json;
    const std::string url = auth.empty() ? server_->Url("/api/v1/hunt") : server_->AnonUrl("/api/v1/hunt");
    std::string out = kmt_test::Shell("curl -s -N -m 60 -w '\\n%{http_code}' " + auth +
                                      " -H 'Content-Type: application/json' --data-binary @" + ShellQuote(file) + " " +
                                      ShellQuote(url));
    HuntAnswer a;
    const size_t nl = out.rfind('\n');
    a.code = nl == std::string::npos ? -1 : std::atoi(out.c_str() + nl + 1);
    a.body = nl == std::string::npos ? out : out.substr(0, nl);
    simdjson::dom::parser p;
    size_t start = 0;
    while (start < a.body.size()) {
      size_t end = a.body.find('\n', start);
      if (end == std::string::npos) end = a.body.size();
      const std::string line = a.body.substr(start, end - start);
      start = end + 1;
      std::string_view type;
      if (p.parse(line)["type"].get(type)) continue;
      if (type == "match") a.matches.push_back(line);
      if (type != "done") continue;
      a.done = line;
      simdjson::dom::array counts;
      if (p.parse(line)["counts"].get(counts)) continue;
      for (auto c : counts) {
        std::string_view id;
        uint64_t n = 0;
        if (!c["rule.id"].get(id) && !c["count"].get(n)) a.counts[std::string(id)] = n;
      }
    }
    return a;
  }
  static std::string Range(const char* from, const char* to) {
    return std::string(",\"from\":\"") + from + "\",\"to\":\"" + to + "\"";
  }

  static std::string* dir_;
  static Server* server_;
};
std::string* HuntIntegration::dir_ = nullptr;
Server* HuntIntegration::server_ = nullptr;

TEST_F(HuntIntegration, OneRuleByIdFindsItsEventInTheRangeAndNothingOutsideIt) {
  const std::string id = RuleId(kBitsadmin);
  ASSERT_FALSE(id.empty());
  HuntAnswer a = Hunt("{\"rules\":[\"" + id + "\"]" + Range(kDayOfEvents, kDayAfter) + "}");
  ASSERT_EQ(a.code, 200) << a.body;
  ASSERT_FALSE(a.done.empty()) << a.body;
  EXPECT_EQ(a.counts[id], 1u) << a.done;
  ASSERT_EQ(a.matches.size(), 1u) << a.body;
  EXPECT_NE(a.matches[0].find("bitsadmin  /transfer n https://www.atomicredteam.io"), std::string::npos);
  EXPECT_NE(a.matches[0].find(id), std::string::npos);
  // The live alerts of the same events (kamatama.alert) are not hunted.
  EXPECT_EQ(a.matches[0].find("kamatama.alert"), std::string::npos) << a.matches[0];
  EXPECT_EQ(a.Done("complete"), -1);  // a boolean, not a number
  EXPECT_NE(a.done.find("\"complete\":true"), std::string::npos) << a.done;

  // The day after holds only benign lines: nothing, and its blocks never read for this rule.
  a = Hunt("{\"rules\":[\"" + id + "\"]" + Range(kDayAfter, "2025-12-12T00:00:00Z") + "}");
  ASSERT_EQ(a.code, 200) << a.body;
  EXPECT_EQ(a.counts[id], 0u) << a.done;
  EXPECT_TRUE(a.matches.empty()) << a.body;
  EXPECT_EQ(a.Done("scanned"), 0) << a.done;  // the day after's 50 events were never evaluated
}

TEST_F(HuntIntegration, AllRulesInOnePassCountEachRule) {
  HuntAnswer a = Hunt(std::string("{\"rules\":\"all\"") + Range(kDayOfEvents, kEnd) + "}");
  ASSERT_EQ(a.code, 200) << a.body;
  EXPECT_EQ(a.Done("rules"), 2) << a.done;
  EXPECT_EQ(a.counts[RuleId(kBitsadmin)], 1u) << a.done;
  EXPECT_EQ(a.counts[RuleId(kAmsi)], 1u) << a.done;
  EXPECT_EQ(a.matches.size(), 2u) << a.body;
  EXPECT_EQ(a.Done("matched"), 2) << a.done;
  // The pass prunes too: the day after's block holds no token any of the rules needs (no Sysmon
  // channel), so only the two regression events were evaluated.
  EXPECT_EQ(a.Done("blocks_pruned"), 1) << a.done;
  EXPECT_EQ(a.Done("scanned"), 2) << a.done;
}

TEST_F(HuntIntegration, PastedYamlRunsWithoutBeingLoaded) {
  const std::string yaml = kmt_test::ReadFile((SigmaDir() / (std::string(kBitsadmin) + ".yml")).string()) + "\n---\n" +
                           kmt_test::ReadFile((SigmaDir() / (std::string(kAmsi) + ".yml")).string());
  std::string json = "{\"yaml\":";
  kamatama::AppendJsonString(&json, yaml);
  json += Range(kDayOfEvents, kEnd) + "}";
  HuntAnswer a = Hunt(json);
  ASSERT_EQ(a.code, 200) << a.body;
  EXPECT_EQ(a.counts[RuleId(kBitsadmin)], 1u) << a.done;
  EXPECT_EQ(a.counts[RuleId(kAmsi)], 1u) << a.done;

  // A rule of the snapshot the server did not load, pasted: it finds nothing here, and says so.
  const std::string other = kmt_test::ReadFile(
      (SigmaDir() / "rules/windows/process_creation/proc_creation_win_certutil_download.yml").string());
  json = "{\"yaml\":";
  kamatama::AppendJsonString(&json, other);
  json += Range(kDayOfEvents, kDayAfter) + "}";
  a = Hunt(json);
  ASSERT_EQ(a.code, 200) << a.body;
  EXPECT_EQ(a.Done("matched"), 0) << a.done;
  EXPECT_EQ(a.Done("rules"), 1) << a.done;
}

TEST_F(HuntIntegration, BadRequestsAnswer400WithTheReason) {
  struct Case {
    std::string json, reason;
  } cases[] = {
      {"{\"yaml\":\"title: x\\ndetection: [unclosed\\n\"}", "invalid"},
      {"{\"yaml\":\"title: x\\nlogsource: {product: windows}\\ndetection:\\n  sel:\\n    Image|nosuchmodifier: a\\n  "
       "condition: sel\\n\"}",
       "nosuchmodifier"},
      {"{\"rules\":[\"00000000-0000-0000-0000-000000000000\"]}", "no loaded rule has the id"},
      {"{\"rules\":\"all\",\"yaml\":\"x\"}", "either"},
      {"{\"rules\":\"all\",\"from\":\"yesterdayish\"}", "bad 'from' time"},
      {"not json", "JSON object"},
  };
  for (const auto& c : cases) {
    HuntAnswer a = Hunt(c.json);
    EXPECT_EQ(a.code, 400) << c.json << " -> " << a.body;
    EXPECT_NE(a.body.find(c.reason), std::string::npos) << c.json << " -> " << a.body;
  }
}

TEST_F(HuntIntegration, KeywordRulesSearchTheStoredLineBesideRulesReadingOtherFields) {
  // A keyword (fieldless) rule hunted with a rule reading one EventData field: the store reads
  // that column only, yet the keyword is searched in the whole stored line, as a live event's
  // keywords are searched in its whole EventData. A keyword the event lacks finds nothing.
  auto rule = [](const std::string& id, const std::string& detection) {
    return "title: " + id + "\nid: " + id + "\nlogsource:\n  category: process_creation\n  product: windows\n"
           "detection:\n" + detection + "level: high\n";
  };
  const std::string kw = "11111111-1111-4111-8111-111111111111", absent = "22222222-2222-4222-8222-222222222222",
                    other = "33333333-3333-4333-8333-333333333333";
  const std::string yaml = rule(kw, "  keywords:\n    - 'atomicredteam.io/atomic-red-team'\n  condition: keywords\n") +
                           "---\n" + rule(absent, "  keywords:\n    - 'not-in-this-event'\n  condition: keywords\n") +
                           "---\n" + rule(other, "  sel:\n    IntegrityLevel: 'System'\n  condition: sel\n");
  std::string json = "{\"yaml\":";
  kamatama::AppendJsonString(&json, yaml);
  json += Range(kDayOfEvents, kDayAfter) + "}";
  HuntAnswer a = Hunt(json);
  ASSERT_EQ(a.code, 200) << a.body;
  EXPECT_EQ(a.Done("rules"), 3) << a.done;
  EXPECT_EQ(a.counts[kw], 1u) << a.done;
  EXPECT_EQ(a.counts[absent], 0u) << a.done;
  EXPECT_EQ(a.counts[other], 0u) << a.done;  // the bitsadmin event runs at Medium
  ASSERT_EQ(a.matches.size(), 1u) << a.body;
  EXPECT_NE(a.matches[0].find(kw), std::string::npos) << a.matches[0];
  // The keyword rule alone (one rule: run as its query) agrees.
  json = "{\"yaml\":";
  kamatama::AppendJsonString(&json, rule(kw, "  keywords:\n    - 'atomicredteam.io/atomic-red-team'\n  condition: keywords\n"));
  json += Range(kDayOfEvents, kDayAfter) + "}";
  a = Hunt(json);
  ASSERT_EQ(a.code, 200) << a.body;
  EXPECT_EQ(a.counts[kw], 1u) << a.done;
}

TEST_F(HuntIntegration, AnalystsHuntViewersDoNot) {
  for (const char* role : {"viewer", "analyst"}) {
    const std::string file = *dir_ + "/user.json";
    std::ofstream(file) << "{\"name\":\"hunt" << role << "\",\"role\":\"" << role << "\",\"password\":\"hunt-" << role
                        << "-password\"}";
    int code = 0;
    server_->Post("/api/v1/users", file, &code);
    ASSERT_EQ(code, 201);
  }
  const std::string body = std::string("{\"rules\":\"all\"") + Range(kDayOfEvents, kEnd) + "}";
  EXPECT_EQ(Hunt(body, "-u huntviewer:hunt-viewer-password").code, 403);
  HuntAnswer a = Hunt(body, "-u huntanalyst:hunt-analyst-password");
  EXPECT_EQ(a.code, 200) << a.body;
  EXPECT_EQ(a.Done("matched"), 2) << a.body;
  EXPECT_EQ(Hunt(body, "").code, 200);  // the admin
}

TEST_F(HuntIntegration, AlertsFromAHuntAreRaisedOnce) {
  const std::string id = RuleId(kAmsi);
  const std::string q = "event.dataset:kamatama.alert AND kamatama.alert.origin:hunt AND rule.id:" + id;
  ASSERT_EQ(server_->CountMatches(q), 0u);
  const std::string body = "{\"rules\":[\"" + id + "\"],\"create_alerts\":true" + Range(kAmsiDay, kEnd) + "}";
  HuntAnswer a = Hunt(body);
  ASSERT_EQ(a.code, 200) << a.body;
  EXPECT_EQ(a.Done("alerts"), 1) << a.done;
  EXPECT_EQ(server_->CountMatches(q), 1u);
  // Run again: the same firing is found, and not raised twice.
  a = Hunt(body);
  EXPECT_EQ(a.Done("alerts"), 0) << a.done;
  EXPECT_EQ(a.Done("alerts_duplicate"), 1) << a.done;
  EXPECT_EQ(server_->CountMatches(q), 1u);
  // The alert names the matched event as live alerts do.
  const std::string found = server_->Search(q);
  EXPECT_NE(found.find("\"kamatama.matched.timestamp\":\"2025-12-25T"), std::string::npos) << found;
}

TEST_F(HuntIntegration, AClientThatGoesAwayStopsTheHunt) {
  // 3,000 more firing events over 30 days before the regression day: a stream of several MB.
  const std::string line = RegressionEventLine(kBitsadmin);
  const size_t ts = line.find("2025-12-10T");
  ASSERT_NE(ts, std::string::npos);
  const std::string file = *dir_ + "/many.ndjson";
  {
    std::ofstream f(file);
    for (int i = 0; i < 3000; ++i) {
      std::string l = line;
      const int day = 1 + i % 30;
      l.replace(ts, 10, std::string("2025-11-") + (day < 10 ? "0" : "") + std::to_string(day));
      f << l << "\n";
    }
  }
  int code = 0;
  server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200);
  const std::string id = RuleId(kBitsadmin);
  const std::string req = *dir_ + "/cancel.json";
  std::ofstream(req) << "{\"rules\":[\"" << id << "\"],\"limit\":10000" << Range("2025-11-01T00:00:00Z", kDayAfter) << "}";
  // curl reads the first 4 KB and is gone.
  kmt_test::Shell("curl -s -N -m 60 -H 'Content-Type: application/json' --data-binary @" + ShellQuote(req) + " " +
                  ShellQuote(server_->Url("/api/v1/hunt")) + " | head -c 4096 > /dev/null");
  // The hunt's audit record says it was cancelled, having written far fewer than the 3,001 matches.
  std::string audit;
  ASSERT_TRUE(kmt_test::Eventually([&] {
    audit = server_->Search("event.dataset:kamatama.audit AND event.action:hunt AND event.outcome:cancelled");
    return audit.find("\"kamatama.results\"") != std::string::npos;
  })) << audit;
  simdjson::dom::parser p;
  std::string_view results;
  ASSERT_FALSE(p.parse(audit)["events"].at(0)["kamatama.results"].get(results)) << audit;
  EXPECT_LT(std::stoll(std::string(results)), 3001) << audit;
  // The same hunt run to its end finds them all.
  HuntAnswer a = Hunt(kmt_test::ReadFile(req));
  EXPECT_EQ(a.counts[id], 3001u) << a.done;
  EXPECT_EQ(a.matches.size(), 3001u);
}

}  // namespace
