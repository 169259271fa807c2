// query/parser.cc
//! Query::Parse: an on-the-fly lexer and a depth-limited recursive-descent parser that builds
//! the node array and precomputes what evaluation and pruning need.
#include <algorithm>
#include <optional>
#include <utility>

#include "core/tokenize.h"
#include "query/query.h"

namespace kamatama::query {

namespace {

constexpr uint32_t kNone = UINT32_MAX;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
//! Bytes that can be part of a compound token (word bytes, '.', '-').
bool IsStrongByte(char c) {
  return IsWordByte(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}
//! Bytes that end a bare word.
bool EndsWord(char c) { return IsSpace(c) || c == '(' || c == ')' || c == '"'; }

//! Field names: a letter, '_' or '@', then letters, digits, '_', '.', '@', '-'.
bool IsFieldName(std::string_view s) {
  if (s.empty() || !(IsAsciiAlpha(s[0]) || s[0] == '_' || s[0] == '@')) return false;
  for (char c : s) {
    if (!(IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '_' || c == '.' || c == '@' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

void AddHash(uint64_t h, std::vector<uint64_t>* hashes) {
  if (std::find(hashes->begin(), hashes->end(), h) == hashes->end()) hashes->push_back(h);
}

//! Adds the hashes of the tokens of `part` that are tokens of every string in which `part`
//! occurs at a place where `open_before`/`open_after` say whether anything may precede/follow it
//! (a glob's '*'); without open sides these are all tokens of `part`. A word token needs a
//! non-word byte or a closed end on both sides, a compound token a byte that is neither a word
//! byte nor '.'/'-' (else the compound may be longer in the value), or a closed end.
void AddBoundedTokenHashes(std::string_view part, bool open_before, bool open_after,
                           std::vector<uint64_t>* hashes) {
  ForEachToken(part, [&](std::string_view token) {
    const size_t begin = static_cast<size_t>(token.data() - part.data());
    const size_t end = begin + token.size();
    const bool compound = token.find_first_of(".-") != std::string_view::npos;
    auto bounded = [&](bool at_edge, bool open, char neighbour) {
      if (at_edge) return !open;
      if (compound) return !IsStrongByte(neighbour);
      return !IsWordByte(static_cast<unsigned char>(neighbour));
    };
    if (bounded(begin == 0, open_before, begin > 0 ? part[begin - 1] : '\0') &&
        bounded(end == part.size(), open_after, end < part.size() ? part[end] : '\0')) {
      AddHash(HashTokenLower(token), hashes);
    }
  });
}

enum class TokKind : uint8_t { kEnd, kLParen, kRParen, kAnd, kOr, kNot, kWord, kPhrase };

struct Tok {
  TokKind kind = TokKind::kEnd;
  size_t pos = 0;        //!< first byte
  size_t end = 0;        //!< one past the last byte
  std::string phrase;    //!< kPhrase: the unescaped text
};

}  // namespace

class Parser {
 public:
  explicit Parser(std::string_view text) : q_(text) {}

  std::variant<Query, ParseError> Run() {
    if (q_.size() > kMaxQueryBytes) {
      return ParseError{kMaxQueryBytes,
                        "query is longer than " + std::to_string(kMaxQueryBytes) + " bytes",
                        "a shorter query"};
    }
    uint32_t root = kNone;
    if (!Peek()) return *error_;
    if (next_.kind == TokKind::kEnd) {
      root = AddNode(Node{});
    } else {
      root = ParseOr({});
      if (root == kNone) return *error_;
      if (!Peek()) return *error_;
      if (next_.kind != TokKind::kEnd) {
        // ParseOr stops only at the end or at a ')' that no '(' opened.
        Fail(next_.pos, "unbalanced parenthesis: ')' without '('", "an operator or the end");
        return *error_;
      }
    }
    Query query;
    query.nodes_ = std::move(nodes_);
    query.root_ = root;
    query.referenced_fields_ = CollectFields(query.nodes_, root);
    return query;
  }

 private:
  // --- lexer ---------------------------------------------------------------------------------

  //! Lexes the next token into next_ unless already there. False (error_ set) on a lex error.
  bool Peek() {
    if (has_next_) return true;
    const size_t n = q_.size();
    size_t i = pos_;
    while (i < n && IsSpace(q_[i])) ++i;
    Tok t;
    t.pos = i;
    t.end = i + 1;
    if (i >= n) {
      t.kind = TokKind::kEnd;
      t.end = n;
    } else if (q_[i] == '(') {
      t.kind = TokKind::kLParen;
    } else if (q_[i] == ')') {
      t.kind = TokKind::kRParen;
    } else if (q_[i] == '"') {
      if (!LexQuoted(i, &t)) return false;
    } else if (q_[i] == '!') {
      t.kind = TokKind::kNot;
    } else if (q_.substr(i, 2) == "&&") {
      t.kind = TokKind::kAnd;
      t.end = i + 2;
    } else if (q_.substr(i, 2) == "||") {
      t.kind = TokKind::kOr;
      t.end = i + 2;
    } else if (q_[i] == '-' && i + 1 < n && !IsSpace(q_[i + 1]) && q_[i + 1] != '-' &&
               q_[i + 1] != ')') {
      t.kind = TokKind::kNot;  // -term, -"phrase", -(group), -field:value
    } else {
      size_t j = i;
      while (j < n && !EndsWord(q_[j])) ++j;
      t.end = j;
      std::string_view w = q_.substr(i, j - i);
      t.kind = w == "AND" ? TokKind::kAnd
               : w == "OR" ? TokKind::kOr
               : w == "NOT" ? TokKind::kNot
                            : TokKind::kWord;
    }
    next_ = std::move(t);
    has_next_ = true;
    pos_ = next_.end;
    return true;
  }

  //! A quoted string starting at q_[start] == '"'; \" and \\ are escapes, any other backslash
  //! is literal.
  bool LexQuoted(size_t start, Tok* t) {
    const size_t n = q_.size();
    size_t i = start + 1;
    std::string text;
    while (true) {
      if (i >= n) {
        Fail(start, "unterminated quoted string", "'\"'");
        return false;
      }
      const char c = q_[i];
      if (c == '\\' && i + 1 < n && (q_[i + 1] == '"' || q_[i + 1] == '\\')) {
        text.push_back(q_[i + 1]);
        i += 2;
      } else if (c == '"') {
        break;
      } else {
        text.push_back(c);
        ++i;
      }
    }
    t->kind = TokKind::kPhrase;
    t->end = i + 1;
    t->phrase = std::move(text);
    return true;
  }

  void Consume() { has_next_ = false; }
  std::string_view Spelling(const Tok& t) const { return q_.substr(t.pos, t.end - t.pos); }

  // --- parser --------------------------------------------------------------------------------

  uint32_t Fail(size_t position, std::string message, std::string expected) {
    if (!error_) error_ = ParseError{position, std::move(message), std::move(expected)};
    return kNone;
  }

  uint32_t AddNode(Node node) {
    nodes_.push_back(std::move(node));
    return static_cast<uint32_t>(nodes_.size() - 1);
  }

  //! or_expr = and_expr { OR and_expr }. `after` names what came before, for messages.
  uint32_t ParseOr(std::string_view after) {
    std::vector<uint32_t> kids;
    uint32_t first = ParseAnd(after);
    if (first == kNone) return kNone;
    kids.push_back(first);
    while (true) {
      if (!Peek()) return kNone;
      if (next_.kind != TokKind::kOr) break;
      std::string_view op = Spelling(next_);
      Consume();
      uint32_t kid = ParseAnd(op);
      if (kid == kNone) return kNone;
      kids.push_back(kid);
    }
    return MakeBool(NodeKind::kOr, std::move(kids));
  }

  //! and_expr = unary { [ AND ] unary }.
  uint32_t ParseAnd(std::string_view after) {
    std::vector<uint32_t> kids;
    uint32_t first = ParseUnary(after);
    if (first == kNone) return kNone;
    kids.push_back(first);
    while (true) {
      if (!Peek()) return kNone;
      uint32_t kid;
      if (next_.kind == TokKind::kAnd) {
        std::string_view op = Spelling(next_);
        Consume();
        kid = ParseUnary(op);
      } else if (next_.kind == TokKind::kNot || next_.kind == TokKind::kLParen ||
                 next_.kind == TokKind::kWord || next_.kind == TokKind::kPhrase) {
        kid = ParseUnary({});  // implicit AND
      } else {
        break;
      }
      if (kid == kNone) return kNone;
      kids.push_back(kid);
    }
    return MakeBool(NodeKind::kAnd, std::move(kids));
  }

  //! unary = NOT unary | "(" or_expr ")" | primary.
  uint32_t ParseUnary(std::string_view after) {
    if (!Peek()) return kNone;
    switch (next_.kind) {
      case TokKind::kNot: {
        if (depth_ >= kMaxDepth) return TooDeep(next_.pos);
        const size_t pos = next_.pos;
        std::string_view op = Spelling(next_);
        Consume();
        ++depth_;
        uint32_t kid = ParseUnary(op);
        --depth_;
        if (kid == kNone) return kNone;
        Node node;
        node.kind = NodeKind::kNot;
        node.position = static_cast<uint32_t>(pos);
        node.children.push_back(kid);
        return AddNode(std::move(node));
      }
      case TokKind::kLParen: {
        if (depth_ >= kMaxDepth) return TooDeep(next_.pos);
        const size_t open = next_.pos;
        Consume();
        if (!Peek()) return kNone;
        if (next_.kind == TokKind::kRParen) return Fail(next_.pos, "empty parentheses", "a term");
        ++depth_;
        uint32_t inner = ParseOr("(");
        --depth_;
        if (inner == kNone) return kNone;
        if (!Peek()) return kNone;
        if (next_.kind != TokKind::kRParen) {
          return Fail(open, "unbalanced parenthesis: '(' is never closed", "')'");
        }
        Consume();
        return inner;
      }
      case TokKind::kWord:
        return ParseWord();
      case TokKind::kPhrase: {
        if (next_.phrase.empty()) return Fail(next_.pos, "empty phrase", "text between the quotes");
        const size_t pos = next_.pos;
        std::string text = std::move(next_.phrase);
        Consume();
        return AddText(NodeKind::kPhrase, pos, std::move(text));
      }
      default:
        return MissingOperand(after);
    }
  }

  //! A bare word: `*`, field:value, field:"value", field:*, field:glob*, or a free-text term.
  uint32_t ParseWord() {
    const size_t pos = next_.pos;
    const size_t end = next_.end;
    std::string_view word = Spelling(next_);
    Consume();
    if (word == "*") {
      Node node;
      node.position = static_cast<uint32_t>(pos);
      return AddNode(std::move(node));
    }
    const size_t colon = word.find(':');
    if (colon != std::string_view::npos && IsFieldName(word.substr(0, colon))) {
      std::string_view field = word.substr(0, colon);
      std::string_view value = word.substr(colon + 1);
      if (value.empty()) {
        if (end < q_.size() && q_[end] == '"') {
          if (!Peek()) return kNone;  // lexes the quoted value (it starts at `end`)
          std::string quoted = std::move(next_.phrase);
          Consume();
          return AddField(NodeKind::kFieldEquals, pos, field, quoted);
        }
        return Fail(end, "missing value after '" + std::string(field) + ":'",
                    "a value, a quoted value or *");
      }
      if (value == "*") return AddField(NodeKind::kFieldExists, pos, field, {});
      if (value.find('*') != std::string_view::npos) {
        return AddField(NodeKind::kFieldGlob, pos, field, value);
      }
      return AddField(NodeKind::kFieldEquals, pos, field, value);
    }
    const size_t star = word.find('*');
    if (star != std::string_view::npos) {
      return Fail(pos + star, "wildcards are only supported in field values",
                  "a term without '*' (quote it to search for a literal '*')");
    }
    return AddText(NodeKind::kTerm, pos, std::string(word));
  }

  uint32_t MissingOperand(std::string_view after) {
    const Tok& t = next_;
    if (after.empty()) {
      if (t.kind == TokKind::kRParen) {
        return Fail(t.pos, "unbalanced parenthesis: ')' without '('", "a term");
      }
      if (t.kind == TokKind::kEnd) return Fail(t.pos, "expected a term", "a term");
      return Fail(t.pos, "unexpected " + std::string(Spelling(t)), "a term");
    }
    std::string message = "expected a term after " + std::string(after);
    if (t.kind == TokKind::kAnd || t.kind == TokKind::kOr) {
      message += ", found " + std::string(Spelling(t));
    }
    return Fail(t.pos, std::move(message), "a term");
  }

  uint32_t TooDeep(size_t position) {
    return Fail(position, "query nests deeper than " + std::to_string(kMaxDepth) + " levels",
                "fewer nested parentheses or NOTs");
  }

  //! Free-text term or phrase: distinct lowercased tokens and their hashes.
  uint32_t AddText(NodeKind kind, size_t pos, std::string text) {
    Node node;
    node.kind = kind;
    node.position = static_cast<uint32_t>(pos);
    ForEachToken(text, [&](std::string_view token) {
      std::string lower = Lower(token);
      if (std::find(node.tokens.begin(), node.tokens.end(), lower) == node.tokens.end()) {
        node.tokens.push_back(std::move(lower));
      }
    });
    for (const std::string& token : node.tokens) {
      AddHash(HashTokenLower(token), &node.required_hashes);
    }
    node.text = std::move(text);
    return AddNode(std::move(node));
  }

  uint32_t AddField(NodeKind kind, size_t pos, std::string_view field, std::string_view value) {
    Node node;
    node.kind = kind;
    node.position = static_cast<uint32_t>(pos);
    node.field = std::string(field);
    node.text = std::string(value);
    node.timestamp_field = field == field::kTimestamp;
    if (kind == NodeKind::kFieldEquals) {
      AddBoundedTokenHashes(value, false, false, &node.required_hashes);
    } else if (kind == NodeKind::kFieldGlob) {
      std::vector<std::string_view> parts;
      size_t start = 0;
      while (true) {
        const size_t star = value.find('*', start);
        parts.push_back(value.substr(start, star == std::string_view::npos ? std::string_view::npos
                                                                          : star - start));
        if (star == std::string_view::npos) break;
        start = star + 1;
      }
      for (size_t i = 0; i < parts.size(); ++i) {
        AddBoundedTokenHashes(parts[i], i > 0, i + 1 < parts.size(), &node.required_hashes);
        const bool edge = i == 0 || i + 1 == parts.size();
        if (edge || !parts[i].empty()) node.segments.push_back(Lower(parts[i]));
      }
    }
    return AddNode(std::move(node));
  }

  //! An AND/OR of `kids`, simplified: match-all children vanish from an AND and absorb an OR;
  //! a single child stands for itself.
  uint32_t MakeBool(NodeKind kind, std::vector<uint32_t> kids) {
    auto is_all = [&](uint32_t k) { return nodes_[k].kind == NodeKind::kMatchAll; };
    if (kind == NodeKind::kOr) {
      auto it = std::find_if(kids.begin(), kids.end(), is_all);
      if (it != kids.end()) return *it;
    } else if (kids.size() > 1) {
      const uint32_t any = kids.front();
      kids.erase(std::remove_if(kids.begin(), kids.end(), is_all), kids.end());
      if (kids.empty()) return any;
    }
    if (kids.size() == 1) return kids.front();
    Node node;
    node.kind = kind;
    node.position = nodes_[kids.front()].position;
    node.children = std::move(kids);
    return AddNode(std::move(node));
  }

  //! Distinct fields read by the tree under `root`, in order of first use.
  static std::vector<std::string> CollectFields(const std::vector<Node>& nodes, uint32_t root) {
    std::vector<std::string> fields;
    auto add = [&](std::string_view name) {
      if (std::find(fields.begin(), fields.end(), name) == fields.end()) fields.emplace_back(name);
    };
    std::vector<uint32_t> stack{root};
    while (!stack.empty()) {
      const Node& node = nodes[stack.back()];
      stack.pop_back();
      switch (node.kind) {
        case NodeKind::kTerm:
        case NodeKind::kPhrase:
          add(field::kOriginal);
          break;
        case NodeKind::kFieldEquals:
        case NodeKind::kFieldGlob:
        case NodeKind::kFieldExists:
          if (!node.timestamp_field) add(node.field);
          break;
        default:
          break;
      }
      stack.insert(stack.end(), node.children.rbegin(), node.children.rend());
    }
    return fields;
  }

  std::string_view q_;
  size_t pos_ = 0;  //!< where the next token is lexed from
  Tok next_;
  bool has_next_ = false;
  int depth_ = 0;
  std::optional<ParseError> error_;
  std::vector<Node> nodes_;
};

std::variant<Query, ParseError> Query::Parse(std::string_view text) {
  return Parser(text).Run();
}

}  // namespace kamatama::query
