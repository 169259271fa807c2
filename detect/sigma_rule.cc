// detect/sigma_rule.cc
//! YAML → detection items → query nodes, and the condition expression. yaml-cpp throws; every
//! call into it is inside CompileRule's try, so a malformed file is a report line.
#include "detect/sigma_rule.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "detect/condition.h"

namespace kamatama::detect {

namespace {

//! Why a rule cannot be compiled; `unsupported` separates what kamatama does not do from what
//! the rule gets wrong.
struct CompileError {
  bool unsupported = false;
  std::string reason;
};

std::string Lower(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return s;
}

std::string Where(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return " (line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1) + ")";
}

std::string ScalarOr(const YAML::Node& n, std::string_view key) {
  const YAML::Node v = n[std::string(key)];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

std::vector<std::string> ScalarList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) out.push_back(n.Scalar());
  if (n.IsSequence()) {
    for (const YAML::Node& v : n) {
      if (v.IsScalar()) out.push_back(v.Scalar());
    }
  }
  return out;
}

class Compiler {
 public:
  Compiler(const Route& route, const CompileOptions& options) : route_(route), options_(options) {}

  query::QueryBuilder& builder() { return b_; }

  //! A named selection (map, list of maps, or keyword list) → node; false with *err.
  bool Selection(const YAML::Node& n, uint32_t* out, CompileError* err) {
    if (n.IsMap()) return Map(n, out, err);
    if (n.IsSequence()) {
      if (n.size() == 0) return Fail(err, false, "empty selection" + Where(n));
      bool maps = n[0].IsMap();
      std::vector<uint32_t> kids;
      for (const YAML::Node& item : n) {
        uint32_t kid;
        if (maps) {
          if (!item.IsMap()) return Fail(err, false, "a selection list mixes maps and values" + Where(item));
          if (!Map(item, &kid, err)) return false;
        } else {
          if (!item.IsScalar() && !item.IsNull()) return Fail(err, false, "keyword list holds a non-scalar" + Where(item));
          if (!Keyword(item, {}, &kid, err)) return false;
        }
        kids.push_back(kid);
      }
      *out = b_.Or(std::move(kids));
      return true;
    }
    if (n.IsScalar()) return Keyword(n, {}, out, err);
    return Fail(err, false, "selection is neither a map, a list nor a value" + Where(n));
  }

 private:
  static bool Fail(CompileError* err, bool unsupported, std::string reason) {
    err->unsupported = unsupported;
    err->reason = std::move(reason);
    return false;
  }

