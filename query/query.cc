// query/query.cc
//! Query construction and its canonical text form.
#include "query/query.h"

namespace kamatama::query {

namespace {

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string_view NodeKindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kMatchAll: return "ALL";
    case NodeKind::kAnd: return "AND";
    case NodeKind::kOr: return "OR";
    case NodeKind::kNot: return "NOT";
    case NodeKind::kTerm: return "TERM";
    case NodeKind::kPhrase: return "PHRASE";
    case NodeKind::kFieldEquals: return "FIELD";
    case NodeKind::kFieldGlob: return "GLOB";
    case NodeKind::kFieldExists: return "EXISTS";
  }
  return "?";
}

Query::Query() : nodes_(1) {}

std::string Query::ToString() const {
  std::string out;
  AppendNode(root_, &out);
  return out;
}

void Query::AppendNode(uint32_t index, std::string* out) const {
  const Node& node = nodes_[index];
  out->push_back('(');
  out->append(NodeKindName(node.kind));
  switch (node.kind) {
    case NodeKind::kTerm:
      out->push_back(' ');
      out->append(node.text);
      break;
    case NodeKind::kPhrase:
      out->push_back(' ');
      AppendQuoted(node.text, out);
      break;
    case NodeKind::kFieldEquals:
    case NodeKind::kFieldGlob:
      out->push_back(' ');
      out->append(node.field);
      out->push_back(' ');
      AppendQuoted(node.text, out);
      break;
    case NodeKind::kFieldExists:
      out->push_back(' ');
      out->append(node.field);
      break;
    default:
      break;
  }
  for (uint32_t kid : node.children) {
    out->push_back(' ');
    AppendNode(kid, out);
  }
  out->push_back(')');
}

}  // namespace kamatama::query
