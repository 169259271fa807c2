// parsers/declarative/loader.cc
//! YAML to Definition. Each Read* function reads one key of the format (docs/parsers.md) and
//! throws a LoadError carrying the node's position; CompileDefinitions catches it per document.
#include "parsers/declarative/loader.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <set>

#include "parsers/declarative/convert.h"
#include "parsers/declarative/grok.h"
#include "parsers/toolkit.h"

namespace kamatama::declarative {

namespace {

using toolkit::Lower;

struct LoadError {
  Where where;
  std::string message;
};

constexpr size_t kMaxNameBytes = 128;

Where At(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() ? Where{} : Where{m.line + 1, m.column + 1};
}

[[noreturn]] void Fail(const YAML::Node& n, std::string message) { throw LoadError{At(n), std::move(message)}; }

void Keys(const YAML::Node& n, const std::string& where, std::initializer_list<const char*> allowed) {
  if (!n.IsMap()) Fail(n, where + ": must be a mapping");
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) Fail(kv.first, where + ": unknown key '" + k + "'");
  }
}

std::string Scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) Fail(n, key + ": must be a string");
  return n.Scalar();
}

bool Bool(const YAML::Node& n, const std::string& key) {
  const std::string v = n.IsScalar() ? n.Scalar() : "";
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  Fail(n, key + ": must be true or false");
}

std::vector<std::string> StringList(const YAML::Node& n, const std::string& key) {
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence() || n.size() == 0) Fail(n, key + ": must be a string or a list of strings");
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(Scalar(item, key));
  return out;
}

//! Parser names and datasets: lowercase letters, digits, '_', '-', '.'.
std::string Name(const YAML::Node& n, const std::string& key) {
  const std::string v = Scalar(n, key);
  bool ok = !v.empty() && v.size() <= kMaxNameBytes && v.front() != '.' && v.back() != '.';
  for (char c : v) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.');
  if (!ok) Fail(n, key + ": '" + v + "' must be lowercase letters, digits, '_', '-' and inner '.'");
  if (v.rfind("kamatama", 0) == 0 || v.rfind("reserved", 0) == 0) Fail(n, key + ": kamatama.* and reserved.* are kamatama's own");
  return v;
}

//! A field name a definition writes: [A-Za-z0-9_@-] segments joined by single dots.
std::string FieldName(const YAML::Node& n, const std::string& key, const std::string& v) {
  bool ok = !v.empty() && v.size() <= kMaxNameBytes && v.front() != '.' && v.back() != '.' &&
            v.find("..") == std::string::npos;
  for (char c : v) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                c == '.' || c == '@');
  }
  if (!ok) Fail(n, key + ": '" + v + "' is not a field name (letters, digits, '_', '-', '@', inner single dots)");
  return v;
}

//! A field the definition sets: not one kamatama keeps for itself.
std::string Target(const YAML::Node& n, const std::string& key, const std::string& v) {
  FieldName(n, key, v);
  static const std::set<std::string> kReserved = {"event.original", "event.ingested", "event.dataset", "tags",
                                                  "observer.ip"};
  if (kReserved.count(v) || v.rfind("kamatama.", 0) == 0)
    Fail(n, key + ": '" + v + "' is set by kamatama (the dataset is the `dataset` key)");
  return v;
}

std::shared_ptr<const re2::RE2> Regex(const YAML::Node& n, const std::string& key, const std::string& text) {
  RE2::Options opt;
  opt.set_max_mem(kRegexMaxMem);
  opt.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(text, opt);
  if (!re->ok()) Fail(n, key + ": " + re->error());
  return re;
}

Test ReadTest(const YAML::Node& n, const std::string& key) {
  Keys(n, key, {"field", "equals", "regex", "exists"});
  Test t;
  if (!n["field"]) Fail(n, key + ": needs `field`");
  t.field = FieldName(n["field"], key + ".field", Scalar(n["field"], key + ".field"));
  if (n["equals"]) t.equals = StringList(n["equals"], key + ".equals");
  if (n["regex"]) t.regex = Regex(n["regex"], key + ".regex", Scalar(n["regex"], key + ".regex"));
  if (n["exists"]) t.exists = Bool(n["exists"], key + ".exists");
  if (t.equals.empty() && !t.regex && !t.exists) Fail(n, key + ": needs `equals`, `regex` or `exists`");
  return t;
}

std::vector<Test> ReadTests(const YAML::Node& n, const std::string& key) {
  std::vector<Test> out;
  if (n.IsSequence()) {
    for (const auto& t : n) out.push_back(ReadTest(t, key));
  } else {
    out.push_back(ReadTest(n, key));
  }
  return out;
}

