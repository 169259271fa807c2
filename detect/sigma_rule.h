// detect/sigma_rule.h
//! A Sigma rule compiled into a query::Query (the filter tree the search language builds), so
//! the live path and retro-hunts share one evaluator. Loading never throws: every rule file
//! yields a LoadReport saying loaded, unsupported (which modifier, field or construct) or
//! invalid (with the YAML position). A loaded Rule is immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detect/logsource.h"
#include "detect/sigma_value.h"
#include "query/query.h"

namespace kamatama::detect {

//! What loading a rule ended in.
enum class RuleStatus : uint8_t { kLoaded, kUnsupported, kInvalid };
std::string_view RuleStatusName(RuleStatus s);

//! Options of the Sigma compiler.
struct CompileOptions {
  Placeholders placeholders;  //!< values of `expand` placeholders (%name% → values)
  //! Where the `list` modifier (`field|list: NAME`, kamatama's) finds lists; null: a rule using
  //! it is unsupported. The ValueList a resolver returns is kept by the rule: a resolver whose
  //! lists follow updates (server/intel_live.h) makes the rule follow them.
  const query::ListResolver* lists = nullptr;
};

//! A compiled rule.
struct Rule {
  std::string id, title, author, level, description, sigma_status;
  std::vector<std::string> references, tags;
  std::vector<std::string> techniques;  //!< ATT&CK ids from tags attack.tNNNN[.NNN], upper case
  std::string path;                     //!< file it came from
  Logsource logsource;
  Route route;
  //! The rule as one filter: the logsource's condition AND the detection.
  query::Query query;
  //! The node of `query` where the detection starts (the query without the route's condition):
  //! the literal prefilter reads what the detection requires from there.
  uint32_t detection_node = 0;
};

//! The outcome of loading one rule document.
struct LoadReport {
  RuleStatus status = RuleStatus::kInvalid;
  std::string id, title, path;
  std::string reason;          //!< empty when loaded
  std::shared_ptr<const Rule> rule;  //!< set when loaded
};

//! ATT&CK technique ids (upper case) of tags attack.tNNNN[.NNN].
std::vector<std::string> AttackTechniques(const std::vector<std::string>& tags);

//! Compiles one Sigma rule from YAML text. `path` is only for the report.
LoadReport CompileRule(std::string_view yaml, std::string_view path, const CompileOptions& options);

}  // namespace kamatama::detect
