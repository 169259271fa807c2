// parsers/declarative/grok.cc
#include "parsers/declarative/grok.h"

#include <utility>

#include "parsers/declarative/definition.h"

namespace kamatama::declarative {

namespace {

//! Written from the pattern names Logstash and Graylog users know, as RE2 text (non-capturing
//! groups only, so that group numbers are the fields').
const std::pair<const char*, const char*> kGrokLibrary[] = {
    {"INT", R"([+-]?[0-9]+)"},
    {"POSINT", R"([0-9]+)"},
    {"NUMBER", R"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"},
    {"BASE16NUM", R"((?:0[xX])?[0-9A-Fa-f]+)"},
    {"WORD", R"(\w+)"},
    {"NOTSPACE", R"(\S+)"},
    {"SPACE", R"(\s*)"},
    {"DATA", R"(.*?)"},
    {"GREEDYDATA", R"(.*)"},
    {"QUOTEDSTRING", R"("(?:[^"\\]|\\.)*")"},
    {"QS", R"(%{QUOTEDSTRING})"},
    {"IPV4", R"((?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))"},
    {"IPV6", R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?)"},
    {"IP", R"((?:%{IPV4}|%{IPV6}))"},
    {"HOSTNAME", R"([0-9A-Za-z](?:[0-9A-Za-z-]{0,62})(?:\.[0-9A-Za-z-]{1,63})*\.?)"},
    {"IPORHOST", R"((?:%{IP}|%{HOSTNAME}))"},
    {"HOSTPORT", R"(%{IPORHOST}:%{POSINT})"},
    {"USERNAME", R"([A-Za-z0-9._@\\-]+)"},
    {"USER", R"(%{USERNAME})"},
    {"EMAILADDRESS", R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+)"},
    {"MAC", R"((?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2})"},
    {"UUID", R"([0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12})"},
    {"PATH", R"((?:/[^\s]*|[A-Za-z]:\\[^\s]*))"},
    {"URI", R"([A-Za-z][A-Za-z0-9+.-]*://\S+)"},
    {"PROG", R"([\w._/%-]+)"},
    {"LOGLEVEL", R"((?i:debug|info|notice|warn(?:ing)?|err(?:or)?|crit(?:ical)?|alert|emerg(?:ency)?|fatal|trace))"},
    {"MONTH", R"((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*)"},
    {"SYSLOGTIMESTAMP", R"(%{MONTH} +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2})"},
    {"TIMESTAMP_ISO8601",
     R"([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)"},
    {"HTTPDATE", R"([0-9]{2}/%{MONTH}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4})"},
};

constexpr int kMaxDepth = 8;

const char* LibraryPattern(std::string_view name) {
  for (const auto& [n, p] : kGrokLibrary) {
    if (name == n) return p;
  }
  return nullptr;
}

bool IsNameByte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

class Expander {
 public:
  Expander(const std::map<std::string, std::string>& custom, GrokPattern* out, std::string* error)
      : custom_(custom), out_(out), error_(error) {}

  bool Expand(std::string_view pattern, int depth) {
    if (depth > kMaxDepth) return Fail("patterns nested deeper than 8 (a cycle?)");
    size_t i = 0;
    while (i < pattern.size()) {
      size_t at = pattern.find("%{", i);
      if (at == std::string_view::npos) at = pattern.size();
      out_->regex.append(pattern.substr(i, at - i));
      if (at == pattern.size()) break;
      size_t end = pattern.find('}', at);
      if (end == std::string_view::npos) return Fail("'%{' without '}'");
      if (!Reference(pattern.substr(at + 2, end - at - 2), depth)) return false;
      i = end + 1;
    }
    if (out_->regex.size() > kMaxPatternBytes) return Fail("the expanded pattern is longer than 16 KiB");
    return true;
  }

 private:
  //! NAME or NAME:field.
  bool Reference(std::string_view ref, int depth) {
    const size_t colon = ref.find(':');
    const std::string_view name = ref.substr(0, colon);
    if (name.empty()) return Fail("empty pattern name in %{}");
    for (char c : name) {
      if (!IsNameByte(c)) return Fail("bad pattern name '" + std::string(name) + "'");
    }
    std::string body;
    if (auto it = custom_.find(std::string(name)); it != custom_.end()) body = it->second;
    else if (const char* lib = LibraryPattern(name)) body = lib;
    else return Fail("unknown pattern %{" + std::string(name) + "}");
    if (colon == std::string_view::npos) {
      out_->regex += "(?:";
    } else {
      const std::string_view field = ref.substr(colon + 1);
      if (field.empty() || field.find(':') != std::string_view::npos)
        return Fail("%{" + std::string(ref) + "}: write %{NAME:field} (types go under fields:)");
      out_->regex += "(?P<g" + std::to_string(out_->fields.size()) + ">";
      out_->fields.emplace_back(field);
    }
    if (!Expand(body, depth + 1)) return false;
    out_->regex += ")";
    return true;
  }

  bool Fail(std::string why) {
    *error_ = std::move(why);
    return false;
  }

  const std::map<std::string, std::string>& custom_;
  GrokPattern* out_;
  std::string* error_;
};

}  // namespace

bool ExpandGrok(std::string_view pattern, const std::map<std::string, std::string>& custom, GrokPattern* out,
                std::string* error) {
  *out = GrokPattern{};
  return Expander(custom, out, error).Expand(pattern, 0);
}

std::vector<std::string> GrokLibraryNames() {
  std::vector<std::string> names;
  for (const auto& [n, p] : kGrokLibrary) names.emplace_back(n);
  return names;
}

}  // namespace kamatama::declarative
