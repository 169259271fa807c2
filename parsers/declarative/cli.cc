// parsers/declarative/cli.cc
#include "parsers/declarative/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/raw_record.h"
#include "core/time.h"
#include "parsers/declarative/builder.h"
#include "parsers/parse.h"

namespace kamatama::declarative {

namespace {

struct ParsersArgs {
  CLI::App* group = nullptr;
  CLI::App* check = nullptr;
  CLI::App* test = nullptr;
  bool json = false;
  std::string expect;
  std::vector<std::string> paths;
};

ParsersArgs& Args() {
  static ParsersArgs args;
  return args;
}

//! What one line must give: fields (nullopt: absent) and, if set, the parser.
struct Expectation {
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
  std::optional<std::string> parser;
};

//! Counts for the closing line.
struct Tally {
  size_t examples = 0, examples_failed = 0, lines = 0, declarative = 0, builtin = 0, mismatched = 0;
};

bool IsDefinitionPath(const std::string& p) {
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return true;
  const std::string ext = std::filesystem::path(p).extension().string();
  return ext == ".yaml" || ext == ".yml";
}

std::vector<std::string> Compare(const Event& ev, const ParseTrace& trace, const Expectation& want) {
  std::vector<std::string> out;
  if (want.parser && *want.parser != trace.parser)
    out.push_back(fmt::format("parser: expected {}, got {}", *want.parser, trace.parser.empty() ? "none" : trace.parser));
  for (std::string& m : FieldMismatches(ev, want.fields)) out.push_back(std::move(m));
  return out;
}

//! --expect: one JSON object per line.
bool ReadExpectations(const std::string& path, std::vector<Expectation>* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return *error = "cannot open " + path, false;
  simdjson::dom::parser parser;
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    simdjson::dom::object obj;
    if (parser.parse(line).get(obj)) return *error = fmt::format("{}:{}: not a JSON object", path, n), false;
    Expectation e;
    for (auto [key, value] : obj) {
      std::optional<std::string> v;
      if (value.is_string()) v = std::string(std::string_view(value.get_string().value()));
      else if (!value.is_null()) v = simdjson::minify(value);
      if (key == "parser") e.parser = v.value_or("");
      else e.fields.emplace_back(std::string(key), std::move(v));
    }
    out->push_back(std::move(e));
  }
  return true;
}

void PrintEvent(const Event& ev, std::string* out) {
  *out += fmt::format("  @timestamp: {}\n", FormatRfc3339(ev.timestamp_ns));
  for (const auto& [k, v] : ev.fields) {
    if (k != field::kMessage) *out += fmt::format("  {}: {}\n", k, SanitizeUtf8(v));
  }
}

void PrintJsonLine(const std::string& where, const Event* ev, const ParseTrace& trace,
                   const std::vector<std::string>& mismatches, std::string* out) {
  *out += "{\"where\":";
  AppendJsonString(out, where);
  *out += ",\"parser\":";
  AppendJsonString(out, trace.parser);
  *out += fmt::format(",\"declarative\":{},\"ok\":{}", trace.declarative, mismatches.empty());
  if (ev) {
    *out += ",\"event\":";
    AppendEventJson(*ev, out);
  }
  *out += ",\"mismatches\":[";
  for (size_t i = 0; i < mismatches.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString(out, mismatches[i]);
  }
  *out += "]}\n";
}

//! Parses one line as the server would.
Event ParseLine(const std::string& line, const ParseOptions& opt, ParseTrace* trace) {
  RawRecord r;
  r.received_ns = NowNanos();
  r.data = line;
  *trace = ParseTrace{};
  return ParseRecord(r, opt, trace);
}

void RunExamples(const ParserSet& set, const ParseOptions& opt, bool json, Tally* t, std::string* out) {
  for (const Definition& d : set.definitions()) {
    for (const Example& x : d.examples) {
      ParseTrace trace;
      Event ev = ParseLine(x.line, opt, &trace);
      Expectation want{x.expect, d.name};
      std::vector<std::string> bad = Compare(ev, trace, want);
      const std::string where = fmt::format("{}:{}:{}", d.file, x.where.line, x.where.column);
      ++t->examples;
      if (!bad.empty()) ++t->examples_failed;
      if (json) PrintJsonLine("example " + where, &ev, trace, bad, out);
      else *out += fmt::format("example {}: {}{}\n", where, bad.empty() ? "ok" : "FAILED: ", fmt::join(bad, "; "));
    }
  }
}

void RunSample(const std::string& file, const ParseOptions& opt, bool json, const std::vector<Expectation>* want,
               Tally* t, std::string* out) {
  std::ifstream in(file, std::ios::binary);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    ParseTrace trace;
    Event ev = ParseLine(line, opt, &trace);
    std::vector<std::string> bad;
    if (want && t->lines < want->size()) bad = Compare(ev, trace, (*want)[t->lines]);
    else if (want) bad.push_back("no expected object for this line");
    ++t->lines;
    if (!trace.parser.empty()) ++(trace.declarative ? t->declarative : t->builtin);
    if (!bad.empty()) ++t->mismatched;
    const std::string where = fmt::format("{}:{}", file, n);
    if (json) {
      PrintJsonLine(where, &ev, trace, bad, out);
      continue;
    }
    const std::string* ds = ev.Get(field::kDataset);
    *out += fmt::format("{}: {} ({})\n", where, trace.parser.empty() ? "no parser" : trace.parser, ds ? *ds : "");
    PrintEvent(ev, out);
    for (const std::string& b : bad) *out += "  MISMATCH " + b + "\n";
  }
}

