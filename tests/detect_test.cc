// tests/detect_test.cc
//! The Sigma engine (detect/): each modifier and condition form against hand-written events whose
//! verdicts were written from the Sigma specification, not from the code; the SigmaHQ snapshot's
//! load rate; its regression events (parsed by the JSON/Windows parser path) firing their rules;
//! bad rules giving a clear report line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <string>
#include <vector>

#include "core/row.h"
#include "core/tokenize.h"
#include "detect/ruleset.h"
#include "detect/sigma_rule.h"
#include "detect/sigma_value.h"
#include "parsers/parse.h"
#include "query/builder.h"
#include "tests/sigma_util.h"

namespace kamatama::detect {
namespace {

namespace fs = std::filesystem;

Event Ev(std::initializer_list<std::pair<std::string, std::string>> fields, std::string original = "") {
  Event ev;
  for (const auto& [k, v] : fields) ev.Set(k, v);
  ev.original = std::move(original);
  return ev;
}

//! A rule without logsource (every event; field names as written) with this detection.
std::shared_ptr<const Rule> Compile(const std::string& detection, const CompileOptions& opt = {}) {
  const std::string yaml = "title: t\nid: 1\ndetection:\n" + detection;
  LoadReport r = CompileRule(yaml, "test.yml", opt);
  EXPECT_EQ(r.status, RuleStatus::kLoaded) << r.reason << "\n" << yaml;
  return r.rule;
}

bool Fires(const std::shared_ptr<const Rule>& rule, const Event& ev) {
  return rule && rule->query.Matches(EventAccessor(ev));
}

TEST(SigmaValue, WildcardsAndEscapes) {
  // Sigma: '*' any run, '?' one character, '\*' '\?' '\\' literal; other backslashes literal.
  auto rule = Compile("  sel:\n    f: 'a*c?e'\n  condition: sel\n");
  EXPECT_TRUE(Fires(rule, Ev({{"f", "abbbcde"}})));
  EXPECT_TRUE(Fires(rule, Ev({{"f", "ACxE"}})));  // case-insensitive by default
  EXPECT_FALSE(Fires(rule, Ev({{"f", "abcde!"}})));
  EXPECT_FALSE(Fires(rule, Ev({{"f", "ace"}})));  // '?' needs one character
  auto lit = Compile("  sel:\n    f: 'a\\*b\\?c'\n  condition: sel\n");
  EXPECT_TRUE(Fires(lit, Ev({{"f", "a*b?c"}})));
  EXPECT_FALSE(Fires(lit, Ev({{"f", "axbyc"}})));
  auto path = Compile("  sel:\n    f: 'C:\\Windows\\System32\\cmd.exe'\n  condition: sel\n");
  EXPECT_TRUE(Fires(path, Ev({{"f", "c:\\windows\\system32\\CMD.EXE"}})));
  auto dbl = Compile("  sel:\n    f|endswith: '\\\\*'\n  condition: sel\n");  // \\ then * : a backslash, then anything
  EXPECT_TRUE(Fires(dbl, Ev({{"f", "x\\abc"}})));
  EXPECT_FALSE(Fires(dbl, Ev({{"f", "xabc"}})));
}

TEST(SigmaValue, ContainsStartsEndsAll) {
  auto c = Compile("  sel:\n    CommandLine|contains: ' -enc '\n  condition: sel\n");
  EXPECT_TRUE(Fires(c, Ev({{"CommandLine", "powershell.exe -ENC SQBFAFgA"}})));
  EXPECT_FALSE(Fires(c, Ev({{"CommandLine", "powershell.exe -encodedcommand x"}})));
  EXPECT_FALSE(Fires(c, Ev({{"Other", "powershell.exe -enc x"}})));  // field absent
  auto s = Compile("  sel:\n    f|startswith: 'abc'\n  condition: sel\n");
  EXPECT_TRUE(Fires(s, Ev({{"f", "ABCdef"}})));
  EXPECT_FALSE(Fires(s, Ev({{"f", "xabc"}})));
  auto e = Compile("  sel:\n    f|endswith:\n      - '.exe'\n      - '.dll'\n  condition: sel\n");
  EXPECT_TRUE(Fires(e, Ev({{"f", "a.DLL"}})));
  EXPECT_FALSE(Fires(e, Ev({{"f", "a.dll.txt"}})));
  auto all = Compile("  sel:\n    f|contains|all:\n      - 'net'\n      - 'user'\n  condition: sel\n");
  EXPECT_TRUE(Fires(all, Ev({{"f", "net.exe user bob /add"}})));
  EXPECT_FALSE(Fires(all, Ev({{"f", "net.exe group"}})));
  // A literal '*' inside a contains value (escaped) goes through RE2, not the glob.
  auto star = Compile("  sel:\n    f|contains: 'a\\*b'\n  condition: sel\n");
  EXPECT_TRUE(Fires(star, Ev({{"f", "xxa*bxx"}})));
  EXPECT_FALSE(Fires(star, Ev({{"f", "xxaZbxx"}})));
}

TEST(SigmaValue, RegexModifierAndFlags) {
  auto re = Compile("  sel:\n    f|re: 'ab+c$'\n  condition: sel\n");
  EXPECT_TRUE(Fires(re, Ev({{"f", "xxabbbc"}})));  // search, not full match
  EXPECT_FALSE(Fires(re, Ev({{"f", "xxabbbcx"}})));
  EXPECT_FALSE(Fires(re, Ev({{"f", "xxABC"}})));  // regexes are case-sensitive
  auto ri = Compile("  sel:\n    f|re: '(?i)ab+c'\n  condition: sel\n");
  EXPECT_TRUE(Fires(ri, Ev({{"f", "xxABC"}})));
  auto flag = Compile("  sel:\n    f|re|i: '^ab+c'\n  condition: sel\n");
  EXPECT_TRUE(Fires(flag, Ev({{"f", "ABbC"}})));
  EXPECT_FALSE(Fires(flag, Ev({{"f", "xABC"}})));
  auto multi = Compile("  sel:\n    f|re|m: '^second$'\n  condition: sel\n");
  EXPECT_TRUE(Fires(multi, Ev({{"f", "first\nsecond\nthird"}})));
  auto dotall = Compile("  sel:\n    f|re|s: 'a.b'\n  condition: sel\n");
  EXPECT_TRUE(Fires(dotall, Ev({{"f", "a\nb"}})));
  auto nodotall = Compile("  sel:\n    f|re: 'a.b'\n  condition: sel\n");
  EXPECT_FALSE(Fires(nodotall, Ev({{"f", "a\nb"}})));
}

TEST(SigmaValue, Cidr) {
  auto rule = Compile("  sel:\n    ip|cidr:\n      - '10.0.0.0/8'\n      - 'fe80::/10'\n  condition: sel\n");
  EXPECT_TRUE(Fires(rule, Ev({{"ip", "10.20.30.40"}})));
  EXPECT_TRUE(Fires(rule, Ev({{"ip", "fe80::1"}})));
  EXPECT_FALSE(Fires(rule, Ev({{"ip", "11.0.0.1"}})));
  EXPECT_FALSE(Fires(rule, Ev({{"ip", "not an ip"}})));
}

TEST(SigmaValue, Windash) {
  // -, /, en dash, em dash, horizontal bar before a word character.
  auto rule = Compile("  sel:\n    f|windash|contains: ' -exec bypass'\n  condition: sel\n");
  for (const char* v : {"x -exec bypass", "x /exec bypass", "x \xe2\x80\x93" "exec bypass",
                        "x \xe2\x80\x94" "exec bypass", "x \xe2\x80\x95" "exec bypass"}) {
    EXPECT_TRUE(Fires(rule, Ev({{"f", v}}))) << v;
  }
  EXPECT_FALSE(Fires(rule, Ev({{"f", "x _exec bypass"}})));
}

TEST(SigmaValue, Base64AndBase64Offset) {
  // base64("whoami") = d2hvYW1p
  auto b = Compile("  sel:\n    f|base64: 'whoami'\n  condition: sel\n");
  EXPECT_TRUE(Fires(b, Ev({{"f", "d2hvYW1p"}})));
  EXPECT_FALSE(Fires(b, Ev({{"f", "whoami"}})));
  // "http" inside base64 text at each offset: "http://x" = aHR0cDovL3g=, "xhttp" = eGh0dHA=,
  // "xxhttp://" = eHhodHRwOi8v.
  auto o = Compile("  sel:\n    f|base64offset|contains: 'http'\n  condition: sel\n");
  EXPECT_TRUE(Fires(o, Ev({{"f", "aHR0cDovL3g="}})));
  EXPECT_TRUE(Fires(o, Ev({{"f", "eGh0dHA="}})));
  EXPECT_TRUE(Fires(o, Ev({{"f", "eHhodHRwOi8v"}})));
  EXPECT_FALSE(Fires(o, Ev({{"f", "aGVsbG8="}})));  // "hello"
  EXPECT_EQ(Base64("whoami"), "d2hvYW1p");
}

TEST(SigmaValue, WideThenBase64Offset) {
  // "ab" as UTF-16LE is 61 00 62 00; base64 of it is YQBiAA==. As the middle of longer text the
  // offset-0 form keeps the characters that do not depend on neighbours: "YQBi".
  EXPECT_EQ(Utf16Le("ab"), std::string("a\0b\0", 4));
  auto rule = Compile("  sel:\n    f|wide|base64offset|contains: 'ab'\n  condition: sel\n");
  EXPECT_TRUE(Fires(rule, Ev({{"f", "xxYQBiAAxx"}})));
  EXPECT_FALSE(Fires(rule, Ev({{"f", "YWI="}})));  // "ab" in UTF-8
}

TEST(SigmaValue, ExpandWithPlaceholders) {
  CompileOptions opt;
  opt.placeholders["admins"] = {"alice", "bob"};
  auto rule = Compile("  sel:\n    user|expand: '%admins%'\n  condition: sel\n", opt);
  EXPECT_TRUE(Fires(rule, Ev({{"user", "Bob"}})));
  EXPECT_FALSE(Fires(rule, Ev({{"user", "carol"}})));
  LoadReport missing = CompileRule("title: t\ndetection:\n  sel:\n    user|expand: '%nobody%'\n  condition: sel\n",
                                   "x.yml", {});
  EXPECT_EQ(missing.status, RuleStatus::kUnsupported);
  EXPECT_NE(missing.reason.find("%nobody%"), std::string::npos) << missing.reason;
}

TEST(SigmaValue, FieldrefNullNumbersEmpty) {
  auto ref = Compile("  sel:\n    a|fieldref: b\n  condition: sel\n");
  EXPECT_TRUE(Fires(ref, Ev({{"a", "X1"}, {"b", "x1"}})));
  EXPECT_FALSE(Fires(ref, Ev({{"a", "x1"}, {"b", "x2"}})));
  EXPECT_FALSE(Fires(ref, Ev({{"a", "x1"}})));
  auto null = Compile("  sel:\n    a: null\n  condition: sel\n");
  EXPECT_TRUE(Fires(null, Ev({{"b", "1"}})));
  EXPECT_FALSE(Fires(null, Ev({{"a", "1"}})));
  auto num = Compile("  sel:\n    EventID: 4688\n  condition: sel\n");
  EXPECT_TRUE(Fires(num, Ev({{"EventID", "4688"}})));
  EXPECT_FALSE(Fires(num, Ev({{"EventID", "46880"}})));
  auto empty = Compile("  sel:\n    a: ''\n  condition: sel\n");
  EXPECT_TRUE(Fires(empty, Ev({{"b", "1"}})));
  EXPECT_FALSE(Fires(empty, Ev({{"a", "x"}})));
  auto exists = Compile("  sel:\n    a|exists: true\n  condition: sel\n");
  EXPECT_TRUE(Fires(exists, Ev({{"a", "x"}})));
  EXPECT_FALSE(Fires(exists, Ev({{"b", "x"}})));
}

TEST(SigmaValue, Keywords) {
  auto rule = Compile("  keywords:\n    - 'mimikatz'\n    - 'sekurlsa::*'\n  condition: keywords\n");
  EXPECT_TRUE(Fires(rule, Ev({}, "host x: running MIMIKATZ.exe now")));
  EXPECT_TRUE(Fires(rule, Ev({}, "cmd sekurlsa::logonpasswords")));
  EXPECT_FALSE(Fires(rule, Ev({}, "kerberos::list")));
}

const char* kSelections =
    "  sel_a:\n    a: '1'\n  sel_b:\n    b: '1'\n  filter_c:\n    c: '1'\n  _hidden:\n    d: '1'\n";

bool Cond(const std::string& condition, const Event& ev) {
  return Fires(Compile(std::string(kSelections) + "  condition: " + condition + "\n"), ev);
}

TEST(SigmaCondition, EveryForm) {
  const Event a = Ev({{"a", "1"}}), ab = Ev({{"a", "1"}, {"b", "1"}}), ac = Ev({{"a", "1"}, {"c", "1"}});
  const Event abc = Ev({{"a", "1"}, {"b", "1"}, {"c", "1"}}), none = Ev({{"x", "1"}}), d = Ev({{"d", "1"}});
  EXPECT_TRUE(Cond("sel_a and sel_b", ab));
  EXPECT_FALSE(Cond("sel_a and sel_b", a));
  EXPECT_TRUE(Cond("sel_a or sel_b", a));
  EXPECT_FALSE(Cond("sel_a or sel_b", none));
  EXPECT_TRUE(Cond("sel_a and not filter_c", a));
  EXPECT_FALSE(Cond("sel_a and not filter_c", ac));
  EXPECT_TRUE(Cond("not sel_a", none));
  // not binds tighter than and, and tighter than or.
  EXPECT_TRUE(Cond("sel_b or sel_a and not filter_c", a));
  EXPECT_TRUE(Cond("sel_b or sel_a and not filter_c", Ev({{"b", "1"}, {"c", "1"}})));
  EXPECT_FALSE(Cond("(sel_b or sel_a) and not filter_c", Ev({{"b", "1"}, {"c", "1"}})));
  EXPECT_TRUE(Cond("1 of sel_*", Ev({{"b", "1"}})));
  EXPECT_FALSE(Cond("1 of sel_*", Ev({{"c", "1"}})));
  EXPECT_TRUE(Cond("all of sel_*", ab));
  EXPECT_FALSE(Cond("all of sel_*", a));
  EXPECT_TRUE(Cond("any of sel_*", a));
  EXPECT_TRUE(Cond("1 of them", Ev({{"c", "1"}})));
  EXPECT_FALSE(Cond("1 of them", d));  // `them` leaves out _-prefixed selections
  EXPECT_TRUE(Cond("all of them", abc));
  EXPECT_FALSE(Cond("all of them", ab));
  EXPECT_TRUE(Cond("all of sel_* and not 1 of filter_*", ab));
  EXPECT_FALSE(Cond("all of sel_* and not 1 of filter_*", abc));
  EXPECT_TRUE(Cond("NOT (sel_a OR sel_b)", none));  // keywords in any case
  // A list of conditions is their OR.
  EXPECT_TRUE(Fires(Compile(std::string(kSelections) + "  condition:\n    - sel_a\n    - sel_b\n"), Ev({{"b", "1"}})));
}

TEST(SigmaCondition, BadConditionsAreReported) {
  auto status = [](const std::string& cond) {
    return CompileRule("title: t\ndetection:\n  sel:\n    a: 1\n  condition: " + cond + "\n", "x.yml", {});
  };
  LoadReport unknown = status("sel and nothere");
  EXPECT_EQ(unknown.status, RuleStatus::kInvalid);
  EXPECT_NE(unknown.reason.find("unknown selection 'nothere'"), std::string::npos) << unknown.reason;
  EXPECT_EQ(status("(sel").status, RuleStatus::kInvalid);
  EXPECT_EQ(status("sel and").status, RuleStatus::kInvalid);
  EXPECT_EQ(status("1 of x*").status, RuleStatus::kInvalid);
  LoadReport agg = status("sel | count() > 5");
  EXPECT_EQ(agg.status, RuleStatus::kUnsupported);
  EXPECT_NE(agg.reason.find("aggregation"), std::string::npos);
}

TEST(SigmaLoad, BadRulesGiveAClearReportLine) {
  LoadReport yaml = CompileRule("title: t\ndetection:\n  sel: [a, b\n  condition: sel\n", "bad.yml", {});
  EXPECT_EQ(yaml.status, RuleStatus::kInvalid);
  EXPECT_NE(yaml.reason.find("line "), std::string::npos) << yaml.reason;
  LoadReport mod = CompileRule("title: t\ndetection:\n  sel:\n    f|sparkles: x\n  condition: sel\n", "m.yml", {});
  EXPECT_EQ(mod.status, RuleStatus::kUnsupported);
  EXPECT_NE(mod.reason.find("unknown modifier 'sparkles'"), std::string::npos) << mod.reason;
  LoadReport re = CompileRule("title: t\ndetection:\n  sel:\n    f|re: '(?<=a)b'\n  condition: sel\n", "r.yml", {});
  EXPECT_EQ(re.status, RuleStatus::kUnsupported);
  EXPECT_NE(re.reason.find("RE2"), std::string::npos) << re.reason;
  LoadReport nodet = CompileRule("title: t\nlogsource:\n  product: windows\n", "n.yml", {});
  EXPECT_EQ(nodet.status, RuleStatus::kInvalid);
  EXPECT_NE(nodet.reason.find("detection"), std::string::npos);
  // A report line names the file, the status and the reason.
  LoadSummary s;
  s.reports = {mod};
  s.unsupported = 1;
  const std::string text = SummaryText(s);
  EXPECT_NE(text.find("unsupported: m.yml: "), std::string::npos) << text;
  EXPECT_NE(SummaryJson(s).find("\"status\":\"unsupported\""), std::string::npos);
}

TEST(SigmaLoad, TenThousandRulesBesideBadAndHostileFilesLoseNothing) {
  // A directory of 10,000 rules and, beside them, every kind of bad file: each bad one gets its
  // report line, every good one loads, and nothing crashes or stalls (hostile YAML included).
  const fs::path dir = fs::path(testing::TempDir()) / ("kmt_rules_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "good");
  auto write = [&](const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  };
  for (int i = 0; i < 10000; ++i) {
    write(dir / "good" / ("r" + std::to_string(i) + ".yml"),
          "title: rule " + std::to_string(i) + "\nid: id-" + std::to_string(i) +
              "\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel:\n"
              "    CommandLine|contains: 'needle" + std::to_string(i) + "x'\n  condition: sel\n");
  }
  std::string deep_flow(100000, '[');
  std::string aliases = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'k'; ++c) {  // each level ten times the last: 10^10 if expanded
    aliases += std::string(1, c) + ": &" + c + " [";
    for (int k = 0; k < 10; ++k) aliases += std::string(k ? ", *" : "*") + static_cast<char>(c - 1);
    aliases += "]\n";
  }
  std::string parens = "title: t\ndetection:\n  sel:\n    f: x\n  condition: " + std::string(5000, '(') + "sel" +
                       std::string(5000, ')') + "\n";
  std::string nots = "title: t\ndetection:\n  sel:\n    f: x\n  condition: ";
  for (int i = 0; i < 20000; ++i) nots += "not ";
  nots += "sel\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"malformed.yml", "title: t\ndetection:\n  sel: [a, b\n  condition: sel\n"},
      {"modifier.yml", "title: t\ndetection:\n  sel:\n    f|sparkles: x\n  condition: sel\n"},
      {"regex.yml", "title: t\ndetection:\n  sel:\n    f|re: '(?<=a)b'\n  condition: sel\n"},
      {"huge_regex.yml", "title: t\ndetection:\n  sel:\n    f|re: '((a{1000}){1000}){1000}'\n  condition: sel\n"},
      {"deep_flow.yml", "title: t\ndetection:\n  sel: " + deep_flow + "\n"},
      {"aliases.yml", "title: t\n" + aliases + "detection:\n  sel:\n    f: *k\n  condition: sel\n"},
      {"parens.yml", parens},
      {"nots.yml", nots},
      {"binary.yml", std::string("\0\xff\xfe\x01title: \x80\n", 14)},
      {"big.yml", "title: t\n#" + std::string(kMaxRuleFileBytes, 'x') + "\n"},
  };
  for (const auto& [name, text] : bad) write(dir / name, text);
  RuleSet set;
  LoadSummary s;
  ASSERT_TRUE(set.Load({dir.string()}, {}, &s).ok());
  EXPECT_EQ(s.loaded, 10000u);
  EXPECT_EQ(s.loaded + s.unsupported + s.invalid, 10000u + bad.size());
  EXPECT_EQ(set.rules().size(), 10000u);
  for (const auto& [name, text] : bad) {
    auto it = std::find_if(s.reports.begin(), s.reports.end(),
                           [&](const LoadReport& r) { return fs::path(r.path).filename() == name; });
    ASSERT_NE(it, s.reports.end()) << name;
    EXPECT_NE(it->status, RuleStatus::kLoaded) << name;
    EXPECT_FALSE(it->reason.empty()) << name;
    const std::string line = SummaryText(LoadSummary{0, 1, 0, {*it}});
    EXPECT_NE(line.find(name), std::string::npos) << line;
  }
  // The 10,000 rules still work, through the prefilter: one event, its one rule.
  std::vector<const Rule*> out;
  set.Match(Ev({{"winlog.channel", "Microsoft-Windows-Sysmon/Operational"}, {"event.code", "1"},
                {"process.command_line", "run NEEDLE4242x now"}}),
            &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->id, "id-4242");
  fs::remove_all(dir);
}

TEST(SigmaLogsource, WindowsRoutingAndFieldMapping) {
  const std::string rule_yaml =
      "title: t\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n"
      "  sel:\n    Image|endswith: '\\whoami.exe'\n    User|contains: 'AUTHORI'\n  condition: sel\n";
  LoadReport r = CompileRule(rule_yaml, "p.yml", {});
  ASSERT_EQ(r.status, RuleStatus::kLoaded) << r.reason;
  // Sysmon 1: channel + EventID; Image from process.executable, User the raw DOMAIN\user.
  const Event sysmon = Ev({{"winlog.channel", "Microsoft-Windows-Sysmon/Operational"}, {"event.code", "1"},
                           {"process.executable", "C:\\Windows\\System32\\whoami.exe"},
                           {"winlog.event_data.User", "NT AUTHORITY\\SYSTEM"}, {"user.name", "SYSTEM"}});
  EXPECT_TRUE(Fires(r.rule, sysmon));
  Event wrong_id = sysmon;
  wrong_id.Set("event.code", "3");
  EXPECT_FALSE(Fires(r.rule, wrong_id));
  Event wrong_channel = sysmon;  // EventID 1 of another provider is not Sysmon's
  wrong_channel.Set("winlog.channel", "Application");
  EXPECT_FALSE(Fires(r.rule, wrong_channel));
  // Security 4688 is process_creation too (process.executable from NewProcessName).
  const Event sec = Ev({{"winlog.channel", "Security"}, {"event.code", "4688"},
                        {"process.executable", "C:\\Windows\\System32\\whoami.exe"},
                        {"winlog.event_data.User", "NT AUTHORITY\\SYSTEM"}});
  EXPECT_TRUE(Fires(r.rule, sec));
  // Initiated 'true' and the raw Hashes string.
  LoadReport net = CompileRule(
      "title: t\nlogsource:\n  product: windows\n  category: network_connection\ndetection:\n"
      "  sel:\n    Initiated: 'true'\n    Hashes|contains: 'IMPHASH=ABC'\n  condition: sel\n", "n.yml", {});
  ASSERT_EQ(net.status, RuleStatus::kLoaded) << net.reason;
  EXPECT_TRUE(Fires(net.rule, Ev({{"winlog.channel", "Microsoft-Windows-Sysmon/Operational"}, {"event.code", "3"},
                                  {"winlog.event_data.Initiated", "true"},
                                  {"winlog.event_data.Hashes", "SHA256=00,IMPHASH=ABC"}})));
}

// ---------------------------------------------------------------- the SigmaHQ snapshot

using kmt_sigma::RuleDirs;
using kmt_sigma::SigmaDir;
using kmt_sigma::SplitJsonObjects;
using kmt_sigma::UnderCi;

size_t CountRuleFiles() {
  size_t n = 0;
  for (const std::string& d : RuleDirs()) {
    for (const auto& e : fs::recursive_directory_iterator(d)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".yml" || ext == ".yaml")) ++n;
    }
  }
  return n;
}

