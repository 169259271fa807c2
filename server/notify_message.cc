// server/notify_message.cc
#include "server/notify_message.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>

#include <fmt/format.h>

#include "core/base64.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/safe_file.h"
#include "core/time.h"
#include "investigate/case_export.h"

namespace kamatama::server {

namespace {

//! Characters of base64 on one body line (RFC 2045: at most 76).
constexpr size_t kBase64Line = 76;
//! Bytes of text in one RFC 2047 encoded-word: 45 bytes are 60 base64 characters, and
//! "=?UTF-8?B?" + 60 + "?=" is 72, under the 75 the RFC allows.
constexpr size_t kEncodedWordBytes = 45;

std::string FieldOf(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? *v : std::string();
}

//! `s` cut to at most `max` bytes, on a UTF-8 character boundary.
std::string_view CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

//! A value for a body line: valid UTF-8, control characters as \xNN, cut.
std::string BodyText(std::string_view s, size_t max = kNotifyValueBytes) {
  return EscapeControl(SanitizeUtf8(CutUtf8(s, max)));
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

std::string MailDate(int64_t now_ns) {
  const std::time_t t = static_cast<std::time_t>(now_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void AppendAlertObject(const AlertNote& a, std::string* j) {
  *j += fmt::format("{{\"id\":{}", a.id);
  AppendJsonMember(j, "rule_id", a.rule_id);
  AppendJsonMember(j, "rule_name", a.rule_name);
  AppendJsonMember(j, "level", a.level);
  AppendJsonMember(j, "ruleset", a.ruleset);
  AppendJsonMember(j, "host", a.host);
  AppendJsonMember(j, "detected_at", FormatRfc3339(a.detected_ns));
  AppendJsonMember(j, "event_time", a.event_ns ? FormatRfc3339(a.event_ns) : "");
  AppendJsonMember(j, "dataset", a.dataset);
  AppendJsonMember(j, "message", CutUtf8(a.message, kNotifyValueBytes));
  AppendJsonMember(j, "original", CutUtf8(a.original, kNotifyOriginalBytes));
  j->push_back('}');
}

void AppendDigestObject(const DigestNote& d, std::string* j) {
  *j += fmt::format("{{\"suppressed\":{}", d.suppressed);
  AppendJsonMember(j, "from", FormatRfc3339(d.from_ns));
  AppendJsonMember(j, "to", FormatRfc3339(d.to_ns));
  *j += ",\"by_rule\":{";
  bool first = true;
  for (const auto& [rule, n] : d.by_rule) {
    if (!first) j->push_back(',');
    first = false;
    AppendJsonString(j, rule);
    *j += fmt::format(":{}", n);
  }
  *j += "}}";
}

std::string AlertBody(const AlertNote& a) {
  return fmt::format(
      "kamatama raised an alert.\n\n"
      "Rule:      {} ({})\n"
      "Level:     {}\n"
      "Ruleset:   {}\n"
      "Host:      {}\n"
      "Detected:  {}\n"
      "Event at:  {}\n"
      "Dataset:   {}\n"
      "Alert id:  {}\n\n"
      "The matched line (control characters written as \\xNN):\n{}\n",
      BodyText(a.rule_name), BodyText(a.rule_id), BodyText(a.level), BodyText(a.ruleset), BodyText(a.host),
      FormatRfc3339(a.detected_ns), a.event_ns ? FormatRfc3339(a.event_ns) : "-", BodyText(a.dataset), a.id,
      BodyText(a.original, kNotifyOriginalBytes));
}

std::string DigestBody(const DigestNote& d) {
  std::string b = fmt::format(
      "The rate limit of this target held back {} alert(s) between {} and {}.\n"
      "Alerts held back, by rule:\n",
      d.suppressed, FormatRfc3339(d.from_ns), FormatRfc3339(d.to_ns));
  for (const auto& [rule, n] : d.by_rule) b += fmt::format("  {:>6}  {}\n", n, BodyText(rule));
  return b + "\nSee the Alerts page for each of them.\n";
}

void AppendReportObject(const ReportNote& r, std::string* j) {
  *j += "{\"schedule\":{";
  AppendJsonMember(j, "id", r.schedule_id);
  AppendJsonMember(j, "name", r.schedule_name);
  *j += "}";
  AppendJsonMember(j, "search", r.search_name);
  AppendJsonMember(j, "query", r.query);
  AppendJsonMember(j, "owner", r.owner);
  AppendJsonMember(j, "from", FormatRfc3339(r.from_ns));
  AppendJsonMember(j, "to", FormatRfc3339(r.to_ns));
  *j += fmt::format(",\"matched\":{},\"truncated\":{},\"columns\":[", r.matched, r.truncated);
  for (size_t i = 0; i < r.columns.size(); ++i) {
    if (i) j->push_back(',');
    AppendJsonString(j, r.columns[i]);
  }
  *j += "],\"rows\":[";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    *j += i ? ",[" : "[";
    for (size_t c = 0; c < r.rows[i].size(); ++c) {
      if (c) j->push_back(',');
      AppendJsonString(j, r.rows[i][c]);
    }
    j->push_back(']');
  }
  *j += "]}";
}

std::string ReportText(const ReportNote& r) {
  return fmt::format(
      "kamatama report of the scheduled search {} (saved search {}).\n\n"
      "Window:   {} to {}\n"
      "Matched:  {}\n"
      "Rows:     {}{}\n\n"
      "The table is in the HTML part of this message and in the attached CSV file.\n",
      BodyText(r.schedule_name), BodyText(r.search_name), FormatRfc3339(r.from_ns), FormatRfc3339(r.to_ns), r.matched,
      r.rows.size(), r.truncated ? " (cut to the report's max_rows)" : "");
}

std::string MailBody(const Note& n, const std::string& target) {
  switch (n.kind) {
    case NoteKind::kAlert: return AlertBody(n.alert);
    case NoteKind::kDigest: return DigestBody(n.digest);
    case NoteKind::kReport: return ReportText(n.report);
    case NoteKind::kTest: break;
  }
  return fmt::format("A test notification for target {}, sent at the request of {}.\n", BodyText(target),
                     BodyText(n.requested_by));
}

//! Content-Type and Content-Transfer-Encoding headers (and an optional disposition), a blank
//! line, then `content` in base64 lines.
void AppendBase64Part(std::string_view type, std::string_view disposition, std::string_view content, std::string* m) {
  *m += fmt::format("Content-Type: {}\r\n", type);
  if (!disposition.empty()) *m += fmt::format("Content-Disposition: {}\r\n", disposition);
  *m += "Content-Transfer-Encoding: base64\r\n\r\n";
  const std::string b64 = Base64Encode(content);
  for (size_t i = 0; i < b64.size(); i += kBase64Line) *m += b64.substr(i, kBase64Line) + "\r\n";
}

//! A report's body: multipart/mixed of (text, HTML) and the CSV attachment. The boundaries are
//! made of the delivery id (hex), and base64 lines can never hold "--".
void AppendReportParts(const Note& n, const std::string& target, const std::string& delivery, std::string* m) {
  const std::string mixed = "kamatama-mixed-" + delivery, alt = "kamatama-alt-" + delivery;
  *m += "Content-Type: multipart/mixed; boundary=\"" + mixed + "\"\r\n\r\n";
  *m += "--" + mixed + "\r\nContent-Type: multipart/alternative; boundary=\"" + alt + "\"\r\n\r\n";
  *m += "--" + alt + "\r\n";
  AppendBase64Part("text/plain; charset=utf-8", "", MailBody(n, target), m);
  *m += "--" + alt + "\r\n";
  AppendBase64Part("text/html; charset=utf-8", "", ReportHtml(n.report), m);
  *m += "--" + alt + "--\r\n";
  *m += "--" + mixed + "\r\n";
  const std::string file = fmt::format("report-{}.csv", n.report.schedule_id);
  AppendBase64Part("text/csv; charset=utf-8; name=\"" + file + "\"", "attachment; filename=\"" + file + "\"",
                   ReportCsv(n.report), m);
  *m += "--" + mixed + "--\r\n";
}

}  // namespace

const char* NoteKindName(NoteKind k) {
  switch (k) {
    case NoteKind::kAlert: return "alert";
    case NoteKind::kDigest: return "digest";
    case NoteKind::kTest: return "test";
    case NoteKind::kReport: return "report";
  }
  return "alert";
}

std::string ReportCsv(const ReportNote& r) {
  std::string csv;
  auto row = [&csv](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) csv += ',';
      AppendCsvCell(SanitizeUtf8(cells[i]), &csv);
    }
    csv += "\r\n";
  };
  row(r.columns);
  for (const auto& cells : r.rows) row(cells);
  return csv;
}

std::string ReportHtml(const ReportNote& r) {
  using investigate::HtmlText;
  std::string h =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">";
  h += "<title>" + HtmlText(r.schedule_name) + "</title><style>table{border-collapse:collapse}"
       "td,th{border:1px solid #999;padding:2px 6px;text-align:left;font:13px sans-serif;white-space:pre-wrap}</style>"
       "</head><body>\n";
  h += "<h1>" + HtmlText(r.schedule_name) + "</h1>\n<p>Saved search <b>" + HtmlText(r.search_name) + "</b>: <code>" +
       HtmlText(r.query) + "</code></p>\n";
  h += fmt::format("<p>From {} to {} (UTC). Matched: {}. Rows: {}{}.</p>\n", FormatRfc3339(r.from_ns),
                   FormatRfc3339(r.to_ns), r.matched, r.rows.size(), r.truncated ? " (cut to the report's max_rows)" : "");
  h += "<table><thead><tr>";
  for (const std::string& c : r.columns) h += "<th>" + HtmlText(c) + "</th>";
  h += "</tr></thead><tbody>\n";
  for (const auto& cells : r.rows) {
    h += "<tr>";
    for (const std::string& c : cells) h += "<td>" + HtmlText(c) + "</td>";
    h += "</tr>\n";
  }
  return h + "</tbody></table></body></html>\n";
}

AlertNote NoteOfAlertEvent(const Event& ev) {
  AlertNote a;
  a.id = std::strtoull(FieldOf(ev, "kamatama.alert.id").c_str(), nullptr, 10);
  a.rule_id = FieldOf(ev, "rule.id");
  a.rule_name = FieldOf(ev, "rule.name");
  a.level = FieldOf(ev, "rule.level");
  a.ruleset = FieldOf(ev, "rule.ruleset");
  a.host = FieldOf(ev, "host.name");
  a.dataset = FieldOf(ev, "kamatama.matched.dataset");
  a.message = FieldOf(ev, "message");
  a.original = FieldOf(ev, "kamatama.matched.original");
  a.detected_ns = ev.timestamp_ns;
  a.event_ns = ParseRfc3339(FieldOf(ev, "kamatama.matched.timestamp")).value_or(0);
  return a;
}

std::string WebhookBody(const Note& n, const std::string& target, const std::string& delivery, int64_t now_ns) {
  std::string j = "{";
  AppendJsonMember(&j, "schema", "kamatama.notification.v1");
  AppendJsonMember(&j, "type", NoteKindName(n.kind));
  AppendJsonMember(&j, "target", target);
  AppendJsonMember(&j, "delivery", delivery);
  AppendJsonMember(&j, "sent_at", FormatRfc3339(now_ns));
  if (n.kind == NoteKind::kAlert) {
    j += ",\"alert\":";
    AppendAlertObject(n.alert, &j);
  } else if (n.kind == NoteKind::kDigest) {
    j += ",\"digest\":";
    AppendDigestObject(n.digest, &j);
  } else if (n.kind == NoteKind::kReport) {
    j += ",\"report\":";
    AppendReportObject(n.report, &j);
  } else {
    AppendJsonMember(&j, "requested_by", n.requested_by);
  }
  return j + "}";
}

std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  return "sha256=" + Hex(mac, len);
}

