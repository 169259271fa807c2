// parsers/declarative/builder.cc
#include "parsers/declarative/builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "core/json.h"
#include "core/time.h"
#include "parsers/declarative/parser_set.h"
#include "parsers/parse.h"
#include "parsers/syslog.h"
#include "parsers/toolkit.h"

namespace kamatama::declarative {

namespace {

using sv = std::string_view;

//! Tokens of a shape or a proposed pattern: more are summarised as the rest of the line.
constexpr size_t kMaxTokens = 24;
//! Cells of a proposed CSV step.
constexpr size_t kMaxColumns = 40;

std::vector<sv> SplitSpaces(sv s) {
  std::vector<sv> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsHexId(sv t) {
  if (t.size() < 8) return false;
  bool digit = false;
  for (char c : t) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    digit = digit || std::isdigit(static_cast<unsigned char>(c));
  }
  return digit;
}

bool IsPrintable(sv t) {
  return std::all_of(t.begin(), t.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

//! Punctuation around a token's core: "[203.0.113.5]," is '[' + core + "],".
struct Wrapped {
  sv pre, core, post;
};
Wrapped Unwrap(sv t) {
  const sv punct = "[](){}<>,;'\"";
  size_t a = 0, b = t.size();
  while (a < b && punct.find(t[a]) != sv::npos) ++a;
  while (b > a && (punct.find(t[b - 1]) != sv::npos || t[b - 1] == '.' || t[b - 1] == ':')) --b;
  return {t.substr(0, a), t.substr(a, b - a), t.substr(b)};
}

//! "ip:port" or "ip/port" (IPv4 only: an IPv6 address has colons of its own).
bool SplitIpPort(sv t, sv* ip, sv* port) {
  size_t cut = t.find_last_of(":/");
  if (cut == sv::npos) return false;
  *ip = t.substr(0, cut);
  *port = t.substr(cut + 1);
  return toolkit::IsIPv4(*ip) && toolkit::IsPort(*port);
}

std::string ShapeOf(sv t) {
  if (size_t eq = t.find('='); eq != sv::npos && eq > 0 && t.find_first_of("\"'[(<") > eq) return std::string(t.substr(0, eq + 1)) + "<V>";
  if (size_t close = t.find("]:"); t.starts_with("[") && close != sv::npos && toolkit::IsIp(t.substr(1, close - 1)) &&
                                     toolkit::IsPort(t.substr(close + 2)))
    return "[<IP>]:<N>";
  Wrapped w = Unwrap(t);
  sv ip, port;
  std::string core;
  if (toolkit::IsIp(w.core)) core = "<IP>";
  else if (SplitIpPort(w.core, &ip, &port)) core = "<IP>:<N>";
  else if (toolkit::IsDigits(w.core) && !w.core.empty()) core = "<N>";
  else if (IsHexId(w.core)) core = "<HEX>";
  else if (!w.pre.empty() && (w.pre.back() == '"' || w.pre.back() == '\'')) core = "<Q>";
  else core = std::string(w.core);
  return std::string(w.pre) + core + std::string(w.post);
}

//! ' doubled: the body of a YAML single-quoted scalar.
std::string YamlQuote(sv s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out.push_back(c);
  }
  return out + "'";
}

//! An RE2 literal for `s` (every byte other than a letter, digit or space escaped).
std::string RegexLiteral(sv s) {
  std::string out;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && static_cast<unsigned char>(c) < 0x80) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string NameOf(sv program) {
  std::string out;
  for (char c : program) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') out.push_back(c);
    if (out.size() >= 40) break;
  }
  while (!out.empty() && !std::isalpha(static_cast<unsigned char>(out.front()))) out.erase(out.begin());
  return out.empty() ? "device" : out;
}

//! ECS names for the well-known keys of key=value lines (as the built-in fallback reads them).
const std::map<std::string, std::string>& KvEcs() {
  static const std::map<std::string, std::string> m = {
      {"src", "source.ip"},          {"srcip", "source.ip"},          {"src_ip", "source.ip"},
      {"sip", "source.ip"},          {"dst", "destination.ip"},       {"dstip", "destination.ip"},
      {"dst_ip", "destination.ip"},  {"dip", "destination.ip"},       {"sport", "source.port"},
      {"srcport", "source.port"},    {"src_port", "source.port"},     {"spt", "source.port"},
      {"dport", "destination.port"}, {"dstport", "destination.port"}, {"dst_port", "destination.port"},
      {"dpt", "destination.port"},   {"user", "user.name"},           {"username", "user.name"},
      {"usr", "user.name"},          {"suser", "user.name"},          {"action", "event.action"},
      {"act", "event.action"},       {"proto", "network.transport"},  {"protocol", "network.transport"}};
  return m;
}

//! The parts of a proposal before the YAML is written.
struct Proposal {
  std::string name, program, when, steps, fields;
};

//! JSON inside a syslog message: a json step reads it.
bool ProposeJson(sv m, Proposal* p) {
  if (m.empty() || m.front() != '{') return false;
  p->when += "  prefix: '{'\n";
  p->steps = "  - json: true\n";
  return true;
}

//! A bare JSON line is a JSON event (not a text line): a `json: true` definition recognises it by
//! one of its fields.
bool ProposeJsonEvent(sv line, Proposal* p) {
  if (line.find_first_not_of(" \t") == sv::npos || line[line.find_first_not_of(" \t")] != '{') return false;
  RawRecord r;
  r.data = std::string(line);
  const Event ev = ParseRecord(r, ParseOptions{});
  for (const auto& [k, v] : ev.fields) {
    if (k.starts_with("event.") || k.starts_with("log.") || k == field::kMessage || k.starts_with("observer.")) continue;
    p->when = fmt::format("  json: true\n  field: {{field: {}, exists: true}}\n", YamlQuote(k));
    p->steps = "";
    return true;
  }
  return false;
}

bool ProposeKv(sv m, Proposal* p) {
  std::vector<std::string> keys;
  for (sv t : SplitSpaces(m)) {
    size_t eq = t.find('=');
    if (eq == 0 || eq == sv::npos) continue;
    sv key = t.substr(0, eq);
    if (std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }))
      keys.emplace_back(key);
  }
  if (keys.size() < 3) return false;
  p->when += fmt::format("  contains: {}\n", YamlQuote(keys.front() + "="));
  p->steps = "  # the text before the first key=value pair, then the pairs\n"
             "  - regex: '^(?P<head>.*?) ?(?P<pairs>[A-Za-z_][A-Za-z0-9_.-]*=.*)$'\n"
             "  - kv: {}\n    from: pairs\n";
  for (const std::string& k : keys) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = KvEcs().find(lower);
    if (it == KvEcs().end() || p->fields.find("  " + it->second + ":") != std::string::npos) continue;
    const char* type = it->second.ends_with(".ip")     ? "ip"
                       : it->second.ends_with(".port") ? "port"
                       : it->second == "user.name"     ? "string"
                                                       : "lowercase";
    p->fields += fmt::format("  {}: {{from: {}, type: {}}}\n", it->second, k, type);
  }
  return true;
}