TEST(SigmaSnapshot, AtLeast99PercentLoad) {
  REQUIRE_SIGMA();
  RuleSet set;
  LoadSummary s;
  ASSERT_TRUE(set.Load(RuleDirs(), {}, &s).ok());
  const size_t files = CountRuleFiles();
  ASSERT_GT(files, 3000u);
  EXPECT_EQ(s.reports.size(), files);
  EXPECT_EQ(s.loaded + s.unsupported + s.invalid, files);
  EXPECT_GE(s.loaded * 100, files * 99) << SummaryText(s);
  EXPECT_EQ(set.rules().size(), s.loaded);
  std::cout << "[ sigma ] " << files << " rule files: " << s.loaded << " loaded, " << s.unsupported
            << " unsupported, " << s.invalid << " invalid\n";
}

std::string ReadFile(const fs::path& p) { return kmt_sigma::ReadAll(p); }

TEST(SigmaSnapshot, RegressionEventsFireTheirRules) {
  REQUIRE_SIGMA();
  RuleSet set;
  LoadSummary s;
  ASSERT_TRUE(set.Load(RuleDirs(), {}, &s).ok());
  std::map<std::string, const Rule*> by_id;
  for (const auto& r : set.rules()) by_id[r->id] = r.get();
  size_t cases = 0, passed = 0;
  std::vector<std::string> failures;
  for (const auto& e : fs::recursive_directory_iterator(SigmaDir() / "regression_data")) {
    if (e.path().filename() != "info.yml") continue;
    bool has_json = false;
    for (const auto& f : fs::directory_iterator(e.path().parent_path())) has_json |= f.path().extension() == ".json";
    if (!has_json) continue;  // a non-Windows case (.raw): not an event our JSON path reads
    ++cases;
    const std::string info = ReadFile(e.path());
    // rule_metadata: - id: <uuid>
    const size_t meta = info.find("rule_metadata:");
    const size_t idk = info.find("id: ", meta);
    std::string id = info.substr(idk + 4, info.find('\n', idk) - idk - 4);
    size_t want = 1;
    if (size_t mc = info.find("match_count: "); mc != std::string::npos) want = std::stoul(info.substr(mc + 13));
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      failures.push_back(e.path().parent_path().filename().string() + ": rule " + id + " not loaded");
      continue;
    }
    size_t matches = 0;
    for (const auto& f : fs::directory_iterator(e.path().parent_path())) {
      if (f.path().extension() != ".json") continue;
      for (const std::string& obj : SplitJsonObjects(ReadFile(f.path()))) {
        RawRecord rec;
        rec.data = obj;
        rec.flags = kRawJson;
        Event ev = ParseRecord(rec, ParseOptions{});
        if (!it->second->query.Matches(EventAccessor(ev))) continue;
        ++matches;
        // The live path (routing and prefilter) must let the rule fire too.
        std::vector<const Rule*> fired;
        set.Match(ev, &fired);
        EXPECT_NE(std::find(fired.begin(), fired.end(), it->second), fired.end()) << f.path();
      }
    }
    if (matches >= want) {
      ++passed;
    } else {
      failures.push_back(e.path().parent_path().filename().string() + ": " + std::to_string(matches) + " of " +
                         std::to_string(want) + " matches");
    }
  }
  std::cout << "[ sigma ] regression cases: " << passed << " of " << cases << " fire their rule\n";
  for (const std::string& f : failures) std::cout << "  " << f << "\n";
  EXPECT_EQ(cases, 202u);
  EXPECT_EQ(passed, cases);
}

