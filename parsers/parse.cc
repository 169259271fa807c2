// parsers/parse.cc
#include "parsers/parse.h"

#include <cctype>

#include <string>

#include "parsers/json_event.h"
#include "parsers/powershell_decode.h"
#include "parsers/registry.h"

namespace kamatama {

namespace {

bool StartsWithBrace(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

//! Runs `parser` if any; true if it recognised the event (event.dataset is then set).
bool RunSourceParser(const SourceParser* parser, Event* ev) {
  if (!parser || !parser->parse || !parser->parse(ev)) return false;
  if (!ev->Get(field::kDataset)) ev->Set(field::kDataset, parser->dataset);
  return true;
}

}  // namespace

Event ParseRecord(const RawRecord& rec, const ParseOptions& opt) {
  const ParserRegistry& registry = ParserRegistry::Global();
  Event ev;
  ev.original = rec.data;
  ev.ingested_ns = rec.received_ns;
  ev.timestamp_ns = rec.received_ns;

  bool done = false;
  if ((rec.flags & kRawJson) || StartsWithBrace(rec.data)) {
    std::string error;
    if (ParseJsonEvent(rec.data, rec.received_ns, &ev, &error)) {
      bool parsed = rec.source.empty() ? registry.Parse(&ev, true) != nullptr
                                       : RunSourceParser(registry.ByDataset(rec.source), &ev);
      if (!parsed && !ev.Get(field::kDataset)) ev.Set(field::kDataset, "syslog.json");
      done = true;
    } else if (rec.flags & kRawJson) {
      ev.Set(field::kErrorMessage, error);
    }
  }
  if (!done) {
    const bool is_syslog = ParseSyslog(rec.data, rec.received_ns, opt.syslog, &ev);
    bool parsed = rec.source.empty() ? registry.Parse(&ev, false) != nullptr
                                     : RunSourceParser(registry.ByDataset(rec.source), &ev);
    if (!parsed) ev.Set(field::kDataset, is_syslog ? "syslog.generic" : "syslog.raw");
  }
  if (!rec.observer.empty()) ev.Set(field::kObserverIp, rec.observer);
  // issue 22: encoded PowerShell is decoded once, here, so that it is searchable.
  if (const std::string* cl = ev.Get("process.command_line")) {
    if (auto decoded = DecodePowerShellCommand(*cl)) ev.Set("process.command_line_decoded", *decoded);
  }
  // kamatama.* datasets (kamatama.audit) are reserved for the server's own events: a sender
  // cannot forge an audit entry, or hide its events from non-admins, by claiming one.
  if (const std::string* ds = ev.Get(field::kDataset); ds && !(rec.flags & kRawInternal)) {
    std::string lower = *ds;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("kamatama", 0) == 0) {
      ev.Set("kamatama.claimed_dataset", *ds);
      ev.Set(field::kDataset, "reserved.spoofed");
    }
  }
  if (rec.flags & kRawTruncated) {
    ev.AddTag("truncated");
    ev.Set(field::kErrorMessage, "line truncated at " + std::to_string(rec.data.size()) + " bytes");
  }
  return ev;
}

}  // namespace kamatama
