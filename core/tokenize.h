// core/tokenize.h
//! Tokens: what free-text search and the per-block token filters agree on.
//!
//! A text's token set is
//!  - every *word*: a maximal run of ASCII letters, digits, '_' or non-ASCII bytes;
//!  - every *compound*: a maximal run of word characters, '.' and '-', trimmed of leading and
//!    trailing '.'/'-', when it contains a '.' or '-' (IPv4 addresses, host and domain names,
//!    file names, hashes with dashes, GUIDs).
//! Tokens compare ASCII-case-insensitively. "10.1.2.3:443" has the tokens 10.1.2.3, 10, 1, 2, 3,
//! 443; a search for 10.1.2.3 therefore never matches 10.1.2.30.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace kamatama {

constexpr bool IsWordByte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}
constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

//! 64-bit hash of the ASCII-lowercased token; stable across builds and machines (it is stored).
uint64_t HashTokenLower(std::string_view token);

//! Appends HashTokenLower of every token of `text` to *out (the tokens ForEachToken gives, each
//! once per occurrence; the order may differ from ForEachToken's), in one pass over the bytes with
//! no lowercased copies: a compound's hash and its words' hashes are computed side by side.
void HashTokensLower(std::string_view text, std::vector<uint64_t>* out);
//! The same, and the hashes of the tokens of at least `indexed_min` bytes holding a letter, '_' or
//! a non-ASCII byte also to *indexed (the day's token index, store/token_index.h), in the same pass.
void HashTokensLower(std::string_view text, std::vector<uint64_t>* out, size_t indexed_min,
                     std::vector<uint64_t>* indexed);

//! Case-insensitive (ASCII) equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
//! Case-insensitive (ASCII) search; returns npos if absent.
size_t FindIgnoreCase(std::string_view haystack, std::string_view needle, size_t from = 0);

//! Calls f(std::string_view token) for each token of `text` (see above), in order; a compound
//! comes before the words inside it. Tokens are views into `text`, not lowercased.
template <class F>
void ForEachToken(std::string_view text, F&& f) {
  const size_t n = text.size();
  size_t i = 0;
  auto strong = [](unsigned char c) { return IsWordByte(c) || c == '.' || c == '-'; };
  while (i < n) {
    while (i < n && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= n) break;
    size_t begin = i;  // starts with a word byte
    bool compound = false;
    while (i < n && strong(static_cast<unsigned char>(text[i]))) {
      if (text[i] == '.' || text[i] == '-') compound = true;
      ++i;
    }
    size_t end = i;
    while (end > begin && (text[end - 1] == '.' || text[end - 1] == '-')) --end;
    std::string_view run = text.substr(begin, end - begin);
    bool has_sep = false;
    if (compound) {
      for (char c : run) {
        if (c == '.' || c == '-') {
          has_sep = true;
          break;
        }
      }
    }
    if (has_sep) f(run);
    size_t j = 0;
    while (j < run.size()) {
      while (j < run.size() && !IsWordByte(static_cast<unsigned char>(run[j]))) ++j;
      size_t wb = j;
      while (j < run.size() && IsWordByte(static_cast<unsigned char>(run[j]))) ++j;
      if (j > wb) f(run.substr(wb, j - wb));
    }
  }
}

//! Whether `token` (compared case-insensitively) is in the token set of `text`.
bool HasToken(std::string_view text, std::string_view token);

}  // namespace kamatama