//! The regression cases' .json events, parsed as posted.
std::vector<Event> RegressionEvents() {
  std::vector<Event> out;
  for (const auto& e : fs::recursive_directory_iterator(SigmaDir() / "regression_data")) {
    if (e.path().extension() != ".json") continue;
    for (const std::string& obj : SplitJsonObjects(ReadFile(e.path()))) {
      RawRecord rec;
      rec.data = obj;
      rec.flags = kRawJson;
      out.push_back(ParseRecord(rec, ParseOptions{}));
    }
  }
  return out;
}

//! The shared corpus's Windows event XML (Sysmon and Security), one event per <Event> element.
std::vector<Event> CorpusWindowsEvents() {
  std::vector<Event> out;
  const fs::path corpus = fs::path(KMT_SOURCE_DIR) / ".." / "shared" / "corpus";
  for (const char* dir : {"sysmon/windows-sysmon-xml", "auth/windows-security-xml"}) {
    if (!fs::is_directory(corpus / dir)) continue;
    for (const auto& f : fs::directory_iterator(corpus / dir)) {
      if (f.path().extension() != ".xml") continue;
      const std::string text = ReadFile(f.path());
      for (size_t at = text.find("<Event "); at != std::string::npos;) {
        const size_t end = text.find("</Event>", at);
        if (end == std::string::npos) break;
        RawRecord rec;
        rec.data = text.substr(at, end + 8 - at);
        std::replace(rec.data.begin(), rec.data.end(), '\n', ' ');
        out.push_back(ParseRecord(rec, ParseOptions{}));
        at = text.find("<Event ", end);
      }
    }
  }
  return out;
}

