// investigate/case_export.cc
#include "investigate/case_export.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "core/csv.h"
#include "core/json.h"
#include "core/time.h"

namespace kamatama::investigate {

namespace {

//! One line of the report's timeline: a pinned event or alert.
struct TimelineRow {
  int64_t ts_ns = 0;
  std::string kind, source, host, text;
};

std::vector<TimelineRow> Timeline(const Case& c) {
  std::vector<TimelineRow> rows;
  for (const CaseEvent& e : c.events) rows.push_back({e.ts_ns, "event", e.dataset, e.host, e.summary});
  for (const CaseAlert& a : c.alerts)
    rows.push_back({a.first_ns, "alert", a.level, a.host, fmt::format("alert {}: {}", a.alert_id, a.rule)});
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.ts_ns < b.ts_ns; });
  return rows;
}

//! Report headings of the entity kinds, in report order.
const std::vector<std::pair<std::string, std::string>>& EntityHeadings() {
  static const std::vector<std::pair<std::string, std::string>> h = {
      {"host", "Hosts"}, {"user", "Users"}, {"ip", "Addresses"}, {"process", "Processes"}, {"hash", "Hashes"},
      {"domain", "Domains"}};
  return h;
}

std::string FieldOf(const CaseEvent& e, std::string_view name) {
  for (const auto& [k, v] : e.fields)
    if (k == name) return v;
  return "";
}

// ------------------------------------------------------------------ Markdown

//! One line of Markdown text: every ASCII punctuation character backslash-escaped (CommonMark
//! then shows it as itself), line breaks shown as a space.
std::string MdInline(std::string_view s) {
  const std::string v = VisibleText(s);
  std::string out;
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += ' ';
    else if (c < 0x80 && std::ispunct(c)) out += '\\', out += ch;
    else out += ch;
  }
  return out;
}

//! Text of several lines as a block quote, each line escaped.
std::string MdQuote(std::string_view s) {
  std::string out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) nl = s.size();
    std::string line = MdInline(s.substr(start, nl - start));
    out += line.empty() ? ">\n" : "> " + line + "\n";
    start = nl + 1;
  }
  return out;
}

void MdHead(const Case& c, const ExportStamp& st, std::string* md) {
  *md += fmt::format("# Case {}: {}\n\n", c.id, MdInline(c.title));
  *md += "| | |\n|---|---|\n";
  *md += fmt::format("| Status | {} |\n| Owner | {} |\n| Created | {} by {} |\n| Updated | {} |\n| Exported | {} by {} |\n\n",
                     MdInline(c.status), MdInline(c.owner), FormatRfc3339(c.created_ns), MdInline(c.created_by),
                     FormatRfc3339(c.updated_ns), FormatRfc3339(st.at_ns), MdInline(st.by));
  if (!c.description.empty()) *md += "## Description\n\n" + MdQuote(c.description) + "\n";
}

void MdEntities(const Case& c, std::string* md) {
  const auto entities = CaseReportEntities(c);
  *md += "## Entities\n\n";
  for (const auto& [type, heading] : EntityHeadings()) {
    auto it = entities.find(type);
    if (it == entities.end()) continue;
    *md += "### " + heading + "\n\n";
    for (const std::string& v : it->second) *md += "- " + MdInline(v) + "\n";
    *md += "\n";
  }
}

void MdTimeline(const Case& c, std::string* md) {
  *md += "## Timeline\n\n| Time (UTC) | Kind | Source | Host | What |\n|---|---|---|---|---|\n";
  for (const TimelineRow& r : Timeline(c))
    *md += fmt::format("| {} | {} | {} | {} | {} |\n", FormatRfc3339(r.ts_ns), r.kind, MdInline(r.source),
                       MdInline(r.host), MdInline(r.text));
  *md += "\n";
  if (c.events.empty()) return;
  *md += "## Pinned events\n\n";
  for (const CaseEvent& e : c.events) {
    *md += fmt::format("### {} {} {}\n\n", FormatRfc3339(e.ts_ns), MdInline(e.dataset), MdInline(e.host));
    *md += fmt::format("SHA\\-256 of the original line: {}\n\n", MdInline(e.sha256));
    for (const auto& [k, v] : e.fields) *md += fmt::format("- {}: {}\n", MdInline(k), MdInline(v));
    *md += "\n" + MdQuote(e.message) + "\n";
  }
}

