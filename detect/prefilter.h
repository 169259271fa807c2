// detect/prefilter.h
//! The literal prefilter: which rules are worth evaluating on an event, from the literals their
//! detections require.
//!
//! For each rule, the detection's filter tree gives groups of literals (lowercase, per field):
//! the rule can only match if, for every group, one of its literals occurs in that field's value
//! (ASCII case ignored). A field equality or glob requires its (longest) literal, a regex the
//! atoms of RE2's prefilter (down to 1 byte), free text its text; an AND requires every requiring child's groups
//! (at most kMaxGroups, the longest literals kept, groups with a literal under 3 bytes dropped
//! when a better group exists); an OR one group joining a group of each
//! branch, or nothing if some branch requires nothing; a NOT, `field:*`, CIDR, ranges and
//! fieldrefs require nothing. A rule whose detection requires nothing is always evaluated.
//!
//! Per event, one RE2::Set pass per field that some literal of a routed rule names finds the
//! literals present;
//! a rule passes when each of its groups saw one. The prefilter only ever says "cannot match"
//! when the evaluation would say so too: the evaluation stays exactly the query's.
//! Immutable once compiled; Scan may run on several threads (each with its own Scratch).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/row.h"
#include "query/query.h"

namespace re2 {
class RE2;
}

namespace kamatama::detect {

//! Most literal groups kept per rule (an AND of many selections: the most selective ones).
inline constexpr size_t kMaxGroups = 6;

//! One required literal: `text` (lowercase) must occur in `field`'s value.
struct Literal {
  std::string field, text;
  bool operator==(const Literal&) const = default;
};
//! Some literal of the group must occur.
using LiteralGroup = std::vector<Literal>;

//! The groups a match of the subtree under `node` requires (empty: nothing can be said).
std::vector<LiteralGroup> RequiredLiterals(const query::Query& q, uint32_t node);

class Prefilter {
 public:
  Prefilter();
  ~Prefilter();
  Prefilter(Prefilter&&) noexcept;
  Prefilter& operator=(Prefilter&&) noexcept;

  //! Per-thread state of a scan: which groups and rules the literals seen so far satisfied.
  struct Scratch {
    uint32_t epoch = 0;
    std::vector<uint32_t> group_epoch;
    std::vector<uint32_t> literal_epoch;  //!< literals SearchLiterals already looked for this event
    //! Per rule: its groups that saw a literal in the event of `epoch`.
    struct RuleState {
      uint32_t epoch = 0;
      uint16_t hits = 0;
    };
    std::vector<RuleState> rules;
    std::vector<int> matched;
    std::vector<uint32_t> passed;  //!< rules whose every group saw a literal, in no order
    //! Per field: values scanned and values holding a literal, lately (halved as they grow): a
    //! field whose values seldom hold one is first asked whether any does (see ScanValue).
    std::vector<uint16_t> field_scans, field_hits;
    //! Free for the caller to stamp things with `epoch` (RuleSet: the route lists routed to the
    //! event); cleared with the other stamps when the epoch wraps.
    std::vector<uint32_t> rule_mark;
  };

  //! Registers rule number `rule` (rules are numbered 0.. in the order added) with its groups.
  void AddRule(uint32_t rule, const std::vector<LiteralGroup>& groups);
  //! Compiles the per-field sets; Scan and Passes need it. False if a set failed to compile
  //! (then every rule passes).
  bool Compile();
  bool compiled() const { return compiled_; }

  //! Starts the scan of an event: a new epoch in `s` (its stamps of the last event expire).
  void Begin(Scratch* s) const;
  //! Looks for the literals of the fields set in `wanted` (a bit per field id, FieldMaskWords()
  //! words) in `row`'s values of those fields (event.original included).
  void Scan(const FieldAccessor& row, const std::vector<uint64_t>& wanted, Scratch* s) const;
  //! Sets in *mask the bits of the fields rule `rule`'s literals name (after Compile).
  void AddRuleFields(uint32_t rule, std::vector<uint64_t>* mask) const;
  size_t FieldMaskWords() const { return (fields_.size() + 63) / 64; }
  //! Literal ids of rule `rule` naming field number `field` (appended to *out).
  void RuleLiteralsOfField(uint32_t rule, uint32_t field, std::vector<uint32_t>* out) const;
  //! Searches `row`'s value of field number `field` for each of `literals` one by one (faster
  //! than a pass of the field's whole set when a route needs only a few of its literals); a
  //! literal already looked for in this event (another routed list needs it too) is skipped.
  void SearchLiterals(const FieldAccessor& row, uint32_t field, const std::vector<uint32_t>& literals,
                      Scratch* s) const;
  //! Whether rule `rule` may match the event last scanned into `s`.
  bool Passes(uint32_t rule, const Scratch& s) const {
    if (!compiled_ || rule >= rule_groups_.size() || rule_groups_[rule] == 0) return true;
    return s.rules[rule].epoch == s.epoch && s.rules[rule].hits == rule_groups_[rule];
  }

  size_t literal_count() const { return literals_.size(); }
  size_t field_count() const { return fields_.size(); }
  //! Rules with no required literal (always evaluated when routed).
  size_t unfiltered_rules() const { return unfiltered_.size(); }
  const std::vector<uint32_t>& unfiltered() const { return unfiltered_; }

 private:
  struct FieldSet;
  void ScanValue(uint32_t field, std::string_view value, Scratch* s) const;
  void SeeLiteral(uint32_t literal, Scratch* s) const;

  bool compiled_ = false;
  std::vector<Literal> literals_;
  std::unordered_map<std::string, uint32_t> literal_ids_;         //!< field '\0' text -> id
  std::vector<std::vector<uint32_t>> literal_groups_;             //!< literal -> groups
  std::vector<uint32_t> group_rule_;                              //!< group -> rule
  //! literal_groups_ flattened by Compile for SeeLiteral: literal l's groups (with their rule and
  //! its number of groups) are group_refs_[literal_refs_[l] .. literal_refs_[l + 1]).
  struct GroupRef {
    uint32_t group, rule;
    uint16_t rule_groups;
  };
  std::vector<GroupRef> group_refs_;
  std::vector<uint32_t> literal_refs_;
  std::vector<uint16_t> rule_groups_;                             //!< rule -> number of groups
  std::vector<uint32_t> unfiltered_;                              //!< rules without groups
  std::vector<std::vector<uint32_t>> rule_literals_;              //!< rule -> its literal ids
  std::vector<uint32_t> literal_field_;                           //!< literal -> fields_ index
  std::vector<std::unique_ptr<FieldSet>> fields_;
  std::unordered_map<std::string, uint32_t> field_ids_;           //!< field name -> fields_ index
};

}  // namespace kamatama::detect