// The oracle: every loaded rule's query evaluated on every event, with no routing and no
// prefilter, must give exactly the rules RuleSet::Match (routing, then the literal prefilter,
// then the same queries) gives.
TEST(SigmaSnapshot, PrefilterFiresExactlyTheRulesEveryRuleEvaluatedFires) {
  REQUIRE_SIGMA();
  RuleSet set;
  LoadSummary s;
  ASSERT_TRUE(set.Load(RuleDirs(), {}, &s).ok());
  ASSERT_TRUE(set.prefilter().compiled());
  std::vector<Event> events = RegressionEvents();
  const size_t regression = events.size();
  for (Event& ev : CorpusWindowsEvents()) events.push_back(std::move(ev));
  if (UnderCi()) {
    ASSERT_GT(events.size(), regression + 1000) << "the corpus's Windows XML is missing";
  }
  size_t fired = 0, evaluated = 0, mismatched = 0;
  for (const Event& ev : events) {
    std::vector<const Rule*> oracle, got;
    Event keyed = ev;  // keywords search KeywordText: the EventData of a Windows event
    KeywordText(ev, &keyed.original);
    for (const auto& r : set.rules()) {
      if (r->query.Matches(EventAccessor(keyed))) oracle.push_back(r.get());
    }
    set.Match(ev, &got);
    fired += oracle.size();
    evaluated += set.EvaluatedCount(ev);
    if (got != oracle && ++mismatched <= 10) {
      std::string diff;
      for (const Rule* r : oracle) {
        if (std::find(got.begin(), got.end(), r) == got.end()) diff += " missed " + r->id;
      }
      for (const Rule* r : got) {
        if (std::find(oracle.begin(), oracle.end(), r) == oracle.end()) diff += " extra " + r->id;
      }
      ADD_FAILURE() << "event " << (&ev - events.data()) << ":" << diff;
    }
  }
  std::cout << "[ sigma ] " << events.size() << " events (" << regression << " regression): " << fired
            << " rule firings, " << double(evaluated) / events.size() << " rules evaluated per event of "
            << set.rules().size() << " (" << set.prefilter().unfiltered_rules() << " without a required literal)\n";
  EXPECT_EQ(mismatched, 0u);
  EXPECT_GE(fired, regression);  // every regression event fires at least its rule
  // Only a few percent of the rules are evaluated per event.
  EXPECT_LT(evaluated * 20, events.size() * set.rules().size());
}

