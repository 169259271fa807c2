// parsers/declarative/convert.cc
#include "parsers/declarative/convert.h"

#include "core/time.h"
#include "parsers/toolkit.h"

namespace kamatama::declarative {

namespace {

using namespace toolkit;

constexpr std::string_view kDirectives = "YymdeHMSfbzZTs%";

//! The fields of a time read so far.
struct Civil {
  int64_t year = -1;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  std::optional<int64_t> offset_ns;
  std::optional<int64_t> epoch_s;
};

//! Up to `max` digits (at least one) at the front of `s`.
bool Digits(sv& s, size_t max, int64_t* out) {
  size_t n = 0;
  int64_t v = 0;
  while (n < s.size() && n < max && IsDigit(s[n])) v = v * 10 + (s[n++] - '0');
  if (n == 0) return false;
  s.remove_prefix(n);
  *out = v;
  return true;
}

bool Month(sv& s, int* month) {
  if (s.size() < 3) return false;
  int m = MonthFromAbbrev(s.substr(0, 3));
  if (m == 0) return false;
  size_t n = 3;
  while (n < s.size() && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))) ++n;  // full names
  s.remove_prefix(n);
  *month = m;
  return true;
}

bool Fraction(sv& s, int64_t* nanos) {
  size_t n = 0;
  int64_t v = 0;
  while (n < s.size() && IsDigit(s[n])) {
    if (n < 9) v = v * 10 + (s[n] - '0');
    ++n;
  }
  if (n == 0) return false;
  for (size_t k = n; k < 9; ++k) v *= 10;
  s.remove_prefix(n);
  *nanos = v;
  return true;
}

bool Zone(sv& s, std::optional<int64_t>* offset) {
  size_t n = 0;
  while (n < s.size() && !IsSpace(s[n])) ++n;
  auto z = ParseZoneOffset(s.substr(0, n));
  if (!z) return false;
  s.remove_prefix(n);
  *offset = *z;
  return true;
}

bool Int(sv& s, size_t max, int* out) {
  int64_t v = 0;
  if (!Digits(s, max, &v)) return false;
  *out = static_cast<int>(v);
  return true;
}

//! One %-directive of a format against the front of `s`.
bool Directive(char d, sv& s, Civil* c) {
  switch (d) {
    case 'Y': return Digits(s, 4, &c->year);
    case 'y': {
      int64_t y = 0;
      if (!Digits(s, 2, &y)) return false;
      c->year = 2000 + y;
      return true;
    }
    case 'm': return Int(s, 2, &c->month);
    case 'e': s = TrimL(s); [[fallthrough]];
    case 'd': return Int(s, 2, &c->day);
    case 'H': return Int(s, 2, &c->hour);
    case 'M': return Int(s, 2, &c->minute);
    case 'S': return Int(s, 2, &c->second);
    case 'f': return Fraction(s, &c->nanos);
    case 'b': return Month(s, &c->month);
    case 'z': case 'Z': return Zone(s, &c->offset_ns);
    case 'T': return Int(s, 2, &c->hour) && Eat(s, ":") && Int(s, 2, &c->minute) && Eat(s, ":") && Int(s, 2, &c->second);
    case 's': {
      int64_t v = 0;
      if (!Digits(s, 12, &v)) return false;
      c->epoch_s = v;
      return true;
    }
    case '%': return Eat(s, "%");
    default: return false;
  }
}

bool Scan(sv text, sv format, Civil* c) {
  sv s = Trim(text);
  for (size_t i = 0; i < format.size(); ++i) {
    const char f = format[i];
    if (f == '%' && i + 1 < format.size()) {
      if (!Directive(format[++i], s, c)) return false;
    } else if (f == ' ') {
      if (s.empty() || !IsSpace(s.front())) return false;
      s = TrimL(s);
    } else if (s.empty() || s.front() != f) {
      return false;
    } else {
      s.remove_prefix(1);
    }
  }
  return s.empty();
}

std::optional<int64_t> FromCivil(const Civil& c, int64_t offset_ns, int64_t reference_ns) {
  if (c.epoch_s) return *c.epoch_s * kNanosPerSecond + c.nanos;
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.hour > 23 || c.minute > 59 || c.second > 60)
    return std::nullopt;
  const int64_t offset = c.offset_ns.value_or(offset_ns);
  auto at = [&](int64_t year) {
    int64_t days = DaysFromCivil(year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day));
    return ((days * 86400 + c.hour * 3600 + c.minute * 60 + c.second) * kNanosPerSecond) + c.nanos - offset;
  };
  if (c.year >= 0) {
    if (c.year < 1678 || c.year > 2261) return std::nullopt;
    return at(c.year);
  }
  const int64_t year = CivilFromDays(DayOf(reference_ns)).year;
  const int64_t t = at(year);
  return t > reference_ns + kNanosPerDay ? at(year - 1) : t;
}

