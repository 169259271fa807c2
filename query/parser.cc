// query/parser.cc
//! Query::Parse: an on-the-fly lexer and a depth-limited recursive-descent parser that builds
//! the node array and precomputes what evaluation and pruning need.
#include <arpa/inet.h>
#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

#include "core/event.h"
#include "core/time.h"
#include "core/tokenize.h"
#include "query/internal.h"
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

}  // namespace

namespace internal {

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

}  // namespace internal

namespace {

using internal::AddBoundedTokenHashes;

//! Bytes a token can consist of (word bytes, '.', '-').
bool IsTokenByte(char c) { return IsStrongByte(c); }

std::optional<int64_t> ParseInt64(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

namespace internal {

//! Whether RE2's prefilter atoms for `pattern` can be turned into token requirements: the
//! pattern is ASCII, has no \x / \p / \P escapes (which could name non-ASCII characters) and
//! no case folding flag (folding maps e.g. the Kelvin sign to 'k', which tokens do not).
bool PrefilterTrustworthy(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(pattern[i]);
    if (c >= 0x80) return false;
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[i + 1];
      if (e == 'x' || e == 'p' || e == 'P' || e == 'C') return false;
      ++i;
      continue;
    }
    if (c == '(' && i + 1 < pattern.size() && pattern[i + 1] == '?') {
      for (size_t j = i + 2; j < pattern.size() && pattern[j] != ')' && pattern[j] != ':'; ++j) {
        if (pattern[j] == 'i') return false;
      }
    }
  }
  return true;
}

//! Query::RequiredText: what every row matching node `index` has in its original line.
void AddRequiredText(const std::vector<Node>& nodes, uint32_t index, std::vector<std::string>* out) {
  const Node& node = nodes[index];
  switch (node.kind) {
    case NodeKind::kAnd:
      for (uint32_t kid : node.children) AddRequiredText(nodes, kid, out);
      return;
    case NodeKind::kTerm:
    case NodeKind::kPhrase: {  // TextMatches: the text occurs, ignoring case
      std::string lower(node.text);
      for (char& ch : lower) ch = AsciiLower(ch);
      if (!lower.empty()) out->push_back(std::move(lower));
      return;
    }
    case NodeKind::kRegex:  // one atom: no match without it (the row prefilter's rule)
      if (node.field.empty() && node.row_prefilter && node.row_atoms.size() == 1 && !node.row_atoms[0].empty())
        out->push_back(node.row_atoms[0]);
      return;
    default:
      return;
  }
}
//! Node::match_order of every kAnd/kOr under `index`; returns the node's relative cost per row:
//! a field's value costs little (a short string), event.original's text more (the whole line,
//! and its tokens once the text is found), a regex most. An AND of a rare IP and the NOTs that
//! hide the audit log thus compares event.dataset before searching the line: the audit entries
//! still in memory hold the query's own text, so the text matched them and their tokens were
//! walked before the NOT rejected them.
uint32_t OrderForMatching(std::vector<Node>* nodes, uint32_t index) {
  Node& node = (*nodes)[index];
  switch (node.kind) {
    case NodeKind::kMatchAll:
      return 0;
    case NodeKind::kRange:
      return node.timestamp_field ? 0 : 2;
    case NodeKind::kFieldExists:
      return 1;
    case NodeKind::kFieldEquals:
    case NodeKind::kCidr:
    case NodeKind::kFieldRef:
      return 2;
    case NodeKind::kInList:  // a parse of the value and a few hash lookups
      return 4;
    case NodeKind::kFieldGlob:
      return 3;
    case NodeKind::kTerm:
    case NodeKind::kPhrase:
      return 8;
    case NodeKind::kWildcard:
      return 12;
    case NodeKind::kRegex:
      return node.field.empty() ? 16 : 6;
    case NodeKind::kNot:
      // Asked after positive tests of the same kind: `NOT x` is usually true (every search
      // carries `NOT event.dataset:kamatama.audit`), so it rarely ends an AND early.
      return OrderForMatching(nodes, node.children[0]) + 3;
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      std::vector<std::pair<uint32_t, uint32_t>> costs;  // cost, child
      uint32_t total = 0;
      for (uint32_t kid : node.children) {
        const uint32_t cost = OrderForMatching(nodes, kid);  // may grow *nodes' elements, not the vector
        costs.emplace_back(cost, kid);
        total = std::min<uint32_t>(total + cost, 1u << 20);
      }
      std::stable_sort(costs.begin(), costs.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      Node& again = (*nodes)[index];
      again.match_order.clear();
      for (const auto& [cost, kid] : costs) again.match_order.push_back(kid);
      return total;
    }
  }
  return 8;
}

std::vector<std::string> CollectRequiredText(const std::vector<Node>& nodes, uint32_t root) {
  std::vector<std::string> out;
  AddRequiredText(nodes, root, &out);
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

//! Node::prefilter, atom_hashes, row_prefilter and row_atoms of a regex node for `pattern`.
void SetRegexPrefilter(Node* node_ptr, const std::string& pattern, const RE2::Options& options) {
  Node& node = *node_ptr;
  if (PrefilterTrustworthy(pattern)) {
    auto filter = std::make_shared<re2::FilteredRE2>();
    int id = 0;
    if (filter->Add(pattern, options, &id) == RE2::NoError) {
      std::vector<std::string> atoms;
      filter->Compile(&atoms);
      bool any = false;
      for (const std::string& atom : atoms) {
        node.atom_hashes.emplace_back();
        const bool ascii = std::all_of(atom.begin(), atom.end(),
                                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
        if (ascii) AddBoundedTokenHashes(atom, true, true, &node.atom_hashes.back());
        any = any || !node.atom_hashes.back().empty();
      }
      // With no atom found the filter must reject (true of any pattern it keeps atoms for;
      // checked rather than assumed), so that a value without atoms skips RE2.
      std::vector<int> none, passed;
      if (!atoms.empty()) filter->AllPotentials(none, &passed);
      if (!atoms.empty() && passed.empty()) {
        node.row_prefilter = filter;
        node.row_atoms = atoms;
      }
      if (any) {
        node.prefilter = std::move(filter);
      } else {
        node.atom_hashes.clear();
      }
    }
  }
}

//! Distinct fields read by the tree under `root`, in order of first use.
std::vector<std::string> CollectFields(const std::vector<Node>& nodes, uint32_t root) {
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
      case NodeKind::kWildcard:
        add(field::kOriginal);
        break;
      case NodeKind::kRegex:
        if (node.field.empty()) {
          add(field::kOriginal);
          break;
        }
        [[fallthrough]];
      case NodeKind::kFieldEquals:
      case NodeKind::kFieldGlob:
      case NodeKind::kFieldExists:
      case NodeKind::kRange:
      case NodeKind::kCidr:
      case NodeKind::kInList:
        if (!node.timestamp_field) add(node.field);
        break;
      case NodeKind::kFieldRef:  // both fields' values
        add(node.field);
        add(node.text);
        break;
      default:
        break;
    }
    stack.insert(stack.end(), node.children.rbegin(), node.children.rend());
  }
  return fields;
}

std::vector<std::string_view> SplitStars(std::string_view value) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t star = value.find('*', start);
    parts.push_back(value.substr(start, star == std::string_view::npos ? std::string_view::npos
                                                                      : star - start));
    if (star == std::string_view::npos) break;
    start = star + 1;
  }
  return parts;
}

