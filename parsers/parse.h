// parsers/parse.h
//! The parsing entry point every ingest path calls: RawRecord in, Event out.
#pragma once

#include <memory>
#include <string>

#include "core/event.h"
#include "core/raw_record.h"
#include "parsers/declarative/parser_set.h"
#include "parsers/syslog.h"

namespace kamatama {

//! RawRecord flag: written by kamatama itself (the audit log, server/auth_routes.cc). Only such
//! records may carry the reserved kamatama.* datasets; others get event.dataset
//! "reserved.spoofed" and their claim in kamatama.claimed_dataset.
inline constexpr uint8_t kRawInternal = 4;

struct ParseOptions {
  SyslogOptions syslog;
  //! Declarative parsers (parsers.dirs, docs/parsers.md); may be null. Every copy of the options
  //! shares the holder, so a set swapped in on SIGHUP reaches every ingest path at once.
  std::shared_ptr<declarative::UserParsers> user;
};

//! Which parser took a record (for `kamatama parsers test`).
struct ParseTrace {
  std::string parser;  //!< a declarative parser's name or a built-in parser's dataset; empty: none
  bool declarative = false;
};

//! Parses one record. Deterministic: the same RawRecord and options always give the same Event
//! (recovery re-parses stored raw records), so nothing here reads the clock.
//!  - ev.original = rec.data, ev.ingested_ns = rec.received_ns, observer.ip = rec.observer;
//!  - a JSON object (kRawJson, or first non-space byte '{' and valid JSON) becomes a JSON
//!    event: event.dataset from the JSON, else "json"; if rec.source names a parser it runs;
//!    invalid JSON falls through to syslog (with error.message when kRawJson claimed JSON);
//!  - otherwise ParseSyslog, then the source parser ByDataset(rec.source) if rec.source is set,
//!    else Choose(ev); if none or it declines, event.dataset = "syslog" ("raw" when the line
//!    was not syslog either);
//!  - declarative parsers (opt.user): `order: first` ones before the built-in parsers, `order:
//!    last` ones when none of those took the line; rec.source may name one's dataset;
//!  - kRawTruncated adds tag "truncated" and error.message "line truncated at N bytes".
//! `trace`, if given, receives the parser that took the record.
Event ParseRecord(const RawRecord& rec, const ParseOptions& opt, ParseTrace* trace = nullptr);

}  // namespace kamatama