std::string HeaderText(std::string_view s, size_t max_bytes) {
  const std::string valid = SanitizeUtf8(s);
  std::string out;
  for (size_t i = 0; i < valid.size(); ++i) {
    const unsigned char c = valid[i], next = i + 1 < valid.size() ? valid[i + 1] : 0;
    bool space = c < 0x20 || c == 0x7f;
    size_t skip = 0;
    if (c == 0xC2 && next >= 0x80 && next <= 0x9F) space = true, skip = 1;  // C1 controls
    if (c == 0xE2 && next == 0x80 && i + 2 < valid.size() &&
        (static_cast<unsigned char>(valid[i + 2]) == 0xA8 || static_cast<unsigned char>(valid[i + 2]) == 0xA9))
      space = true, skip = 2;  // U+2028, U+2029: line and paragraph separators
    i += skip;
    if (space || c == ' ') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return std::string(CutUtf8(out, max_bytes));
}

std::string EncodeHeaderValue(std::string_view value) {
  bool ascii = true;
  for (unsigned char c : value) ascii = ascii && c >= 0x20 && c < 0x7f;
  // "=?" in plain text would be read as the start of an encoded-word: encode it too. Plain text
  // longer than a line (76) is encoded as well, which folds it into words of one line each.
  if (ascii && value.size() <= 76 && value.find("=?") == std::string_view::npos) return std::string(value);
  std::string out;
  while (!value.empty()) {
    std::string_view word = CutUtf8(value, kEncodedWordBytes);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64Encode(word) + "?=";
    value.remove_prefix(word.size());
  }
  return out;
}

std::string MailSubject(const Note& n, const std::string& target) {
  switch (n.kind) {
    case NoteKind::kAlert: {
      const AlertNote& a = n.alert;
      return fmt::format("[kamatama] {} alert: {} on {}", HeaderText(a.level.empty() ? "-" : a.level, 32),
                         HeaderText(a.rule_name, 200), HeaderText(a.host.empty() ? "an unnamed host" : a.host, 200));
    }
    case NoteKind::kDigest:
      return fmt::format("[kamatama] {} more alert(s) held back by the rate limit of {}", n.digest.suppressed,
                         HeaderText(target, 64));
    case NoteKind::kReport:
      return fmt::format("[kamatama] report: {}", HeaderText(n.report.schedule_name, 200));
    case NoteKind::kTest: break;
  }
  return fmt::format("[kamatama] test notification for {}", HeaderText(target, 64));
}

std::string MailMessage(const NotifyTarget& t, const Note& n, const std::string& delivery, int64_t now_ns) {
  // The addresses were checked when the target was saved (one local@domain each, nothing that
  // could end a header); every other value goes through HeaderText and EncodeHeaderValue.
  std::string to;
  for (const std::string& r : t.to) to += (to.empty() ? "" : ", ") + r;
  const std::string domain = t.from.substr(t.from.rfind('@') + 1);
  std::string m;
  m += "From: " + t.from + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + EncodeHeaderValue(HeaderText(MailSubject(n, t.name), 600)) + "\r\n";
  m += "Date: " + MailDate(now_ns) + "\r\n";
  m += fmt::format("Message-ID: <kamatama.{}.{}@{}>\r\n", delivery, now_ns, domain);
  m += fmt::format("X-Kamatama-Notification: {}\r\n", NoteKindName(n.kind));
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  if (n.kind == NoteKind::kReport) {
    AppendReportParts(n, t.name, delivery, &m);
    return m;
  }
  AppendBase64Part("text/plain; charset=utf-8", "", MailBody(n, t.name), &m);
  return m;
}

}  // namespace kamatama::server
