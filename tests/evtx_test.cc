// tests/evtx_test.cc
//! Windows .evtx import (issue 20). The SigmaHQ snapshot's regression cases (../shared/sigma,
//! read in place) hold each case's events twice, as the .evtx the rule's author recorded and as
//! its JSON export: the expectations come from there (info.yml's rule and match_count, the JSON
//! form's events), not from the code under test.
//!  - every case's rule fires on its .evtx read as `kamatama import` reads it (libevtx, XML,
//!    the Windows parsers), at least match_count times, through RuleSet::Match;
//!  - the fields of every .evtx record equal those of the same record posted as JSON;
//!  - `kamatama import --rules` over the whole regression folder raises, in a stopped store, the
//!    alerts (kamatama.alert.origin:imported) a started server then finds;
//!  - a truncated or corrupt .evtx gives one clear line and loses nothing else.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "detect/ruleset.h"
#include "ops/evtx.h"
#include "parsers/parse.h"
#include "tests/harness.h"
#include "tests/sigma_util.h"

namespace {

namespace fs = std::filesystem;
using kamatama::Event;
using kamatama::ParseOptions;
using kamatama::RawRecord;
using kamatama::Status;
using kamatama::detect::LoadSummary;
using kamatama::detect::Rule;
using kamatama::detect::RuleSet;

using kmt_sigma::RuleDirs;
using kmt_sigma::SigmaDir;

//! One regression case: its folder, rule id, match_count and files.
struct Case {
  fs::path dir;
  std::string rule_id;
  size_t want = 1;
  std::vector<fs::path> evtx, json;
};

std::vector<Case> Cases() {
  std::vector<Case> out;
  for (const auto& e : fs::recursive_directory_iterator(SigmaDir() / "regression_data")) {
    if (e.path().filename() != "info.yml") continue;
    Case c;
    c.dir = e.path().parent_path();
    const std::string info = kmt_test::ReadFile(e.path().string());
    const size_t idk = info.find("id: ", info.find("rule_metadata:"));
    c.rule_id = info.substr(idk + 4, info.find('\n', idk) - idk - 4);
    if (size_t mc = info.find("match_count: "); mc != std::string::npos) c.want = std::stoul(info.substr(mc + 13));
    for (const auto& f : fs::directory_iterator(c.dir)) {
      if (f.path().extension() == ".evtx") c.evtx.push_back(f.path());
      if (f.path().extension() == ".json") c.json.push_back(f.path());
    }
    std::sort(c.evtx.begin(), c.evtx.end());
    std::sort(c.json.begin(), c.json.end());
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.dir < b.dir; });
  return out;
}

//! The events of an .evtx file as `kamatama import` makes them (raw record = the record's XML).
std::vector<Event> EvtxEvents(const fs::path& file, kamatama::ops::EvtxStats* stats = nullptr) {
  std::vector<Event> out;
  kamatama::ops::EvtxStats local;
  Status s = kamatama::ops::ReadEvtx(file.string(), [&](std::string&& xml) {
    RawRecord r;
    r.data = std::move(xml);
    out.push_back(kamatama::ParseRecord(r, ParseOptions{}));
    return Status::OK();
  }, stats ? stats : &local);
  EXPECT_TRUE(s.ok()) << file << ": " << s.ToString();
  return out;
}

std::vector<std::string> JsonObjects(const fs::path& file) {
  return kmt_sigma::SplitJsonObjects(kmt_sigma::ReadAll(file));
}

TEST(Evtx, RegressionCasesFireTheirRulesFromTheirEvtx) {
  REQUIRE_SIGMA();
  RuleSet set;
  LoadSummary s;
  ASSERT_TRUE(set.Load(RuleDirs(), {}, &s).ok());
  std::map<std::string, const Rule*> by_id;
  for (const auto& r : set.rules()) by_id[r->id] = r.get();
  size_t cases = 0, passed = 0, records = 0;
  std::vector<std::string> failures;
  for (const Case& c : Cases()) {
    if (c.evtx.empty()) continue;
    ++cases;
    auto it = by_id.find(c.rule_id);
    if (it == by_id.end()) {
      failures.push_back(c.dir.filename().string() + ": rule " + c.rule_id + " not loaded");
      continue;
    }
    size_t fired = 0;
    for (const fs::path& f : c.evtx) {
      for (const Event& ev : EvtxEvents(f)) {
        ++records;
        std::vector<const Rule*> out;
        set.Match(ev, &out);  // the live path: routing, prefilter, the rule's query
        fired += std::find(out.begin(), out.end(), it->second) != out.end();
      }
    }
    if (fired >= c.want) ++passed;
    else failures.push_back(c.dir.filename().string() + ": " + std::to_string(fired) + " of " + std::to_string(c.want));
  }
  std::cout << "[ evtx ] regression cases: " << passed << " of " << cases << " fire their rule from .evtx (" << records
            << " records)\n";
  for (const std::string& f : failures) std::cout << "  " << f << "\n";
  EXPECT_EQ(cases, 202u);
  EXPECT_EQ(passed, cases);
  EXPECT_GE(records, cases);
}