TEST(Prefilter, RequiredLiteralsOfEachForm) {
  auto groups = [](const std::string& detection) {
    auto rule = Compile(detection);
    return RequiredLiterals(rule->query, rule->detection_node);
  };
  // AND: each selection's group, most selective first; field names as written (no logsource).
  auto g = groups("  a:\n    Image|endswith: '\\CMD.exe'\n  b:\n    CommandLine|contains:\n      - ' /c '\n      - 'whoami'\n"
                  "  condition: a and b\n");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0], (LiteralGroup{{"Image", "\\cmd.exe"}}));
  EXPECT_EQ(g[1], (LiteralGroup{{"CommandLine", " /c "}, {"CommandLine", "whoami"}}));
  // OR: a group joining a group of each branch; a branch requiring nothing voids it.
  g = groups("  a:\n    f: 'x1'\n  b:\n    g|startswith: 'y2'\n  condition: a or b\n");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0], (LiteralGroup{{"f", "x1"}, {"g", "y2"}}));
  // ... group k joins each branch's k-th group (or its last): both groups below are required.
  g = groups("  a:\n    Image|contains: '\\Windows\\'\n    CommandLine|contains: '\\..\\..\\'\n"
             "  b:\n    CommandLine|contains: '.exe\\..\\'\n  condition: a or b\n");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0], (LiteralGroup{{"Image", "\\windows\\"}, {"CommandLine", ".exe\\..\\"}}));
  EXPECT_EQ(g[1], (LiteralGroup{{"CommandLine", "\\..\\..\\"}, {"CommandLine", ".exe\\..\\"}}));
  // A glob requires each of its literal parts; a part of rare punctuation is kept though short.
  g = groups("  a:\n    CommandLine|contains:\n      - 'ping*|*find'\n      - 'whoami*|*find'\n  condition: a\n");
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0], (LiteralGroup{{"CommandLine", "ping"}, {"CommandLine", "whoami"}}));
  EXPECT_EQ(g[1], (LiteralGroup{{"CommandLine", "find"}}));
  EXPECT_EQ(g[2], (LiteralGroup{{"CommandLine", "|"}}));
  EXPECT_TRUE(groups("  a:\n    f: 'x1'\n  b:\n    g|cidr: '10.0.0.0/8'\n  condition: a or b\n").empty());
  // NOT requires nothing; the AND keeps the positive side.
  g = groups("  a:\n    f: 'x1'\n  b:\n    g: 'y2'\n  condition: a and not b\n");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0], (LiteralGroup{{"f", "x1"}}));
  // Keywords search the original line; '?' wildcards become a regex whose atoms are not trusted.
  g = groups("  kw:\n    - 'Mimikatz'\n  condition: kw\n");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0], (LiteralGroup{{"event.original", "mimikatz"}}));
  // A regex requires each atom no match can lack, else one of its atoms.
  auto by_text = [](std::vector<LiteralGroup> v) {
    std::sort(v.begin(), v.end(), [](const LiteralGroup& x, const LiteralGroup& y) { return x[0].text < y[0].text; });
    return v;
  };
  g = by_text(groups("  a:\n    f|re: 'abc[0-9]+def'\n  condition: a\n"));
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0], (LiteralGroup{{"f", "abc"}}));
  EXPECT_EQ(g[1], (LiteralGroup{{"f", "def"}}));
  g = groups("  a:\n    f|re: 'abc|xyz'\n  condition: a\n");
  ASSERT_EQ(g.size(), 1u);
  std::sort(g[0].begin(), g[0].end(), [](const Literal& x, const Literal& y) { return x.text < y.text; });
  EXPECT_EQ(g[0], (LiteralGroup{{"f", "abc"}, {"f", "xyz"}}));
  // A case-folding regex too; an atom with a k or an s also takes the KELVIN SIGN and LONG S,
  // which (?i) matches to them.
  g = by_text(groups("  a:\n    f|re: '(?i)echo.*wsl'\n  condition: a\n"));
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0], (LiteralGroup{{"f", "echo"}}));
  EXPECT_EQ(g[1], (LiteralGroup{{"f", "wsl"}, {"f", "\xc5\xbf"}}));
  EXPECT_TRUE(groups("  a:\n    f|re: '(?i)\\x41bc'\n  condition: a\n").empty());  // \x: not trusted
  // Atoms of 1 and 2 bytes count too (RE2's prefilter and the query's drop those under 3).
  g = groups("  a:\n    f|re: '\\w+`(?:\\w+|-|.)`[\\w+|\\s]'\n  condition: a\n");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0], (LiteralGroup{{"f", "`"}}));
  g = groups("  a:\n    f|re: '0x[a-fA-F0-9]{8}'\n  condition: a\n");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0], (LiteralGroup{{"f", "0x"}}));
  // Exists, fieldref and null require nothing.
  EXPECT_TRUE(groups("  a:\n    f|exists: true\n  condition: a\n").empty());
  EXPECT_TRUE(groups("  a:\n    f: null\n  condition: a\n").empty());
}

