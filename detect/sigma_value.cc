// detect/sigma_value.cc
#include "detect/sigma_value.h"

#include <re2/re2.h>

#include "core/base64.h"

namespace kamatama::detect {

namespace {

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void AppendLiteral(Pattern* p, std::string_view text) {
  if (text.empty()) return;
  if (!p->empty() && p->back().kind == Piece::Kind::kLiteral) {
    p->back().text.append(text);
  } else {
    p->push_back(Piece{Piece::Kind::kLiteral, std::string(text)});
  }
}

//! Cartesian expansion: each alternative whose literal pieces hold `find` at positions chosen by
//! `at` is replaced by one alternative per replacement.
template <class FindFn>
bool ExpandEach(std::vector<Pattern>* alts, const std::vector<std::string>& replacements, FindFn find,
                std::string* error) {
  std::vector<Pattern> out;
  for (const Pattern& p : *alts) {
    std::vector<Pattern> partial{Pattern{}};
    for (size_t k = 0; k < p.size(); ++k) {
      const Piece& piece = p[k];
      if (piece.kind != Piece::Kind::kLiteral) {
        for (Pattern& q : partial) q.push_back(piece);
        continue;
      }
      const bool after_wildcard = k > 0;  // a wildcard before: not a word character
      std::string_view text = piece.text;
      size_t start = 0;
      while (true) {
        size_t len = 0;
        const size_t at = find(text, start, after_wildcard, &len);
        if (at == std::string_view::npos) break;
        for (Pattern& q : partial) AppendLiteral(&q, text.substr(start, at - start));
        std::vector<Pattern> next;
        for (const Pattern& q : partial) {
          for (const std::string& r : replacements) {
            next.push_back(q);
            AppendLiteral(&next.back(), r);
          }
        }
        if (next.size() > kMaxAlternatives) {
          *error = "value expands into more than " + std::to_string(kMaxAlternatives) + " alternatives";
          return false;
        }
        partial = std::move(next);
        start = at + len;
      }
      for (Pattern& q : partial) AppendLiteral(&q, text.substr(start));
    }
    out.insert(out.end(), partial.begin(), partial.end());
    if (out.size() > kMaxAlternatives) {
      *error = "value expands into more than " + std::to_string(kMaxAlternatives) + " alternatives";
      return false;
    }
  }
  *alts = std::move(out);
  return true;
}

std::string Utf16(std::string_view utf8, bool big_endian) {
  std::string out;
  out.reserve(utf8.size() * 2);
  auto unit = [&](uint32_t u) {
    const char lo = static_cast<char>(u & 0xff), hi = static_cast<char>(u >> 8);
    if (big_endian) {
      out.push_back(hi);
      out.push_back(lo);
    } else {
      out.push_back(lo);
      out.push_back(hi);
    }
  };
  for (size_t i = 0; i < utf8.size();) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    uint32_t cp = c;
    size_t n = 1;
    if (c >= 0xf0) {
      n = 4;
      cp = c & 0x07;
    } else if (c >= 0xe0) {
      n = 3;
      cp = c & 0x0f;
    } else if (c >= 0xc0) {
      n = 2;
      cp = c & 0x1f;
    }
    if (n > 1 && i + n <= utf8.size()) {
      for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(utf8[i + k]) & 0x3f);
    } else {
      n = 1;
      cp = c;
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xd800 | (cp >> 10));
      unit(0xdc00 | (cp & 0x3ff));
    } else {
      unit(cp);
    }
  }
  return out;
}

}  // namespace

Pattern ParsePattern(std::string_view raw) {
  Pattern p;
  std::string lit;
  auto flush = [&] {
    AppendLiteral(&p, lit);
    lit.clear();
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\\' && i + 1 < raw.size() && (raw[i + 1] == '*' || raw[i + 1] == '?' || raw[i + 1] == '\\')) {
      lit.push_back(raw[++i]);
    } else if (c == '*' || c == '?') {
      flush();
      p.push_back(Piece{c == '*' ? Piece::Kind::kStar : Piece::Kind::kOne, {}});
    } else {
      lit.push_back(c);
    }
  }
  flush();
  return p;
}

Pattern LiteralPattern(std::string_view text) {
  Pattern p;
  AppendLiteral(&p, text);
  return p;
}

bool HasWildcard(const Pattern& p) {
  for (const Piece& piece : p) {
    if (piece.kind != Piece::Kind::kLiteral) return true;
  }
  return false;
}

std::string LiteralText(const Pattern& p) {
  std::string out;
  for (const Piece& piece : p) out += piece.text;
  return out;
}

void AddStar(Pattern* p, bool front, bool back) {
  if (front && (p->empty() || p->front().kind != Piece::Kind::kStar)) {
    p->insert(p->begin(), Piece{Piece::Kind::kStar, {}});
  }
  if (back && (p->empty() || p->back().kind != Piece::Kind::kStar)) p->push_back(Piece{Piece::Kind::kStar, {}});
}

std::string Base64(std::string_view bytes) { return Base64Encode(bytes); }  // core/base64.h

std::string Utf16Le(std::string_view utf8) { return Utf16(utf8, false); }

