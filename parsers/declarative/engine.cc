// parsers/declarative/engine.cc
#include "parsers/declarative/engine.h"

#include <re2/re2.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/tokenize.h"
#include "parsers/declarative/convert.h"
#include "parsers/generic/fields.h"
#include "parsers/json_event.h"
#include "parsers/toolkit.h"

namespace kamatama::declarative {

namespace {

using toolkit::sv;

//! A value a step extracted. Names from the definition (regex groups, csv columns) may be field
//! names; names that came in the log (kv keys, JSON keys) only ever live under the prefix.
struct Capture {
  std::string name;
  std::string value;
  bool from_log = false;
};

//! What a line gives, staged until every step has matched.
struct Staged {
  std::vector<Capture> captures;
  std::vector<std::pair<std::string, std::string>> out;
  std::optional<int64_t> timestamp_ns;
  std::string errors;
};

sv Message(const Event& ev) {
  const std::string* m = ev.Get(field::kMessage);
  return m ? sv(*m) : sv(ev.original);
}

//! A capture (the last of that name; a key from the log also by the name it has under the
//! prefix: "Computer name" as Computer_name), else an event field; nullptr if neither.
const std::string* Lookup(const std::vector<Capture>& caps, const Event& ev, sv name) {
  for (auto it = caps.rbegin(); it != caps.rend(); ++it) {
    if (it->name == name) return &it->value;
  }
  for (auto it = caps.rbegin(); it != caps.rend(); ++it) {
    if (it->from_log && generic::KeyNamed(it->name, name)) return &it->value;
  }
  return name == field::kOriginal ? &ev.original : ev.Get(name);
}

bool Holds(const Test& t, const std::string* value) {
  if (t.exists && *t.exists != (value != nullptr)) return false;
  if (!value) return t.exists && !*t.exists;  // absent: only `exists: false` holds
  if (!t.equals.empty()) {
    bool any = false;
    for (const std::string& e : t.equals) any = any || EqualsIgnoreCase(*value, e);
    if (!any) return false;
  }
  const sv v = sv(*value).substr(0, kMaxInputBytes);
  return !t.regex || RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *t.regex);
}

bool ProgramMatches(const Matcher& m, const Event& ev) {
  const std::string* p = ev.Get("process.name");
  if (!p) return false;
  sv name = *p;
  for (const std::string& want : m.programs) {
    if (EqualsIgnoreCase(name, want)) return true;
    if (size_t slash = name.find('/'); slash != sv::npos && EqualsIgnoreCase(name.substr(0, slash), want)) return true;
  }
  return false;
}

bool RegexStep(const Step& s, sv input, Staged* st) {
  std::vector<re2::StringPiece> sub(s.groups.size() + 1);
  if (!s.regex->Match(re2::StringPiece(input.data(), input.size()), 0, input.size(), RE2::UNANCHORED, sub.data(),
                      static_cast<int>(sub.size())))
    return false;
  for (size_t i = 0; i < s.groups.size() && st->captures.size() < kMaxCaptures; ++i) {
    if (s.groups[i].empty() || sub[i + 1].data() == nullptr) continue;
    st->captures.push_back(Capture{s.groups[i], std::string(sub[i + 1].data(), sub[i + 1].size()), false});
  }
  return true;
}

//! Strips one pair of matching quotes.
sv Unquote(sv v) {
  v = toolkit::Trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) return v.substr(1, v.size() - 2);
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') return v.substr(1, v.size() - 2);
  return v;
}

bool KvStep(const Step& s, sv input, Staged* st) {
  const size_t before = st->captures.size();
  auto add = [st](sv key, std::string value) {
    if (st->captures.size() < kMaxCaptures && !key.empty()) st->captures.push_back(Capture{std::string(key), std::move(value), true});
  };
  if (s.pair_separator == " " && s.value_separator == "=") {
    generic::ForEachKeyValue(input, add);
    return st->captures.size() > before;
  }
  size_t i = 0;
  while (i <= input.size() && st->captures.size() < kMaxCaptures) {
    size_t end = input.find(s.pair_separator, i);
    if (end == sv::npos) end = input.size();
    const sv pair = input.substr(i, end - i);
    if (size_t eq = pair.find(s.value_separator); eq != sv::npos)
      add(toolkit::Trim(pair.substr(0, eq)), std::string(Unquote(pair.substr(eq + s.value_separator.size()))));
    i = end + s.pair_separator.size();
  }
  return st->captures.size() > before;
}