TEST(Prefilter, CaseFoldingRegexesStillFireOnKelvinSignAndLongS) {
  // RE2's (?i) matches the KELVIN SIGN (U+212A) to k and the LONG S (U+017F) to s: values
  // holding them instead of the ASCII letters still reach the evaluation, which fires.
  RuleSet set;
  set.Add(Compile("  a:\n    f|re: '(?i)invoke-mimi'\n  condition: a\n"));
  set.Add(Compile("  a:\n    f|re: '(?i)powershell'\n  condition: a\n"));
  ASSERT_TRUE(set.CompilePrefilter());
  EXPECT_EQ(set.prefilter().unfiltered_rules(), 0u);
  for (auto [value, want] : {std::pair{"x INVOKE-Mimi y", 0}, {"x invo\u212Ae-mimi y", 0}, {"x POWER\u017FHELL y", 1},
                             {"nothing here", -1}}) {
    std::vector<const Rule*> out;
    set.Match(Ev({{"f", value}}), &out);
    if (want < 0) {
      EXPECT_TRUE(out.empty()) << value;
      EXPECT_EQ(set.EvaluatedCount(Ev({{"f", value}})), 0u) << value;
    } else {
      ASSERT_EQ(out.size(), 1u) << value;
      EXPECT_EQ(out[0], set.rules()[static_cast<size_t>(want)].get()) << value;
    }
  }
}

// ---------------------------------------------------------------- one event, every shipper

std::string Value(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? *v : std::string();
}

