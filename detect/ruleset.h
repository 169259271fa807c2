// detect/ruleset.h
//! A set of compiled Sigma rules loaded from directories, and the live evaluator: an event is
//! routed by its winlog.channel / event.provider / event.code / event.dataset to the few rules
//! whose logsource it can belong to, and only those rules' queries are evaluated.
//! A RuleSet is immutable once loaded; Match may be called from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "detect/prefilter.h"
#include "detect/sigma_rule.h"

namespace kamatama::detect {

//! Most rule files read from the directories of one load (a hostile tree cannot exhaust memory).
inline constexpr size_t kMaxRuleFiles = 100000;
//! Largest rule file read, in bytes.
inline constexpr size_t kMaxRuleFileBytes = 1 << 20;

struct LoadSummary {
  size_t loaded = 0, unsupported = 0, invalid = 0;
  std::vector<LoadReport> reports;  //!< one per rule file, in path order
};

struct RouteKeys;  //!< the values an event is routed by (ruleset.cc)

class RuleSet {
 public:
  //! Loads every *.yml / *.yaml under `dirs` (recursively; a path may also name one file).
  //! A file that cannot be read gives a non-OK status (the rest still load, reports complete).
  Status Load(const std::vector<std::string>& dirs, const CompileOptions& options, LoadSummary* summary);

  //! Adds one compiled rule. Call CompilePrefilter after the last one (Load does); until then
  //! Match evaluates every routed rule.
  void Add(std::shared_ptr<const Rule> rule);
  //! Compiles the literal prefilter over the rules added so far. False if it could not be
  //! compiled (Match then evaluates every routed rule).
  bool CompilePrefilter();
  //! Off: Match evaluates every routed rule (for measuring; the answers are the same).
  void set_use_prefilter(bool on) { use_prefilter_ = on; }
  const Prefilter& prefilter() const { return prefilter_; }
  //! A route's literals of one field searched one by one rather than by the field's RE2::Set
  //! pass when there are at most this many (a route needs few of event.original's 666).
  static constexpr size_t kMaxDirectLiterals = 6;

  //! What keywords (fieldless values) search.
  enum class Keywords : uint8_t {
    kEventText,     //!< KeywordText: a Windows event's EventData values, else its original line (live)
    kOriginalLine,  //!< the event's original line as stored (retro-hunts: a store row holds only
                    //!< the columns the rules read, so its EventData may be partial; its line is whole)
  };
  //! Rules whose query matches `ev`, appended to *out, in the order the rules were added.
  void Match(const Event& ev, std::vector<const Rule*>* out, Keywords keywords = Keywords::kEventText) const;

  //! Rules routed to `ev` by logsource, and of those the rules the prefilter lets through (the
  //! ones Match evaluates), for measuring.
  size_t CandidateCount(const Event& ev) const;
  size_t EvaluatedCount(const Event& ev) const;

  const std::vector<std::shared_ptr<const Rule>>& rules() const { return rules_; }

 private:
  template <class F>
  void ForEachRoutedList(const Event& ev, F&& f) const;
  template <class F>
  void ForEachLookedUpList(const RouteKeys& keys, F&& f) const;
  template <class F>
  void ForEachCandidate(const Event& ev, F&& f) const;
  template <class F>
  //! f(rule index, the event's fields)
  void ForEachEvaluated(const Event& ev, Keywords keywords, F&& f) const;

  std::vector<std::shared_ptr<const Rule>> rules_;
  //! Rules routed by one key, and the fields their required literals name (a bit per prefilter
  //! field: only those fields of an event are scanned).
  struct RouteList {
    uint32_t id = 0;  //!< numbered by CompilePrefilter: rule_lists_ names lists by it
    std::vector<uint32_t> rules;
    std::vector<uint64_t> fields;  //!< scanned with the field's whole RE2::Set
    //! Fields where the rules need at most kMaxDirectLiterals literals: searched one by one.
    std::vector<std::pair<uint32_t, std::vector<uint32_t>>> direct;
  };
  void RouteFields(RouteList* list) const;
  //! Rule indices by "channel\ncode" / "channel\n" (any code), provider likewise, dataset.
  std::unordered_map<std::string, RouteList> by_channel_, by_provider_, by_dataset_;
  RouteList always_;  //!< rules without a logsource
  //! Rule -> ids of the route lists holding it (a rule is routed to an event when one of its
  //! lists is: checked for the few rules the prefilter passes, not stamped on the hundreds routed).
  std::vector<std::vector<uint32_t>> rule_lists_;
  uint32_t list_count_ = 0;
  //! Route lists by id (numbered by CompilePrefilter; empty until then; always_'s entry null: a
  //! moved set's always_ is its own, its maps' lists move with them), and the numbering's
  //! serial (unique among RuleSets: a thread's memo of its last event's routes names it).
  std::vector<const RouteList*> lists_;
  uint64_t serial_ = 0;
  Prefilter prefilter_;
  bool use_prefilter_ = true;
};

//! What a Sigma keyword (a fieldless value) is searched in, into *out: for a Windows event (one
//! with winlog.event_data.* or winlog.user_data.* fields) the values of those fields, each
//! followed by a newline, so that a keyword fires the same whichever way the event arrived (event
//! XML, .evtx, Winlogbeat, NXLog or Wazuh JSON all keep the raw EventData there, unescaped, where
//! their original lines escape it differently); for any other event its original line. RuleSet
//! evaluates keywords (free text on event.original) against this text.
void KeywordText(const Event& ev, std::string* out);

//! The report as `kamatama rules check --json` prints it.
std::string SummaryJson(const LoadSummary& s);
//! The report as text: one line per rule not loaded, then the counts.
std::string SummaryText(const LoadSummary& s);

}  // namespace kamatama::detect