bool JsonStep(sv input, Staged* st) {
  Event doc;
  if (!ParseJsonEvent(input, 0, &doc, nullptr)) return false;
  for (auto& [k, v] : doc.fields) {
    if (st->captures.size() >= kMaxCaptures) break;
    st->captures.push_back(Capture{k, std::move(v), true});
  }
  return true;
}

//! The next CSV cell at input[*i]; *i moves past its separator.
std::string Cell(sv input, size_t* i, char sep, char quote) {
  std::string cell;
  size_t j = *i;
  if (quote && j < input.size() && input[j] == quote) {
    for (++j; j < input.size(); ++j) {
      if (input[j] == quote && j + 1 < input.size() && input[j + 1] == quote) cell.push_back(input[++j]);
      else if (input[j] == quote) break;
      else cell.push_back(input[j]);
    }
    while (j < input.size() && input[j] != sep) ++j;
  } else {
    while (j < input.size() && input[j] != sep) cell.push_back(input[j++]);
  }
  *i = j + 1;
  return cell;
}

bool CsvStep(const Step& s, sv input, Staged* st) {
  size_t i = 0, col = 0;
  while (i <= input.size() && col < s.columns.size()) {
    std::string cell = Cell(input, &i, s.separator, s.quote);
    if (!s.columns[col].empty()) st->captures.push_back(Capture{s.columns[col], std::move(cell), false});
    ++col;
  }
  return col == s.columns.size();
}

//! Every non-overlapping match of the scan pattern: its `key` group names a capture, `value` fills it.
bool ScanStep(const Step& s, sv input, Staged* st) {
  std::vector<re2::StringPiece> sub(s.groups.size() + 1);
  const re2::StringPiece text(input.data(), input.size());
  bool any = false;
  for (size_t pos = 0; pos <= input.size() && st->captures.size() < kMaxCaptures;) {
    if (!s.regex->Match(text, pos, input.size(), RE2::UNANCHORED, sub.data(), static_cast<int>(sub.size()))) break;
    const re2::StringPiece& key = sub[static_cast<size_t>(s.scan_key)];
    const re2::StringPiece& value = sub[static_cast<size_t>(s.scan_value)];
    if (!key.empty() && value.data() != nullptr) {
      st->captures.push_back(Capture{std::string(key.data(), key.size()), std::string(value.data(), value.size()), true});
      any = true;
    }
    const size_t end = static_cast<size_t>(sub[0].data() - input.data()) + sub[0].size();
    pos = end > pos ? end : pos + 1;  // an empty match moves on by one byte
  }
  return any;
}

bool RunStep(const Step& s, const Event& ev, Staged* st) {
  const std::string* in = s.input.empty() ? nullptr : Lookup(st->captures, ev, s.input);
  if (!s.input.empty() && !in) return false;
  // A copy: a step adds captures, which may move the one it reads.
  const std::string input(in ? sv(*in).substr(0, kMaxInputBytes) : Message(ev).substr(0, kMaxInputBytes));
  switch (s.kind) {
    case StepKind::kRegex:
    case StepKind::kGrok: return RegexStep(s, input, st);
    case StepKind::kKv: return KvStep(s, input, st);
    case StepKind::kJson: return JsonStep(input, st);
    case StepKind::kCsv: return CsvStep(s, input, st);
    case StepKind::kScan: return ScanStep(s, input, st);
  }
  return false;
}

void AddError(Staged* st, const std::string& what) {
  if (!st->errors.empty()) st->errors += "; ";
  st->errors += what;
}