//! The same Sysmon process creation as event XML, Winlogbeat, NXLog and Wazuh JSON (each escapes
//! the command line's backslashes and quotes its own way; Wazuh twice).
std::vector<std::pair<std::string, Event>> OneEventEveryForm() {
  std::vector<std::pair<std::string, std::string>> lines = {
      {"xml",
       "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
       "Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><TimeCreated SystemTime='2024-05-01T10:00:00.000Z'/>"
       "<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>pc1</Computer></System><EventData>"
       "<Data Name='Image'>C:\\Windows\\System32\\rundll32.exe</Data><Data Name='CommandLine'>rundll32.exe "
       "C:\\Windows\\perfc.dat,#1 &quot;x&amp;y&quot;</Data></EventData></Event>"},
      {"winlogbeat",
       R"({"@timestamp":"2024-05-01T10:00:00.000Z","message":"Process Create:","winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","event_id":1,"computer_name":"pc1","event_data":{"Image":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"rundll32.exe C:\\Windows\\perfc.dat,#1 \"x&y\""}}})"},
      {"nxlog",
       R"({"EventTime":"2024-05-01 10:00:00","Hostname":"pc1","EventID":1,"SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","Image":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"rundll32.exe C:\\Windows\\perfc.dat,#1 \"x&y\""})"},
      {"wazuh",
       R"({"win":{"system":{"providerName":"Microsoft-Windows-Sysmon","eventID":"1","channel":"Microsoft-Windows-Sysmon/Operational","computer":"pc1","systemTime":"2024-05-01T10:00:00.000Z"},"eventdata":{"image":"C:\\\\Windows\\\\System32\\\\rundll32.exe","commandLine":"rundll32.exe C:\\\\Windows\\\\perfc.dat,#1 \\\"x&y\\\""}}})"}};
  std::vector<std::pair<std::string, Event>> out;
  for (const auto& [form, line] : lines) {
    RawRecord rec;
    rec.data = line;
    if (form != "xml") rec.flags = kRawJson;
    out.emplace_back(form, ParseRecord(rec, ParseOptions{}));
  }
  return out;
}

TEST(SigmaKeywords, FireTheSameWhicheverWayTheWindowsEventArrived) {
  RuleSet set;
  const std::string head = "title: t\nid: kw\nlogsource:\n  product: windows\n  category: process_creation\n";
  for (const char* detection : {"detection:\n  kw:\n    - '\\perfc.dat'\n  condition: kw\n",
                                "detection:\n  kw:\n    - '#1 \"x&y\"'\n  condition: kw\n",
                                "detection:\n  sel:\n    CommandLine|contains: 'Windows\\perfc.dat,#1 \"x&y\"'\n"
                                "    Image|endswith: '\\System32\\rundll32.exe'\n  condition: sel\n"}) {
    LoadReport r = CompileRule(head + detection, "kw.yml", {});
    ASSERT_EQ(r.status, RuleStatus::kLoaded) << r.reason << detection;
    set.Add(r.rule);
  }
  ASSERT_TRUE(set.CompilePrefilter());
  LoadReport other = CompileRule(head + "detection:\n  kw:\n    - 'Microsoft-Windows-Sysmon'\n  condition: kw\n", "o.yml", {});
  ASSERT_EQ(other.status, RuleStatus::kLoaded);
  RuleSet system;  // a keyword only in the System part (provider) is not in the EventData
  system.Add(other.rule);
  ASSERT_TRUE(system.CompilePrefilter());
  for (const auto& [form, ev] : OneEventEveryForm()) {
    EXPECT_EQ(Value(ev, "winlog.event_data.CommandLine"), "rundll32.exe C:\\Windows\\perfc.dat,#1 \"x&y\"") << form;
    std::string text;
    KeywordText(ev, &text);
    EXPECT_NE(text.find("\\perfc.dat,#1 \"x&y\""), std::string::npos) << form << ": " << text;
    std::vector<const Rule*> out;
    set.Match(ev, &out);
    EXPECT_EQ(out.size(), 3u) << form << ": " << ev.original;
    out.clear();
    system.Match(ev, &out);
    EXPECT_TRUE(out.empty()) << form;
  }
  // An event with no EventData searches its original line.
  std::string text;
  KeywordText(Ev({{"message", "a"}}, "the line"), &text);
  EXPECT_EQ(text, "the line");
}

TEST(SigmaWazuh, RealAgentEventsCarrySingleBackslashesAndFireBackslashRules) {
  // The Wazuh agent's eventchannel JSON (wazuh/wazuh's own rule tests): values arrive as
  // C:\\Windows\\... after JSON decoding. Parsed, they hold single backslashes, and a rule
  // written with single backslashes (as Sigma writes them) fires.
  const fs::path ini = fs::path(KMT_SOURCE_DIR) / ".." / "shared" / "corpus" / "sysmon" /
                       "windows-sysmon-wazuh-eventchannel-json" / "wazuh-sysmon_eid_1.ini";
  if (!fs::exists(ini)) {
    if (UnderCi()) FAIL() << "CI=true and the corpus is missing: " << ini;
    GTEST_SKIP() << "no " << ini;
  }
  LoadReport r = CompileRule(
      "title: t\nid: w\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel:\n"
      "    Image|startswith: 'C:\\Windows\\'\n    ParentImage|contains: ':\\'\n  condition: sel\n",
      "w.yml", {});
  ASSERT_EQ(r.status, RuleStatus::kLoaded) << r.reason;
  RuleSet set;
  set.Add(r.rule);
  ASSERT_TRUE(set.CompilePrefilter());
  std::istringstream in(ReadFile(ini));
  size_t events = 0, in_windows = 0, fired = 0;
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find(" = {\"win\"");
    if (line.rfind("log ", 0) != 0 || eq == std::string::npos) continue;
    RawRecord rec;
    rec.data = line.substr(eq + 3);
    rec.flags = kRawJson;
    const Event ev = ParseRecord(rec, ParseOptions{});
    if (Value(ev, "event.code") != "1") continue;
    ++events;
    // Paths and DOMAIN\user (a command line may hold a real "\\?\" or "\\server").
    for (const char* name : {"Image", "ParentImage", "CurrentDirectory", "User"}) {
      const std::string v = Value(ev, std::string("winlog.event_data.") + name);
      EXPECT_EQ(v.find("\\\\"), std::string::npos) << name << " = " << v;
      EXPECT_EQ(v.find("\\\""), std::string::npos) << name << " = " << v;
    }
    EXPECT_EQ(Value(ev, "process.command_line"), Value(ev, "winlog.event_data.CommandLine"));
    const std::string image = Value(ev, "winlog.event_data.Image");
    EXPECT_EQ(Value(ev, "process.executable"), image);
    const bool want = EqualsIgnoreCase(image.substr(0, 11), "C:\\Windows\\") &&
                      Value(ev, "winlog.event_data.ParentImage").find(":\\") != std::string::npos;
    in_windows += want;
    std::vector<const Rule*> out;
    set.Match(ev, &out);
    EXPECT_EQ(!out.empty(), want) << image;
    fired += !out.empty();
  }
  EXPECT_GT(events, 40u);
  EXPECT_GT(fired, 10u);
  EXPECT_EQ(fired, in_windows);
}

TEST(Prefilter, RegexesNeedingOnlyAShortLiteralAreSkippedWithoutIt) {
  // The shape of SigmaHQ's "Powershell Token Obfuscation": every match holds a backquote, or
  // '{' '}' with a quote, or (case folded) "${": values holding none are not evaluated.
  RuleSet set;
  set.Add(Compile("  a:\n    - f|re: '\\w+`(?:\\w+|-|.)`[\\w+|\\s]'\n    - f|re: '\"(?:\\{\\d\\})+\"\\s*-f'\n"
                  "    - f|re: '(?i)\\$\\{`?e`?n`?v`?:`?p`?a`?t`?h`?\\}'\n  condition: a\n"));
  ASSERT_TRUE(set.CompilePrefilter());
  EXPECT_EQ(set.prefilter().unfiltered_rules(), 0u);
  for (auto [value, fires] : {std::pair{"IN`V`o`Ke-eXp`ResSIOn x", true}, {"&(\"{2}{3}\"-f 'e')", true},
                              {"echo ${E`NV:PATH}", true}, {"echo ${ENV:PATH}", true},
                              {"powershell -enc AAAA", false}, {"a {0} b", false}}) {
    std::vector<const Rule*> out;
    set.Match(Ev({{"f", value}}), &out);
    EXPECT_EQ(out.size(), fires ? 1u : 0u) << value;
    // The oracle: the rule's own query, evaluated whatever the prefilter says.
    EXPECT_EQ(set.rules()[0]->query.Matches(EventAccessor(Ev({{"f", value}}))), fires) << value;
  }
  EXPECT_EQ(set.EvaluatedCount(Ev({{"f", "powershell -enc AAAA"}})), 0u);
}

TEST(Prefilter, SkipsRulesWhoseLiteralsAreAbsentWithoutChangingAnswers) {
  RuleSet set;
  set.Add(Compile("  a:\n    f|contains: 'needle'\n  b:\n    g: 'xyz'\n  condition: a and b\n"));
  set.Add(Compile("  a:\n    f|contains: 'other'\n  condition: not a\n"));
  ASSERT_TRUE(set.CompilePrefilter());
  const Event hit = Ev({{"f", "a NEEDLE here"}, {"g", "XyZ"}});
  const Event half = Ev({{"f", "a needle here"}, {"g", "xy"}});
  const Event miss = Ev({{"f", "nothing"}, {"g", "xyz"}});
  EXPECT_EQ(set.EvaluatedCount(hit), 2u);  // the NOT rule has no required literal
  EXPECT_EQ(set.EvaluatedCount(half), 1u);  // 'xyz' absent: the first rule's second group unmet
  EXPECT_EQ(set.EvaluatedCount(miss), 1u);
  std::vector<const Rule*> out;
  set.Match(hit, &out);
  EXPECT_EQ(out, (std::vector<const Rule*>{set.rules()[0].get(), set.rules()[1].get()}));
  out.clear();
  set.Match(miss, &out);
  EXPECT_EQ(out, (std::vector<const Rule*>{set.rules()[1].get()}));
}

TEST(Prefilter, HashLiteralsAreFoundAtTheValuesEqualSigns) {
  // More than RuleSet::kMaxDirectLiterals literals, each holding an '=': the field is searched at
  // the '='s of its value (as Sysmon's Hashes), not by its RE2::Set. Answers as the rules' own.
  RuleSet set;
  set.Add(Compile("  a:\n    Hashes|contains:\n      - 'MD5=0123456789ABCDEF0123456789ABCDEF'\n"
                  "      - 'MD5=FFFF'\n      - 'SHA1=00AA'\n      - 'IMPHASH=1234'\n      - 'IMPHASH=12'\n"
                  "      - '=tail'\n      - 'x=y=z'\n  condition: a\n"));
  set.Add(Compile("  a:\n    Hashes|endswith: 'IMPHASH=CAFE'\n  b:\n    Image|endswith: '.exe'\n  condition: a and b\n"));
  ASSERT_TRUE(set.CompilePrefilter());
  struct Case {
    const char* hashes;
    size_t fires;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"SHA1=1,MD5=0123456789abcdef0123456789abcdef,IMPHASH=0", 1},
           {"SHA1=1,XMD5=0123456789ABCDEF0123456789ABCDEF0", 1},  // inside a longer name and hash
           {"MD5=FFF,SHA1=00A", 0}, {"md5=ffff", 1}, {"SHA256=5,IMPHASH=1", 0}, {"IMPHASH=123", 1},
           {"a==tail", 1}, {"=tai", 0}, {"x=y=", 0}, {"wx=y=z=", 1}, {"IMPHASH=cafe", 1},
           {"SHA1=AB,IMPHASH=CAFE", 1}, {"IMPHASH=CAF", 0}, {"no equal sign at all", 0}, {"=", 0}}) {
    const Event ev = Ev({{"Hashes", c.hashes}, {"Image", "C:\\a.exe"}});
    std::vector<const Rule*> out, oracle;
    set.Match(ev, &out);
    for (const auto& r : set.rules()) {
      if (r->query.Matches(EventAccessor(ev))) oracle.push_back(r.get());
    }
    EXPECT_EQ(out, oracle) << c.hashes;
    EXPECT_EQ(out.size(), c.fires) << c.hashes;
    if (c.fires == 0) {
      EXPECT_EQ(set.EvaluatedCount(ev), 0u) << c.hashes;
    }
  }
}

}  // namespace
}  // namespace kamatama::detect