bool IsTransform(std::string_view m) {
  return m == "windash" || m == "base64" || m == "base64offset" || m == "wide" || m == "utf16le" ||
         m == "utf16be" || m == "utf16" || m == "expand";
}

bool ApplyTransform(std::string_view modifier, const Placeholders& placeholders,
                    std::vector<Pattern>* alts, std::string* error) {
  if (modifier == "windash") {
    // A '-' or '/' with no word character before it and one after (pySigma's \B[-/]\b) becomes
    // each of the dashes Windows programs accept.
    static const std::vector<std::string> kDashes = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95"};
    auto find = [](std::string_view text, size_t from, bool after_wildcard, size_t* len) -> size_t {
      for (size_t i = from; i < text.size(); ++i) {
        if (text[i] != '-' && text[i] != '/') continue;
        const bool word_before = i > 0 ? IsWordChar(text[i - 1]) : false;
        (void)after_wildcard;
        const bool word_after = i + 1 < text.size() && IsWordChar(text[i + 1]);
        if (!word_before && word_after) {
          *len = 1;
          return i;
        }
      }
      return std::string_view::npos;
    };
    return ExpandEach(alts, kDashes, find, error);
  }
  if (modifier == "expand") {
    std::vector<Pattern> out;
    for (const Pattern& p : *alts) {
      std::vector<Pattern> one{p};
      // Each %name% in a literal piece: one alternative per configured value.
      for (const Piece& piece : p) {
        std::string_view t = piece.text;
        for (size_t open = t.find('%'); open != std::string_view::npos; open = t.find('%', open + 1)) {
          const size_t close = t.find('%', open + 1);
          if (close == std::string_view::npos) break;
          const std::string name(t.substr(open + 1, close - open - 1));
          auto it = placeholders.find(name);
          if (it == placeholders.end() || it->second.empty()) {
            *error = "placeholder %" + name + "% has no value (detection.placeholders)";
            return false;
          }
          const std::string token = "%" + name + "%";
          auto find = [&](std::string_view text, size_t from, bool, size_t* len) -> size_t {
            *len = token.size();
            return text.find(token, from);
          };
          if (!ExpandEach(&one, it->second, find, error)) return false;
          open = close;
        }
      }
      out.insert(out.end(), one.begin(), one.end());
    }
    *alts = std::move(out);
    return true;
  }
  const bool b64 = modifier == "base64", b64off = modifier == "base64offset";
  const bool wide = modifier == "wide" || modifier == "utf16le", be = modifier == "utf16be", bom = modifier == "utf16";
  if (!b64 && !b64off && !wide && !be && !bom) {
    *error = "unknown modifier '" + std::string(modifier) + "'";
    return false;
  }
  std::vector<Pattern> out;
  for (const Pattern& p : *alts) {
    if (b64 || b64off) {
      if (HasWildcard(p)) {
        *error = std::string(modifier) + " of a value with wildcards";
        return false;
      }
      const std::string v = LiteralText(p);
      if (b64) {
        out.push_back(LiteralPattern(Base64(v)));
        continue;
      }
      // The three encodings of v at byte offsets 0, 1, 2 of a longer text, cut to the
      // characters that do not depend on the neighbouring bytes.
      static constexpr size_t kStart[] = {0, 2, 3};
      static constexpr size_t kEndCut[] = {0, 3, 2};
      for (size_t i = 0; i < 3; ++i) {
        const std::string enc = Base64(std::string(i, ' ') + v);
        const size_t cut = kEndCut[(v.size() + i) % 3];
        if (enc.size() < kStart[i] + cut) continue;
        out.push_back(LiteralPattern(enc.substr(kStart[i], enc.size() - kStart[i] - cut)));
      }
      continue;
    }
    Pattern q;
    if (bom) AppendLiteral(&q, std::string("\xff\xfe", 2));
    for (const Piece& piece : p) {
      if (piece.kind == Piece::Kind::kLiteral) {
        AppendLiteral(&q, Utf16(piece.text, be));
      } else {
        q.push_back(piece);
      }
    }
    out.push_back(std::move(q));
  }
  *alts = std::move(out);
  return true;
}

uint32_t CompilePattern(query::QueryBuilder* b, std::string_view field, const Pattern& p, bool cased,
                        std::string* error) {
  bool has_one = false, literal_star = false;
  for (const Piece& piece : p) {
    if (piece.kind == Piece::Kind::kOne) has_one = true;
    if (piece.kind == Piece::Kind::kLiteral && piece.text.find('*') != std::string::npos) literal_star = true;
  }
  if (!cased && !has_one && !HasWildcard(p)) return b->Equals(field, LiteralText(p));
  if (!cased && !has_one && !literal_star) {
    std::string glob;
    for (const Piece& piece : p) glob += piece.kind == Piece::Kind::kStar ? std::string("*") : piece.text;
    return b->Glob(field, glob);
  }
  std::string re = cased ? "(?s)" : "(?is)";
  for (const Piece& piece : p) {
    switch (piece.kind) {
      case Piece::Kind::kLiteral: re += RE2::QuoteMeta(piece.text); break;
      case Piece::Kind::kStar: re += ".*"; break;
      case Piece::Kind::kOne: re += "."; break;
    }
  }
  return b->Regex(field, re, false, error);
}

}  // namespace kamatama::detect
