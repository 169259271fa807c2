// tests/correlation_integration_test.cc
//! Sigma correlation rules (issue 21) with the real binary and kamatama's own rules (rules/ in
//! the repository): brute force (≥ 20 failures for one user from ≥ 5 addresses in 10 minutes)
//! and password spraying (one address, ≥ 10 users in 10 minutes) over real sshd lines of the
//! shared corpus and the corpus' real Windows 4625 event, sent over syslog TCP with the timing
//! that makes them an attack, and the same lines spread over a day, which must raise nothing.
//! The expected outcome comes from the corpus itself (which users and addresses the lines name).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "core/time.h"
#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;

const char* kBruteForce = "5b7c1d2e-6a41-4f0e-9d3a-0a1b2c3d4e20";
const char* kSpraying = "5b7c1d2e-6a41-4f0e-9d3a-0a1b2c3d4e21";

fs::path Corpus() { return fs::path(KMT_SOURCE_DIR) / ".." / "shared" / "corpus" / "auth"; }

std::vector<std::string> Lines(const fs::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

//! "Dec 12 HH:MM:SS" for second `s` of the day.
std::string SyslogStamp(int64_t s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "Dec 12 %02d:%02d:%02d", static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60),
                static_cast<int>(s % 60));
  return buf;
}

//! The i-th of n events: within 10 minutes (every `burst_s` seconds from 10:00) or spread over
//! a day (every 24 h / n).
int64_t Second(size_t i, size_t n, bool burst, int burst_s = 25) {
  return burst ? 36000 + static_cast<int64_t>(i) * burst_s : static_cast<int64_t>(i) * (86400 / static_cast<int64_t>(n));
}

class CorrelationIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(Corpus())) GTEST_SKIP() << "the shared corpus is not beside the checkout";
    dir_ = kmt_test::TempDir("correlation_integration");
    server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--rules", std::string(KMT_SOURCE_DIR) + "/rules"});
    server_->Start();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
  }
  //! Sends the lines over syslog TCP and waits until `dataset` holds `n` events.
  void Send(const std::vector<std::string>& lines, const std::string& dataset) {
    kmt_test::TcpClient c(server_->tcp());
    ASSERT_TRUE(c.ok());
    std::string data;
    for (const auto& l : lines) data += l + "\n";
    ASSERT_TRUE(c.Send(data));
    c.Close();
    for (int i = 0; i < 300; ++i) {
      if (server_->CountMatches("event.dataset:" + dataset) == lines.size()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "the events did not arrive: " << server_->CountMatches("event.dataset:" + dataset) << " of " << lines.size();
  }
  //! Alerts of a rule id (and all alerts in *all).
  int64_t AlertCount(const std::string& rule, int64_t* all = nullptr) {
    simdjson::dom::parser p;
    int code = 0;
    std::string body = server_->Get("/api/v1/alerts?rule=" + rule, &code);
    EXPECT_EQ(code, 200) << body;
    int64_t n = -1;
    EXPECT_FALSE(p.parse(body)["total"].get(n)) << body;
    if (all) {
      body = server_->Get("/api/v1/alerts", &code);
      EXPECT_FALSE(p.parse(body)["total"].get(*all)) << body;
    }
    return n;
  }

  //! 20 real "Failed password for root" lines from the 5 addresses with the most of them, taken
  //! in turn (each address at least 4 times).
  static std::vector<std::string> RootFailuresFromFiveAddresses(bool burst) {
    std::regex re(R"(sshd\[\d+\]: Failed password for root from (\S+) )");
    std::map<std::string, std::vector<std::string>> per_ip;
    for (const std::string& l : Lines(Corpus() / "linux-sshd-pam" / "loghub-OpenSSH_2k.log")) {
      std::smatch m;
      if (std::regex_search(l, m, re)) per_ip[m[1]].push_back(l.substr(15));  // without "Dec 10 06:55:48"
    }
    std::vector<std::pair<size_t, std::string>> by_count;
    for (const auto& [ip, lines] : per_ip) by_count.emplace_back(lines.size(), ip);
    std::sort(by_count.rbegin(), by_count.rend());
    EXPECT_GE(by_count.size(), 5u);
    std::vector<std::string> picked;
    for (size_t k = 0; picked.size() < 20 && k < 100; ++k) {
      for (size_t i = 0; i < 5 && i < by_count.size() && picked.size() < 20; ++i) {
        const auto& lines = per_ip[by_count[i].second];
        if (k < lines.size()) picked.push_back(lines[k]);
      }
    }
    EXPECT_EQ(picked.size(), 20u);
    for (size_t i = 0; i < picked.size(); ++i) picked[i] = SyslogStamp(Second(i, picked.size(), burst)) + picked[i];
    return picked;
  }
  //! Every real failed-password line from 187.141.143.180 (28 users within 10 minutes in the
  //! corpus), with its own timing or spread over a day.
  static std::vector<std::string> OneAddressManyUsers(bool burst, std::set<std::string>* users) {
    std::regex re(R"(Failed password for (?:invalid user )?(\S+) from 187\.141\.143\.180 )");
    std::vector<std::string> picked;
    for (const std::string& l : Lines(Corpus() / "linux-sshd-pam" / "loghub-OpenSSH_2k.log")) {
      std::smatch m;
      if (!std::regex_search(l, m, re)) continue;
      users->insert(m[1]);
      picked.push_back(l);
    }
    if (!burst)
      for (size_t i = 0; i < picked.size(); ++i) picked[i] = SyslogStamp(Second(i, picked.size(), false)) + picked[i].substr(15);
    return picked;
  }
  //! The corpus' real 4625 event with its time, address and user replaced.
  static std::string Windows4625(int64_t second, const std::string& ip, const std::string& user) {
    std::string line;
    for (const std::string& l : Lines(Corpus() / "windows-security-xml" / "crowdsec-windows-logs.log"))
      if (l.find("<EventID>4625</EventID>") != std::string::npos) line = l;
    EXPECT_FALSE(line.empty());
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "SystemTime=\"2026-01-12T%02d:%02d:%02d.0000000Z\"", static_cast<int>(second / 3600),
                  static_cast<int>(second / 60 % 60), static_cast<int>(second % 60));
    line = std::regex_replace(line, std::regex(R"(SystemTime="[^"]*")"), stamp);
    line = std::regex_replace(line, std::regex(R"(<Data Name="IpAddress">[^<]*<)"), "<Data Name=\"IpAddress\">" + ip + "<");
    return std::regex_replace(line, std::regex(R"(<Data Name="TargetUserName">[^<]*<)"),
                              "<Data Name=\"TargetUserName\">" + user + "<");
  }

  //! The oldest and newest @timestamp of `dataset` (RFC 3339), widened by a minute.
  std::pair<std::string, std::string> TimeRange(const std::string& dataset) {
    simdjson::dom::parser p;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    {
      const std::string body = server_->Search("event.dataset:" + dataset, "&limit=1000");
      simdjson::dom::array events;
      EXPECT_FALSE(p.parse(body)["events"].get(events)) << body;
      for (auto e : events) {
        std::string_view ts;
        if (e["@timestamp"].get(ts)) continue;
        auto ns = kamatama::ParseRfc3339(ts);
        if (ns) lo = std::min(lo, *ns), hi = std::max(hi, *ns);
      }
    }
    EXPECT_LE(lo, hi) << "no events of " << dataset;
    return {kamatama::FormatRfc3339(lo - 60 * kamatama::kNanosPerSecond), kamatama::FormatRfc3339(hi + 60 * kamatama::kNanosPerSecond)};
  }
  //! Runs POST /api/v1/hunt over `rules` (every loaded rule and correlation by default) in [from, to); the count of
  //! each correlation that fired (from the done line) and the correlation match lines.
  std::map<std::string, uint64_t> HuntCorrelations(const std::pair<std::string, std::string>& range, size_t* match_lines,
                                                   const std::string& rules = "\"all\"") {
    const std::string file = dir_ + "/hunt.json";
    std::ofstream(file) << "{\"rules\":" << rules << ",\"from\":\"" << range.first << "\",\"to\":\"" << range.second << "\"}";
    const std::string out = kmt_test::Shell("curl -s -N -m 60 -H 'Content-Type: application/json' --data-binary @" + file + " " +
                                            server_->Url("/api/v1/hunt"));
    std::map<std::string, uint64_t> counts;
    simdjson::dom::parser p;
    bool done = false;
    *match_lines = 0;
    for (size_t start = 0; start < out.size();) {
      size_t end = out.find('\n', start);
      if (end == std::string::npos) end = out.size();
      const std::string line = out.substr(start, end - start);
      start = end + 1;
      simdjson::dom::element doc;
      std::string_view type;
      if (p.parse(line).get(doc) || doc["type"].get(type)) continue;
      bool corr = false;
      if (type == "match" && !doc["correlation"].get(corr) && corr) ++*match_lines;
      if (type != "done") continue;
      done = true;
      bool complete = false;
      EXPECT_FALSE(doc["complete"].get(complete)) << line;
      EXPECT_TRUE(complete) << line;
      simdjson::dom::array corrs;
      EXPECT_FALSE(doc["correlations"].get(corrs)) << line;
      for (auto c : corrs) {
        std::string_view id;
        uint64_t n = 0;
        if (!c["rule.id"].get(id) && !c["count"].get(n)) counts[std::string(id)] = n;
      }
    }
    EXPECT_TRUE(done) << out;
    return counts;
  }

  std::string dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(CorrelationIntegration, SshdBruteForceFiresWithinTenMinutes) {
  Send(RootFailuresFromFiveAddresses(true), "auth.sshd");
  int64_t all = 0;
  EXPECT_EQ(AlertCount(kBruteForce, &all), 1);
  EXPECT_EQ(AlertCount(kSpraying), 0);  // one user
  EXPECT_EQ(all, 1);                    // the failures themselves raise nothing (generate: false)
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert rule.level:high"), 1u);
}

TEST_F(CorrelationIntegration, SshdBruteForceSpreadOverADayRaisesNothing) {
  Send(RootFailuresFromFiveAddresses(false), "auth.sshd");
  int64_t all = 0;
  EXPECT_EQ(AlertCount(kBruteForce, &all), 0);
  EXPECT_EQ(all, 0);
}

TEST_F(CorrelationIntegration, SshdSprayingFiresWithTheCorpusTiming) {
  std::set<std::string> users;
  Send(OneAddressManyUsers(true, &users), "auth.sshd");
  ASSERT_GE(users.size(), 10u);
  EXPECT_GE(AlertCount(kSpraying), 1);
  EXPECT_EQ(AlertCount(kBruteForce), 0);
}

TEST_F(CorrelationIntegration, SshdSprayingSpreadOverADayRaisesNothing) {
  std::set<std::string> users;
  Send(OneAddressManyUsers(false, &users), "auth.sshd");
  ASSERT_GE(users.size(), 10u);
  int64_t all = 0;
  EXPECT_EQ(AlertCount(kSpraying, &all), 0);
  EXPECT_EQ(all, 0);
}

TEST_F(CorrelationIntegration, Windows4625BruteForceAndSpraying) {
  // 20 failures of one user from 5 addresses in 10 minutes, then 10 users from one address.
  std::vector<std::string> lines;
  for (int i = 0; i < 20; ++i) lines.push_back(Windows4625(36000 + i * 25, "192.168.9." + std::to_string(200 + i % 5), "alice"));
  for (int i = 0; i < 10; ++i) lines.push_back(Windows4625(43200 + i * 30, "10.1.2.3", "user" + std::to_string(i)));
  Send(lines, "auth.windows_security");
  EXPECT_EQ(AlertCount(kBruteForce), 1);
  EXPECT_EQ(AlertCount(kSpraying), 1);
}

TEST_F(CorrelationIntegration, Windows4625SpreadOverADayRaisesNothing) {
  std::vector<std::string> lines;
  for (int i = 0; i < 20; ++i) lines.push_back(Windows4625(i * 4000, "192.168.9." + std::to_string(200 + i % 5), "alice"));
  for (int i = 0; i < 10; ++i) lines.push_back(Windows4625(i * 8000 + 100, "10.1.2.3", "user" + std::to_string(i)));
  Send(lines, "auth.windows_security");
  int64_t all = 0;
  EXPECT_EQ(AlertCount(kBruteForce, &all), 0);
  EXPECT_EQ(all, 0);
}

}  // namespace

namespace {

// Issue 21, retro-hunt: the same correlations over stored events, in time order.
TEST_F(CorrelationIntegration, HuntFindsTheSshdBruteForceInStoredLines) {
  Send(RootFailuresFromFiveAddresses(true), "auth.sshd");
  size_t lines = 0;
  auto counts = HuntCorrelations(TimeRange("auth.sshd"), &lines);
  EXPECT_EQ(counts[kBruteForce], 1u);
  EXPECT_EQ(counts.count(kSpraying), 0u);
  EXPECT_EQ(lines, 1u);
}

TEST_F(CorrelationIntegration, HuntOverTheSameLinesSpreadOverADayFindsNothing) {
  Send(RootFailuresFromFiveAddresses(false), "auth.sshd");
  size_t lines = 0;
  auto counts = HuntCorrelations(TimeRange("auth.sshd"), &lines);
  EXPECT_EQ(counts.count(kBruteForce), 0u);
  EXPECT_EQ(lines, 0u);
}

TEST_F(CorrelationIntegration, HuntFindsWindowsBruteForceAndSprayingByCorrelationId) {
  std::vector<std::string> lines;
  for (int i = 0; i < 20; ++i) lines.push_back(Windows4625(36000 + i * 25, "192.168.9." + std::to_string(200 + i % 5), "alice"));
  for (int i = 0; i < 10; ++i) lines.push_back(Windows4625(43200 + i * 30, "10.1.2.3", "user" + std::to_string(i)));
  // Sent newest first: the hunt sorts by @timestamp, as the stream's order does not matter.
  std::reverse(lines.begin(), lines.end());
  Send(lines, "auth.windows_security");
  size_t n = 0;
  auto counts = HuntCorrelations(TimeRange("auth.windows_security"), &n,
                                 std::string("[\"") + kBruteForce + "\",\"" + kSpraying + "\"]");
  EXPECT_EQ(counts[kBruteForce], 1u);
  EXPECT_EQ(counts[kSpraying], 1u);
}

}  // namespace
