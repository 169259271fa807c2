// parsers/json_event.h
//! JSON events: one bare JSON object per line (NXLog to_json, log shippers, HTTP ingest),
//! flattened into dotted ECS field names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/event.h"

namespace kamatama {

//! Documents nested deeper than this are rejected (the outer object is level 1; an empty
//! innermost {} or [] is not counted).
inline constexpr size_t kMaxJsonDepth = 64;

//! Parses `line` as one JSON object into `ev`:
//!  - nested objects flatten to dotted names ({"host":{"name":"a"}} -> host.name); strings are
//!    stored unescaped, numbers as JSON number text (simdjson's serialisation: integers exactly,
//!    floats shortest round-trip), booleans as "true"/"false", arrays as compact JSON text;
//!    nulls and empty objects add nothing; a repeated name keeps its first position, last value;
//!  - `tags` (a string or an array of strings) goes through Event::AddTag;
//!  - timestamp_ns: the first of @timestamp, timestamp, time, EventTime, ts that parses as
//!    RFC 3339 (space separator and zone-less = UTC accepted) or as epoch seconds (number or
//!    digit string; integer magnitudes >= 1e11/1e14/1e17 are taken as ms/us/ns); else received_ns.
//!    A parsed @timestamp is removed from the fields; the other keys stay as fields;
//!  - names an Event keeps outside `fields` (an unparsable @timestamp, event.ingested,
//!    event.original) are stored with a "json." prefix;
//!  - NXLog: Hostname is renamed host.name and Message renamed message when those are absent.
//! Returns false, sets *error (if non-null) and leaves `ev` unchanged for invalid JSON, a
//! non-object, or nesting deeper than kMaxJsonDepth. Thread-safe (one parser per thread).
bool ParseJsonEvent(std::string_view line, int64_t received_ns, Event* ev, std::string* error);

//! Parses a JSON timestamp value as described above (RFC 3339 or epoch number text).
bool ParseJsonTime(std::string_view text, int64_t* ns);

}  // namespace kamatama
