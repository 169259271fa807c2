// query/query.cc
//! Query construction and its canonical text form.
#include <algorithm>

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
    case NodeKind::kRegex: return "REGEX";
    case NodeKind::kRange: return "RANGE";
    case NodeKind::kCidr: return "CIDR";
    case NodeKind::kWildcard: return "WILDCARD";
    case NodeKind::kFieldRef: return "FIELDREF";
    case NodeKind::kInList: return "INLIST";
  }
  return "?";
}

Query::Query() : nodes_(1) {}

std::vector<std::string> Query::Fields() const {
  std::vector<const Node*> named;
  for (const Node& node : nodes_) {
    if (!node.field.empty()) named.push_back(&node);
  }
  std::stable_sort(named.begin(), named.end(),
                   [](const Node* a, const Node* b) { return a->position < b->position; });
  std::vector<std::string> fields;
  for (const Node* node : named) {
    if (std::find(fields.begin(), fields.end(), node->field) == fields.end()) {
      fields.push_back(node->field);
    }
  }
  return fields;
}

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
    case NodeKind::kWildcard:
      out->push_back(' ');
      out->append(node.text);
      break;
    case NodeKind::kRegex:
      if (!node.field.empty()) {
        out->push_back(' ');
        out->append(node.field);
        if (node.regex_partial) out->append(" partial");
      }
      out->push_back(' ');
      AppendQuoted(node.text, out);
      break;
    case NodeKind::kCidr:
      out->push_back(' ');
      out->append(node.field);
      out->push_back(' ');
      out->append(node.text);
      break;
    case NodeKind::kRange: {
      static constexpr std::string_view kTypes[] = {"string", "int", "ip", "time"};
      out->push_back(' ');
      out->append(node.field);
      out->push_back(' ');
      out->append(kTypes[static_cast<int>(node.range_type)]);
      auto bound = [&](const RangeBound& b) {
        if (b.unbounded) {
          out->push_back('*');
        } else if (node.range_type == RangeType::kString) {
          AppendQuoted(b.text, out);
        } else {
          out->append(b.text);
        }
      };
      out->append(node.lower.inclusive || node.lower.unbounded ? " [" : " {");
      bound(node.lower);
      out->append(" TO ");
      bound(node.upper);
      out->push_back(node.upper.inclusive || node.upper.unbounded ? ']' : '}');
      break;
    }
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
    case NodeKind::kFieldRef:
      out->push_back(' ');
      out->append(node.field);
      out->push_back(' ');
      out->append(node.text);
      break;
    case NodeKind::kInList:
      out->push_back(' ');
      out->append(node.field);
      out->append(" @");
      out->append(node.text);
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
