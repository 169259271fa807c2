// core/time.h
//! UTC time helpers: civil dates, RFC 3339 parsing and formatting, relative times.
//! All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kamatama {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int64_t kNanosPerDay = 86'400 * kNanosPerSecond;

//! Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};
CivilDate CivilFromDays(int64_t days);

//! UTC day number (days since epoch) of a nanosecond timestamp; floor for negatives.
inline int64_t DayOf(int64_t ns) { return ns >= 0 ? ns / kNanosPerDay : -((-ns + kNanosPerDay - 1) / kNanosPerDay); }

//! Nanoseconds since the epoch, from the system clock.
int64_t NowNanos();

//! The times accepted from text: 1678-01-01T00:00:00Z up to 2261-12-31T23:59:59.999999999Z, whole
//! years inside what int64 nanoseconds hold (1677-09-21..2262-04-11).
inline constexpr int64_t kMinTimeNs = -9'214'560'000'000'000'000;
inline constexpr int64_t kMaxTimeNs = 9'214'646'399'999'999'999;
inline constexpr std::string_view kTimeRangeText = "time out of range (years 1678 to 2261)";

//! Why a time text was refused: not a time at all, or a time outside kMinTimeNs..kMaxTimeNs.
enum class TimeFault { kNone, kSyntax, kRange };

//! Parses RFC 3339 / ISO 8601 ("2026-11-26T12:00:00.123Z", "+02:00" offsets, space instead of T,
//! date only). Returns nullopt if the text is not such a time or lies outside kMinTimeNs..kMaxTimeNs;
//! *fault (if given) says which.
std::optional<int64_t> ParseRfc3339(std::string_view text, TimeFault* fault = nullptr);

//! Formats as "2026-11-26T12:00:00.123456789Z", trimming trailing zero groups of the fraction
//! to milli/micro/nano precision (always at least milliseconds).
std::string FormatRfc3339(int64_t ns);

//! Parses a time given to the API: RFC 3339, "now", a relative time like "-15m", "-2h", "-7d",
//! "now-1h", or integer epoch seconds/milliseconds. nullopt if not understood or outside
//! kMinTimeNs..kMaxTimeNs (*fault, if given, says which): never overflows.
std::optional<int64_t> ParseApiTime(std::string_view text, int64_t now_ns, TimeFault* fault = nullptr);

//! Parses a duration like "15m", "1h", "30s", "7d", "500ms", "2w". nullopt if invalid.
std::optional<int64_t> ParseDuration(std::string_view text);

}  // namespace kamatama