void MdNotes(const Case& c, std::string* md) {
  if (c.notes.empty()) return;
  *md += "## Notes\n\n";
  for (const CaseNote& n : c.notes)
    *md += fmt::format("**{}**, {}:\n\n{}\n", MdInline(n.pin.by), FormatRfc3339(n.pin.at_ns), MdQuote(n.text));
}

// ------------------------------------------------------------------ HTML

std::string Html(std::string_view s) { return HtmlText(s); }
}  // namespace

std::string HtmlText(std::string_view s) {
  const std::string v = VisibleText(s);
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

constexpr const char* kHtmlStyle =
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#1d2330;padding:0 1em}"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccd;padding-bottom:.2em;margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccd;padding:.25em .5em;text-align:left;"
    "vertical-align:top}th{background:#eef}.pre{white-space:pre-wrap;font-family:ui-monospace,monospace;"
    "background:#f5f6fa;padding:.5em;overflow-wrap:anywhere}.meta{color:#556}code{overflow-wrap:anywhere}";

void HtmlHead(const Case& c, const ExportStamp& st, std::string* h) {
  *h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "form-action 'none'; base-uri 'none'\">"
        "<meta name=\"referrer\" content=\"no-referrer\">";
  *h += fmt::format("<title>Case {}: {}</title><style>{}</style></head><body>\n", c.id, Html(c.title), kHtmlStyle);
  *h += fmt::format("<h1>Case {}: {}</h1>\n<table class=\"meta\">", c.id, Html(c.title));
  *h += fmt::format("<tr><th>Status</th><td>{}</td></tr><tr><th>Owner</th><td>{}</td></tr>", Html(c.status), Html(c.owner));
  *h += fmt::format("<tr><th>Created</th><td>{} by {}</td></tr><tr><th>Updated</th><td>{}</td></tr>",
                    FormatRfc3339(c.created_ns), Html(c.created_by), FormatRfc3339(c.updated_ns));
  *h += fmt::format("<tr><th>Exported</th><td>{} by {}</td></tr></table>\n", FormatRfc3339(st.at_ns), Html(st.by));
  if (!c.description.empty()) *h += "<h2>Description</h2>\n<div class=\"pre\">" + Html(c.description) + "</div>\n";
}

void HtmlEntities(const Case& c, std::string* h) {
  const auto entities = CaseReportEntities(c);
  *h += "<h2>Entities</h2>\n";
  for (const auto& [type, heading] : EntityHeadings()) {
    auto it = entities.find(type);
    if (it == entities.end()) continue;
    *h += "<h3>" + heading + "</h3><ul>";
    for (const std::string& v : it->second) *h += "<li><code>" + Html(v) + "</code></li>";
    *h += "</ul>\n";
  }
}

void HtmlTimeline(const Case& c, std::string* h) {
  *h += "<h2>Timeline</h2>\n<table><tr><th>Time (UTC)</th><th>Kind</th><th>Source</th><th>Host</th><th>What</th></tr>\n";
  for (const TimelineRow& r : Timeline(c))
    *h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", FormatRfc3339(r.ts_ns),
                      r.kind, Html(r.source), Html(r.host), Html(r.text));
  *h += "</table>\n";
  if (c.events.empty()) return;
  *h += "<h2>Pinned events</h2>\n";
  for (const CaseEvent& e : c.events) {
    *h += fmt::format("<h3>{} {} {}</h3><p class=\"meta\">SHA-256 of the original line: <code>{}</code></p><ul>",
                      FormatRfc3339(e.ts_ns), Html(e.dataset), Html(e.host), Html(e.sha256));
    for (const auto& [k, v] : e.fields) *h += "<li>" + Html(k) + ": <code>" + Html(v) + "</code></li>";
    *h += "</ul><div class=\"pre\">" + Html(e.message) + "</div>\n";
  }
}