//! The fields an event holds, without those only one form can have (the JSON form's flattened
//! copy of itself, Event.*; the XML form's line in `message`; the receive time and address), and
//! without what the regression JSON exports changed in their values: they drop GUIDs' braces
//! (Windows, Sysmon and Winlogbeat write {GUID}), trailing spaces of command lines, and the
//! timestamps' last digit (100 ns in the .evtx, microseconds in the export).
std::map<std::string, std::string> NormalisedFields(const Event& ev) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : ev.fields) {
    if (k.rfind("Event.", 0) == 0 || k == "event.ingested" || k == "observer.ip" || k == "message") continue;
    std::string value = v;
    if (value.size() == 38 && value.front() == '{' && value.back() == '}') value = value.substr(1, 36);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    out[k] = value;
  }
  out["@timestamp"] = std::to_string(ev.timestamp_ns / 1000);
  return out;
}

//! Where the snapshot's two files of a case disagree with each other: the right-to-left override
//! case's .evtx says its parent was `C:\Windows\Explorer.EXE`, its JSON `...\Explorer.exe` (equal
//! to a Sigma rule, which ignores case).
bool KnownSnapshotDifference(const fs::path& dir, const std::string& field, const std::string& a, const std::string& b) {
  if (dir.filename() != "proc_creation_win_susp_right_to_left_override") return false;
  if (field != "process.parent.command_line" && field != "winlog.event_data.ParentCommandLine") return false;
  return a == "C:\\Windows\\Explorer.EXE" && b == "C:\\Windows\\Explorer.exe";
}

TEST(Evtx, EveryRecordGivesTheFieldsOfItsJsonForm) {
  REQUIRE_SIGMA();
  size_t compared = 0, fields = 0;
  std::vector<std::string> differences;
  for (const Case& c : Cases()) {
    if (c.evtx.size() != 1 || c.json.size() != 1) continue;
    const std::vector<Event> from_evtx = EvtxEvents(c.evtx[0]);
    const std::vector<std::string> objects = JsonObjects(c.json[0]);
    if (from_evtx.size() != objects.size()) {
      differences.push_back(c.dir.filename().string() + ": " + std::to_string(from_evtx.size()) + " records in .evtx, " +
                            std::to_string(objects.size()) + " in .json");
      continue;
    }
    for (size_t i = 0; i < objects.size(); ++i) {
      RawRecord rec;
      rec.data = objects[i];
      rec.flags = kamatama::kRawJson;
      const auto want = NormalisedFields(kamatama::ParseRecord(rec, ParseOptions{}));
      const auto got = NormalisedFields(from_evtx[i]);
      ++compared;
      fields += want.size();
      for (const auto& [k, v] : want) {
        auto it = got.find(k);
        if (it == got.end()) differences.push_back(c.dir.filename().string() + ": " + k + " missing (json: " + v + ")");
        else if (it->second != v && !KnownSnapshotDifference(c.dir, k, it->second, v))
          differences.push_back(c.dir.filename().string() + ": " + k + " = " + it->second + ", json: " + v);
      }
      for (const auto& [k, v] : got) {
        if (!want.count(k)) differences.push_back(c.dir.filename().string() + ": " + k + " only from .evtx: " + v);
      }
    }
  }
  std::cout << "[ evtx ] " << compared << " records compared, " << fields << " fields; " << differences.size()
            << " differences\n";
  for (size_t i = 0; i < differences.size() && i < 40; ++i) std::cout << "  " << differences[i] << "\n";
  EXPECT_GT(compared, 200u);
  EXPECT_TRUE(differences.empty());
}

//! Runs the kamatama binary; returns stdout+stderr, *status the exit code.
std::string Kamatama(const std::string& args, int* status) {
  return kmt_test::Shell(kmt_test::ShellQuote(KMT_BINARY) + " " + args + " 2>&1", status);
}