int Check(const ParsersArgs& a) {
  std::shared_ptr<const ParserSet> set;
  LoadSummary summary;
  Status s = LoadParserSet(a.paths, &set, &summary);
  const std::string out = a.json ? summary.Json() + "\n" : summary.Text();
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!s.ok()) fmt::print(stderr, "kamatama: {}\n", s.ToString());
  return s.ok() && summary.invalid.empty() ? 0 : 1;
}

int TestCommand(const ParsersArgs& a) {
  std::vector<std::string> defs, samples;
  for (const std::string& p : a.paths) (IsDefinitionPath(p) ? defs : samples).push_back(p);
  std::vector<Expectation> want;
  std::string error;
  if (!a.expect.empty() && !ReadExpectations(a.expect, &want, &error)) {
    fmt::print(stderr, "kamatama: {}\n", error);
    return 2;
  }
  std::shared_ptr<const ParserSet> set;
  LoadSummary summary;
  Status s = LoadParserSet(defs, &set, &summary);
  for (const Problem& p : summary.invalid) fmt::print(stderr, "invalid: {}\n", p.ToString());
  ParseOptions opt;
  opt.user = std::make_shared<UserParsers>();
  opt.user->Swap(set);
  Tally t;
  std::string out;
  RunExamples(*set, opt, a.json, &t, &out);
  for (const std::string& f : samples) RunSample(f, opt, a.json, a.expect.empty() ? nullptr : &want, &t, &out);
  if (!a.expect.empty() && want.size() > t.lines) ++t.mismatched;  // expectations left over
  std::fwrite(out.data(), 1, out.size(), stdout);
  fmt::print(a.json ? stderr : stdout,
             "{} parser(s) loaded, {} invalid; {} example(s), {} failed; {} sample line(s): {} by declarative "
             "parsers, {} by built-in ones, {} by none; {} mismatch(es)\n",
             summary.loaded.size(), summary.invalid.size(), t.examples, t.examples_failed, t.lines, t.declarative,
             t.builtin, t.lines - t.declarative - t.builtin, t.mismatched);
  if (!s.ok()) fmt::print(stderr, "kamatama: {}\n", s.ToString());
  return s.ok() && summary.invalid.empty() && t.examples_failed == 0 && t.mismatched == 0 ? 0 : 1;
}

}  // namespace

void AddParsersCommands(CLI::App* app) {
  ParsersArgs& a = Args();
  a.group = app->add_subcommand("parsers", "declarative parsers (docs/parsers.md)");
  a.group->require_subcommand(1);
  a.check = a.group->add_subcommand("check", "load parser definitions and report each invalid one");
  a.check->add_flag("--json", a.json, "print one JSON object {loaded, invalid, parsers, problems}");
  a.check->add_option("paths", a.paths, "definition directories or files")->required();
  a.test = a.group->add_subcommand("test", "run definitions' examples and parse sample logs with them");
  a.test->add_flag("--json", a.json, "print one JSON object per example and sample line");
  a.test->add_option("--expect", a.expect, "NDJSON: the fields each sample line must give, in order");
  a.test->add_option("paths", a.paths, "definitions (.yaml, .yml, directories) and sample logs")->required();
}

int RunParsersCommand(const CLI::App&) {
  ParsersArgs& a = Args();
  if (!a.group || !a.group->parsed()) return -1;
  return a.check->parsed() ? Check(a) : TestCommand(a);
}

}  // namespace kamatama::declarative
