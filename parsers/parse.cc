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

//! Records in *trace (if any) which parser took the event; true.
bool Took(ParseTrace* trace, std::string_view name, bool declarative) {
  if (trace) {
    trace->parser = name;
    trace->declarative = declarative;
  }
  return true;
}

//! The source parsers for an envelope-parsed event: the one rec.source names, else the
//! declarative parsers of `order: first`, the built-in ones, those of `order: last`. True if one
//! took it.
bool RunParsers(const RawRecord& rec, const declarative::ParserSet* user, bool json, Event* ev, ParseTrace* trace) {
  const ParserRegistry& registry = ParserRegistry::Global();
  if (!rec.source.empty()) {
    if (const SourceParser* p = registry.ByDataset(rec.source)) return RunSourceParser(p, ev) && Took(trace, p->dataset, false);
    const declarative::Definition* d = user ? user->ByDataset(rec.source) : nullptr;
    return d && user->RunOne(d, ev, json) && Took(trace, d->name, true);
  }
  if (user) {
    if (const declarative::Definition* d = user->Run(declarative::Order::kFirst, ev, json)) return Took(trace, d->name, true);
  }
  if (const SourceParser* p = registry.Parse(ev, json)) return Took(trace, p->dataset, false);
  if (user) {
    if (const declarative::Definition* d = user->Run(declarative::Order::kLast, ev, json)) return Took(trace, d->name, true);
  }
  return false;
}

}  // namespace

Event ParseRecord(const RawRecord& rec, const ParseOptions& opt, ParseTrace* trace) {
  const std::shared_ptr<const declarative::ParserSet> user = opt.user ? opt.user->Current() : nullptr;
  Event ev;
  ev.original = rec.data;
  ev.ingested_ns = rec.received_ns;
  ev.timestamp_ns = rec.received_ns;

  bool done = false;
  if ((rec.flags & kRawJson) || StartsWithBrace(rec.data)) {
    std::string error;
    if (ParseJsonEvent(rec.data, rec.received_ns, &ev, &error)) {
      const bool parsed = RunParsers(rec, user.get(), true, &ev, trace);
      if (!parsed && !ev.Get(field::kDataset)) ev.Set(field::kDataset, "syslog.json");
      done = true;
    } else if (rec.flags & kRawJson) {
      ev.Set(field::kErrorMessage, error);
    }
  }
  if (!done) {
    const bool is_syslog = ParseSyslog(rec.data, rec.received_ns, opt.syslog, &ev);
    const bool parsed = RunParsers(rec, user.get(), false, &ev, trace);
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
