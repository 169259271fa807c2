// investigate/case_export.h
//! A case as a file (issue 22): JSON (the API's object), CSV (the pinned events, one row each,
//! formula-guarded by core/csv.h), Markdown and a self-contained HTML incident report (the hosts,
//! users, addresses, processes, hashes and domains; the timeline of pinned events and alerts; the
//! notes). Everything in the reports is text from logs or analysts: Markdown escapes every ASCII
//! punctuation character (no link, image or HTML can come from a value), HTML escapes & < > " '
//! and the page carries a Content-Security-Policy that allows no script, no request and no form;
//! both show control and bidirectional-override characters as visible escapes. Pure.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "investigate/case.h"

namespace kamatama::investigate {

//! Who exported the case and when (the report's footer).
struct ExportStamp {
  std::string by;
  int64_t at_ns = 0;
};

//! The entities a report lists by kind (host, user, ip, process, hash, domain): the pinned ones
//! and those named by the pinned events' fields.
std::map<std::string, std::set<std::string>> CaseReportEntities(const Case& c);

std::string CaseJson(const Case& c);
std::string CaseCsv(const Case& c);
std::string CaseMarkdown(const Case& c, const ExportStamp& stamp);
std::string CaseHtml(const Case& c, const ExportStamp& stamp);

//! `s` with invalid UTF-8 replaced, and control characters (but newline), DEL, C1 controls and the
//! bidirectional embedding/override/isolate characters written as visible \xNN or \uNNNN escapes.
std::string VisibleText(std::string_view s);
//! VisibleText with & < > " ' escaped: safe as HTML text or a quoted attribute value (the case
//! report; scheduled reports, server/notify_message.h).
std::string HtmlText(std::string_view s);

}  // namespace kamatama::investigate