  //! field|mod|mod: values, ANDed over the keys.
  bool Map(const YAML::Node& n, uint32_t* out, CompileError* err) {
    std::vector<uint32_t> kids;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      uint32_t kid;
      if (!FieldItem(key, kv.second, &kid, err)) return false;
      kids.push_back(kid);
    }
    *out = b_.And(std::move(kids));
    return true;
  }

  //! A fieldless value: a keyword anywhere in the original line (contains).
  bool Keyword(const YAML::Node& v, const std::vector<std::string>& mods, uint32_t* out, CompileError* err) {
    if (v.IsNull()) return Fail(err, false, "null keyword" + Where(v));
    std::vector<std::string> m = {"contains"};
    m.insert(m.end(), mods.begin(), mods.end());
    return Values("event.original", "keyword", m, v, out, err);
  }

  bool FieldItem(const std::string& key, const YAML::Node& v, uint32_t* out, CompileError* err) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      const size_t bar = key.find('|', start);
      parts.push_back(key.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    const std::string sigma_field = parts[0];
    std::vector<std::string> mods(parts.begin() + 1, parts.end());
    if (sigma_field.empty()) {
      // `'|all': [...]` and similar: keywords with modifiers.
      if (v.IsSequence()) {
        std::vector<uint32_t> kids;
        const bool all = std::find(mods.begin(), mods.end(), "all") != mods.end();
        std::vector<std::string> rest;
        for (const std::string& m : mods) {
          if (m != "all") rest.push_back(m);
        }
        for (const YAML::Node& item : v) {
          uint32_t kid;
          if (!Keyword(item, rest, &kid, err)) return false;
          kids.push_back(kid);
        }
        *out = all ? b_.And(std::move(kids)) : b_.Or(std::move(kids));
        return true;
      }
      return Keyword(v, mods, out, err);
    }
    return Values(MapField(route_, sigma_field), sigma_field, mods, v, out, err);
  }

  //! One field's values (scalar or list) under its modifiers.
  bool Values(const std::string& field, const std::string& sigma_field, const std::vector<std::string>& mods,
              const YAML::Node& v, uint32_t* out, CompileError* err) {
    bool all = false, re = false, cidr = false, fieldref = false, exists = false, cased = false;
    bool contains = false, starts = false, ends = false, list = false;
    std::string re_flags, compare;
    std::vector<std::string> transforms;
    for (size_t i = 0; i < mods.size(); ++i) {
      const std::string& m = mods[i];
      if (m == "all") all = true;
      else if (m == "contains") contains = true;
      else if (m == "startswith") starts = true;
      else if (m == "endswith") ends = true;
      else if (m == "re") re = true;
      else if (re && (m == "i" || m == "m" || m == "s")) re_flags += m;
      else if (m == "cidr") cidr = true;
      else if (m == "fieldref") fieldref = true;
      else if (m == "exists") exists = true;
      else if (m == "cased") cased = true;
      else if (IsTransform(m)) transforms.push_back(m);
      else if (m == "lt" || m == "lte" || m == "gt" || m == "gte") compare = m;
      else if (m == "list") list = true;
      else if (m == "minute" || m == "hour" || m == "day" || m == "week" || m == "month" || m == "year") {
        return Fail(err, true, "modifier '" + m + "' on field " + sigma_field + " is not supported");
      } else {
        return Fail(err, true, "unknown modifier '" + m + "' on field " + sigma_field);
      }
    }
    std::vector<YAML::Node> values;
    if (v.IsSequence()) {
      for (const YAML::Node& item : v) values.push_back(item);
      if (values.empty()) return Fail(err, false, "empty value list for " + sigma_field + Where(v));
    } else {
      values.push_back(v);
    }
    std::vector<uint32_t> kids;
    for (const YAML::Node& item : values) {
      if (!item.IsScalar() && !item.IsNull()) {
        return Fail(err, false, "value of " + sigma_field + " is not a scalar" + Where(item));
      }
      uint32_t kid;
      if (item.IsNull()) {
        if (re || cidr || fieldref || exists) return Fail(err, false, "null value under a modifier" + Where(item));
        // null: the field is absent (our parsers drop empty values) or empty.
        kid = b_.Or({b_.Not(b_.Exists(field)), b_.Equals(field, "")});
      } else if (exists) {
        const std::string t = Lower(item.Scalar());
        if (t != "true" && t != "false") return Fail(err, false, "exists takes true or false" + Where(item));
        kid = t == "true" ? b_.Exists(field) : b_.Not(b_.Exists(field));
      } else if (re) {
        std::string pattern = re_flags.empty() ? item.Scalar() : "(?" + re_flags + ")" + item.Scalar();
        std::string why;
        kid = b_.Regex(field, pattern, true, &why);
        if (kid == query::QueryBuilder::kInvalid) return Fail(err, true, "field " + sigma_field + ": " + why);
      } else if (cidr) {
        std::string why;
        kid = b_.Cidr(field, item.Scalar(), &why);
        if (kid == query::QueryBuilder::kInvalid) return Fail(err, false, "field " + sigma_field + ": " + why + Where(item));
      } else if (!compare.empty()) {
        if (!Compare(field, sigma_field, compare, item, &kid, err)) return false;
      } else if (list) {
        if (!InList(field, sigma_field, item, &kid, err)) return false;
      } else if (fieldref) {
        kid = b_.FieldRef(field, MapField(route_, item.Scalar()));
      } else {
        if (!Plain(field, item, contains, starts, ends, transforms, cased, &kid, err)) return false;
      }
      kids.push_back(kid);
    }
    *out = all ? b_.And(std::move(kids)) : b_.Or(std::move(kids));
    return true;
  }

  //! `field|gte: N` (and gt, lt, lte): an integer comparison.
  bool Compare(const std::string& field, const std::string& sigma_field, const std::string& op, const YAML::Node& item,
               uint32_t* out, CompileError* err) {
    int64_t bound = 0;
    const std::string& t = item.Scalar();
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), bound);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
      return Fail(err, true, "modifier '" + op + "' on field " + sigma_field + " needs an integer" + Where(item));
    static const std::map<std::string, std::string, std::less<>> kOps = {{"lt", "<"}, {"lte", "<="}, {"gt", ">"}, {"gte", ">="}};
    *out = b_.IntCompare(field, kOps.at(op), bound);
    return true;
  }

  //! `field|list: NAME` (kamatama's): the field's value is in the threat-intelligence list NAME.
  bool InList(const std::string& field, const std::string& sigma_field, const YAML::Node& item, uint32_t* out,
              CompileError* err) {
    const std::string& name = item.Scalar();
    if (!options_.lists) return Fail(err, true, "modifier 'list' on field " + sigma_field + ": no lists here");
    std::shared_ptr<const query::ValueList> list = options_.lists->Find(name);
    if (!list) return Fail(err, true, "modifier 'list' on field " + sigma_field + ": no list named '" + name + "'");
    *out = b_.InList(field, name, std::move(list));
    return true;
  }

  bool Plain(const std::string& field, const YAML::Node& item, bool contains, bool starts, bool ends,
             const std::vector<std::string>& transforms, bool cased, uint32_t* out, CompileError* err) {
    const std::string& raw = item.Scalar();
    if (raw.empty() && !contains && !starts && !ends && transforms.empty()) {
      *out = b_.Or({b_.Equals(field, ""), b_.Not(b_.Exists(field))});
      return true;
    }
    std::vector<Pattern> alts{ParsePattern(raw)};
    // Modifiers apply left to right; transforms (windash, base64offset, ...) come before the
    // anchoring ones in practice; contains/startswith/endswith are applied last, which is
    // equivalent because transforms never look at the wildcards added.
    for (const std::string& t : transforms) {
      std::string why;
      if (!ApplyTransform(t, options_.placeholders, &alts, &why)) {
        const bool unsupported = t == "expand";
        return Fail(err, unsupported, "field value" + std::string(unsupported ? "" : Where(item)) + ": " + why);
      }
    }
    std::vector<uint32_t> kids;
    for (Pattern& p : alts) {
      AddStar(&p, contains || ends, contains || starts);
      std::string why;
      const uint32_t kid = CompilePattern(&b_, field, p, cased, &why);
      if (kid == query::QueryBuilder::kInvalid) return Fail(err, true, why);
      kids.push_back(kid);
    }
    *out = b_.Or(std::move(kids));
    return true;
  }

  const Route& route_;
  const CompileOptions& options_;
  query::QueryBuilder b_;
};

