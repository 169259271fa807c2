// core/time.cc
#include "core/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace kamatama {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}
}  // namespace

namespace {
// What follows the date (from s[10]): time of day and fraction minus the zone offset, in
// nanoseconds (within two days either way); nullopt if malformed.
std::optional<int64_t> TimeAfterDate(std::string_view s) {
  if (s.size() == 10) return 0;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  int hh, mm, ss = 0;
  if (!Digits(s, 11, 2, &hh) || s.size() < 16 || s[13] != ':' || !Digits(s, 14, 2, &mm))
    return std::nullopt;
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, 17, 2, &ss)) return std::nullopt;
    pos = 19;
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  if (ss == 60) ss = 59;  // leap second: clamp
  int64_t ns = (static_cast<int64_t>(hh) * 3600 + mm * 60 + ss) * kNanosPerSecond;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int64_t frac = 0;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) frac *= 10;
    ns += frac;
  }
  if (pos == s.size()) return ns;  // no zone: UTC
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional<int64_t>(ns) : std::nullopt;
  if (s[pos] == '+' || s[pos] == '-') {
    int sign = s[pos] == '+' ? 1 : -1;
    int oh, om = 0;
    if (!Digits(s, pos + 1, 2, &oh)) return std::nullopt;
    size_t p = pos + 3;
    if (p < s.size() && s[p] == ':') ++p;
    if (p < s.size()) {
      if (!Digits(s, p, 2, &om)) return std::nullopt;
      p += 2;
    }
    if (p != s.size() || oh > 23 || om > 59) return std::nullopt;
    return ns - sign * (static_cast<int64_t>(oh) * 3600 + om * 60) * kNanosPerSecond;
  }
  return std::nullopt;
}

std::optional<int64_t> Refuse(TimeFault why, TimeFault* fault) {
  if (fault) *fault = why;
  return std::nullopt;
}

std::optional<int64_t> Accept(int64_t ns, TimeFault* fault) {
  if (ns < kMinTimeNs || ns > kMaxTimeNs) return Refuse(TimeFault::kRange, fault);
  if (fault) *fault = TimeFault::kNone;
  return ns;
}
}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s, TimeFault* fault) {
  int year, month, day;
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day))
    return Refuse(TimeFault::kSyntax, fault);
  if (month < 1 || month > 12 || day < 1 || day > 31) return Refuse(TimeFault::kSyntax, fault);
  const std::optional<int64_t> rest = TimeAfterDate(s);
  if (!rest) return Refuse(TimeFault::kSyntax, fault);
  // Years 0000-9999 would overflow once in nanoseconds: only those that can be in range are computed.
  if (year < 1677 || year > 2262) return Refuse(TimeFault::kRange, fault);
  const int64_t days = DaysFromCivil(year, month, day);
  if (days <= -INT64_MAX / kNanosPerDay + 2 || days >= INT64_MAX / kNanosPerDay - 2) return Refuse(TimeFault::kRange, fault);
  return Accept(days * kNanosPerDay + *rest, fault);
}

std::string FormatRfc3339(int64_t ns) {
  int64_t days = DayOf(ns);
  int64_t rem = ns - days * kNanosPerDay;
  CivilDate d = CivilFromDays(days);
  int64_t secs = rem / kNanosPerSecond;
  int64_t frac = rem % kNanosPerSecond;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(d.year), d.month, d.day,
                        static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                        static_cast<long long>(secs % 60));
  if (frac % 1'000'000 == 0) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%03lldZ", static_cast<long long>(frac / 1'000'000));
  } else if (frac % 1000 == 0) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(frac / 1000));
  } else {
    n += std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(frac));
  }
  return std::string(buf, n);
}

std::optional<int64_t> ParseDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr == s.data() || value < 0) return std::nullopt;
  std::string_view unit(ptr, s.data() + s.size() - ptr);
  int64_t mult;
  if (unit == "ns") mult = 1;
  else if (unit == "us") mult = 1'000;
  else if (unit == "ms") mult = 1'000'000;
  else if (unit == "s") mult = kNanosPerSecond;
  else if (unit == "m") mult = 60 * kNanosPerSecond;
  else if (unit == "h") mult = 3600 * kNanosPerSecond;
  else if (unit == "d") mult = kNanosPerDay;
  else if (unit == "w") mult = 7 * kNanosPerDay;
  else return std::nullopt;
  if (value > INT64_MAX / mult) return std::nullopt;
  return value * mult;
}

std::optional<int64_t> ParseApiTime(std::string_view s, int64_t now_ns, TimeFault* fault) {
  if (s.empty()) return Refuse(TimeFault::kSyntax, fault);
  if (s == "now") return Accept(now_ns, fault);
  std::string_view rel = s;
  if (rel.substr(0, 3) == "now") rel.remove_prefix(3);
  if (!rel.empty() && (rel[0] == '-' || rel[0] == '+') && rel.size() > 1 &&
      !(rel.size() >= 5 && rel[4] == '-')) {
    auto d = ParseDuration(rel.substr(1));
    if (!d) return Refuse(TimeFault::kSyntax, fault);
    int64_t t = 0;
    const bool over = rel[0] == '-' ? __builtin_sub_overflow(now_ns, *d, &t) : __builtin_add_overflow(now_ns, *d, &t);
    return over ? Refuse(TimeFault::kRange, fault) : Accept(t, fault);
  }
  TimeFault why = TimeFault::kNone;
  if (auto t = ParseRfc3339(s, &why)) return Accept(*t, fault);
  if (why == TimeFault::kRange) return Refuse(why, fault);
  // Epoch seconds (10 digits or fewer) or milliseconds.
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ptr != s.data() + s.size() || v < 0) return Refuse(TimeFault::kSyntax, fault);
  if (ec == std::errc::result_out_of_range) return Refuse(TimeFault::kRange, fault);
  if (ec != std::errc()) return Refuse(TimeFault::kSyntax, fault);
  if (v < 100'000'000'000LL) {
    return v > kMaxTimeNs / kNanosPerSecond ? Refuse(TimeFault::kRange, fault) : Accept(v * kNanosPerSecond, fault);
  }
  return v > kMaxTimeNs / 1'000'000 ? Refuse(TimeFault::kRange, fault) : Accept(v * 1'000'000, fault);
}

}  // namespace kamatama
