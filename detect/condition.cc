// detect/condition.cc
#include "detect/condition.h"

#include <vector>

#include "core/tokenize.h"

namespace kamatama::detect {

namespace {

bool GlobName(std::string_view pattern, std::string_view name) {
  // '*' any run; everything else literal (selection names are case-sensitive).
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

class CondParser {
 public:
  CondParser(std::string_view text, const std::map<std::string, uint32_t>& sel, query::QueryBuilder* b)
      : sel_(sel), b_(b) {
    size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
      } else if (c == '(' || c == ')' || c == '|') {
        toks_.emplace_back(1, c);
        ++i;
      } else {
        size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n' && text[j] != '\r' &&
               text[j] != '(' && text[j] != ')' && text[j] != '|') {
          ++j;
        }
        toks_.emplace_back(text.substr(i, j - i));
        i = j;
      }
    }
  }

  ConditionResult Run() {
    ConditionResult r;
    for (const std::string& t : toks_) {
      if (t == "|") {
        r.unsupported = true;
        r.error = "aggregation expressions ('| count() ...') are not supported";
        return r;
      }
    }
    uint32_t node;
    if (!Or(&node)) return Err();
    if (pos_ != toks_.size()) {
      error_ = "unexpected '" + toks_[pos_] + "'";
      return Err();
    }
    r.ok = true;
    r.node = node;
    return r;
  }

 private:
  ConditionResult Err() {
    ConditionResult r;
    r.error = error_;
    return r;
  }
  bool Is(std::string_view kw) const { return pos_ < toks_.size() && EqualsIgnoreCase(toks_[pos_], kw); }
  bool Fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    return false;
  }

  bool Or(uint32_t* out) {
    std::vector<uint32_t> kids(1);
    if (!And(&kids[0])) return false;
    while (Is("or")) {
      ++pos_;
      kids.emplace_back();
      if (!And(&kids.back())) return false;
    }
    *out = b_->Or(std::move(kids));
    return true;
  }
  bool And(uint32_t* out) {
    std::vector<uint32_t> kids(1);
    if (!Not(&kids[0])) return false;
    while (Is("and")) {
      ++pos_;
      kids.emplace_back();
      if (!Not(&kids.back())) return false;
    }
    *out = b_->And(std::move(kids));
    return true;
  }
  bool Not(uint32_t* out) {
    if (Is("not")) {
      if (++depth_ > kMaxConditionDepth) return Fail("nested too deep");
      ++pos_;
      uint32_t kid;
      if (!Not(&kid)) return false;
      --depth_;
      *out = b_->Not(kid);
      return true;
    }
    return Primary(out);
  }
  bool Primary(uint32_t* out) {
    if (pos_ >= toks_.size()) return Fail("expected a selection, '(' or 'not' at the end");
    const std::string& t = toks_[pos_];
    if (t == "(") {
      if (++depth_ > kMaxConditionDepth) return Fail("nested too deep");
      ++pos_;
      if (!Or(out)) return false;
      if (pos_ >= toks_.size() || toks_[pos_] != ")") return Fail("'(' is never closed");
      ++pos_;
      --depth_;
      return true;
    }
    if (t == ")") return Fail("unexpected ')'");
    if (pos_ + 1 < toks_.size() && EqualsIgnoreCase(toks_[pos_ + 1], "of")) {
      const bool all = EqualsIgnoreCase(t, "all");
      if (!all && t != "1" && !EqualsIgnoreCase(t, "any")) {
        return Fail("'" + t + " of' is not supported (only 1, any and all)");
      }
      pos_ += 2;
      if (pos_ >= toks_.size()) return Fail("expected a selection pattern or 'them' after 'of'");
      const std::string& pat = toks_[pos_++];
      std::vector<uint32_t> kids;
      const bool them = EqualsIgnoreCase(pat, "them");
      for (const auto& [name, node] : sel_) {
        if (them ? name[0] != '_' : GlobName(pat, name)) kids.push_back(node);
      }
      if (kids.empty()) return Fail("no selection matches '" + pat + "'");
      *out = all ? b_->And(std::move(kids)) : b_->Or(std::move(kids));
      return true;
    }
    if (EqualsIgnoreCase(t, "and") || EqualsIgnoreCase(t, "or")) return Fail("unexpected '" + t + "'");
    auto it = sel_.find(t);
    if (it == sel_.end()) return Fail("unknown selection '" + t + "'");
    ++pos_;
    *out = it->second;
    return true;
  }

  const std::map<std::string, uint32_t>& sel_;
  query::QueryBuilder* b_;
  std::vector<std::string> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::string error_;
};

}  // namespace

ConditionResult ParseCondition(std::string_view text, const std::map<std::string, uint32_t>& selections,
                               query::QueryBuilder* b) {
  return CondParser(text, selections, b).Run();
}

}  // namespace kamatama::detect