std::vector<std::string> Techniques(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const std::string& tag : tags) {
    const std::string t = Lower(tag);
    if (t.size() > 8 && t.compare(0, 8, "attack.t") == 0 && t[8] >= '0' && t[8] <= '9') {
      std::string id = t.substr(7);
      for (char& c : id) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
      out.push_back(id);
    }
  }
  return out;
}

LoadReport Compile(const YAML::Node& doc, std::string_view path, const CompileOptions& options) {
  LoadReport rep;
  rep.path = std::string(path);
  if (!doc.IsMap()) {
    rep.reason = "not a YAML map" + Where(doc);
    return rep;
  }
  rep.id = ScalarOr(doc, "id");
  rep.title = ScalarOr(doc, "title");
  if (doc["correlation"]) {
    rep.status = RuleStatus::kUnsupported;
    rep.reason = "correlation rules are not supported";
    return rep;
  }
  if (rep.title.empty()) {
    rep.reason = "missing title";
    return rep;
  }
  const YAML::Node detection = doc["detection"];
  if (!detection || !detection.IsMap()) {
    rep.reason = "missing detection map" + Where(doc);
    return rep;
  }
  const YAML::Node condition = detection["condition"];
  if (!condition) {
    rep.reason = "detection has no condition" + Where(detection);
    return rep;
  }
  auto rule = std::make_shared<Rule>();
  rule->id = rep.id;
  rule->title = rep.title;
  rule->path = rep.path;
  rule->author = ScalarOr(doc, "author");
  rule->level = ScalarOr(doc, "level");
  rule->description = ScalarOr(doc, "description");
  rule->sigma_status = ScalarOr(doc, "status");
  rule->references = ScalarList(doc["references"]);
  rule->tags = ScalarList(doc["tags"]);
  rule->techniques = Techniques(rule->tags);
  const YAML::Node ls = doc["logsource"];
  if (ls && ls.IsMap()) {
    rule->logsource.product = Lower(ScalarOr(ls, "product"));
    rule->logsource.category = Lower(ScalarOr(ls, "category"));
    rule->logsource.service = Lower(ScalarOr(ls, "service"));
  }
  rule->route = RouteOf(rule->logsource);

  Compiler c(rule->route, options);
  std::map<std::string, uint32_t> selections;
  for (const auto& kv : detection) {
    const std::string name = kv.first.Scalar();
    if (name == "condition" || name == "timeframe") continue;
    uint32_t node;
    CompileError err;
    if (!c.Selection(kv.second, &node, &err)) {
      rep.status = err.unsupported ? RuleStatus::kUnsupported : RuleStatus::kInvalid;
      rep.reason = "selection '" + name + "': " + err.reason;
      return rep;
    }
    selections[name] = node;
  }
  std::vector<std::string> conditions = ScalarList(condition);
  if (conditions.empty()) {
    rep.reason = "condition is empty" + Where(condition);
    return rep;
  }
  std::vector<uint32_t> roots;
  for (const std::string& text : conditions) {
    ConditionResult cr = ParseCondition(text, selections, &c.builder());
    if (!cr.ok) {
      rep.status = cr.unsupported ? RuleStatus::kUnsupported : RuleStatus::kInvalid;
      rep.reason = "condition '" + text + "': " + cr.error;
      return rep;
    }
    roots.push_back(cr.node);
  }
  query::QueryBuilder& b = c.builder();
  const uint32_t route = CompileRoute(&b, rule->route);
  const uint32_t detection_root = b.Or(std::move(roots));
  const uint32_t root = b.And({route, detection_root});
  rule->query = b.Build(root);
  rule->detection_node = detection_root;
  rep.status = RuleStatus::kLoaded;
  rep.rule = std::move(rule);
  return rep;
}

}  // namespace

