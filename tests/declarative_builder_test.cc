// tests/declarative_builder_test.cc: the parser builder behind the Unparsed page (issue 23,
// parsers/declarative/builder.h): line shapes, definitions proposed from one line, and trying a
// definition text. Every proposal is checked by what matters to its user: it loads, it takes the
// line it came from, and its fields hold the values written in that line (read off the test's own
// literals, not from the builder).
#include "parsers/declarative/builder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "parsers/parse.h"

namespace kamatama::declarative {
namespace {

Event Parsed(const std::string& line) {
  RawRecord r;
  r.data = line;
  return ParseRecord(r, ParseOptions{});
}

//! The proposal for `line`, tried on `line`: it must load and take it.
TryOutcome ProposeAndTry(const std::string& line, std::string* yaml = nullptr) {
  const std::string def = ProposeDefinition(line);
  if (yaml) *yaml = def;
  TryOutcome t = TryDefinitions(def, "proposal", {line});
  EXPECT_TRUE(t.problems.empty()) << (t.problems.empty() ? "" : t.problems[0].ToString()) << "\n" << def;
  EXPECT_EQ(t.loaded.size(), 1u) << def;
  return t;
}

std::string F(const TryOutcome& t, const char* name) {
  const std::string* v = t.lines.at(0).event.Get(name);
  return v ? *v : "<absent>";
}

TEST(LineShape, HidesValuesKeepsWords) {
  EXPECT_EQ(LineShape("blocked connection from 203.0.113.4 port 52311 to 198.51.100.2 port 3389"),
            "blocked connection from <IP> port <N> to <IP> port <N>");
  EXPECT_EQ(LineShape("session 4f3a9c2b1d0e opened src=10.0.0.1 user=\"bob\" [2001:db8::1]:443"),
            "session <HEX> opened src=<V> user=<V> [<IP>]:<N>");
  EXPECT_EQ(LineShape("a 1 b 2"), LineShape("a 17 b 99999"));
  EXPECT_NE(LineShape("login ok 1"), LineShape("login failed 1"));
  std::string many;
  for (int i = 0; i < 40; ++i) many += "w ";
  EXPECT_TRUE(LineShape(many).ends_with(" ...")) << LineShape(many);
}

TEST(ProposeDefinition, WordsAndAddressesBecomeAGrokPatternWithEcsNames) {
  std::string yaml;
  const TryOutcome t = ProposeAndTry(
      "<134>Dec  7 10:15:31 gw1 acmegw[211]: blocked connection from 203.0.113.45 port 52311 to 198.51.100.2 port 3389", &yaml);
  ASSERT_TRUE(t.lines[0].declarative) << yaml;
  EXPECT_EQ(t.lines[0].parser, "custom-acmegw");
  EXPECT_EQ(F(t, "event.dataset"), "custom.acmegw");
  EXPECT_EQ(F(t, "source.ip"), "203.0.113.45");
  EXPECT_EQ(F(t, "source.port"), "52311");
  EXPECT_EQ(F(t, "destination.ip"), "198.51.100.2");
  EXPECT_EQ(F(t, "destination.port"), "3389");
  EXPECT_NE(yaml.find("program: 'acmegw'"), std::string::npos) << yaml;
  // Its own example passes: what `kamatama parsers test` would run.
  EXPECT_NE(yaml.find("source.ip: '203.0.113.45'"), std::string::npos) << yaml;
}

TEST(ProposeDefinition, AUserAfterForOrUser) {
  const TryOutcome t = ProposeAndTry("<38>Dec  7 10:00:00 nas1 authd[7]: Login failed for alice from 192.0.2.7");
  ASSERT_TRUE(t.lines[0].declarative);
  EXPECT_EQ(F(t, "user.name"), "alice");
  EXPECT_EQ(F(t, "source.ip"), "192.0.2.7");
}

TEST(ProposeDefinition, KeyValueLinesGetAKvStepAndTheWellKnownKeys) {
  std::string yaml;
  const TryOutcome t = ProposeAndTry("<134>Dec  7 10:00:00 fw9 gate: verdict: src=10.1.1.1 dst=10.2.2.2 dport=22 user=\"bob smith\" act=drop", &yaml);
  ASSERT_TRUE(t.lines[0].declarative) << yaml;
  EXPECT_NE(yaml.find("- kv:"), std::string::npos) << yaml;
  EXPECT_EQ(F(t, "source.ip"), "10.1.1.1");
  EXPECT_EQ(F(t, "destination.ip"), "10.2.2.2");
  EXPECT_EQ(F(t, "destination.port"), "22");
  EXPECT_EQ(F(t, "user.name"), "bob smith");
  EXPECT_EQ(F(t, "event.action"), "drop");
}

TEST(ProposeDefinition, CsvLinesGetColumns) {
  std::string yaml;
  const TryOutcome t = ProposeAndTry("<134>Dec  7 10:00:00 box csvlog: 2026-12-07,deny,192.0.2.1,198.51.100.9,tcp,443,rule7", &yaml);
  ASSERT_TRUE(t.lines[0].declarative) << yaml;
  EXPECT_NE(yaml.find("- csv:"), std::string::npos) << yaml;
  EXPECT_EQ(F(t, "source.ip"), "192.0.2.1");
  EXPECT_EQ(F(t, "destination.ip"), "198.51.100.9");
}

TEST(ProposeDefinition, HostileTextIsQuotedNotInterpreted) {
  // YAML quotes, regex metacharacters, HTML and a comment sign in the line.
  const std::string line = "<134>Dec  7 10:00:00 h1 app: it's (a+)+$ [x] {y} | ^z \\ <img src=x onerror=\"alert(1)\"> # 10.0.0.1";
  std::string yaml;
  const TryOutcome t = ProposeAndTry(line, &yaml);
  ASSERT_TRUE(t.lines[0].declarative) << yaml;
  EXPECT_EQ(F(t, "source.ip"), "10.0.0.1");
  // Control bytes: no example is written (the line cannot be quoted safely), the rest still loads.
  const std::string ctl = std::string("<134>Dec  7 10:00:00 h1 app: bell \x07 here 10.0.0.2");
  const std::string def = ProposeDefinition(ctl);
  EXPECT_EQ(def.find("examples:"), std::string::npos) << def;
  TryOutcome t2 = TryDefinitions(def, "proposal", {ctl});
  EXPECT_TRUE(t2.problems.empty()) << def;
}

TEST(TryDefinitions, ReportsProblemsWithTheirPositionAndParsesWithTheBuiltIns) {
  TryOutcome t = TryDefinitions("parser: x\nwhen: {program: a}\nextract:\n  - regex: '(unclosed'\n", "mine",
                                {"<38>Dec  7 10:17:00 srv1 sshd[99]: Failed password for root from 192.0.2.1 port 40000 ssh2"});
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_EQ(t.problems[0].file, "mine");
  EXPECT_EQ(t.problems[0].where.line, 4);
  ASSERT_EQ(t.lines.size(), 1u);
  EXPECT_FALSE(t.lines[0].declarative);
  EXPECT_EQ(t.lines[0].parser, "auth.sshd");  // the built-in parser still runs
}

}  // namespace
}  // namespace kamatama::declarative

