// parsers/parse.h
//! The parsing entry point every ingest path calls: RawRecord in, Event out.
#pragma once

#include "core/event.h"
#include "core/raw_record.h"
#include "parsers/syslog.h"

namespace kamatama {

//! RawRecord flag: written by kamatama itself (the audit log, server/auth_routes.cc). Only such
//! records may carry the reserved kamatama.* datasets; others get event.dataset
//! "reserved.spoofed" and their claim in kamatama.claimed_dataset.
inline constexpr uint8_t kRawInternal = 4;

struct ParseOptions {
  SyslogOptions syslog;
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
//!  - kRawTruncated adds tag "truncated" and error.message "line truncated at N bytes".
Event ParseRecord(const RawRecord& rec, const ParseOptions& opt);

}  // namespace kamatama