Matcher ReadWhen(const YAML::Node& n) {
  Keys(n, "when", {"program", "prefix", "contains", "regex", "field", "json"});
  Matcher m;
  if (n["program"]) {
    for (const std::string& p : StringList(n["program"], "when.program")) m.programs.push_back(Lower(p));
  }
  if (n["prefix"]) m.prefix = Scalar(n["prefix"], "when.prefix");
  if (n["contains"]) m.contains = Scalar(n["contains"], "when.contains");
  if (n["regex"]) m.regex = Regex(n["regex"], "when.regex", Scalar(n["regex"], "when.regex"));
  if (n["field"]) m.fields = ReadTests(n["field"], "when.field");
  if (n["json"]) m.json = Bool(n["json"], "when.json");
  if (m.programs.empty() && m.prefix.empty() && m.contains.empty() && !m.regex && m.fields.empty())
    Fail(n, "when: needs at least one of program, prefix, contains, regex, field");
  return m;
}

//! The capture names of a compiled pattern's groups; grok's g<N> become their fields.
std::vector<std::string> GroupNames(const re2::RE2& re, const std::vector<std::string>* grok_fields) {
  std::vector<std::string> groups(static_cast<size_t>(re.NumberOfCapturingGroups()));
  for (const auto& [name, index] : re.NamedCapturingGroups()) {
    std::string field = name;
    if (grok_fields && name.size() > 1 && name[0] == 'g' && toolkit::IsDigits(std::string_view(name).substr(1))) {
      const size_t k = std::stoul(name.substr(1));
      if (k < grok_fields->size()) field = (*grok_fields)[k];
    }
    groups[static_cast<size_t>(index - 1)] = field;
  }
  return groups;
}

char OneByte(const YAML::Node& n, const std::string& key, bool may_be_empty) {
  const std::string v = Scalar(n, key);
  if (v.empty() && may_be_empty) return '\0';
  if (v == "\\t" || v == "tab") return '\t';
  if (v.size() != 1) Fail(n, key + ": must be one character");
  return v[0];
}

void ReadKv(const YAML::Node& n, Step* s) {
  if (!n.IsMap()) {
    if (!n.IsNull() && !(n.IsScalar() && Bool(n, "kv"))) Fail(n, "kv: must be true or a mapping");
    return;
  }
  Keys(n, "kv", {"pair_separator", "value_separator"});
  if (n["pair_separator"]) s->pair_separator = Scalar(n["pair_separator"], "kv.pair_separator");
  if (n["value_separator"]) s->value_separator = Scalar(n["value_separator"], "kv.value_separator");
  if (s->pair_separator.empty() || s->value_separator.empty()) Fail(n, "kv: separators must not be empty");
}

void ReadCsv(const YAML::Node& n, Step* s) {
  Keys(n, "csv", {"columns", "separator", "quote"});
  if (!n["columns"]) Fail(n, "csv: needs `columns`");
  for (const std::string& c : StringList(n["columns"], "csv.columns")) {
    s->columns.push_back(c == "-" || c.empty() ? std::string() : FieldName(n["columns"], "csv.columns", c));
  }
  if (n["separator"]) s->separator = OneByte(n["separator"], "csv.separator", false);
  if (n["quote"]) s->quote = OneByte(n["quote"], "csv.quote", true);
}

//! scan: a regex with the groups `key` and `value`, matched as many times as it can.
void ReadScan(const YAML::Node& n, Step* s) {
  s->regex = Regex(n, "scan", Scalar(n, "scan"));
  const auto& named = s->regex->NamedCapturingGroups();
  const auto key = named.find("key"), value = named.find("value");
  if (key == named.end() || value == named.end()) Fail(n, "scan: needs the groups (?P<key>...) and (?P<value>...)");
  s->scan_key = key->second, s->scan_value = value->second;
  s->groups.assign(static_cast<size_t>(s->regex->NumberOfCapturingGroups()), std::string());
}

