// parsers/declarative/convert.h
//! Type conversions of the declarative parsers: int, port, ip, lowercase, uppercase, and times
//! in the formats a definition names. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "parsers/declarative/definition.h"

namespace kamatama::declarative {

//! Whether `format` is a time format a definition may name: "rfc3339", "epoch" (seconds, a
//! fraction allowed), "epoch_ms", or strftime-like text with %Y %y %m %d %e %H %M %S %f %b %z
//! %Z %T %s %% (a space matches one or more spaces). *why says what is wrong.
bool ValidTimeFormat(std::string_view format, std::string* why);

//! Parses `text` with one format. A time without a zone is at `offset_ns` from UTC; without a
//! year it takes the year of `reference_ns`, or the year before when that would put it more
//! than a day after the reference. UTC nanoseconds, or nullopt.
std::optional<int64_t> ParseTime(std::string_view text, std::string_view format, int64_t offset_ns,
                                 int64_t reference_ns);

//! Converts `value` by spec.type. For kTimestamp *ns is set and the text is RFC 3339. nullopt
//! with *why ("not an IP address", ...) when the value is not of that kind.
std::optional<std::string> Convert(const FieldSpec& spec, std::string_view value, int64_t reference_ns,
                                   int64_t* ns, std::string* why);

//! "+09:00", "-0500", "UTC", "Z" as nanoseconds east of UTC; nullopt otherwise.
std::optional<int64_t> ParseZoneOffset(std::string_view zone);

//! The name of a type as definitions write it ("int", "ip", ...); nullopt for an unknown name.
std::optional<Type> TypeFromName(std::string_view name);

}  // namespace kamatama::declarative
