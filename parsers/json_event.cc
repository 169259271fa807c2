// parsers/json_event.cc
#include "parsers/json_event.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

#include "core/time.h"

namespace kamatama {

namespace {

void AddTagText(Event* ev, std::string tag) {
  std::replace(tag.begin(), tag.end(), ',', ' ');  // the tags field is comma separated
  if (!tag.empty()) ev->AddTag(tag);
}

//! Flattens objects into ev->fields; `name` is the dotted prefix (restored on return).
void Flatten(simdjson::dom::object obj, std::string* name, Event* ev) {
  for (auto [key, value] : obj) {
    const size_t saved = name->size();
    if (!name->empty()) name->push_back('.');
    name->append(key);
    const auto type = value.type();
    if (*name == field::kTags && (type == simdjson::dom::element_type::STRING ||
                                  type == simdjson::dom::element_type::ARRAY)) {
      // ECS tags: a list, kept in the Event's comma separated `tags` field.
      std::string_view s;
      simdjson::dom::array arr;
      if (!value.get(s)) {
        AddTagText(ev, std::string(s));
      } else if (!value.get(arr)) {
        for (auto el : arr) AddTagText(ev, el.get(s) ? simdjson::minify(el) : std::string(s));
      }
      name->resize(saved);
      continue;
    }
    switch (type) {
      case simdjson::dom::element_type::OBJECT: {
        simdjson::dom::object inner;
        if (!value.get(inner)) Flatten(inner, name, ev);
        break;
      }
      case simdjson::dom::element_type::STRING: {
        std::string_view s;
        if (!value.get(s)) ev->Add(*name, s);
        break;
      }
      case simdjson::dom::element_type::BOOL: {
        bool b = false;
        if (!value.get(b)) ev->Add(*name, b ? "true" : "false");
        break;
      }
      case simdjson::dom::element_type::NULL_VALUE:
        break;
      default:  // numbers and arrays
        ev->fields.emplace_back(*name, simdjson::minify(value));
        break;
    }
    name->resize(saved);
  }
}

//! Makes names unique from index `from` on: a repeated name keeps the position of its first
//! occurrence and the value of its last (the semantics of Event::Set).
void Dedupe(Event* ev, size_t from) {
  auto& f = ev->fields;
  if (f.size() - from < 2) return;
  std::vector<uint32_t> idx(f.size() - from);
  std::iota(idx.begin(), idx.end(), static_cast<uint32_t>(from));
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return f[a].first < f[b].first; });
  bool any = false;
  std::vector<bool> drop(f.size(), false);
  for (size_t g = 0; g < idx.size();) {
    size_t e = g + 1;
    while (e < idx.size() && f[idx[e]].first == f[idx[g]].first) ++e;
    if (e - g > 1) {
      any = true;
      f[idx[g]].second = std::move(f[idx[e - 1]].second);
      for (size_t k = g + 1; k < e; ++k) drop[idx[k]] = true;
    }
    g = e;
  }
  if (!any) return;
  size_t out = from;
  for (size_t i = from; i < f.size(); ++i) {
    if (drop[i]) continue;
    if (out != i) f[out] = std::move(f[i]);
    ++out;
  }
  f.resize(out);
}

ptrdiff_t FindField(const Event& ev, std::string_view name) {
  for (size_t i = 0; i < ev.fields.size(); ++i) {
    if (ev.fields[i].first == name) return static_cast<ptrdiff_t>(i);
  }
  return -1;
}

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    // On failure parse() allocates on demand (with the default depth limit).
    // simdjson counts the scalar inside the innermost container as one more level.
    if (p.allocate(64 * 1024, kMaxJsonDepth + 1) != simdjson::SUCCESS) return simdjson::dom::parser();
    return p;
  }();
  return parser;
}

}  // namespace