bool ProposeCsv(sv m, Proposal* p) {
  const size_t commas = std::count(m.begin(), m.end(), ',');
  if (commas < 5 || commas < static_cast<size_t>(std::count(m.begin(), m.end(), ' '))) return false;
  std::string cols;
  int ips = 0;
  size_t i = 0, n = 0;
  for (; n < kMaxColumns && i <= m.size(); ++n) {
    size_t j = i;
    for (bool quoted = false; j < m.size() && (quoted || m[j] != ','); ++j) quoted = m[j] == '"' ? !quoted : quoted;
    sv cell = m.substr(i, j - i);
    std::string name = fmt::format("c{}", n + 1);
    if (toolkit::IsIp(cell) && ips < 2) {
      p->fields += fmt::format("  {}: {{from: {}, type: ip}}\n", ips++ == 0 ? "source.ip" : "destination.ip", name);
    }
    cols += (n ? ", " : "") + name;
    i = j + 1;
    if (j == m.size()) break;
  }
  p->when += fmt::format("  regex: '^(?:[^,]*,){{{}}}'\n", std::min<size_t>(commas, 5));
  p->steps = fmt::format("  - csv: {{columns: [{}]}}\n", cols);
  return true;
}

//! The capture for a variable token, its ECS name guessed from the word before it.
struct GrokGuess {
  int ips = 0, numbers = 0, ids = 0;
  bool user = false;
  std::string last_ip;  //!< "source" or "destination": whose port a following "port N" is
};

std::string IpName(sv prev, GrokGuess* g) {
  static const sv kSrc[] = {"from", "src", "source", "client", "rhost", "by"};
  static const sv kDst[] = {"to", "dst", "destination", "server", "->", ">"};
  std::string side;
  if (std::find(std::begin(kSrc), std::end(kSrc), prev) != std::end(kSrc)) side = "source";
  else if (std::find(std::begin(kDst), std::end(kDst), prev) != std::end(kDst)) side = "destination";
  else side = g->ips == 0 ? "source" : g->ips == 1 ? "destination" : "";
  ++g->ips;
  if (side.empty()) return fmt::format("ip{}", g->ips);
  if (g->last_ip == side || (side == "source" && g->last_ip == "destination")) return fmt::format("ip{}", g->ips);
  g->last_ip = side;
  return side + ".ip";
}

