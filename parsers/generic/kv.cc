// parsers/generic/kv.cc
//! key=value lines from sources no other parser knows ("logfmt", FortiOS-like, appliance
//! audit lines): pairs separated by white space, values plain, "double-quoted", 'single-quoted'
//! or bracketed (), [], <> (backslash escapes the closing quote; '=' and spaces inside are kept), and
//! plain values that run, spaces included, to the next " key=". Text before the first pair is
//! left in the message. A repeated key keeps every value: kv.<p>.k, kv.<p>.k_2, kv.<p>.k_3, ...
#include <string>
#include <vector>

#include "parsers/generic/fields.h"
#include "parsers/generic/generic.h"
#include "parsers/toolkit.h"

namespace kamatama {

namespace {

using namespace toolkit;
using generic::Kind;
using generic::KeyRule;

//! Well-known keys (compared ASCII case-insensitively) and the ECS field they also fill.
constexpr KeyRule kWellKnown[] = {
    {"src", "source.ip", Kind::kIp},          {"srcip", "source.ip", Kind::kIp},
    {"src_ip", "source.ip", Kind::kIp},       {"source_ip", "source.ip", Kind::kIp},
    {"saddr", "source.ip", Kind::kIp},        {"dst", "destination.ip", Kind::kIp},
    {"dstip", "destination.ip", Kind::kIp},   {"dst_ip", "destination.ip", Kind::kIp},
    {"dest_ip", "destination.ip", Kind::kIp}, {"destination_ip", "destination.ip", Kind::kIp},
    {"daddr", "destination.ip", Kind::kIp},   {"sport", "source.port", Kind::kPort},
    {"srcport", "source.port", Kind::kPort},  {"src_port", "source.port", Kind::kPort},
    {"dport", "destination.port", Kind::kPort}, {"dstport", "destination.port", Kind::kPort},
    {"dst_port", "destination.port", Kind::kPort}, {"dest_port", "destination.port", Kind::kPort},
    {"user", "user.name", Kind::kText},       {"username", "user.name", Kind::kText},
    {"user_name", "user.name", Kind::kText},  {"usrname", "user.name", Kind::kText},
    {"action", "event.action", Kind::kText},  {"proto", "network.transport", Kind::kTransport},
    {"protocol", "network.transport", Kind::kTransport}, {"srcmac", "source.mac", Kind::kMac},
    {"dstmac", "destination.mac", Kind::kMac}, {"url", "url.original", Kind::kText},
    {"outcome", "event.outcome", Kind::kOutcome}, {"result", "event.outcome", Kind::kOutcome},
};

bool IsKeyStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsKeyByte(char c) { return IsKeyStart(c) || IsDigit(c) || c == '.' || c == '-'; }
bool IsSep(char c) { return c == ' ' || c == '\t'; }
bool IsOpenQuote(char c) { return c == '"' || c == '\'' || c == '(' || c == '[' || c == '<'; }

//! Length of a key at s[i] followed by '=' (i at the start or after white space, ',' or ';'),
//! else 0.
size_t KeyAt(sv s, size_t i) {
  if (i >= s.size() || !IsKeyStart(s[i])) return 0;
  if (i > 0 && !IsSep(s[i - 1]) && s[i - 1] != ',' && s[i - 1] != ';') return 0;
  size_t j = i + 1;
  while (j < s.size() && j - i <= generic::kMaxKeyLength && IsKeyByte(s[j])) ++j;
  return (j < s.size() && s[j] == '=') ? j - i : 0;
}

//! A quoted value at s[i] (s[i] is the quote, or an opening bracket ( [ <): the text up to the
//! closing quote or bracket, with \<close> and \\ undone; *end is just past it. False if it is
//! not closed.
bool Quoted(sv s, size_t i, std::string* out, size_t* end) {
  const char open = s[i];
  const char q = open == '(' ? ')' : open == '[' ? ']' : open == '<' ? '>' : open;
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] == '\\' && j + 1 < s.size() && (s[j + 1] == q || s[j + 1] == '\\')) {
      out->push_back(s[++j]);
    } else if (s[j] == q) {
      *end = j + 1;
      return true;
    } else {
      out->push_back(s[j]);
    }
  }
  return false;
}

//! A plain value at s[i]: up to the white space before the next key= (trailing ',' or ';'
//! before that key dropped); *end is where the next key begins (or the end).
sv Plain(sv s, size_t i, size_t* end) {
  size_t j = i;
  while (j < s.size()) {
    if (!IsSep(s[j])) {
      ++j;
      continue;
    }
    size_t t = j;
    while (t < s.size() && IsSep(s[t])) ++t;
    if (t < s.size() && KeyAt(s, t)) {
      *end = t;
      sv v = s.substr(i, j - i);
      if (!v.empty() && (v.back() == ',' || v.back() == ';')) v.remove_suffix(1);
      return v;
    }
    j = t;
  }
  *end = s.size();
  return TrimR(s.substr(i));
}

//! Calls f(key, value) for each pair; stops after generic::kMaxPairs. Returns the count.
template <class F>
size_t ForEachPair(sv s, F&& f) {
  size_t count = 0, i = 0;
  while (i < s.size() && count < generic::kMaxPairs) {
    size_t klen = KeyAt(s, i);
    if (klen == 0) {
      ++i;
      continue;
    }
    sv key = s.substr(i, klen);
    size_t v = i + klen + 1, end = s.size();
    std::string value;
    if (v < s.size() && IsOpenQuote(s[v]) && Quoted(s, v, &value, &end)) {
      i = end;
    } else {
      value.assign(Plain(s, v, &end));
      i = end;
    }
    f(key, std::move(value));
    ++count;
  }
  return count;
}

//! The field prefix: "kv.<program>." or "kv.".
std::string Prefix(const Event& ev) {
  std::string prefix = "kv.";
  if (const std::string* p = ev.Get("process.name")) {
    std::string label = generic::LabelName(*p);
    if (!label.empty()) prefix += label + ".";
  }
  return prefix;
}

void FillWellKnown(Event* ev, sv key, sv value) {
  for (const auto& rule : kWellKnown) {
    if (key.size() == rule.key.size() && AsciiLower(key[0]) == rule.key[0] && EqualsIgnoreCase(key, rule.key)) {
      if (!ev->Get(rule.ecs)) generic::ApplyRule(ev, rule, value);
      return;
    }
  }
}

}  // namespace

size_t generic::ForEachKeyValue(sv s, const std::function<void(sv, std::string)>& f) {
  return ForEachPair(s, [&](sv key, std::string value) { f(key, std::move(value)); });
}

bool LooksLikeKeyValue(sv message) {
  size_t pairs = 0;
  for (size_t i = 0; i < message.size() && pairs < 3; ++i) {
    if (size_t k = KeyAt(message, i)) {
      ++pairs;
      i += k;
    }
  }
  return pairs >= 3;
}

bool ParseKeyValue(Event* ev) {
  // A copy: setting fields may move the message (a short one lives inside its string object).
  const std::string text(MessageOf(*ev));
  if (!LooksLikeKeyValue(text)) return false;
  generic::PrefixWriter out(ev, Prefix(*ev), generic::PrefixWriter::Repeat::kNumber);
  ForEachPair(text, [&](sv key, std::string value) {
    out.Put(key, value);
    FillWellKnown(ev, key, value);
  });
  ev->Set(field::kDataset, "kv");
  return true;
}

}  // namespace kamatama
