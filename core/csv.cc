// core/csv.cc
#include "core/csv.h"

namespace kamatama {

bool LooksNumeric(std::string_view s) {
  if (s.empty() || s.size() > 24) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size() || (s[i] == '0' && i + 1 < s.size() && s[i + 1] != '.')) return false;
  bool dot = false, digit = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') digit = true;
    else if (s[i] == '.' && !dot) dot = true;
    else return false;
  }
  return digit && s.back() != '.';
}

void AppendCsvCell(std::string_view v, std::string* out) {
  bool formula = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' ||
                                v[0] == '\r');
  if (formula && LooksNumeric(v)) formula = false;  // -5 is a number, not a formula
  bool quote = formula || v.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out->append(v);
    return;
  }
  out->push_back('"');
  if (formula) out->push_back('\'');
  for (char c : v) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace kamatama