//! The lowercased literal parts of a glob: first and last always, empty middle ones dropped.
std::vector<std::string> GlobSegments(std::string_view value) {
  std::vector<std::string_view> parts = SplitStars(value);
  std::vector<std::string> segments;
  for (size_t i = 0; i < parts.size(); ++i) {
    const bool edge = i == 0 || i + 1 == parts.size();
    if (edge || !parts[i].empty()) segments.push_back(Lower(parts[i]));
  }
  return segments;
}

}  // namespace internal

namespace {

using internal::CollectFields;
using internal::CollectRequiredText;
using internal::GlobSegments;
using internal::SplitStars;
using internal::OrderForMatching;
using internal::PrefilterTrustworthy;

enum class TokKind : uint8_t { kEnd, kLParen, kRParen, kAnd, kOr, kNot, kWord, kPhrase };

struct Tok {
  TokKind kind = TokKind::kEnd;
  size_t pos = 0;        //!< first byte
  size_t end = 0;        //!< one past the last byte
  std::string phrase;    //!< kPhrase: the unescaped text
};

}  // namespace

bool ParseIpAddress(std::string_view text, IpAddress* out) {
  char buf[64];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  const bool v6 = text.find(':') != std::string_view::npos;
  IpAddress ip;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, ip.bytes) != 1) return false;
  ip.size = v6 ? 16 : 4;
  *out = ip;
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, const ParseSettings& settings) : q_(text), settings_(settings) {}

  std::variant<Query, ParseError> Run() {
    if (q_.size() > settings_.max_bytes) {
      return ParseError{settings_.max_bytes,
                        "query is longer than " + std::to_string(settings_.max_bytes) + " bytes",
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
    TimeRange bounds;
    if (!FoldTimeRanges(root, &bounds)) return *error_;
    Query query;
    query.nodes_ = std::move(nodes_);
    query.root_ = root;
    query.referenced_fields_ = CollectFields(query.nodes_, root);
    query.required_text_ = CollectRequiredText(query.nodes_, root);
    OrderForMatching(&query.nodes_, root);
    query.time_bounds_ = bounds;
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

  //! A bare word: `*`, field:value, field:"value", field:*, field:glob*, field:/re/,
  //! field:[a TO b], field:>a, field:cidr, _exists_:field, /re/, a wildcard term or a term.
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
    size_t close = 0;
    if (word[0] == '/' && FindRegexEnd(pos, &close)) return AddRegex(pos, {}, pos, close);
    const size_t colon = word.find(':');
    if (colon != std::string_view::npos && IsFieldName(word.substr(0, colon))) {
      std::string_view field = word.substr(0, colon);
      std::string_view value = word.substr(colon + 1);
      const size_t vstart = pos + colon + 1;
      if (field == "_exists_" && !IsFieldName(value)) {
        return Fail(vstart, "expected a field name after '_exists_:'", "a field name");
      }
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
      if (field == "_exists_") return AddField(NodeKind::kFieldExists, pos, value, {});
      if (value[0] == '/' && FindRegexEnd(vstart, &close)) {
        return AddRegex(pos, field, vstart, close);
      }
      if (value[0] == '[' || value[0] == '{') return ParseRange(pos, field, vstart);
      if (value[0] == '>' || value[0] == '<') return ParseComparison(pos, field, vstart, end);
      if (value == "*") return AddField(NodeKind::kFieldExists, pos, field, {});
      if (value[0] == '@') return AddInList(pos, field, value.substr(1), vstart);
      const size_t slash = value.find('/');
      if (slash != std::string_view::npos) {
        IpAddress ip;
        if (ParseIpAddress(value.substr(0, slash), &ip)) {
          return AddCidr(pos, field, value, vstart, slash, ip);
        }
        if (TypeOfField(field) == FieldType::kIp && value.find('*') == std::string_view::npos) {
          return Fail(vstart, "bad CIDR: '" + std::string(value.substr(0, slash)) +
                                  "' is not an IP address",
                      "an IPv4 or IPv6 network such as 10.0.0.0/8 or 2001:db8::/32");
        }
      }
      if (value.find('*') != std::string_view::npos) {
        return AddField(NodeKind::kFieldGlob, pos, field, value);
      }
      return AddField(NodeKind::kFieldEquals, pos, field, value);
    }
    if (word.find('*') != std::string_view::npos) {
      for (size_t i = 0; i < word.size(); ++i) {
        if (word[i] != '*' && !IsTokenByte(word[i])) {
          return Fail(pos + i,
                      "a free-text wildcard matches single tokens; '" + std::string(1, word[i]) +
                          "' is never part of a token",
                      "letters, digits, '_', '.', '-' and '*' (or a field glob, a regex, or "
                      "quotes for a literal '*')");
        }
      }
      Node node;
      node.kind = NodeKind::kWildcard;
      node.position = static_cast<uint32_t>(pos);
      node.text = std::string(word);
      node.segments = GlobSegments(word);
      return AddNode(std::move(node));
    }
    return AddText(NodeKind::kTerm, pos, std::string(word));
  }

  // --- regular expressions -------------------------------------------------------------------

  //! Whether the '/' at q_[start] opens a regex: a later unescaped '/' closes it, the pattern is
  //! not empty, and the closing '/' ends the word. Sets *close to the closing '/'.
  bool FindRegexEnd(size_t start, size_t* close) const {
    const size_t n = q_.size();
    size_t i = start + 1;
    while (i < n && q_[i] != '/') i += q_[i] == '\\' ? 2 : 1;
    if (i >= n || i == start + 1) return false;
    if (i + 1 < n && !EndsWord(q_[i + 1])) return false;
    *close = i;
    return true;
  }

  //! A regex between the '/' at `open` and the '/' at `close`; `field` empty for free text.
  uint32_t AddRegex(size_t pos, std::string_view field, size_t open, size_t close) {
    pos_ = close + 1;  // the regex may extend past the lexed word
    if (++regex_count_ > kMaxRegexes) {
      return Fail(open, "too many regular expressions (at most " + std::to_string(kMaxRegexes) +
                            ")",
                  "fewer regular expressions");
    }
    std::string_view raw = q_.substr(open + 1, close - open - 1);
    std::string pattern;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) {
        if (raw[i + 1] != '/') pattern.push_back('\\');
        pattern.push_back(raw[++i]);
      } else {
        pattern.push_back(raw[i]);
      }
    }
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kRegexMaxMem);
    auto re = std::make_shared<const RE2>(pattern, options);
    if (!re->ok()) {
      size_t at = open + 1;
      const std::string& arg = re->error_arg();
      if (!arg.empty()) {
        const size_t found = raw.find(arg);
        if (found != std::string_view::npos) at = open + 1 + found;
      }
      std::string message = re->error_code() == RE2::ErrorPatternTooLarge
                                ? "regular expression is too large"
                                : "bad regular expression: " + re->error();
      return Fail(at, std::move(message), "a valid RE2 regular expression");
    }
    Node node;
    node.kind = NodeKind::kRegex;
    node.position = static_cast<uint32_t>(pos);
    node.field = std::string(field);
    node.timestamp_field = field == field::kTimestamp;
    internal::SetRegexPrefilter(&node, pattern, options);
    node.text = std::move(pattern);
    node.regex = std::move(re);
    return AddNode(std::move(node));
  }

  // --- ranges --------------------------------------------------------------------------------

  struct LexedBound {
    RangeBound bound;
    size_t pos = 0;
  };

  //! A range bound at q_[*i]: '*', a quoted string, or bytes up to a space, ']' or '}'.
  bool LexBound(size_t* i, LexedBound* out, const char* what) {
    const size_t n = q_.size();
    out->pos = *i;
    if (*i < n && q_[*i] == '"') {
      Tok t;
      if (!LexQuoted(*i, &t)) return false;
      out->bound.unbounded = false;
      out->bound.text = std::move(t.phrase);
      *i = t.end;
      return true;
    }
    size_t j = *i;
    while (j < n && !IsSpace(q_[j]) && q_[j] != ']' && q_[j] != '}') ++j;
    if (j == *i) {
      Fail(*i, std::string("missing ") + what + " in range", what);
      return false;
    }
    std::string_view text = q_.substr(*i, j - *i);
    out->bound.unbounded = text == "*";
    if (!out->bound.unbounded) out->bound.text = std::string(text);
    *i = j;
    return true;
  }

  //! field:[a TO b] / field:{a TO b} / mixed, starting at the bracket q_[open].
  uint32_t ParseRange(size_t pos, std::string_view field, size_t open) {
    const size_t n = q_.size();
    size_t i = open + 1;
    auto skip = [&] {
      while (i < n && IsSpace(q_[i])) ++i;
    };
    LexedBound lo, hi;
    lo.bound.inclusive = q_[open] == '[';
    skip();
    if (!LexBound(&i, &lo, "a lower bound")) return kNone;
    const size_t after_lo = i;
    skip();
    if (i == after_lo || q_.substr(i, 2) != "TO" || i + 2 >= n || !IsSpace(q_[i + 2])) {
      return Fail(i, "expected TO in range", "'TO' between spaces");
    }
    i += 2;
    skip();
    if (!LexBound(&i, &hi, "an upper bound")) return kNone;
    skip();
    if (i >= n || (q_[i] != ']' && q_[i] != '}')) {
      return Fail(i, "range is not closed", "']' or '}'");
    }
    hi.bound.inclusive = q_[i] == ']';
    ++i;
    if (i < n && !EndsWord(q_[i])) {
      return Fail(i, "unexpected text after range", "a space, ')' or the end");
    }
    pos_ = i;
    return AddRange(pos, field, std::move(lo), std::move(hi));
  }

  //! field:>a, field:>=a, field:<a, field:<=a; the value starts at q_[vstart], the lexed word
  //! ends at `end`.
  uint32_t ParseComparison(size_t pos, std::string_view field, size_t vstart, size_t end) {
    const bool greater = q_[vstart] == '>';
    const bool inclusive = vstart + 1 < end && q_[vstart + 1] == '=';
    const size_t bstart = vstart + (inclusive ? 2 : 1);
    LexedBound b;
    b.pos = bstart;
    b.bound.inclusive = inclusive;
    b.bound.unbounded = false;
    if (bstart == end) {
      if (end < q_.size() && q_[end] == '"') {
        if (!Peek()) return kNone;
        b.bound.text = std::move(next_.phrase);
        Consume();
      } else {
        return Fail(bstart, "missing bound after '" + std::string(q_.substr(vstart, bstart - vstart)) +
                                "'",
                    "a number, an address, a time or a value");
      }
    } else {
      b.bound.text = std::string(q_.substr(bstart, end - bstart));
      if (b.bound.text == "*") return Fail(bstart, "'*' is not a bound", "a value");
    }
    LexedBound open;  // unbounded side
    open.bound.inclusive = true;
    open.pos = bstart;
    return greater ? AddRange(pos, field, std::move(b), std::move(open))
                   : AddRange(pos, field, std::move(open), std::move(b));
  }

  uint32_t AddRange(size_t pos, std::string_view field, LexedBound lo, LexedBound hi) {
    const FieldType ftype = TypeOfField(field);
    LexedBound* bounds[2] = {&lo, &hi};
    bool all_int = true, all_ip = true;
    int ip_size = 0;
    for (LexedBound* b : bounds) {
      if (b->bound.unbounded) continue;
      const std::string& t = b->bound.text;
      if (auto v = ParseInt64(t)) b->bound.number = *v; else all_int = false;
      if (ParseIpAddress(t, &b->bound.ip)) {
        if (ip_size != 0 && ip_size != b->bound.ip.size) {
          return Fail(b->pos, "IPv4 and IPv6 bounds cannot be mixed", "bounds of one family");
        }
        ip_size = b->bound.ip.size;
      } else {
        all_ip = false;
      }
      if (ftype == FieldType::kTime) {
        if (auto ns = ParseRfc3339(t)) {
          b->bound.number = *ns;
        } else {
          return Fail(b->pos, "bad time bound for " + std::string(field),
                      "an RFC 3339 time such as 2026-11-26T12:00:00Z or 2026-11-26");
        }
      }
      if (ftype == FieldType::kInt && !all_int) {
        return Fail(b->pos, std::string(field) + " is a number: bad bound '" + t + "'",
                    "an integer");
      }
      if (ftype == FieldType::kIp && !all_ip) {
        return Fail(b->pos, std::string(field) + " is an IP address: bad bound '" + t + "'",
                    "an IPv4 or IPv6 address");
      }
    }
    Node node;
    node.kind = NodeKind::kRange;
    node.position = static_cast<uint32_t>(pos);
    node.field = std::string(field);
    node.timestamp_field = field == field::kTimestamp;
    switch (ftype) {
      case FieldType::kTime: node.range_type = RangeType::kTime; break;
      case FieldType::kInt: node.range_type = RangeType::kInt; break;
      case FieldType::kIp: node.range_type = RangeType::kIp; break;
      case FieldType::kString:
        node.range_type = all_int ? RangeType::kInt : all_ip ? RangeType::kIp : RangeType::kString;
        break;
    }
    node.lower = std::move(lo.bound);
    node.upper = std::move(hi.bound);
    return AddNode(std::move(node));
  }

  // --- CIDR ----------------------------------------------------------------------------------

  uint32_t AddCidr(size_t pos, std::string_view field, std::string_view value, size_t vstart,
                   size_t slash, IpAddress ip) {
    std::string_view len_text = value.substr(slash + 1);
    const int max_len = ip.size * 8;
    std::optional<int64_t> len;
    if (!len_text.empty() && len_text.size() <= 3 &&
        std::all_of(len_text.begin(), len_text.end(), IsAsciiDigit)) {
      len = ParseInt64(len_text);
    }
    if (!len || *len > max_len) {
      return Fail(vstart + slash + 1, "bad CIDR prefix length '" + std::string(len_text) + "'",
                  ip.size == 4 ? "0 to 32 after an IPv4 address" : "0 to 128 after an IPv6 address");
    }
    Node node;
    node.kind = NodeKind::kCidr;
    node.position = static_cast<uint32_t>(pos);
    node.field = std::string(field);
    node.text = std::string(value);
    node.timestamp_field = field == field::kTimestamp;
    node.prefix_len = static_cast<int>(*len);
    for (int b = 0; b < ip.size; ++b) {
      const int keep = std::clamp(node.prefix_len - 8 * b, 0, 8);
      ip.bytes[b] &= static_cast<uint8_t>(0xff00 >> keep);
    }
    node.ip = ip;
    // An IPv4 value inside a /8, /16 or /24 has the covered octets as word tokens.
    if (ip.size == 4) {
      for (int b = 0; b < node.prefix_len / 8 && b < 4; ++b) {
        AddHash(HashTokenLower(std::to_string(ip.bytes[b])), &node.required_hashes);
      }
    }
    return AddNode(std::move(node));
  }

  //! Folds the @timestamp ranges ANDed at the top level into *bounds; fails if a @timestamp
  //! range is anywhere else.
  bool FoldTimeRanges(uint32_t root, TimeRange* bounds) {
    std::vector<uint32_t> stack{root};
    while (!stack.empty()) {
      Node& node = nodes_[stack.back()];
      stack.pop_back();
      if (node.kind == NodeKind::kAnd) {
        stack.insert(stack.end(), node.children.begin(), node.children.end());
      } else if (node.kind == NodeKind::kRange && node.timestamp_field) {
        node.time_folded = true;
        if (!node.lower.unbounded) {
          const int64_t from = node.lower.number + (node.lower.inclusive ? 0 : 1);
          bounds->from_ns = std::max(bounds->from_ns, from);
        }
        if (!node.upper.unbounded) {
          const int64_t to = node.upper.number + (node.upper.inclusive ? 1 : 0);
          bounds->to_ns = std::min(bounds->to_ns, to);
        }
      }
    }
    stack.push_back(root);
    std::vector<uint32_t> folded;
    while (!stack.empty()) {
      const Node& node = nodes_[stack.back()];
      stack.pop_back();
      if (node.kind == NodeKind::kRange && node.timestamp_field) {
        if (!node.time_folded) {
          Fail(node.position, "a @timestamp range must be ANDed with the rest of the query",
               "the range outside OR and NOT, or the from/to parameters");
          return false;
        }
        folded.push_back(static_cast<uint32_t>(&node - nodes_.data()));
      }
      stack.insert(stack.end(), node.children.begin(), node.children.end());
    }
    // Contradictory bounds: the folded ranges match nothing.
    if (bounds->Empty()) {
      for (uint32_t k : folded) nodes_[k].time_folded = false;
    }
    return true;
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
      if (TypeOfField(field) == FieldType::kIp && ParseIpAddress(value, &node.ip)) {
        node.ip_equals = true;
        // IPv6 text has many spellings (2001:DB8::1, 2001:db8:0::1): no token is certain.
        // Dotted IPv4 without leading zeros has one.
        if (node.ip.size == 16) node.required_hashes.clear();
      }
    } else if (kind == NodeKind::kFieldGlob) {
      std::vector<std::string_view> parts = SplitStars(value);
      for (size_t i = 0; i < parts.size(); ++i) {
        AddBoundedTokenHashes(parts[i], i > 0, i + 1 < parts.size(), &node.required_hashes);
      }
      node.segments = GlobSegments(value);
    }
    return AddNode(std::move(node));
  }



  //! field:@name (issue 28): the field's value is in the list `name`, resolved now.
  uint32_t AddInList(size_t pos, std::string_view field, std::string_view name, size_t vstart) {
    std::shared_ptr<const ValueList> list = settings_.lists ? settings_.lists->Find(name) : nullptr;
    if (!list) {
      return Fail(vstart, settings_.lists ? "no list named '" + std::string(name) + "'"
                                          : "lists (field:@name) are not available here",
                  "the name of a list (GET /api/v1/lists), or quotes for a value starting with '@'");
    }
    Node node;
    node.kind = NodeKind::kInList;
    node.position = static_cast<uint32_t>(pos);
    node.field = std::string(field);
    node.text = std::string(name);
    node.timestamp_field = field == field::kTimestamp;
    node.list = std::move(list);
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


  std::string_view q_;
  const ParseSettings& settings_;
  size_t pos_ = 0;  //!< where the next token is lexed from
  Tok next_;
  bool has_next_ = false;
  int depth_ = 0;
  int regex_count_ = 0;
  std::optional<ParseError> error_;
  std::vector<Node> nodes_;
};

std::variant<Query, ParseError> Query::Parse(std::string_view text) { return Parse(text, ParseSettings{}); }

std::variant<Query, ParseError> Query::Parse(std::string_view text, const ParseSettings& settings) {
  return Parser(text, settings).Run();
}

}  // namespace kamatama::query