bool ParseJsonTime(std::string_view text, int64_t* ns) {
  if (text.empty()) return false;
  if (text.size() >= 10 && text[4] == '-') {
    auto t = ParseRfc3339(text);
    if (t) *ns = *t;
    return t.has_value();
  }
  // Epoch number: [-]digits[.digits] or with an exponent.
  const bool neg = text[0] == '-';
  std::string_view num = neg ? text.substr(1) : text;
  size_t i = 0;
  uint64_t whole = 0;
  while (i < num.size() && num[i] >= '0' && num[i] <= '9') {
    if (whole > UINT64_MAX / 10 - 10) return false;
    whole = whole * 10 + (num[i++] - '0');
  }
  if (i == 0) return false;
  int64_t frac = 0;  // nanoseconds-of-a-unit scaled to 1e9
  if (i < num.size() && num[i] == '.') {
    size_t j = i + 1;
    int digits = 0;
    while (j < num.size() && num[j] >= '0' && num[j] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (num[j] - '0');
        ++digits;
      }
      ++j;
    }
    if (digits == 0) return false;
    for (int d = digits; d < 9; ++d) frac *= 10;
    i = j;
  }
  if (i < num.size()) {
    if (num[i] != 'e' && num[i] != 'E') return false;
    double d;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(d)) return false;
    double mag = std::fabs(d);
    if (mag >= 1e17) {
      // already nanoseconds
    } else if (mag >= 1e14) {
      d *= 1e3;
    } else if (mag >= 1e11) {
      d *= 1e6;
    } else {
      d *= 1e9;
    }
    if (std::fabs(d) < 1e17 || std::fabs(d) > 9.2e18) return false;
    *ns = static_cast<int64_t>(std::llround(d));
    return true;
  }
  int64_t unit;
  if (whole >= 100'000'000'000'000'000ULL) {
    unit = 1;
  } else if (whole >= 100'000'000'000'000ULL) {
    unit = 1000;
  } else if (whole >= 100'000'000'000ULL) {
    unit = 1'000'000;
  } else if (whole >= 100'000'000ULL) {
    unit = kNanosPerSecond;
  } else {
    return false;  // before 1973: a duration or a counter, not a time
  }
  if (whole > static_cast<uint64_t>(INT64_MAX)) return false;
  int64_t v;
  if (__builtin_mul_overflow(static_cast<int64_t>(whole), unit, &v)) return false;
  if (__builtin_add_overflow(v, frac * unit / kNanosPerSecond, &v)) return false;
  *ns = neg ? -v : v;
  return true;
}

bool ParseJsonEvent(std::string_view line, int64_t received_ns, Event* ev, std::string* error) {
  simdjson::dom::parser& parser = ThreadParser();
  simdjson::dom::element root;
  if (auto err = parser.parse(line.data(), line.size(), true).get(root)) {
    if (error) {
      *error = err == simdjson::DEPTH_ERROR ? "JSON nested deeper than 64 levels"
                                            : std::string("invalid JSON: ") + simdjson::error_message(err);
    }
    return false;
  }
  simdjson::dom::object obj;
  if (root.get(obj)) {
    if (error) *error = "JSON is not an object";
    return false;
  }
  const size_t base = ev->fields.size();
  ev->fields.reserve(base + obj.size());
  std::string name;
  Flatten(obj, &name, ev);
  Dedupe(ev, base);

  ev->timestamp_ns = received_ns;
  static constexpr std::string_view kTimeKeys[] = {"@timestamp", "timestamp", "time", "EventTime", "ts"};
  for (std::string_view key : kTimeKeys) {
    const std::string* v = ev->Get(key);
    int64_t ns;
    if (v && ParseJsonTime(*v, &ns)) {
      ev->timestamp_ns = ns;
      if (key == field::kTimestamp) ev->Remove(key);
      break;
    }
  }
  for (std::string_view reserved : {field::kTimestamp, field::kIngested, field::kOriginal}) {
    ptrdiff_t at = FindField(*ev, reserved);
    if (at < 0) continue;
    std::string renamed = "json." + std::string(reserved);
    if (ev->Get(renamed)) {
      ev->fields.erase(ev->fields.begin() + at);
    } else {
      ev->fields[at].first = std::move(renamed);
    }
  }
  if (!ev->Get(field::kHostName)) {
    ptrdiff_t at = FindField(*ev, "Hostname");
    if (at >= 0) ev->fields[at].first = field::kHostName;
  }
  if (!ev->Get(field::kMessage)) {
    ptrdiff_t at = FindField(*ev, "Message");
    if (at >= 0) ev->fields[at].first = field::kMessage;
  }
  return true;
}

}  // namespace kamatama
