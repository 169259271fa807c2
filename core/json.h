// core/json.h
//! Writing JSON safely: every string from a log is attacker-controlled, so escaping
//! replaces invalid UTF-8 with U+FFFD and escapes all control characters and the HTML-significant
//! characters <, >, & (so JSON embedded in a page can never close a script element).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kamatama {

struct Event;

//! Appends `s` as a quoted JSON string.
void AppendJsonString(std::string* out, std::string_view s);

//! Appends `"key":value` to a JSON object or array being written in `out`, with a comma first
//! unless `out` ends with '{' or '[' (the member is the first).
void AppendJsonMember(std::string* out, std::string_view key, std::string_view value);
void AppendJsonMember(std::string* out, std::string_view key, int64_t value);

//! Replaces invalid UTF-8 sequences with U+FFFD. Returns true if `s` was valid already.
bool IsValidUtf8(std::string_view s);
std::string SanitizeUtf8(std::string_view s);
//! Appends code point `cp` (at most U+10FFFF) as UTF-8, as it is: callers replace what they refuse.
void AppendUtf8(uint32_t cp, std::string* out);

//! Appends an event as a JSON object with flat dotted keys: @timestamp, its fields (integer
//! fields as numbers), event.ingested and event.original. The API's and `kamatama parse`'s form.
void AppendEventJson(const Event& ev, std::string* out);

}  // namespace kamatama
