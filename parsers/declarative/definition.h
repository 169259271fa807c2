// parsers/declarative/definition.h
//! A declarative parser: what a parser definition file (YAML, docs/parsers.md) says, compiled.
//! A Definition is immutable once loaded and safe to use from any number of threads (RE2 objects
//! are thread-safe for matching). Loading is in loader.cc, applying in engine.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics.h"

namespace re2 {
class RE2;
}

namespace kamatama::declarative {

//! Most extraction steps in one definition (each reads the line or a capture once).
inline constexpr size_t kMaxSteps = 16;
//! Bytes of a value an extraction step reads: a longer input is cut here (bounds the regex work
//! on hostile input; RE2 is linear in it).
inline constexpr size_t kMaxInputBytes = 64 * 1024;
//! Most captures (named groups, pairs, columns, JSON leaves) one line may produce; the rest are
//! ignored.
inline constexpr size_t kMaxCaptures = 200;
//! RE2 memory budget per compiled pattern: a definition cannot make the server allocate more.
inline constexpr int64_t kRegexMaxMem = 8 << 20;
//! Longest pattern text after grok expansion.
inline constexpr size_t kMaxPatternBytes = 16 * 1024;

//! A position in a definition file, 1-based (0: unknown).
struct Where {
  int line = 0;
  int column = 0;
};

//! Where a parser runs relative to the built-in ones.
enum class Order : uint8_t {
  kFirst,  //!< before every built-in parser (the default)
  kLast,   //!< only when no built-in parser recognised the line
};

//! A test on one value (a capture or an event field): `equals` (any of, ASCII
//! case-insensitive), `regex` (RE2, partial match), `exists`. Every test given must hold.
struct Test {
  std::string field;
  std::vector<std::string> equals;
  std::shared_ptr<const re2::RE2> regex;
  std::optional<bool> exists;
};

//! When a definition applies. Every part given must hold; at least one is given.
struct Matcher {
  std::vector<std::string> programs;      //!< process.name (syslog tag), lowercase, any of
  std::string prefix;                     //!< the message starts with it
  std::string contains;                   //!< the message contains it
  std::shared_ptr<const re2::RE2> regex;  //!< partial match on the message
  std::vector<Test> fields;               //!< tests on envelope or JSON fields
  bool json = false;                      //!< applies to JSON events (else to text lines only)
};

enum class StepKind : uint8_t { kRegex, kGrok, kKv, kJson, kCsv, kScan };

//! One extraction step: reads its input (the message, or a capture or field of an earlier
//! step) and adds captures. A step that does not match declines the line unless optional.
struct Step {
  StepKind kind = StepKind::kRegex;
  std::string input;  //!< capture or field name; empty: the message
  bool optional = false;
  Where where;
  // regex, grok: the compiled pattern and the capture name of each group (1-based -> [i-1];
  // empty for an unnamed group). scan: the pattern, matched repeatedly; each match gives one
  // capture named by its group `key` (a name from the log) with the value of its group `value`.
  std::shared_ptr<const re2::RE2> regex;
  std::vector<std::string> groups;
  int scan_key = 0, scan_value = 0;  //!< scan: the groups' numbers
  // kv: pairs split at pair_separator, key and value at value_separator. The defaults (space,
  // '=') use the key=value scanner of the generic parser (quotes, values with spaces).
  std::string pair_separator = " ";
  std::string value_separator = "=";
  // csv: column names in order ("" or "-" skips a column), the separator and quote byte.
  std::vector<std::string> columns;
  char separator = ',';
  char quote = '"';
};

//! How a mapped value is converted.
enum class Type : uint8_t { kString, kInt, kPort, kIp, kTimestamp, kLowercase, kUppercase, kMac, kPlusSpace };

//! One output field: `target` from the first capture or field of `from` that has a value, converted by `type`, then
//! looked up in `values` (ASCII case-insensitive; a value not in the table is kept unless a
//! `default` is given).
struct FieldSpec {
  std::string target;
  std::vector<std::string> from;  //!< captures or fields, in order: the first present and non-empty is read
  Type type = Type::kString;
  std::vector<std::string> formats;  //!< kTimestamp: strftime-like formats, or rfc3339/epoch/epoch_ms
  int64_t offset_ns = 0;             //!< kTimestamp: the zone of times written without one
  std::vector<std::pair<std::string, std::string>> values;
  std::optional<std::string> fallback;  //!< `default`: written when the value is missing or not in `values`
  Where where;
};

//! `rules`: when every test holds (on the fields after mapping), the constants are set.
struct Rule {
  std::vector<Test> tests;
  std::vector<std::pair<std::string, std::string>> set;
};

//! An example of the definition: a line and fields it must give (a value of null: absent).
struct Example {
  std::string line;
  std::vector<std::pair<std::string, std::optional<std::string>>> expect;
  Where where;
};

struct Definition {
  std::string name;     //!< unique among loaded definitions
  std::string dataset;  //!< event.dataset (default: name)
  std::string description;
  std::string file;  //!< where it was loaded from
  Where where;
  Order order = Order::kFirst;
  Matcher when;
  std::vector<Step> steps;
  std::vector<FieldSpec> fields;
  std::vector<std::pair<std::string, std::string>> constants;  //!< `set`
  std::vector<Rule> rules;
  //! Captures not used by `fields` are kept as <prefix>.<name> (`keep_unmapped: false` drops
  //! them); a capture named with a dot in the definition (grok %{IP:source.ip}) is that field.
  std::string prefix;
  bool keep_unmapped = true;
  std::vector<Example> examples;
  //! kamatama_parser_errors_total{parser="<name>"}: events where this definition threw (and
  //! declined) or wrote error.message (a value not of its type). Set by LoadParserSet, so the
  //! definitions the server and the CLI load count; ones only tried (the builder) do not.
  Counter* errors = nullptr;
};

}  // namespace kamatama::declarative
