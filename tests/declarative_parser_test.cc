// tests/declarative_parser_test.cc: declarative parsers (parsers/declarative/, issue 23): the
// definition loader and its error positions, each extraction step, conversions, mappings,
// rules, the order against the built-in parsers, hostile input, and a set swapped while other
// threads parse. Expected values are written by hand from the lines and definitions below;
// FortiAuthenticator lines come from ../shared/corpus (Wazuh's tests), checked against Wazuh's
// verdicts and against the built-in parser.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/raw_record.h"
#include "corpus_util.h"
#include "parser_test_util.h"
#include "parsers/declarative/convert.h"
#include "parsers/declarative/grok.h"
#include "parsers/declarative/loader.h"
#include "parsers/declarative/parser_set.h"
#include "parsers/parse.h"
#include "parsers/toolkit.h"

namespace kamatama {
namespace {

using declarative::CompileDefinitions;
using declarative::Definition;
using declarative::ParserSet;
using declarative::Problem;
using test_util::F;
using test_util::kRecv;
using test_util::T;

//! Compiles `yaml`; fails the test on any problem.
std::shared_ptr<const ParserSet> Set(const std::string& yaml) {
  std::vector<Definition> defs;
  std::vector<Problem> problems;
  CompileDefinitions(yaml, "test.yaml", &defs, &problems);
  for (const Problem& p : problems) ADD_FAILURE() << p.ToString();
  return std::make_shared<const ParserSet>(std::move(defs));
}

//! The problems of `yaml` (and how many definitions loaded).
std::vector<Problem> Problems(const std::string& yaml, size_t* loaded = nullptr) {
  std::vector<Definition> defs;
  std::vector<Problem> problems;
  CompileDefinitions(yaml, "bad.yaml", &defs, &problems);
  if (loaded) *loaded = defs.size();
  return problems;
}

Event Parse(const std::shared_ptr<const ParserSet>& set, const std::string& line, ParseTrace* trace = nullptr) {
  ParseOptions opt;
  opt.user = std::make_shared<declarative::UserParsers>();
  opt.user->Swap(set);
  RawRecord r;
  r.received_ns = kRecv;
  r.data = line;
  return ParseRecord(r, opt, trace);
}

Event ParseBuiltin(const std::string& line) {
  RawRecord r;
  r.received_ns = kRecv;
  r.data = line;
  return ParseRecord(r, ParseOptions{});
}

// ---------------------------------------------------------------- loader

TEST(DeclarativeLoader, ReportsEachMistakeAtItsLineAndColumn) {
  // Line and column (1-based) of the offending node, counted by hand.
  struct Case {
    const char* yaml;
    int line, column;
    const char* says;
  } cases[] = {
      {"parser: a\nwhen: {program: x}\nextract:\n  - regex: '(?P<x>[a-'\n", 4, 12, "regex"},
      {"parser: a\nwhen: {program: x}\ncolour: red\n", 3, 1, "unknown key 'colour'"},
      {"parser: a\nwhen:\n  program: x\nfields:\n  event.original: x\n", 5, 3, "set by kamatama"},
      {"parser: a\nwhen: {program: x}\nfields:\n  source.ip: {from: s, type: ipaddr}\n", 4, 30, "type"},
      {"parser: a\nwhen: {program: x}\nfields:\n  '@timestamp': {from: t, type: timestamp, format: '%Y-%q'}\n", 4, 52,
       "unknown directive"},
      {"parser: Big\nwhen: {program: x}\n", 1, 9, "lowercase"},
      {"parser: a\n", 1, 1, "needs `when`"},
      {"parser: a\nwhen: {}\n", 2, 7, "needs at least one"},
      {"parser: a\nwhen: {program: x}\nextract:\n  - grok: '%{NOPE:x}'\n", 4, 11, "unknown pattern %{NOPE}"},
      {"parser: a\nwhen: {program: x}\nextract:\n  - regex: 'a'\n    kv: {}\n", 4, 5, "exactly one of"},
      {"parser: a\nwhen: {program: x}\nset:\n  kamatama.alert: yes\n", 4, 3, "set by kamatama"},
      {"parser: kamatama-audit\nwhen: {program: x}\n", 1, 9, "kamatama's own"},
      {"parser: a\nwhen: [unclosed\n", 3, 1, "YAML"},
  };
  for (const Case& c : cases) {
    size_t loaded = 0;
    std::vector<Problem> p = Problems(c.yaml, &loaded);
    ASSERT_EQ(p.size(), 1u) << c.yaml;
    EXPECT_EQ(loaded, 0u) << c.yaml;
    EXPECT_EQ(p[0].where.line, c.line) << c.yaml << p[0].ToString();
    EXPECT_EQ(p[0].where.column, c.column) << c.yaml << p[0].ToString();
    EXPECT_NE(p[0].message.find(c.says), std::string::npos) << p[0].ToString();
    EXPECT_EQ(p[0].ToString().rfind("bad.yaml:" + std::to_string(c.line) + ":", 0), 0u) << p[0].ToString();
  }
}

TEST(DeclarativeLoader, ABadDocumentSkipsOnlyItself) {
  size_t loaded = 0;
  auto p = Problems("parser: good1\nwhen: {program: a}\n---\nparser: bad\nwhen: {program: b}\nextract: 3\n---\n"
                    "parser: good2\nwhen: {prefix: 'x'}\n",
                    &loaded);
  EXPECT_EQ(loaded, 2u);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 6);
}

TEST(DeclarativeLoader, DirectoryLoadSortsFilesAndRefusesADuplicateName) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("kmt_decl_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "b.yaml") << "parser: one\nwhen: {program: b}\n";
  std::ofstream(dir / "a.yml") << "parser: one\nwhen: {program: a}\n";
  std::ofstream(dir / "sub" / "c.yaml") << "parser: three\nwhen: {program: c}\n";
  std::ofstream(dir / "notes.txt") << "not a definition";
  std::shared_ptr<const ParserSet> set;
  declarative::LoadSummary summary;
  ASSERT_TRUE(declarative::LoadParserSet({dir.string()}, &set, &summary).ok());
  ASSERT_EQ(set->definitions().size(), 2u);
  EXPECT_EQ(set->definitions()[0].when.programs[0], "a");  // a.yml before b.yaml
  ASSERT_EQ(summary.invalid.size(), 1u);
  EXPECT_NE(summary.invalid[0].ToString().find("b.yaml:1:1: parser one is defined twice"), std::string::npos)
      << summary.invalid[0].ToString();
  EXPECT_EQ(summary.Text().substr(summary.Text().rfind('\n', summary.Text().size() - 2) + 1), "2 loaded, 1 invalid\n");
  EXPECT_FALSE(declarative::LoadParserSet({(dir / "missing").string()}, &set, &summary).ok());
  fs::remove_all(dir);
}

// ---------------------------------------------------------------- steps and mapping

const char* kAppLine = "<134>Dec  7 10:00:00 gw acme[7]: DENY tcp 10.1.2.3:4455 -> 198.51.100.9:443 user=Alice";

TEST(DeclarativeEngine, RegexGroupsTypesValuesConstantsAndRules) {
  auto set = Set(R"(
parser: acme
dataset: firewall.acme
when: {program: acme}
extract:
  - regex: '^(?P<verdict>[A-Z]+) (?P<proto>\w+) (?P<src>[\d.]+):(?P<sport>\d+) -> (?P<dst>[\d.]+):(?P<dport>\d+) user=(?P<user>\S+)'
fields:
  source.ip: {from: src, type: ip}
  source.port: {from: sport, type: port}
  destination.ip: {from: dst, type: ip}
  destination.port: {from: dport, type: int}
  network.transport: {from: proto, type: uppercase}
  user.name: {from: user, type: lowercase}
  event.action: {from: verdict, type: lowercase, values: {deny: deny, permit: allow}, default: other}
set: {event.category: network, event.kind: event}
rules:
  - if: {field: event.action, equals: [deny, drop]}
    set: {event.outcome: failure, event.type: denied}
)");
  ParseTrace trace;
  Event ev = Parse(set, kAppLine, &trace);
  EXPECT_EQ(trace.parser, "acme");
  EXPECT_TRUE(trace.declarative);
  EXPECT_EQ(F(ev, "event.dataset"), "firewall.acme");
  EXPECT_EQ(F(ev, "source.ip"), "10.1.2.3");
  EXPECT_EQ(F(ev, "source.port"), "4455");
  EXPECT_EQ(F(ev, "destination.ip"), "198.51.100.9");
  EXPECT_EQ(F(ev, "destination.port"), "443");
  EXPECT_EQ(F(ev, "network.transport"), "TCP");
  EXPECT_EQ(F(ev, "user.name"), "alice");
  EXPECT_EQ(F(ev, "event.action"), "deny");
  EXPECT_EQ(F(ev, "event.category"), "network");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "event.type"), "denied");
  EXPECT_EQ(F(ev, "acme.verdict"), "<absent>");  // mapped captures are not kept twice
  EXPECT_EQ(ev.original, kAppLine);               // the original line is always kept
  EXPECT_EQ(F(ev, "host.name"), "gw");            // the envelope is parsed as before
  // A verdict not in `values` takes the default; the rule does not fire.
  Event other = Parse(set, "<134>Dec  7 10:00:00 gw acme[7]: LOG tcp 10.1.2.3:1 -> 10.0.0.1:2 user=x");
  EXPECT_EQ(F(other, "event.action"), "other");
  EXPECT_EQ(F(other, "event.outcome"), "<absent>");
}