namespace kamatama::declarative {
namespace {

// The lines of the shared corpus (real third-party logs, ../shared/corpus) that the built-in
// parsers leave unparsed (the first 150 of each file), plus the first 5 lines of every file: the proposal for each loads and
// takes the line it was proposed from. The lines are nobody's test fixtures, so this is where a
// quoting or escaping mistake of the builder shows.
TEST(ProposeDefinition, EveryProposalFromTheSharedCorpusLoadsAndTakesItsLine) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(KMT_SOURCE_DIR) / ".." / "shared" / "corpus";
  if (!fs::is_directory(root)) GTEST_SKIP() << "no shared corpus at " << root;
  constexpr size_t kPerFile = 150;  // lines tried per file at most (the test stays well under a second)
  size_t tried = 0, unparsed = 0, failed = 0;
  std::string first_failure;
  for (const auto& f : fs::recursive_directory_iterator(root)) {
    const std::string ext = f.path().extension().string();
    if (!f.is_regular_file() || (ext != ".log" && ext != ".txt")) continue;
    std::ifstream in(f.path(), std::ios::binary);
    size_t n = 0;
    for (std::string line; std::getline(in, line); ++n) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      const Event ev = Parsed(line);
      const std::string* ds = ev.Get(field::kDataset);
      const bool generic = ds && (*ds == "syslog.generic" || *ds == "syslog.raw");
      if ((!generic && n >= 5) || n >= kPerFile) continue;
      unparsed += generic;
      ++tried;
      const std::string def = ProposeDefinition(line);
      TryOutcome t = TryDefinitions(def, "proposal", {line});
      if (t.problems.empty() && t.lines[0].declarative) continue;
      if (std::getenv("KMT_BUILDER_FAILURES")) std::printf("FAIL %s | %.150s\n", f.path().filename().c_str(), line.c_str());
      if (++failed == 1)
        first_failure = f.path().string() + ": " + line + "\n" + def + (t.problems.empty() ? "" : t.problems[0].ToString());
    }
  }
  std::printf("proposals: %zu lines tried (%zu unparsed by the built-ins), %zu not taken\n", tried, unparsed, failed);
  EXPECT_GT(tried, 500u);    // the corpus was read
  EXPECT_GT(unparsed, 50u);  // and holds lines no built-in parser takes
  EXPECT_EQ(failed, 0u) << first_failure;
}

}  // namespace
}  // namespace kamatama::declarative
