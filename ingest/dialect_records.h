// ingest/dialect_records.h
//! Internal to ingest/: how the shipper dialects (dialects.cc, proto_dialects.cc) turn a line and
//! its metadata into the RawRecord ParseRecord reads. Not for other folders.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/raw_record.h"
#include "ingest/dialects.h"

namespace kamatama::ingest {

using Pairs = std::vector<std::pair<std::string, std::string>>;

//! Appends `"name":"value"` (JSON-escaped) to a member list, with a comma when not first.
void AppendMember(std::string* out, std::string_view name, std::string_view value);
//! `"labels":{...}` (+ `"host":{"name":..}` from a host/hostname label).
void AppendLabels(std::string* out, const Pairs& labels);
//! The record for a line plus prefix members: merged in front of the line's own members if the
//! line is a JSON object (its own values win), else `{members,"message":line}`.
RawRecord MakeRecord(std::string_view members, std::string_view line, int64_t now, const std::string& observer,
                     std::string source);
//! The parser a Loki stream's `dataset` / `event_dataset` label names ("" = automatic).
std::string HintFromLabels(const Pairs& labels);
//! One Loki entry (timestamp in ns as digits, may be empty) as a record in *out, or a refusal.
void AddLokiEntry(const Pairs& labels, const std::string& hint, std::string_view ts_ns, std::string_view line,
                  const Pairs& metadata, const LokiOptions& opt, LokiResult* out);

}  // namespace kamatama::ingest