//! What grok's USERNAME takes (letters, digits, '.', '_', '-', '@', '\\').
bool IsUserName(sv t) {
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '@' || c == '\\';
  });
}

//! A word worth a `when.contains`: letters (and '-', '_'), no values.
bool IsPlainWord(sv t) {
  return t.size() >= 3 && std::all_of(t.begin(), t.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string GrokToken(sv t, sv prev, GrokGuess* g) {
  Wrapped w = Unwrap(t);
  sv ip, port;
  std::string core;
  if (!IsPrintable(t) || t.find('"') != sv::npos) {
    core = fmt::format("%{{NOTSPACE:w{}}}", ++g->ids);
    return core;
  }
  if (toolkit::IsIp(w.core)) {
    core = fmt::format("%{{IP:{}}}", IpName(prev, g));
  } else if (SplitIpPort(w.core, &ip, &port)) {
    std::string name = IpName(prev, g);
    std::string port_name = name.ends_with(".ip") ? name.substr(0, name.size() - 3) + ".port" : name + "_port";
    core = fmt::format("%{{IP:{}}}{}%{{POSINT:{}}}", name, RegexLiteral(w.core.substr(ip.size(), 1)), port_name);
  } else if (toolkit::IsDigits(w.core) && !w.core.empty()) {
    if (prev == "port" && !g->last_ip.empty()) core = fmt::format("%{{POSINT:{}.port}}", g->last_ip);
    else core = fmt::format("%{{INT:n{}}}", ++g->numbers);
  } else if (IsHexId(w.core)) {
    core = fmt::format("%{{NOTSPACE:id{}}}", ++g->ids);
  } else if (!g->user && IsUserName(w.core) && (prev == "user" || prev == "username" || prev == "account" || prev == "login" || prev == "for") &&
             w.core != "user" && w.core != "invalid" && w.core != "illegal") {
    g->user = true;
    core = "%{USERNAME:user.name}";
  } else {
    return RegexLiteral(t);
  }
  return RegexLiteral(w.pre) + core + RegexLiteral(w.post);
}

void ProposeGrok(sv m, Proposal* p) {
  std::vector<sv> tokens = SplitSpaces(m);
  std::string pattern = "^ *", longest;
  GrokGuess g;
  sv prev;
  for (size_t i = 0; i < tokens.size() && i < kMaxTokens; ++i) {
    std::string piece = GrokToken(tokens[i], prev, &g);
    const bool literal = piece.find("%{") == std::string::npos;
    if (literal && tokens[i].size() > longest.size() && IsPlainWord(tokens[i]))
      longest = std::string(tokens[i]);
    pattern += (i ? " +" : "") + piece;
    prev = Unwrap(tokens[i]).core;
  }
  if (tokens.size() > kMaxTokens) pattern += " +%{GREEDYDATA:rest}";
  if (!longest.empty()) p->when += fmt::format("  contains: {}\n", YamlQuote(longest));
  p->steps = fmt::format("  - grok: {}\n", YamlQuote(pattern));
}

std::string Render(const Proposal& p, const std::string& example, const std::string& expect) {
  std::string y = fmt::format(
      "# A starting point proposed from one line: check the pattern and the field names,\n"
      "# add rules (event.outcome, event.category) and more examples, then test it.\n"
      "parser: custom-{0}\ndataset: custom.{1}\ndescription: lines of {0}\nwhen:\n{2}{3}{4}",
      p.name, [&] { std::string d = p.name; std::replace(d.begin(), d.end(), '-', '_'); return d; }(), p.when,
      p.steps.empty() ? "" : "extract:\n", p.steps);
  if (!p.fields.empty()) y += "fields:\n" + p.fields;
  if (!example.empty()) y += "examples:\n  - line: " + example + "\n    expect: {" + expect + "}\n";
  return y;
}

//! The fields the proposal gave its own line, as an example's `expect` (ECS names only).
std::string ExpectOf(const TryOutcome& t) {
  if (t.lines.empty() || !t.lines[0].declarative) return "";
  std::string out;
  for (const auto& [k, v] : t.lines[0].event.fields) {
    if (k.find('.') == std::string::npos || k.starts_with("log.") || k.starts_with("event.ingested") ||
        k.starts_with("process.") || k == "host.name" || k.starts_with("custom-") || !IsPrintable(v) || v.size() > 200)
      continue;
    out += (out.empty() ? "" : ", ") + k + ": " + YamlQuote(v);
  }
  return out;
}

}  // namespace

std::string LineShape(std::string_view message) {
  std::vector<sv> tokens = SplitSpaces(message);
  std::string out;
  for (size_t i = 0; i < tokens.size() && i < kMaxTokens; ++i) out += (i ? " " : "") + ShapeOf(tokens[i]);
  if (tokens.size() > kMaxTokens) out += " ...";
  return SanitizeUtf8(out);
}

std::string ProposeDefinition(std::string_view line) {
  // The envelope only: a built-in parser may rename process.name (Sysmon's image), and
  // definitions run before the built-in parsers.
  Event ev;
  ev.original = std::string(line);
  if (!ParseSyslog(line, 0, SyslogOptions{}, &ev)) ev.Set(field::kMessage, std::string(line));
  const std::string* msg = ev.Get(field::kMessage);
  const sv m = msg ? sv(*msg) : sv(ev.original);
  const std::string* program = ev.Get("process.name");
  Proposal p;
  p.name = NameOf(program ? sv(*program) : ev.Get(field::kHostName) ? sv(*ev.Get(field::kHostName)) : sv("device"));
  if (program) p.when = fmt::format("  program: {}\n", YamlQuote(*program));
  if (!ProposeJsonEvent(line, &p) && !ProposeJson(m, &p) && !ProposeKv(m, &p) && !ProposeCsv(m, &p)) ProposeGrok(m, &p);
  if (p.when.empty()) p.when = "  regex: '.'\n";
  const bool quotable = IsPrintable(ev.original) && SanitizeUtf8(ev.original) == ev.original;
  const std::string example = quotable ? YamlQuote(ev.original) : "";
  std::string yaml = Render(p, example, "");
  if (example.empty()) return yaml;
  // The proposal's own result on its line becomes the example's expectation.
  TryOutcome t = TryDefinitions(yaml, "proposal", {ev.original});
  return Render(p, example, ExpectOf(t));
}

std::vector<std::string> FieldMismatches(const Event& ev,
                                         const std::vector<std::pair<std::string, std::optional<std::string>>>& want) {
  std::vector<std::string> out;
  for (const auto& [name, value] : want) {
    std::optional<std::string> got;
    if (name == field::kTimestamp) got = FormatRfc3339(ev.timestamp_ns);
    else if (name == field::kOriginal) got = ev.original;
    else if (const std::string* v = ev.Get(name)) got = *v;
    if (got == value) continue;
    out.push_back(fmt::format("{}: expected {}, got {}", name, value ? "'" + *value + "'" : "no value",
                              got ? "'" + SanitizeUtf8(*got) + "'" : "no value"));
  }
  return out;
}

namespace {

Event ParseAt(const std::string& line, const ParseOptions& opt, int64_t now, ParseTrace* trace) {
  RawRecord r;
  r.received_ns = now;
  r.data = line;
  return ParseRecord(r, opt, trace);
}

}  // namespace

TryOutcome TryDefinitions(std::string_view yaml, const std::string& name, const std::vector<std::string>& lines) {
  TryOutcome out;
  std::vector<Definition> defs;
  CompileDefinitions(yaml, name, &defs, &out.problems);
  for (const Definition& d : defs) out.loaded.push_back(d.name);
  ParseOptions opt;
  opt.user = std::make_shared<UserParsers>();
  auto set = std::make_shared<const ParserSet>(std::move(defs));
  opt.user->Swap(set);
  const int64_t now = NowNanos();
  for (const std::string& line : lines) {
    ParseTrace trace;
    TryOutcome::Line l;
    l.event = ParseAt(line, opt, now, &trace);
    l.parser = trace.parser;
    l.declarative = trace.declarative;
    out.lines.push_back(std::move(l));
  }
  for (const Definition& d : set->definitions()) {
    for (size_t i = 0; i < d.examples.size(); ++i) {
      ParseTrace trace;
      const Event ev = ParseAt(d.examples[i].line, opt, now, &trace);
      std::vector<std::string> bad = FieldMismatches(ev, d.examples[i].expect);
      if (trace.parser != d.name) bad.insert(bad.begin(), "taken by " + (trace.parser.empty() ? "no parser" : trace.parser));
      for (const std::string& b : bad) out.failed_examples.push_back(fmt::format("{} example {}: {}", d.name, i + 1, b));
    }
  }
  return out;
}

}  // namespace kamatama::declarative