std::string_view RuleStatusName(RuleStatus s) {
  switch (s) {
    case RuleStatus::kLoaded: return "loaded";
    case RuleStatus::kUnsupported: return "unsupported";
    case RuleStatus::kInvalid: return "invalid";
  }
  return "invalid";
}

LoadReport CompileRule(std::string_view yaml, std::string_view path, const CompileOptions& options) {
  LoadReport rep;
  rep.path = std::string(path);
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(yaml));
    docs.erase(std::remove_if(docs.begin(), docs.end(), [](const YAML::Node& d) { return d.IsNull(); }), docs.end());
    if (docs.empty()) {
      rep.reason = "empty file";
      return rep;
    }
    if (docs.size() > 1) {
      rep = Compile(docs[0], path, options);
      rep.status = RuleStatus::kUnsupported;
      rep.rule.reset();
      rep.reason = "multi-document rule collections (action: global) are not supported";
      return rep;
    }
    return Compile(docs[0], path, options);
  } catch (const YAML::Exception& e) {
    rep.status = RuleStatus::kInvalid;
    rep.rule.reset();
    rep.reason = e.mark.is_null() ? "YAML: " + e.msg
                                  : "YAML error at line " + std::to_string(e.mark.line + 1) + ", column " +
                                        std::to_string(e.mark.column + 1) + ": " + e.msg;
    return rep;
  }
}

std::vector<std::string> AttackTechniques(const std::vector<std::string>& tags) { return Techniques(tags); }

}  // namespace kamatama::detect
