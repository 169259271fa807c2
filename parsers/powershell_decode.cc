// parsers/powershell_decode.cc
#include "parsers/powershell_decode.h"

#include <vector>

#include "core/base64.h"

namespace kamatama {

namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && Lower(hay[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

// Command-line words, as CommandLineToArgvW splits them closely enough for flags: spaces
// separate, double quotes group (the quotes are dropped).
std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : s) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if ((c == ' ' || c == '\t') && !quoted) {
      if (any) out.push_back(std::move(cur));
      cur.clear();
      any = false;
    } else {
      cur.push_back(c);
      any = true;
    }
  }
  if (any) out.push_back(std::move(cur));
  return out;
}

// -e, -ec, -en, -enc, ... -encodedcommand (PowerShell takes any unambiguous prefix, and -e and
// -ec are documented aliases). -EncodedArguments (-ea) is not a command.
bool IsEncodedCommandFlag(std::string_view w) {
  if (w.size() < 2 || (w[0] != '-' && w[0] != '/')) return false;
  std::string name;
  for (char c : w.substr(1)) name.push_back(Lower(c));
  if (name == "ec") return true;
  static constexpr std::string_view kFull = "encodedcommand";
  return name.size() <= kFull.size() && kFull.substr(0, name.size()) == name;
}

}  // namespace

std::optional<std::string> DecodePowerShellCommand(std::string_view command_line) {
  if (!ContainsNoCase(command_line, "powershell") && !ContainsNoCase(command_line, "pwsh")) return std::nullopt;
  std::vector<std::string> words = Words(command_line);
  for (size_t i = 1; i + 1 < words.size(); ++i) {
    if (!IsEncodedCommandFlag(words[i])) continue;
    std::string bytes;
    if (!Base64Decode(words[i + 1], &bytes) || bytes.size() < 2) return std::nullopt;
    if (bytes.size() > 2 * kMaxDecodedCommandBytes) bytes.resize(2 * kMaxDecodedCommandBytes);
    std::string text = Utf16LeToUtf8(bytes);
    // UTF-16LE of a script has mostly zero high bytes; base64 of something else is not decoded.
    size_t zeros = 0;
    for (size_t j = 1; j < bytes.size(); j += 2) zeros += bytes[j] == 0;
    if (zeros * 2 < bytes.size() / 2) return std::nullopt;
    return text;
  }
  return std::nullopt;
}

}  // namespace kamatama
