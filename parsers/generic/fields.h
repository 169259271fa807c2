// parsers/generic/fields.h
//! What the generic structured formats (CEF, LEEF, key=value) share: field names built from
//! keys that came in the log, typed ECS setters that check the value first, and device times
//! in the formats these products write. Internal to parsers/generic/.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace kamatama::generic {

//! Most pairs taken from one line: the rest stay in the message (bounds the field count).
inline constexpr size_t kMaxPairs = 200;
//! Longest key taken as a field name.
inline constexpr size_t kMaxKeyLength = 64;

//! `prefix` + `key`, with every byte of the key outside [A-Za-z0-9_-] and inner '.' turned into
//! '_' (a log's key can never reach outside the prefix, e.g. "x..y", ".", "a b"). Empty if the
//! key is empty or longer than kMaxKeyLength.
std::string PrefixedName(std::string_view prefix, std::string_view key);

//! True if `key` is written `name` in a field name (PrefixedName with no prefix), without
//! building the name: "File size (bytes)" is named File_size__bytes_.
bool KeyNamed(std::string_view key, std::string_view name);

//! Writes the fields a format keeps under its own prefix (cef.*, leef.*, kv.<program>.*), fast:
//! a name new in the line is appended without searching the event (unless the event already had
//! fields under the prefix, e.g. a JSON event forced through the parser). A name met again is
//! replaced (kReplace) or numbered name_2, name_3, ... (kNumber).
class PrefixWriter {
 public:
  enum class Repeat { kReplace, kNumber };
  PrefixWriter(Event* ev, std::string prefix, Repeat repeat);
  //! Writes PrefixedName(prefix, key) = value (nothing if the key cannot be a name).
  void Put(std::string_view key, std::string_view value);

 private:
  bool Seen(std::string_view name) const;

  Event* ev_;
  std::string prefix_;
  Repeat repeat_;
  bool had_prefix_ = false;
  std::vector<std::string> seen_;
};

//! The key=value scanner of the kv parser (kv.cc), for others that read such pairs (the
//! declarative parsers): calls f(key, value) for each pair, at most kMaxPairs; returns the count.
//! Values as kv.cc reads them (quotes and brackets undone, plain values up to the next key=).
size_t ForEachKeyValue(std::string_view s, const std::function<void(std::string_view, std::string)>& f);

//! Lowercase ASCII of a short label ([a-z0-9_-] kept), runs of other bytes as one '_'
//! ("Host ID" -> "host_id"); at most kMaxKeyLength bytes.
std::string LabelName(std::string_view label);

//! Typed ECS setters: each sets `name` only if the value is of its kind and returns whether it
//! did. An IP may carry an "::ffff:" prefix; a port is 0-65535; a transport is a name or an IANA
//! number (6 -> tcp) written lowercase; a MAC is normalised to "AA-BB-CC-DD-EE-FF"; a hash
//! goes to <base>.md5/.sha1/.sha256/.sha512 by its length.
bool SetIp(Event* ev, std::string_view name, std::string_view value);
bool SetPort(Event* ev, std::string_view name, std::string_view value);
bool SetCount(Event* ev, std::string_view name, std::string_view value);
bool SetTransport(Event* ev, std::string_view value);
bool SetMac(Event* ev, std::string_view name, std::string_view value);
bool SetHash(Event* ev, std::string_view base, std::string_view value);
//! Sets `name` if the value is not empty (after trimming spaces).
bool SetText(Event* ev, std::string_view name, std::string_view value);

//! How a mapped key's value is checked and written.
enum class Kind : uint8_t {
  kText,       //!< as is (trimmed), if not empty
  kLower,      //!< lowercased text
  kIp,         //!< SetIp
  kPort,       //!< SetPort
  kCount,      //!< SetCount (unsigned decimal)
  kTransport,  //!< SetTransport (the ECS name is network.transport)
  kMac,        //!< SetMac
  kHash,       //!< SetHash (the ECS name is the base, e.g. file.hash)
  kTime,       //!< ParseDeviceTime, written as RFC 3339
  kTimestamp,  //!< ParseDeviceTime, becomes @timestamp
  kOutcome,    //!< event.outcome: success/failure/unknown from common spellings
};

//! A key of a format and the ECS field it fills.
struct KeyRule {
  std::string_view key;
  std::string_view ecs;
  Kind kind;
};

//! Writes `value` to rule.ecs as rule.kind says; false if the value is not of that kind.
//! `time_format` is a Java pattern for kTime/kTimestamp (may be empty).
bool ApplyRule(Event* ev, const KeyRule& rule, std::string_view value, std::string_view time_format = {});

//! Where `marker` (e.g. "CEF:") begins in the message: at 0 or after a space, within the
//! first 512 bytes, followed by a digit. npos if not there.
size_t FindFormatMarker(std::string_view message, std::string_view marker);

//! A device time as these formats write it, in UTC nanoseconds:
//!  - epoch seconds (10 digits) or milliseconds (13 digits), possibly with a fraction;
//!  - RFC 3339;
//!  - "MMM dd yyyy HH:mm:ss[.SSS][ zone]" (the CEF and LEEF default) and "MMM dd HH:mm:ss..."
//!    with the year taken from `reference_ns`;
//!  - when `java_format` is given (LEEF devTimeFormat), that Java SimpleDateFormat pattern
//!    (y M MMM d H m s S, zones Z X z as UTC/GMT/Z/+hh[:]mm, 'quoted' literals).
//! Zones other than UTC/GMT/Z and numeric offsets are not guessed: nullopt.
std::optional<int64_t> ParseDeviceTime(std::string_view text, std::string_view java_format,
                                       int64_t reference_ns);

}  // namespace kamatama::generic