TEST(DeclarativeEngine, AConversionThatFailsLeavesTheFieldOutAndSaysSo) {
  auto set = Set(R"(
parser: conv
when: {program: conv}
extract:
  - regex: 'ip=(?P<ip>\S+) port=(?P<port>\S+) n=(?P<n>\S+)'
fields:
  source.ip: {from: ip, type: ip}
  source.port: {from: port, type: port}
  conv.n: {from: n, type: int}
)");
  Event ev = Parse(set, "<13>Dec  7 10:00:00 h conv: ip=300.1.1.1 port=70000 n=-42");
  EXPECT_EQ(F(ev, "event.dataset"), "conv");
  EXPECT_EQ(F(ev, "source.ip"), "<absent>");
  EXPECT_EQ(F(ev, "source.port"), "<absent>");
  EXPECT_EQ(F(ev, "conv.n"), "-42");
  EXPECT_EQ(F(ev, "error.message"),
            "parser conv: source.ip: not an IP address: '300.1.1.1'; source.port: not a port (0 to 65535): '70000'");
}

TEST(DeclarativeEngine, KeyValueDefaultAndCustomSeparatorsUnderThePrefix) {
  auto set = Set(R"(
parser: kvapp
when: {program: kvapp}
extract:
  - regex: '^(?P<head>[^|]*)\|(?P<tail>.*)$'
  - kv: {}
    from: head
  - kv: {pair_separator: ';', value_separator: ':'}
    from: tail
fields:
  source.ip: {from: src, type: ip}
)");
  Event ev = Parse(set, R"(<13>Dec  7 10:00:00 h kvapp: src=192.0.2.1 msg="a b=c" act=block|Zone: dmz;Rule Name : 'r 1';x.y:1)");
  EXPECT_EQ(F(ev, "source.ip"), "192.0.2.1");
  EXPECT_EQ(F(ev, "kvapp.msg"), "a b=c");
  EXPECT_EQ(F(ev, "kvapp.act"), "block");
  EXPECT_EQ(F(ev, "kvapp.zone"), "<absent>");  // names are kept as written
  EXPECT_EQ(F(ev, "kvapp.Zone"), "dmz");
  EXPECT_EQ(F(ev, "kvapp.Rule_Name"), "r 1");
  EXPECT_EQ(F(ev, "kvapp.x.y"), "1");  // a log's key never reaches outside the prefix
  EXPECT_EQ(F(ev, "x.y"), "<absent>");
  EXPECT_EQ(F(ev, "kvapp.head"), "<absent>");  // a step's input is not kept
}

