// core/tokenize.cc
#include "core/tokenize.h"

#include <cstring>

namespace kamatama {

uint64_t HashTokenLower(std::string_view token) {
  // FNV-1a over lowercased bytes, then a murmur3 finaliser for good high bits.
  uint64_t h = 14695981039346656037ULL;
  for (char c : token) {
    h ^= static_cast<unsigned char>(AsciiLower(c));
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

size_t FindIgnoreCase(std::string_view hay, std::string_view needle, size_t from) {
  if (needle.empty()) return from <= hay.size() ? from : std::string_view::npos;
  if (needle.size() > hay.size() || from > hay.size() - needle.size()) return std::string_view::npos;
  auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  // Without letters case does not matter: glibc's memmem (two-way, vectorised) does it all.
  size_t anchor = needle.size();
  bool letters = false;
  for (size_t i = 0; i < needle.size(); ++i) {
    char c = needle[i];
    if (is_letter(c)) letters = true;
    // A punctuation byte is rarer in logs than letters or digits: the best anchor to scan for.
    else if (anchor == needle.size() && !(c >= '0' && c <= '9') && c != ' ') anchor = i;
  }
  if (!letters) {
    const void* p = memmem(hay.data() + from, hay.size() - from, needle.data(), needle.size());
    return p ? static_cast<size_t>(static_cast<const char*>(p) - hay.data()) : std::string_view::npos;
  }
  const char* base = hay.data();
  const char* limit = base + (hay.size() - needle.size()) + 1;  // one past the last start
  if (anchor < needle.size()) {
    // Scan for the case-free anchor byte, then compare the whole needle around it.
    const char a = needle[anchor];
    const char* p = base + from + anchor;
    const char* end = limit + anchor;
    while (p < end) {
      p = static_cast<const char*>(std::memchr(p, a, static_cast<size_t>(end - p)));
      if (!p) break;
      size_t pos = static_cast<size_t>(p - base) - anchor;
      if (EqualsIgnoreCase(hay.substr(pos, needle.size()), needle)) return pos;
      ++p;
    }
    return std::string_view::npos;
  }
  const char lo = AsciiLower(needle[0]);
  const char up = (lo >= 'a' && lo <= 'z') ? static_cast<char>(lo - 32) : lo;
  // Next occurrence of each case of the first byte, recomputed only once consumed.
  auto next = [&](const char* from_ptr, char c) -> const char* {
    if (from_ptr >= limit) return nullptr;
    return static_cast<const char*>(std::memchr(from_ptr, c, static_cast<size_t>(limit - from_ptr)));
  };
  const char* p = next(base + from, lo);
  const char* q = up != lo ? next(base + from, up) : nullptr;
  while (p || q) {
    const char* cand = (!q || (p && p < q)) ? p : q;
    size_t pos = static_cast<size_t>(cand - base);
    if (EqualsIgnoreCase(hay.substr(pos, needle.size()), needle)) return pos;
    if (cand == p) p = next(p + 1, lo);
    else q = next(q + 1, up);
  }
  return std::string_view::npos;
}

bool HasToken(std::string_view text, std::string_view token) {
  if (FindIgnoreCase(text, token) == std::string_view::npos) return false;
  bool found = false;
  ForEachToken(text, [&](std::string_view t) {
    if (!found && EqualsIgnoreCase(t, token)) found = true;
  });
  return found;
}

}  // namespace kamatama