void HtmlNotes(const Case& c, std::string* h) {
  if (c.notes.empty()) return;
  *h += "<h2>Notes</h2>\n";
  for (const CaseNote& n : c.notes)
    *h += fmt::format("<p class=\"meta\"><b>{}</b>, {}</p><div class=\"pre\">{}</div>\n", Html(n.pin.by),
                      FormatRfc3339(n.pin.at_ns), Html(n.text));
}

//! Appends `\uNNNN` for a bidirectional control at s[i] (3 bytes of UTF-8); false if none.
bool AppendBidiEscape(std::string_view s, size_t i, std::string* out) {
  if (i + 2 >= s.size() || static_cast<unsigned char>(s[i]) != 0xE2) return false;
  const auto b1 = static_cast<unsigned char>(s[i + 1]), b2 = static_cast<unsigned char>(s[i + 2]);
  const uint32_t cp = 0x2000u | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
  const bool bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F;
  if (!bidi || b1 < 0x80 || b1 > 0x81) return false;
  *out += fmt::format("\\u{:04x}", cp);
  return true;
}

}  // namespace

std::string VisibleText(std::string_view in) {
  const std::string s = SanitizeUtf8(in);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' || (c >= 0x20 && c != 0x7F && c != 0xC2 && c != 0xE2)) {
      out += s[i];
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[++i]) & 0xFF);  // C1 control U+0080..U+009F
    } else if (c == 0xE2 && AppendBidiEscape(s, i, &out)) {
      i += 2;
    } else if (c == 0xC2 || c == 0xE2) {
      out += s[i];
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

std::map<std::string, std::set<std::string>> CaseReportEntities(const Case& c) {
  std::map<std::string, std::set<std::string>> m;
  for (const CaseEntity& e : c.entities) m[e.type].insert(e.value);
  const std::pair<const char*, const char*> from_fields[] = {
      {"user.name", "user"},         {"source.ip", "ip"},         {"destination.ip", "ip"},
      {"process.executable", "process"}, {"process.hash.sha256", "hash"}, {"dns.question.name", "domain"}};
  for (const CaseEvent& e : c.events) {
    if (!e.host.empty()) m["host"].insert(e.host);
    for (const auto& [field, type] : from_fields)
      if (std::string v = FieldOf(e, field); !v.empty()) m[type].insert(v);
  }
  return m;
}

std::string CaseJson(const Case& c) {
  std::string j;
  AppendCaseJson(c, &j);
  return j + "\n";
}

std::string CaseCsv(const Case& c) {
  std::string csv = "@timestamp,event.dataset,host.name,summary,message,sha256,pinned_by,pinned_at\r\n";
  std::vector<const CaseEvent*> events;
  for (const CaseEvent& e : c.events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](auto* a, auto* b) { return a->ts_ns < b->ts_ns; });
  for (const CaseEvent* e : events) {
    const std::string cells[] = {FormatRfc3339(e->ts_ns), e->dataset, e->host, e->summary, e->message, e->sha256,
                                 e->pin.by, FormatRfc3339(e->pin.at_ns)};
    for (size_t i = 0; i < std::size(cells); ++i) {
      if (i) csv += ',';
      AppendCsvCell(SanitizeUtf8(cells[i]), &csv);
    }
    csv += "\r\n";
  }
  return csv;
}

std::string CaseMarkdown(const Case& c, const ExportStamp& stamp) {
  std::string md;
  MdHead(c, stamp, &md);
  MdEntities(c, &md);
  MdTimeline(c, &md);
  MdNotes(c, &md);
  return md;
}

std::string CaseHtml(const Case& c, const ExportStamp& stamp) {
  std::string h;
  HtmlHead(c, stamp, &h);
  HtmlEntities(c, &h);
  HtmlTimeline(c, &h);
  HtmlNotes(c, &h);
  return h + "</body></html>\n";
}

}  // namespace kamatama::investigate
