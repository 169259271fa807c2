// intel/formats.h
//! Reading indicator lists (issue 28): plain text (one value per line), CSV with a header
//! (value, type, source, description, expires), STIX 2.1 bundles (indicators whose patterns are
//! simple comparisons: ipv4-addr, ipv6-addr, domain-name, url, email-addr values and file hashes,
//! ORed), and MISP JSON exports (an event, a list of events, restSearch answers; attributes with
//! to_ids). Every value goes through MakeIndicator. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "intel/indicator.h"

namespace kamatama::intel {

enum class ListFormat : uint8_t { kText, kCsv, kStix, kMisp };
const char* ListFormatName(ListFormat format);

//! The format of a list body from its Content-Type: text/plain, text/csv, application/stix+json,
//! application/vnd.misp+json; application/json is a STIX bundle when it says "type": "bundle",
//! else a MISP export. InvalidArgument for anything else.
Status DetectFormat(std::string_view content_type, std::string_view body, ListFormat* out);

struct ImportOptions {
  std::string default_source;      //!< source of entries that name none
  int64_t now_ns = 0;              //!< entries already expired at this time are left out
  bool lenient = false;            //!< skip bad entries (reported) instead of refusing the list
  size_t max_indicators = 2'000'000;
};

struct ImportReport {
  size_t accepted = 0;
  size_t rejected = 0;  //!< bad values (lenient) or the first one (strict)
  size_t expired = 0;   //!< already expired: left out
  size_t skipped = 0;   //!< not indicators we match: other STIX objects or patterns, other MISP types
  std::vector<std::string> errors;  //!< the first kMaxReportedErrors, with where they are
};
inline constexpr size_t kMaxReportedErrors = 20;

//! Reads `body` as `format`. Strict (the default): the first bad entry fails the whole list with
//! InvalidArgument naming its line or object; lenient: bad entries are counted and skipped. A
//! body that is not the format at all (malformed JSON, a JSON object that is no bundle) fails
//! either way; more than max_indicators entries fail with ResourceExhausted.
Status ParseIndicators(std::string_view body, ListFormat format, const ImportOptions& options,
                       std::vector<Indicator>* out, ImportReport* report);

}  // namespace kamatama::intel