std::optional<int64_t> Epoch(sv text, int64_t unit_ns) {
  sv s = Trim(text);
  int64_t whole = 0, nanos = 0;
  if (!Digits(s, 16, &whole)) return std::nullopt;
  if (Eat(s, ".") && !Fraction(s, &nanos)) return std::nullopt;
  if (!s.empty()) return std::nullopt;
  if (unit_ns == kNanosPerSecond) return whole * kNanosPerSecond + nanos;
  return whole * unit_ns + nanos / 1000;
}

bool IsInt(sv s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return IsDigits(s) && s.size() <= 18;
}

}  // namespace

std::optional<int64_t> ParseZoneOffset(std::string_view z) {
  if (z == "Z" || z == "UTC" || z == "GMT" || z == "z") return 0;
  if (z.size() < 3 || (z[0] != '+' && z[0] != '-')) return std::nullopt;
  sv s = z.substr(1);
  int64_t h = 0, m = 0;
  if (!Digits(s, 2, &h)) return std::nullopt;
  Eat(s, ":");
  if (!s.empty() && !Digits(s, 2, &m)) return std::nullopt;
  if (!s.empty() || h > 14 || m > 59) return std::nullopt;
  const int64_t ns = (h * 3600 + m * 60) * kNanosPerSecond;
  return z[0] == '-' ? -ns : ns;
}

bool ValidTimeFormat(std::string_view format, std::string* why) {
  if (format == "rfc3339" || format == "epoch" || format == "epoch_ms") return true;
  if (format.empty()) {
    *why = "an empty time format";
    return false;
  }
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 == format.size() || kDirectives.find(format[i + 1]) == sv::npos) {
      *why = "time format '" + std::string(format) + "': unknown directive at byte " + std::to_string(i + 1) +
             " (known: %Y %y %m %d %e %H %M %S %f %b %z %Z %T %s %%)";
      return false;
    }
    ++i;
  }
  return true;
}

std::optional<int64_t> ParseTime(std::string_view text, std::string_view format, int64_t offset_ns,
                                 int64_t reference_ns) {
  if (format == "rfc3339") return ParseRfc3339(Trim(text));
  if (format == "epoch") return Epoch(text, kNanosPerSecond);
  if (format == "epoch_ms") return Epoch(text, 1'000'000);
  Civil c;
  if (!Scan(text, format, &c)) return std::nullopt;
  return FromCivil(c, offset_ns, reference_ns);
}

std::optional<std::string> Convert(const FieldSpec& spec, std::string_view value, int64_t reference_ns, int64_t* ns,
                                   std::string* why) {
  const sv v = Trim(value);
  switch (spec.type) {
    case Type::kString: return std::string(value);
    case Type::kLowercase: return Lower(v);
    case Type::kUppercase: {
      std::string out(v);
      for (char& ch : out) ch = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 32) : ch;
      return out;
    }
    case Type::kPlusSpace: {
      std::string out(v);
      for (char& ch : out) ch = ch == '+' ? ' ' : ch;
      return out;
    }
    case Type::kMac: {
      std::string mac = NormalizeMac(v);
      if (!mac.empty()) return mac;
      *why = "not a MAC address";
      return std::nullopt;
    }
    case Type::kInt:
      if (IsInt(v)) return std::string(v[0] == '+' ? v.substr(1) : v);
      *why = "not an integer";
      return std::nullopt;
    case Type::kPort:
      if (IsPort(v) && std::stoi(std::string(v)) <= 65535) return std::string(v);
      *why = "not a port (0 to 65535)";
      return std::nullopt;
    case Type::kIp: {
      sv ip = v;
      if (ip.size() > 7 && EqualsIgnoreCase(ip.substr(0, 7), "::ffff:") && IsIPv4(ip.substr(7))) ip.remove_prefix(7);
      if (IsIp(ip)) return std::string(ip);
      *why = "not an IP address";
      return std::nullopt;
    }
    case Type::kTimestamp:
      for (const std::string& f : spec.formats) {
        if (auto t = ParseTime(v, f, spec.offset_ns, reference_ns); t && *t >= kMinTimeNs && *t <= kMaxTimeNs) {
          *ns = *t;
          return FormatRfc3339(*t);
        }
      }
      *why = "not a time in the formats given";
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Type> TypeFromName(std::string_view name) {
  if (name == "string") return Type::kString;
  if (name == "int" || name == "integer") return Type::kInt;
  if (name == "port") return Type::kPort;
  if (name == "ip") return Type::kIp;
  if (name == "timestamp" || name == "time") return Type::kTimestamp;
  if (name == "lowercase") return Type::kLowercase;
  if (name == "uppercase") return Type::kUppercase;
  if (name == "mac") return Type::kMac;
  if (name == "plus_space") return Type::kPlusSpace;
  return std::nullopt;
}

}  // namespace kamatama::declarative
