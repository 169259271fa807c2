// server/notify_message.h
//! What a notification says (issue 21), built from fixed templates: the webhook's JSON body
//! (schema kamatama.notification.v1, docs/notifications.md) and its HMAC-SHA256 signature, and
//! the e-mail (RFC 5322 headers, a text/plain UTF-8 body in base64). Values from log lines are
//! data, never markup: in a header every control character becomes a space, invalid UTF-8 becomes
//! U+FFFD and non-ASCII text is RFC 2047 encoded; in a body control characters are written as
//! \xNN. Nothing evaluates anything taken from an event. Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "server/notify_targets.h"

namespace kamatama::server {

//! Most bytes of the matched line in a notification, and of any other value.
inline constexpr size_t kNotifyOriginalBytes = 4096;
inline constexpr size_t kNotifyValueBytes = 512;

//! An alert as a notification tells it (from the stored alert event, server/detection.h).
struct AlertNote {
  uint64_t id = 0;
  std::string rule_id, rule_name, level, ruleset, host, dataset, message, original;
  int64_t detected_ns = 0, event_ns = 0;
};
//! The note of an alert event (dataset kamatama.alert).
AlertNote NoteOfAlertEvent(const Event& alert);

//! The alerts a rate limit held back in one window, told in one message.
struct DigestNote {
  uint64_t suppressed = 0;
  int64_t from_ns = 0, to_ns = 0;
  std::map<std::string, uint64_t> by_rule;  //!< rule name -> alerts held back
};

//! A scheduled report (issue 25, server/scheduler.h): a saved search's result table over a
//! window. The cells are text from logs: escaped in the HTML, formula-guarded in the CSV.
struct ReportNote {
  std::string schedule_id, schedule_name, search_name, query, owner;
  int64_t from_ns = 0, to_ns = 0;
  uint64_t matched = 0;  //!< events the search matched (rows of a search with pipes)
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  bool truncated = false;  //!< more rows than the report's max_rows
};

//! The report's table as CSV (RFC 4180, CRLF, a header row; cells by core/csv.h).
std::string ReportCsv(const ReportNote& r);
//! The report as a self-contained HTML page (every value escaped; no script, no request).
std::string ReportHtml(const ReportNote& r);

enum class NoteKind : uint8_t { kAlert, kDigest, kTest, kReport };
const char* NoteKindName(NoteKind k);

struct Note {
  NoteKind kind = NoteKind::kAlert;
  AlertNote alert;           //!< kAlert
  DigestNote digest;         //!< kDigest
  std::string requested_by;  //!< kTest: the admin who asked
  ReportNote report;         //!< kReport
};

//! The webhook body (one JSON object, documented in docs/notifications.md).
std::string WebhookBody(const Note& n, const std::string& target, const std::string& delivery, int64_t now_ns);
//! "sha256=" and the hex HMAC-SHA256, keyed with `secret`, of timestamp "." body.
std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body);

//! A header value from any text: control characters (C0, DEL, C1) become spaces, runs of spaces
//! one, invalid UTF-8 U+FFFD; cut to at most `max_bytes` on a character boundary.
std::string HeaderText(std::string_view s, size_t max_bytes);
//! A header value as sent: printable ASCII as is; otherwise RFC 2047 encoded-words (UTF-8, B),
//! each at most 75 characters, folded onto continuation lines. `value` must be HeaderText.
std::string EncodeHeaderValue(std::string_view value);
//! The subject line of a note (before encoding).
std::string MailSubject(const Note& n, const std::string& target);
//! The whole message (headers and base64 body, CRLF line ends) for target `t`. A report is
//! multipart/mixed: a text and an HTML part, and the table as a CSV attachment.
std::string MailMessage(const NotifyTarget& t, const Note& n, const std::string& delivery, int64_t now_ns);

}  // namespace kamatama::server