TEST(DeclarativeEngine, KeyWithSpacesIsReadByItsNameUnderThePrefix) {
  // "Computer name: x,File size (bytes): 12" (Symantec SEP cells): a `from` cannot hold a space,
  // so a key from the log is also found by the name it has under the prefix.
  auto set = Set(R"(
parser: cells
when: {program: cells}
extract:
  - kv: {pair_separator: ',', value_separator: ': '}
  - regex: '^(?P<drive>[A-Za-z]):'
    from: File_path
    optional: true
fields:
  host.name: Computer_name
  file.size: {from: File_size__bytes_, type: int}
  file.path: File_path
)");
  Event ev = Parse(set, R"(<13>Dec  7 10:00:00 h cells: Computer name: pc-1,File size (bytes): 12,File path: c:\x.exe,Risk: r)");
  EXPECT_EQ(F(ev, "host.name"), "pc-1");
  EXPECT_EQ(F(ev, "file.size"), "12");
  EXPECT_EQ(F(ev, "file.path"), R"(c:\x.exe)");
  EXPECT_EQ(F(ev, "cells.drive"), "c");
  EXPECT_EQ(F(ev, "cells.Risk"), "r");                   // unread keys stay under the prefix
  EXPECT_EQ(F(ev, "cells.Computer_name"), "<absent>");   // read ones are not kept twice
  EXPECT_EQ(F(ev, "cells.File_size__bytes_"), "<absent>");
  EXPECT_EQ(F(ev, "cells.File_path"), "<absent>");       // a step's input neither
  // Only a key from the log is matched that way: a name written differently is not.
  Event other = Parse(set, "<13>Dec  7 10:00:00 h cells: Computer-name: pc-2");
  EXPECT_EQ(F(other, "host.name"), "h");  // the syslog header's, not the key's
  EXPECT_EQ(F(other, "cells.Computer-name"), "pc-2");
}