TEST(Evtx, TruncatedOrCorruptFilesGiveALineAndLoseNothingElse) {
  REQUIRE_SIGMA();
  const std::string dir = kmt_test::TempDir("evtx_bad");
  fs::create_directories(dir + "/in");
  std::vector<Case> cases = Cases();
  const Case* good = nullptr;
  for (const Case& c : cases) {
    if (c.evtx.size() == 1 && c.json.size() == 1 && JsonObjects(c.json[0]).size() >= 3) {
      good = &c;
      break;
    }
  }
  ASSERT_NE(good, nullptr);
  const size_t good_records = JsonObjects(good->json[0]).size();  // the oracle: the JSON form
  fs::copy_file(good->evtx[0], dir + "/in/a-good.evtx");
  const std::string bytes = kmt_test::ReadFile(good->evtx[0].string());
  // A file cut in the middle of its first chunk (header intact), and garbage named .evtx.
  std::ofstream(dir + "/in/b-truncated.evtx", std::ios::binary) << bytes.substr(0, 4096 + 600);
  std::ofstream(dir + "/in/c-garbage.evtx", std::ios::binary) << std::string(5000, 'x');
  std::ofstream(dir + "/in/d-plain.log") << "<13>Jan  5 10:00:00 web1 app: line one\n<13>Jan  5 10:00:01 web1 app: line two\n";
  int status = 0;
  const std::string out = Kamatama("import --no-progress --data-dir " + kmt_test::ShellQuote(dir + "/data") + " " +
                                       kmt_test::ShellQuote(dir + "/in"),
                                   &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("c-garbage.evtx: not a readable .evtx file"), std::string::npos) << out;
  EXPECT_NE(out.find("b-truncated.evtx"), std::string::npos) << out;  // one line about it, whatever it kept
  EXPECT_NE(out.find("1 file(s) unreadable"), std::string::npos) << out;
  // Every record of the good file and both plain lines, plus what the truncated copy still holds
  // (at most as many records as the whole file).
  const size_t at = out.find(" event(s) stored");
  ASSERT_NE(at, std::string::npos) << out;
  const size_t stored = std::stoul(out.substr(out.rfind(' ', at - 1) + 1));
  EXPECT_GE(stored, good_records + 2) << out;
  EXPECT_LE(stored, 2 * good_records + 2) << out;
  fs::remove_all(dir);
}

TEST(Evtx, ImportWithRulesRaisesAlertsAServerFinds) {
  REQUIRE_SIGMA();
  const std::string dir = kmt_test::TempDir("evtx_import");
  std::string rules;
  for (const std::string& d : RuleDirs()) rules += " --rules " + kmt_test::ShellQuote(d);
  int status = 0;
  std::string out = Kamatama("import --no-progress --data-dir " + kmt_test::ShellQuote(dir + "/data") + rules + " " +
                                 kmt_test::ShellQuote((SigmaDir() / "regression_data").string()),
                             &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("202 .evtx file(s) read, 0 file(s) unreadable, 0 record(s) unreadable"), std::string::npos) << out;
  // Importing again stores nothing twice, and so raises no alert twice.
  std::string again = Kamatama("import --no-progress --data-dir " + kmt_test::ShellQuote(dir + "/data") + rules + " " +
                                   kmt_test::ShellQuote((SigmaDir() / "regression_data").string()),
                               &status);
  EXPECT_NE(again.find(" 0 event(s) stored"), std::string::npos) << again;
  EXPECT_NE(again.find(" 0 alert(s) raised"), std::string::npos) << again;

  kmt_test::Server server(dir);
  server.Start();
  // Each case's rule has at least match_count imported alerts.
  simdjson::dom::parser p;
  std::map<std::string, size_t> alerts;
  const std::string body =
      server.Search("event.dataset:kamatama.alert AND kamatama.alert.origin:imported", "&limit=10000");
  simdjson::dom::array events;
  ASSERT_FALSE(p.parse(body)["events"].get(events)) << body.substr(0, 300);
  for (auto ev : events) {
    std::string_view id;
    if (!ev["rule.id"].get(id)) ++alerts[std::string(id)];
  }
  size_t cases = 0, passed = 0;
  std::vector<std::string> failures;
  for (const Case& c : Cases()) {
    if (c.evtx.empty()) continue;
    ++cases;
    if (alerts[c.rule_id] >= c.want) ++passed;
    else failures.push_back(c.dir.filename().string() + ": " + std::to_string(alerts[c.rule_id]) + " alerts");
  }
  for (const std::string& f : failures) std::cout << "  " << f << "\n";
  EXPECT_EQ(cases, 202u);
  EXPECT_EQ(passed, cases);
  EXPECT_EQ(server.Stop(), 0);
  fs::remove_all(dir);
}

}  // namespace
