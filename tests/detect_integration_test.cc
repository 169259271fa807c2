// tests/detect_integration_test.cc
//! Live detection with the real binary: `kamatama serve --rules DIR` over real SigmaHQ rules
//! (copied at test time from ../shared/sigma, never vendored), a regression event posted to
//! /api/v1/ingest, and the alert found by searching event.dataset:kamatama.alert, with its
//! fields; rules reloaded on SIGHUP.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/harness.h"
#include "tests/sigma_util.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;

using kmt_sigma::RegressionEventLine;
using kmt_sigma::SigmaDir;
using kmt_sigma::UnderCi;

const char* kBitsadmin = "rules/windows/process_creation/proc_creation_win_bitsadmin_download";
const char* kAmsi = "rules/windows/process_creation/proc_creation_win_amsi_registry_tampering";

//! The value of a top-level `key:` line of a rule file.
std::string RuleLine(const std::string& yaml, const std::string& key) {
  const std::string text = "\n" + yaml;
  const size_t at = text.find("\n" + key + ": ");
  if (at == std::string::npos) return "";
  const size_t from = at + key.size() + 3;
  return text.substr(from, text.find('\n', from) - from);
}

class DetectIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(SigmaDir())) {
      if (UnderCi()) FAIL() << "CI=true and the SigmaHQ snapshot is missing: " << SigmaDir();
      GTEST_SKIP() << "the SigmaHQ snapshot (../shared/sigma) is not beside the checkout";
    }
    dir_ = kmt_test::TempDir("detect_integration");
    fs::create_directories(dir_ + "/rules");
    // Only the AMSI rule at start: the bitsadmin rule arrives with a reload.
    fs::copy_file(SigmaDir() / (std::string(kAmsi) + ".yml"), dir_ + "/rules/amsi.yml");
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
    server_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  //! Posts the regression event of `rule`; true if the server accepted it.
  bool PostEvent(const std::string& rule) {
    const std::string file = dir_ + "/event.ndjson";
    std::ofstream(file) << RegressionEventLine(rule) << "\n";
    int code = 0;
    std::string body = server_->Post("/api/v1/ingest", file, &code);
    EXPECT_EQ(code, 200) << body;
    return code == 200;
  }

  std::string dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(DetectIntegration, PostedEventRaisesAStoredSearchableAlert) {
  server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--rules", dir_ + "/rules"});
  server_->Start();
  ASSERT_NE(server_->log().find("detection: 1 rules loaded"), std::string::npos) << server_->log();

  // Acknowledged means evaluated and stored: the alert is searchable at once.
  ASSERT_TRUE(PostEvent(kAmsi));
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert"), 1u) << server_->log();

  // A reload on SIGHUP adds the bitsadmin rule; the stored alert stays.
  fs::copy_file(SigmaDir() / (std::string(kBitsadmin) + ".yml"), dir_ + "/rules/bitsadmin.yml");
  ::kill(server_->pid(), SIGHUP);
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->log().find("detection: 2 rules loaded") != std::string::npos; }))
      << server_->log();
  ASSERT_TRUE(PostEvent(kBitsadmin));

  const std::string yaml = kmt_test::ReadFile((SigmaDir() / (std::string(kBitsadmin) + ".yml")).string());
  const std::string id = RuleLine(yaml, "id");
  ASSERT_FALSE(id.empty());
  std::string body = server_->Search("event.dataset:kamatama.alert rule.id:" + id);
  simdjson::dom::parser p;
  auto r = p.parse(body);
  ASSERT_FALSE(r.error()) << body;
  ASSERT_EQ(r.value()["events"].get_array().size(), 1u) << body;
  simdjson::dom::element ev = r.value()["events"].at(0).value();
  auto field = [&](const char* name) {
    std::string_view v;
    return ev[name].get(v) ? std::string() : std::string(v);
  };
  EXPECT_EQ(field("rule.name"), "File Download Via Bitsadmin");
  EXPECT_EQ(field("rule.name"), RuleLine(yaml, "title"));
  EXPECT_EQ(field("rule.author"), RuleLine(yaml, "author"));
  EXPECT_EQ(field("rule.level"), RuleLine(yaml, "level"));
  EXPECT_EQ(field("rule.ruleset"), "sigma");
  EXPECT_NE(field("rule.reference").find("https://isc.sans.edu/diary/22264"), std::string::npos);
  // attack.t1197, attack.t1036.003, attack.t1105 (attack.s0190 is software, not a technique).
  std::string techniques = ev["threat.technique.id"].is_string() ? field("threat.technique.id")
                                                                  : std::string(simdjson::minify(ev["threat.technique.id"]));
  EXPECT_NE(techniques.find("T1197"), std::string::npos) << techniques;
  EXPECT_NE(techniques.find("T1036.003"), std::string::npos) << techniques;
  EXPECT_NE(techniques.find("T1105"), std::string::npos) << techniques;
  EXPECT_EQ(techniques.find("S0190"), std::string::npos) << techniques;
  EXPECT_EQ(field("host.name"), "swachchhanda");
  EXPECT_EQ(field("kamatama.matched.timestamp").substr(0, 19), "2025-12-10T04:33:20") << body;
  EXPECT_NE(field("kamatama.matched.original").find("bitsadmin  /transfer n https://www.atomicredteam.io"),
            std::string::npos);
  EXPECT_EQ(field("kamatama.matched.values.process.command_line"),
            "bitsadmin  /transfer n https://www.atomicredteam.io/atomic-red-team/atomics/T1218.011 hello.html");
  // The matched event is reachable: stored, and found by its original line's text.
  EXPECT_EQ(server_->CountMatches("\"/transfer n https://www.atomicredteam.io\" -event.dataset:kamatama.alert"), 1u);
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert"), 2u);
  EXPECT_GE(server_->Metric("kamatama_detection_alerts_total"), 2);
}

TEST_F(DetectIntegration, UnreadableRuleDirectoryStopsTheStart) {
  int status = 0;
  const std::string out = kmt_test::Shell(
      "KAMATAMA_ADMIN_PASSWORD=x timeout 30 " + kmt_test::ShellQuote(KMT_BINARY) + " serve --data-dir " +
          kmt_test::ShellQuote(dir_ + "/data") + " --syslog-udp '' --syslog-tcp '' --http 127.0.0.1:0 --rules " +
          kmt_test::ShellQuote(dir_ + "/no-such-dir") + " 2>&1",
      &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("cannot read rule directory"), std::string::npos) << out;
}

}  // namespace