TEST(DeclarativeEngine, CsvColumnsWithQuotesAndSkippedColumns) {
  auto set = Set(R"(
parser: csvapp
when: {program: csvapp}
extract:
  - csv: {columns: [time, '-', client, url, status], separator: ','}
fields:
  '@timestamp': {from: time, type: timestamp, format: '%Y/%m/%d %H:%M:%S', timezone: '+09:00'}
  source.ip: {from: client, type: ip}
  url.original: url
  http.response.status_code: {from: status, type: int}
)");
  Event ev = Parse(set, R"(<13>Dec  7 10:00:00 h csvapp: 2026/12/07 19:00:01,skip me,192.0.2.7,"http://x/?a=1,2",404)");
  EXPECT_EQ(ev.timestamp_ns, T("2026-12-07T10:00:01Z"));
  EXPECT_EQ(F(ev, "source.ip"), "192.0.2.7");
  EXPECT_EQ(F(ev, "url.original"), "http://x/?a=1,2");
  EXPECT_EQ(F(ev, "http.response.status_code"), "404");
  // Fewer columns than declared: the step does not match, the line is declined.
  ParseTrace trace;
  Event short_line = Parse(set, "<13>Dec  7 10:00:00 h csvapp: a,b", &trace);
  EXPECT_NE(trace.parser, "csvapp");
  EXPECT_EQ(F(short_line, "source.ip"), "<absent>");
}

TEST(DeclarativeEngine, ScanNamesCapturesFromTheLineAndFromTakesTheFirstWithAValue) {
  auto set = Set(R"(
parser: scanapp
when: {contains: '<rec>'}
extract:
  - scan: '<(?P<key>[A-Za-z-]+) t="\d">(?P<value>[^<]*)</'
fields:
  user.name: {from: [User-Name, Sam-Name]}
  source.ip: {from: Addr, type: ip}
  scanapp.note: {from: [Empty, Missing], default: none}
)");
  // Elements in either order; `from` reads User-Name when it has a value, else Sam-Name.
  Event a = Parse(set, R"(<rec><Addr t="3">192.0.2.9</Addr><User-Name t="1">alice</User-Name><Sam-Name t="1">CORP\alice</Sam-Name><Empty t="1"></Empty></rec>)");
  EXPECT_EQ(F(a, "event.dataset"), "scanapp");
  EXPECT_EQ(F(a, "source.ip"), "192.0.2.9");
  EXPECT_EQ(F(a, "user.name"), "alice");
  EXPECT_EQ(F(a, "scanapp.note"), "none");  // every name of `from` empty or missing: the default
  EXPECT_EQ(F(a, "scanapp.User-Name"), "<absent>");  // a capture a field reads is not kept again
  Event b = Parse(set, R"(<rec><User-Name t="1"></User-Name><Sam-Name t="1">CORP\bob</Sam-Name><Addr t="3">192.0.2.10</Addr><Extra-Attr t="0">7</Extra-Attr></rec>)");
  EXPECT_EQ(F(b, "user.name"), "CORP\\bob");
  EXPECT_EQ(F(b, "scanapp.Extra-Attr"), "7");  // names from the line stay under the prefix
  // No match at all: a required scan declines the line.
  ParseTrace trace;
  Parse(set, "<rec>nothing here</rec>", &trace);
  EXPECT_NE(trace.parser, "scanapp");
  // A scan pattern without both groups is refused where it is written.
  auto p = Problems("parser: a\nwhen: {program: x}\nextract:\n  - scan: '(?P<key>\\w+)=(\\w+)'\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("(?P<value>"), std::string::npos) << p[0].ToString();
  EXPECT_EQ(p[0].where.line, 4);
}

TEST(DeclarativeEngine, JsonEventsAndJsonInsideALine) {
  auto set = Set(R"(
parser: shipped
when: {json: true, field: {field: app.kind, equals: audit}}
fields:
  user.name: actor.name
  event.action: {from: op, type: lowercase}
---
parser: embedded
when: {program: svc, prefix: 'JSON '}
extract:
  - regex: '^JSON (?P<doc>\{.*\})$'
  - json: true
    from: doc
fields:
  source.ip: {from: client.ip, type: ip}
)");
  ParseTrace trace;
  Event j = Parse(set, R"({"app":{"kind":"audit"},"actor":{"name":"bob"},"op":"DELETE"})", &trace);
  EXPECT_EQ(trace.parser, "shipped");
  EXPECT_EQ(F(j, "user.name"), "bob");
  EXPECT_EQ(F(j, "event.action"), "delete");
  Event other = Parse(set, R"({"app":{"kind":"metrics"},"op":"x"})", &trace);
  EXPECT_EQ(F(other, "event.dataset"), "syslog.json");
  Event e = Parse(set, R"(<13>Dec  7 10:00:00 h svc: JSON {"client":{"ip":"192.0.2.44"},"path":"/a"})");
  EXPECT_EQ(F(e, "source.ip"), "192.0.2.44");
  EXPECT_EQ(F(e, "embedded.path"), "/a");
}

TEST(DeclarativeEngine, GrokPatternsCustomPatternsAndDottedCaptures) {
  auto set = Set(R"(
parser: grokapp
when: {contains: 'GROK '}
patterns:
  TICKET: 'T-%{INT}'
extract:
  - grok: 'GROK %{TIMESTAMP_ISO8601:ts} %{IPORHOST:source.address} %{USERNAME:user.name} %{TICKET:ticket} %{QS:note}'
fields:
  '@timestamp': {from: ts, type: timestamp}
)");
  Event ev = Parse(set, R"(<13>Dec  7 10:00:00 h app: GROK 2026-12-01T08:00:00+01:00 ws-7.example.org carol T-991 "hello there")");
  EXPECT_EQ(ev.timestamp_ns, T("2026-12-01T07:00:00Z"));
  EXPECT_EQ(F(ev, "source.address"), "ws-7.example.org");
  EXPECT_EQ(F(ev, "user.name"), "carol");
  EXPECT_EQ(F(ev, "grokapp.ticket"), "T-991");
  EXPECT_EQ(F(ev, "grokapp.note"), "\"hello there\"");
  declarative::GrokPattern g;
  std::string error;
  EXPECT_FALSE(declarative::ExpandGrok("%{A}", {{"A", "%{B}"}, {"B", "%{A}"}}, &g, &error));
  EXPECT_NE(error.find("deeper than 8"), std::string::npos) << error;
}

TEST(DeclarativeEngine, OptionalStepsAndADecliningStepLeaveTheEventUntouched) {
  auto set = Set(R"(
parser: strict
when: {program: sshd}
extract:
  - regex: '^Accepted (?P<method>\w+) for (?P<user>\S+)'
  - regex: 'port (?P<port>\d+)'
    optional: true
fields:
  user.name: user
)");
  // A Failed line: the first step does not match, the built-in sshd parser gives exactly what
  // it gives without declarative parsers.
  const std::string failed = "<38>Dec  7 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2";
  Event with = Parse(set, failed), without = ParseBuiltin(failed);
  EXPECT_EQ(with.fields, without.fields);
  EXPECT_EQ(F(with, "event.dataset"), "auth.sshd");
  Event ok = Parse(set, "<38>Dec  7 10:00:00 h sshd[1]: Accepted publickey for dave from 192.0.2.1");
  EXPECT_EQ(F(ok, "event.dataset"), "strict");
  EXPECT_EQ(F(ok, "user.name"), "dave");
  EXPECT_EQ(F(ok, "strict.method"), "publickey");
  EXPECT_EQ(F(ok, "strict.port"), "<absent>");
}

TEST(DeclarativeEngine, OrderFirstRunsBeforeBuiltinsAndLastOnlyAfterThem) {
  const std::string line = "<38>Dec  7 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2";
  const std::string unknown = "<13>Dec  7 10:00:00 h mystery: something happened";
  auto first = Set("parser: mine\norder: first\nwhen: {program: [sshd, mystery]}\n");
  auto last = Set("parser: mine\norder: last\nwhen: {program: [sshd, mystery]}\n");
  EXPECT_EQ(F(Parse(first, line), "event.dataset"), "mine");
  EXPECT_EQ(F(Parse(last, line), "event.dataset"), "auth.sshd");
  EXPECT_EQ(F(Parse(last, unknown), "event.dataset"), "mine");
  EXPECT_EQ(F(ParseBuiltin(unknown), "event.dataset"), "syslog.generic");
}

TEST(DeclarativeEngine, SourceNamingADatasetForcesThatParser) {
  auto set = Set("parser: forced\ndataset: app.forced\nwhen: {program: never}\n");
  ParseOptions opt;
  opt.user = std::make_shared<declarative::UserParsers>();
  opt.user->Swap(set);
  RawRecord r;
  r.received_ns = kRecv;
  r.data = "<13>Dec  7 10:00:00 h other: x";
  r.source = "app.forced";
  // `when` still has to hold: the forced parser declines a line it does not recognise.
  EXPECT_EQ(F(ParseRecord(r, opt), "event.dataset"), "syslog.generic");
  r.data = "<13>Dec  7 10:00:00 h never: x";
  EXPECT_EQ(F(ParseRecord(r, opt), "event.dataset"), "app.forced");
}

TEST(DeclarativeEngine, HostileInputIsBoundedAndCannotEscapeThePrefix) {
  auto set = Set(R"(
parser: hostile
when: {program: h}
extract:
  - regex: '(?P<a>(?:a|aa)+)+b'
    optional: true
  - kv: {}
)");
  // Nested repetition over 1 MB of 'a' (a backtracking engine never ends); RE2 is linear.
  std::string line = "<13>Dec  7 10:00:00 h h: k=\"v\" " + std::string(1 << 20, 'a');
  Event ev = Parse(set, line);
  EXPECT_EQ(F(ev, "event.dataset"), "hostile");
  EXPECT_EQ(F(ev, "hostile.a"), "<absent>");  // no 'b' anywhere
  EXPECT_TRUE(F(ev, "hostile.k") == "v") << F(ev, "hostile.k").substr(0, 40);
  // Thousands of pairs: at most kMaxCaptures fields; names from the log stay under the prefix.
  std::string many = "<13>Dec  7 10:00:00 h h: event.dataset=x kamatama.alert=1 ../etc=2";
  for (int i = 0; i < 5000; ++i) many += " k" + std::to_string(i) + "=" + std::to_string(i);
  Event m = Parse(set, many);
  size_t under_prefix = 0;
  for (const auto& [k, v] : m.fields) under_prefix += k.rfind("hostile.", 0) == 0;
  EXPECT_EQ(under_prefix, declarative::kMaxCaptures);  // "../etc" is no key
  EXPECT_EQ(F(m, "event.dataset"), "hostile");
  EXPECT_EQ(F(m, "kamatama.alert"), "<absent>");
  EXPECT_EQ(F(m, "hostile.event.dataset"), "x");
}

// ---------------------------------------------------------------- conversions

TEST(DeclarativeConvert, TimeFormats) {
  using declarative::ParseTime;
  const int64_t ref = T("2026-01-02T00:00:00Z");
  EXPECT_EQ(ParseTime("2026-12-07 10:00:00.25", "%Y-%m-%d %H:%M:%S.%f", 0, ref), T("2026-12-07T10:00:00.25Z"));
  EXPECT_EQ(ParseTime("07/Dec/2026:10:00:00 +0900", "%d/%b/%Y:%T %z", 0, ref), T("2026-12-07T01:00:00Z"));
  // No year: the reference's, or the year before when that would be more than a day ahead.
  EXPECT_EQ(ParseTime("Jan  1 23:00:00", "%b %e %H:%M:%S", 0, ref), T("2026-01-01T23:00:00Z"));
  EXPECT_EQ(ParseTime("Dec 31 23:00:00", "%b %e %H:%M:%S", 0, ref), T("2025-12-31T23:00:00Z"));
  EXPECT_EQ(ParseTime("1765101600", "epoch", 0, ref), T("2025-12-07T10:00:00Z"));
  EXPECT_EQ(ParseTime("1765101600123", "epoch_ms", 0, ref), T("2025-12-07T10:00:00.123Z"));
  EXPECT_EQ(ParseTime("2026-12-07T10:00:00Z", "rfc3339", 0, ref), T("2026-12-07T10:00:00Z"));
  EXPECT_EQ(ParseTime("2026-12-07 10:00", "%Y-%m-%d %H:%M", 9 * 3600 * kNanosPerSecond, ref),
            T("2026-12-07T01:00:00Z"));
  EXPECT_FALSE(ParseTime("2026-13-07 10:00", "%Y-%m-%d %H:%M", 0, ref));
  EXPECT_FALSE(ParseTime("2026-12-07 10:00 trailing", "%Y-%m-%d %H:%M", 0, ref));
  std::string why;
  EXPECT_FALSE(declarative::ValidTimeFormat("%Q", &why));
}

// Every MAC comes out in ECS form (RFC 7042: uppercase, '-'), whatever the device wrote; the IIS
// user agent gets its spaces back.
TEST(DeclarativeConvert, MacAndPlusSpaceTypes) {
  auto set = Set(R"(
parser: macs
when: {program: macs}
extract:
  - regex: '^(?P<a>\S+) (?P<b>\S+) ua=(?P<ua>\S+)'
fields:
  source.mac: {from: a, type: mac}
  destination.mac: {from: b, type: mac}
  user_agent.original: {from: ua, type: plus_space}
set: {event.category: network}
)");
  Event ev = Parse(set, "<134>Dec  7 10:00:00 gw macs[7]: 00:1a:2b:3c:4d:5e 0011.22aa.bbcc ua=Mozilla/5.0+(X11;+Linux)");
  EXPECT_EQ(F(ev, "source.mac"), "00-1A-2B-3C-4D-5E");
  EXPECT_EQ(F(ev, "destination.mac"), "00-11-22-AA-BB-CC");
  EXPECT_EQ(F(ev, "user_agent.original"), "Mozilla/5.0 (X11; Linux)");
  Event bad = Parse(set, "<134>Dec  7 10:00:00 gw macs[7]: 00:1a:2b:3c:4d 001A2B3C4D5E ua=-");
  EXPECT_EQ(F(bad, "source.mac"), "<absent>");  // five octets: no MAC, said in error.message
  EXPECT_NE(F(bad, "error.message").find("source.mac: not a MAC address"), std::string::npos) << F(bad, "error.message");
  EXPECT_EQ(F(bad, "destination.mac"), "00-1A-2B-3C-4D-5E");
}

TEST(Toolkit, NormalizeMacAcceptsTheCommonSpellingsAndNothingElse) {
  using toolkit::NormalizeMac;
  EXPECT_EQ(NormalizeMac("aa:bb:cc:dd:ee:ff"), "AA-BB-CC-DD-EE-FF");
  EXPECT_EQ(NormalizeMac("AA-BB-CC-DD-EE-FF"), "AA-BB-CC-DD-EE-FF");
  EXPECT_EQ(NormalizeMac("0:c:29:a:b:1"), "00-0C-29-0A-0B-01");  // ISC dhcpd leaves out leading zeros
  EXPECT_EQ(NormalizeMac("aabb.ccdd.eeff"), "AA-BB-CC-DD-EE-FF");
  EXPECT_EQ(NormalizeMac("CCF9E4A91226"), "CC-F9-E4-A9-12-26");
  for (const char* bad : {"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa:bb-cc:dd:ee:ff", "aa.bb.cc.dd.ee.ff",
                          "gg:bb:cc:dd:ee:ff", "aabb.ccdd.eef", "192.168.100.10", "aaa:bb:cc:dd:ee:ff"})
    EXPECT_EQ(NormalizeMac(bad), "") << bad;
}

// ---------------------------------------------------------------- a set swapped under load

TEST(DeclarativeSet, SwappedWhileThreadsParseEveryLineSeesOneWholeSet) {
  auto a = Set("parser: va\ndataset: version.a\nwhen: {program: app}\nset: {labels.v: a}\n");
  auto b = Set("parser: vb\ndataset: version.b\nwhen: {program: app}\nset: {labels.v: b}\n");
  ParseOptions opt;
  opt.user = std::make_shared<declarative::UserParsers>();
  opt.user->Swap(a);
  std::atomic<bool> stop{false};
  std::atomic<size_t> parsed{0}, torn{0}, late_not_b{0};
  auto worker = [&] {
    RawRecord r;
    r.received_ns = kRecv;
    r.data = "<13>Dec  7 10:00:00 h app: hello";
    auto one = [&] {
      Event ev = ParseRecord(r, opt);
      const std::string ds = F(ev, "event.dataset"), v = F(ev, "labels.v");
      if (!((ds == "version.a" && v == "a") || (ds == "version.b" && v == "b"))) ++torn;
      ++parsed;
      return ds;
    };
    while (!stop.load()) one();
    // Swap(b) happened before `stop`: every line parsed from here on sees b.
    for (int i = 0; i < 500; ++i) late_not_b += one() != "version.b";
  };
  std::thread t1(worker), t2(worker);
  for (int i = 0; i < 2000; ++i) opt.user->Swap(i % 2 ? a : b);
  opt.user->Swap(b);
  stop = true;
  t1.join();
  t2.join();
  EXPECT_GE(parsed.load(), 1000u);
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(late_not_b.load(), 0u);
}

// ---------------------------------------------------------------- FortiAuthenticator corpus

TEST(DeclarativeCorpus, FortiAuthenticatorAgreesWithWazuhAndTheBuiltinParser) {
  const std::string path = std::string(KMT_SOURCE_DIR) + "/../shared/corpus/auth/radius-fortiauthenticator/wazuh-fortiauth.ini";
  auto lines = corpus::WazuhLines(path);
  if (lines.empty()) GTEST_SKIP() << "the shared corpus is not beside the checkout: " << path;
  auto set = Set(R"(
parser: fortiauth-declarative
dataset: auth.fortiauth_declarative
when: {program: db, contains: 'subcategory="'}
extract:
  - kv: {}
fields:
  user.name: user
  event.outcome: {from: status, type: lowercase, values: {success: success, failed: failure}, default: unknown}
  event.category: {from: subcategory, type: lowercase}
)");
  ASSERT_EQ(lines.size(), 4u);
  for (const auto& [section, line] : lines) {
    Event ev = Parse(set, line), builtin = ParseBuiltin(line);
    EXPECT_EQ(F(ev, "event.dataset"), "auth.fortiauth_declarative") << line;
    EXPECT_EQ(F(ev, "user.name"), F(builtin, "user.name")) << line;
    const std::string want = section.find("Failed") != std::string::npos       ? "failure"
                             : section.find("Successful") != std::string::npos ? "success"
                                                                               : "unknown";
    EXPECT_EQ(F(ev, "event.outcome"), want) << section;
    EXPECT_NE(F(ev, "event.category"), "<absent>");
  }
}


// ---------------------------------------------------------------- shipped definitions (parsers/defs)
namespace shipped_test {

namespace fs = std::filesystem;

std::shared_ptr<const ParserSet> LoadShipped(const std::vector<std::string>& paths, declarative::LoadSummary* summary,
                                             std::vector<std::string> disabled = {}) {
  std::shared_ptr<const ParserSet> set;
  declarative::LoadOptions options;
  options.shipped = true;
  options.disabled = std::move(disabled);
  EXPECT_TRUE(declarative::LoadParserSet(paths, &set, summary, options).ok());
  return set;
}

size_t DefinitionsInFiles() {
  std::vector<Definition> defs;
  std::vector<Problem> problems;
  for (const auto& e : fs::directory_iterator(std::string(KMT_SOURCE_DIR) + "/parsers/defs")) {
    if (e.path().extension() != ".yaml") continue;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    CompileDefinitions(text.str(), e.path().string(), &defs, &problems);
  }
  EXPECT_TRUE(problems.empty());
  return defs.size();
}

}  // namespace shipped_test

TEST(ShippedDefinitions, EveryFileOfParsersDefsIsInTheBinaryAndLoads) {
  declarative::LoadSummary summary;
  auto set = shipped_test::LoadShipped(std::vector<std::string>{}, &summary);
  EXPECT_TRUE(summary.invalid.empty()) << summary.Text();
  EXPECT_EQ(set->definitions().size(), shipped_test::DefinitionsInFiles());
  EXPECT_EQ(summary.shipped, set->definitions().size());
  EXPECT_GE(summary.shipped, 25u);
  EXPECT_EQ(set->definitions().front().file.rfind("shipped:", 0), 0u);
  // A PAN-OS traffic line is parsed without any file on disk.
  Event ev = Parse(set, "<14>Dec  7 09:12:01 PA-3220 1,2026/12/07 09:12:00,012801096514,TRAFFIC,end,2049,2026/12/07 "
                        "09:12:00,192.168.15.207,198.51.100.7,192.0.2.63,198.51.100.7,allow-web,corp\\alice,,ssl,vsys1,"
                        "trust,untrust,ethernet1/2,ethernet1/1,fwd,2026/12/07 09:12:00,22751,1,55113,443,16418,443,"
                        "0x400053,tcp,allow,7734,1758,5976,36,2026/12/07 09:02:00,586,computer-and-internet-info,0,"
                        "32091112,0x0,192.168.0.0-192.168.255.255,United States,0,16,20,tcp-fin,0,0,0,0,,PA-3220,"
                        "from-policy,,,0,,0,,N/A,0,0,0,0");
  EXPECT_EQ(F(ev, "event.dataset"), "firewall.panos");
  EXPECT_EQ(F(ev, "source.ip"), "192.168.15.207");
}

TEST(ShippedDefinitions, AUserDefinitionReplacesAShippedOneAndDisableRemovesIt) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("kmt_shipped_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // The user's own "checkpoint": same name as the shipped one, its own dataset.
  std::ofstream(dir / "mine.yaml") << "parser: checkpoint\ndataset: custom.mycheckpoint\nwhen: {contains: 'product:\"VPN-1'}\n";
  const std::string line = "<134>1 2026-12-07T09:00:00Z gw CheckPoint 2450 - [action:\"Accept\"; origin:\"10.0.0.1\"; "
                           "src:\"10.1.1.1\"; dst:\"10.2.2.2\"; proto:\"6\"; s_port:\"5000\"; service:\"443\"; "
                           "product:\"VPN-1 & FireWall-1\"]";
  declarative::LoadSummary plain;
  const std::string shipped_ds = F(Parse(shipped_test::LoadShipped(std::vector<std::string>{}, &plain), line), "event.dataset");
  EXPECT_EQ(shipped_ds, "firewall.checkpoint");
  declarative::LoadSummary summary;
  auto set = shipped_test::LoadShipped({dir.string()}, &summary);
  ASSERT_EQ(summary.overridden, std::vector<std::string>{"checkpoint"});
  EXPECT_EQ(summary.shipped + 1, plain.shipped);  // the shipped checkpoint is not loaded
  EXPECT_EQ(F(Parse(set, line), "event.dataset"), "custom.mycheckpoint");
  EXPECT_NE(summary.Text().find("shipped checkpoint replaced by the user's"), std::string::npos) << summary.Text();
  // Disabled: neither the user's nor a shipped one by that name runs.
  declarative::LoadSummary off;
  auto none = shipped_test::LoadShipped({dir.string()}, &off, {"checkpoint", "panos-traffic"});
  EXPECT_EQ(off.disabled.size(), 2u);
  EXPECT_EQ(off.shipped + 2, plain.shipped);
  EXPECT_NE(F(Parse(none, line), "event.dataset"), "custom.mycheckpoint");
  EXPECT_NE(F(Parse(none, line), "event.dataset"), "firewall.checkpoint");
  fs::remove_all(dir);
}

//! The guarantee that makes loading them by default safe: every non-empty line of every file of
//! the shared corpus (logs, XML, JSON, expected outputs: 89,939 lines) gets the same dataset with
//! the shipped definitions as without them.
TEST(ShippedDefinitions, NoSharedCorpusLineChangesDataset) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(KMT_SOURCE_DIR) / ".." / "shared" / "corpus";
  if (!fs::is_directory(root)) GTEST_SKIP() << "the shared corpus is not beside the checkout";
  declarative::LoadSummary summary;
  auto set = shipped_test::LoadShipped(std::vector<std::string>{}, &summary);
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && ext != ".md" && ext != ".evtx" && ext != ".zip") files.push_back(e.path());
  }
  size_t lines = 0, changed = 0;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    for (std::string l; std::getline(in, l);) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      if (l.empty()) continue;
      ++lines;
      const std::string with = F(Parse(set, l), "event.dataset"), without = F(ParseBuiltin(l), "event.dataset");
      if (with != without && ++changed <= 5) ADD_FAILURE() << f << ": " << without << " -> " << with << ": " << l.substr(0, 200);
    }
  }
  std::printf("shipped definitions: %zu corpus lines in %zu files, %zu changed dataset\n", lines, files.size(), changed);
  EXPECT_GT(lines, 80000u);
  EXPECT_EQ(changed, 0u);
}

}  // namespace
}  // namespace kamatama