Step ReadStep(const YAML::Node& n, const std::map<std::string, std::string>& patterns) {
  Keys(n, "extract[]", {"regex", "grok", "kv", "json", "csv", "scan", "from", "optional"});
  Step s;
  s.where = At(n);
  int kinds = 0;
  if (n["regex"]) {
    s.kind = StepKind::kRegex, ++kinds;
    s.regex = Regex(n["regex"], "regex", Scalar(n["regex"], "regex"));
    s.groups = GroupNames(*s.regex, nullptr);
  }
  if (n["grok"]) {
    s.kind = StepKind::kGrok, ++kinds;
    GrokPattern g;
    std::string error;
    if (!ExpandGrok(Scalar(n["grok"], "grok"), patterns, &g, &error)) Fail(n["grok"], "grok: " + error);
    for (const std::string& f : g.fields) FieldName(n["grok"], "grok", f);
    s.regex = Regex(n["grok"], "grok", g.regex);
    s.groups = GroupNames(*s.regex, &g.fields);
  }
  if (n["kv"]) s.kind = StepKind::kKv, ++kinds, ReadKv(n["kv"], &s);
  if (n["json"]) {
    s.kind = StepKind::kJson, ++kinds;
    if (!n["json"].IsNull() && !(n["json"].IsMap() && n["json"].size() == 0) && !Bool(n["json"], "json"))
      Fail(n["json"], "json: must be true");
  }
  if (n["csv"]) s.kind = StepKind::kCsv, ++kinds, ReadCsv(n["csv"], &s);
  if (n["scan"]) s.kind = StepKind::kScan, ++kinds, ReadScan(n["scan"], &s);
  if (kinds != 1) Fail(n, "extract[]: each step is exactly one of regex, grok, kv, json, csv, scan");
  if (n["from"]) s.input = FieldName(n["from"], "from", Scalar(n["from"], "from"));
  if (n["optional"]) s.optional = Bool(n["optional"], "optional");
  return s;
}

std::vector<Step> ReadSteps(const YAML::Node& n, const std::map<std::string, std::string>& patterns) {
  if (!n.IsSequence()) Fail(n, "extract: must be a list of steps");
  if (n.size() > kMaxSteps) Fail(n, "extract: at most 16 steps");
  std::vector<Step> out;
  for (const auto& s : n) out.push_back(ReadStep(s, patterns));
  return out;
}

std::vector<std::pair<std::string, std::string>> ReadValues(const YAML::Node& n, const std::string& key) {
  if (!n.IsMap()) Fail(n, key + ": must be a mapping of values to values");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : n) out.emplace_back(Lower(Scalar(kv.first, key)), Scalar(kv.second, key));
  return out;
}

void ReadType(const YAML::Node& n, const std::string& key, FieldSpec* f) {
  auto type = TypeFromName(Scalar(n["type"], key + ".type"));
  if (!type) Fail(n["type"], key + ".type: must be one of string, int, port, ip, mac, timestamp, lowercase, uppercase, plus_space");
  f->type = *type;
  if (n["format"]) f->formats = StringList(n["format"], key + ".format");
  if (n["timezone"]) {
    auto z = ParseZoneOffset(Scalar(n["timezone"], key + ".timezone"));
    if (!z) Fail(n["timezone"], key + ".timezone: must be UTC or an offset like +09:00");
    f->offset_ns = *z;
  }
  if (f->type != Type::kTimestamp && (n["format"] || n["timezone"]))
    Fail(n, key + ": format and timezone are for type timestamp");
  if (f->type == Type::kTimestamp && f->formats.empty()) f->formats = {"rfc3339"};
  for (const std::string& fmt : f->formats) {
    std::string why;
    if (!ValidTimeFormat(fmt, &why)) Fail(n["format"], key + ".format: " + why);
  }
}

FieldSpec ReadField(const YAML::Node& name, const YAML::Node& n) {
  FieldSpec f;
  const std::string key = "fields." + name.Scalar();
  f.target = Target(name, "fields", name.Scalar());
  f.where = At(name);
  if (n.IsScalar() || n.IsSequence()) {  // `field: capture` or `field: [capture, capture]`
    for (const std::string& from : StringList(n, key)) f.from.push_back(FieldName(n, key, from));
  } else {
    Keys(n, key, {"from", "type", "format", "timezone", "values", "default"});
    if (!n["from"]) Fail(n, key + ": needs `from` (a capture or field, or a list of them)");
    for (const std::string& from : StringList(n["from"], key + ".from")) f.from.push_back(FieldName(n["from"], key + ".from", from));
    if (n["type"]) ReadType(n, key, &f);
    if (n["values"]) f.values = ReadValues(n["values"], key + ".values");
    if (n["default"]) f.fallback = Scalar(n["default"], key + ".default");
  }
  if (f.target == "@timestamp" && f.type != Type::kTimestamp) Fail(name, key + ": needs type: timestamp");
  return f;
}

std::vector<FieldSpec> ReadFields(const YAML::Node& n) {
  if (!n.IsMap()) Fail(n, "fields: must be a mapping of field names to captures");
  std::vector<FieldSpec> out;
  for (const auto& kv : n) out.push_back(ReadField(kv.first, kv.second));
  return out;
}

std::vector<std::pair<std::string, std::string>> ReadConstants(const YAML::Node& n, const std::string& key) {
  if (!n.IsMap()) Fail(n, key + ": must be a mapping of field names to values");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : n) {
    const std::string name = Target(kv.first, key, kv.first.Scalar());
    if (name == "@timestamp") Fail(kv.first, key + ": @timestamp comes from a field of type timestamp");
    out.emplace_back(name, Scalar(kv.second, key + "." + name));
  }
  return out;
}