namespace kamatama::query {
namespace {

TEST(QueryBuilder, BuiltNodesEvaluateAsParsedOnes) {
  // The same filter parsed and built gives the same answers.
  auto parsed = std::get<Query>(Query::Parse("host.name:web* AND NOT user.name:root"));
  QueryBuilder b;
  Query built = b.Build(b.And({b.Glob("host.name", "web*"), b.Not(b.Equals("user.name", "root"))}));
  EXPECT_EQ(built.ToString(), parsed.ToString());
  for (auto [host, user, want] : {std::tuple{"web1", "bob", true}, {"WEB2", "ROOT", false}, {"db1", "bob", false}}) {
    Event ev;
    ev.Set("host.name", host);
    ev.Set("user.name", user);
    EXPECT_EQ(built.Matches(EventAccessor(ev)), want) << host << " " << user;
    EXPECT_EQ(parsed.Matches(EventAccessor(ev)), want);
  }
}

TEST(QueryBuilder, FieldRefPartialRegexAndFailures) {
  QueryBuilder b;
  Query ref = b.Build(b.FieldRef("a", "b"));
  EXPECT_EQ(ref.ToString(), "(FIELDREF a b)");
  EXPECT_EQ(ref.ReferencedFields(), (std::vector<std::string>{"a", "b"}));
  Event ev;
  ev.Set("a", "Same");
  ev.Set("b", "same");
  EXPECT_TRUE(ref.Matches(EventAccessor(ev)));
  std::string err;
  QueryBuilder b2;
  Query partial = b2.Build(b2.Regex("a", "am", true, &err));
  EXPECT_TRUE(partial.Matches(EventAccessor(ev)));  // "Same" contains "am"
  QueryBuilder b3;
  Query full = b3.Build(b3.Regex("a", "am", false, &err));
  EXPECT_FALSE(full.Matches(EventAccessor(ev)));  // the parser's field regex: whole value
  // The parsed language keeps whole-value field regexes.
  EXPECT_FALSE(std::get<Query>(Query::Parse("a:/am/")).Matches(EventAccessor(ev)));
  QueryBuilder b4;
  EXPECT_EQ(b4.Regex("a", "(?<=x)y", true, &err), QueryBuilder::kInvalid);
  EXPECT_NE(err.find("RE2"), std::string::npos);
  EXPECT_EQ(b4.Cidr("ip", "10.0.0.0/33", &err), QueryBuilder::kInvalid);
  QueryBuilder b5;
  EXPECT_FALSE(b5.Build(b5.Or({})).Matches(EventAccessor(ev)));  // an empty OR matches nothing
}

}  // namespace
}  // namespace kamatama::query
