// detect/sigma_value.h
//! Sigma values: the wildcard string (`*`, `?`, backslash escapes) and the value modifiers that
//! turn one value into alternatives (windash, base64, base64offset, wide/utf16*, expand), and the
//! compilation of a value into a query node (equality, glob or RE2). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "query/builder.h"

namespace kamatama::detect {

//! One part of a Sigma string: literal text or a wildcard.
struct Piece {
  enum class Kind : uint8_t { kLiteral, kStar, kOne };
  Kind kind = Kind::kLiteral;
  std::string text;  //!< kLiteral only
  bool operator==(const Piece&) const = default;
};

//! A Sigma string: literals and wildcards, adjacent literals merged.
using Pattern = std::vector<Piece>;

//! Parses a plain Sigma value: `*` any run, `?` one character; a backslash before `*`, `?` or a
//! backslash makes that character literal; any other backslash is literal itself.
Pattern ParsePattern(std::string_view raw);
//! A pattern holding `text` literally.
Pattern LiteralPattern(std::string_view text);
//! Whether the pattern holds any wildcard.
bool HasWildcard(const Pattern& p);
//! The literal text of a wildcard-free pattern.
std::string LiteralText(const Pattern& p);

//! Adds a leading / trailing `*` (contains, startswith, endswith).
void AddStar(Pattern* p, bool front, bool back);

//! Placeholder values for `expand` (name without the %'s → values).
using Placeholders = std::map<std::string, std::vector<std::string>>;

//! Most alternatives one value may expand into (windash on many dashes, expand on long lists).
inline constexpr size_t kMaxAlternatives = 4096;

//! Applies a transforming modifier to every alternative. Returns false with `*error` set when
//! the modifier does not apply (wildcards under base64, unknown placeholder, too many
//! alternatives). Known names: windash, base64, base64offset, wide, utf16le, utf16be, utf16,
//! expand.
bool ApplyTransform(std::string_view modifier, const Placeholders& placeholders,
                    std::vector<Pattern>* alternatives, std::string* error);

//! Whether `modifier` is one ApplyTransform knows.
bool IsTransform(std::string_view modifier);

//! Standard base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);
//! UTF-8 → UTF-16LE bytes (invalid UTF-8 bytes map to themselves as code units).
std::string Utf16Le(std::string_view utf8);

//! The query node that matches `field` against `p`, ASCII-case-insensitively (`cased`: exactly):
//! equality without wildcards, a glob when only `*` occurs and no literal `*`, else an anchored
//! RE2 pattern. QueryBuilder::kInvalid with `*error` on failure.
uint32_t CompilePattern(query::QueryBuilder* b, std::string_view field, const Pattern& p, bool cased,
                        std::string* error);

}  // namespace kamatama::detect