std::vector<Rule> ReadRules(const YAML::Node& n) {
  if (!n.IsSequence()) Fail(n, "rules: must be a list of {if, set}");
  std::vector<Rule> out;
  for (const auto& r : n) {
    Keys(r, "rules[]", {"if", "set"});
    if (!r["if"] || !r["set"]) Fail(r, "rules[]: needs `if` and `set`");
    out.push_back(Rule{ReadTests(r["if"], "rules[].if"), ReadConstants(r["set"], "rules[].set")});
  }
  return out;
}

std::vector<Example> ReadExamples(const YAML::Node& n) {
  if (!n.IsSequence()) Fail(n, "examples: must be a list of {line, expect}");
  std::vector<Example> out;
  for (const auto& e : n) {
    Keys(e, "examples[]", {"line", "expect"});
    if (!e["line"]) Fail(e, "examples[]: needs `line`");
    Example x{Scalar(e["line"], "examples[].line"), {}, At(e)};
    if (auto ex = e["expect"]) {
      if (!ex.IsMap()) Fail(ex, "examples[].expect: must be a mapping of fields to values");
      for (const auto& kv : ex) {
        std::optional<std::string> v;
        if (!kv.second.IsNull()) v = Scalar(kv.second, "examples[].expect");
        x.expect.emplace_back(kv.first.Scalar(), std::move(v));
      }
    }
    out.push_back(std::move(x));
  }
  return out;
}

std::map<std::string, std::string> ReadPatterns(const YAML::Node& n) {
  std::map<std::string, std::string> out;
  if (!n) return out;
  if (!n.IsMap()) Fail(n, "patterns: must be a mapping of NAME to grok pattern");
  for (const auto& kv : n) out[Scalar(kv.first, "patterns")] = Scalar(kv.second, "patterns");
  return out;
}

Order ReadOrder(const YAML::Node& n) {
  const std::string v = Scalar(n, "order");
  if (v == "first") return Order::kFirst;
  if (v == "last") return Order::kLast;
  Fail(n, "order: must be first (before the built-in parsers) or last (when none of them took the line)");
}

Definition ReadDefinition(const YAML::Node& doc, const std::string& file) {
  if (!doc.IsMap()) Fail(doc, "a parser definition must be a mapping");
  Keys(doc, "definition", {"parser", "dataset", "description", "order", "when", "extract", "fields", "set", "rules",
                           "prefix", "keep_unmapped", "patterns", "examples"});
  Definition d;
  d.file = file;
  d.where = At(doc);
  if (!doc["parser"]) Fail(doc, "needs `parser` (its name)");
  d.name = Name(doc["parser"], "parser");
  d.dataset = doc["dataset"] ? Name(doc["dataset"], "dataset") : d.name;
  if (doc["description"]) d.description = Scalar(doc["description"], "description");
  if (doc["order"]) d.order = ReadOrder(doc["order"]);
  d.prefix = doc["prefix"] ? Target(doc["prefix"], "prefix", Scalar(doc["prefix"], "prefix")) : d.name;
  if (doc["keep_unmapped"]) d.keep_unmapped = Bool(doc["keep_unmapped"], "keep_unmapped");
  if (!doc["when"]) Fail(doc, "needs `when` (how its lines are recognised)");
  d.when = ReadWhen(doc["when"]);
  if (doc["extract"]) d.steps = ReadSteps(doc["extract"], ReadPatterns(doc["patterns"]));
  if (doc["fields"]) d.fields = ReadFields(doc["fields"]);
  if (doc["set"]) d.constants = ReadConstants(doc["set"], "set");
  if (doc["rules"]) d.rules = ReadRules(doc["rules"]);
  if (doc["examples"]) d.examples = ReadExamples(doc["examples"]);
  return d;
}

}  // namespace

std::string Problem::ToString() const {
  std::string out = file;
  if (where.line > 0) out += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
  return out + ": " + message;
}

void CompileDefinitions(std::string_view text, const std::string& file, std::vector<Definition>* defs,
                        std::vector<Problem>* problems) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::ParserException& e) {
    problems->push_back(Problem{file, Where{e.mark.line + 1, e.mark.column + 1}, "YAML: " + e.msg});
    return;
  } catch (const YAML::Exception& e) {
    problems->push_back(Problem{file, {}, std::string("YAML: ") + e.what()});
    return;
  }
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;  // an empty document (a trailing ---)
    try {
      defs->push_back(ReadDefinition(doc, file));
    } catch (const LoadError& e) {
      problems->push_back(Problem{file, e.where, e.message});
    } catch (const YAML::Exception& e) {
      problems->push_back(Problem{file, Where{e.mark.line + 1, e.mark.column + 1}, e.msg});
    }
  }
}

}  // namespace kamatama::declarative