void MapField(const FieldSpec& f, const Event& ev, Staged* st) {
  const std::string* v = nullptr;
  for (const std::string& from : f.from) {
    v = Lookup(st->captures, ev, from);
    if (v && !v->empty()) break;
  }
  if (!v || v->empty()) {
    if (f.fallback) st->out.emplace_back(f.target, *f.fallback);
    return;
  }
  int64_t ns = 0;
  std::string why;
  std::optional<std::string> value = Convert(f, *v, ev.ingested_ns ? ev.ingested_ns : ev.timestamp_ns, &ns, &why);
  if (!value) {
    AddError(st, f.target + ": " + why + ": '" + SanitizeUtf8(sv(*v).substr(0, 64)) + "'");
    return;
  }
  if (!f.values.empty()) {
    const std::string key = toolkit::Lower(*value);
    const std::string* mapped = nullptr;
    for (const auto& [from, to] : f.values) {
      if (from == key) mapped = &to;
    }
    if (mapped) value = *mapped;
    else if (f.fallback) value = *f.fallback;
  }
  if (f.target == field::kTimestamp) st->timestamp_ns = ns;
  else st->out.emplace_back(f.target, std::move(*value));
}

//! The captures no `fields` entry reads: under the prefix, or as the field they name.
void KeepUnmapped(const Definition& def, Staged* st) {
  const std::string prefix = def.prefix + ".";
  for (const Capture& c : st->captures) {
    bool used = false;
    auto names = [&c](const std::string& ref) { return ref == c.name || (c.from_log && generic::KeyNamed(c.name, ref)); };
    for (const FieldSpec& f : def.fields) {
      for (const std::string& from : f.from) used = used || names(from);
    }
    for (const Step& s : def.steps) used = used || names(s.input);
    if (used) continue;
    if (!c.from_log && c.name.find('.') != std::string::npos) st->out.emplace_back(c.name, c.value);
    else if (def.keep_unmapped) {
      std::string name = generic::PrefixedName(prefix, c.name);
      if (!name.empty()) st->out.emplace_back(std::move(name), c.value);
    }
  }
}

void Commit(const Definition& def, Staged* st, Event* ev) {
  for (auto& [name, value] : st->out) ev->Set(name, value);
  if (st->timestamp_ns) ev->timestamp_ns = *st->timestamp_ns;
  ev->Set(field::kDataset, def.dataset);
  if (!st->errors.empty()) {
    const std::string* old = ev->Get(field::kErrorMessage);
    ev->Set(field::kErrorMessage, (old ? *old + "; " : std::string()) + "parser " + def.name + ": " + st->errors);
    if (def.errors) def.errors->Add();
  }
  for (const Rule& r : def.rules) {
    bool all = true;
    for (const Test& t : r.tests) all = all && Holds(t, Lookup(st->captures, *ev, t.field));
    if (!all) continue;
    for (const auto& [name, value] : r.set) ev->Set(name, value);
  }
}

}  // namespace

bool Matches(const Matcher& m, const Event& ev, bool json) {
  if (m.json != json) return false;
  if (!m.programs.empty() && !ProgramMatches(m, ev)) return false;
  const sv message = Message(ev);
  if (!m.prefix.empty() && message.substr(0, m.prefix.size()) != m.prefix) return false;
  if (!m.contains.empty() && message.find(m.contains) == sv::npos) return false;
  if (m.regex) {
    const sv v = message.substr(0, kMaxInputBytes);
    if (!RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *m.regex)) return false;
  }
  for (const Test& t : m.fields) {
    if (!Holds(t, Lookup({}, ev, t.field))) return false;
  }
  return true;
}

bool Apply(const Definition& def, Event* ev, bool json) {
  if (!Matches(def.when, *ev, json)) return false;
  Staged st;
  for (const Step& s : def.steps) {
    if (!RunStep(s, *ev, &st) && !s.optional) return false;
  }
  KeepUnmapped(def, &st);
  for (const FieldSpec& f : def.fields) MapField(f, *ev, &st);
  for (const auto& [name, value] : def.constants) st.out.emplace_back(name, value);
  Commit(def, &st, ev);
  return true;
}

}  // namespace kamatama::declarative
