// server/detection.h
//! Live detection (issue 20): the Sigma rules of `detection.rules` (and `serve --rules`) run on
//! every ingested event as the pipeline receives it (ingest::Pipeline::SetDetector: on the
//! submitting receiver thread, before the batch is queued). Each rule that fires adds an alert
//! event to the same batch, so the alert is stored, searchable and acknowledged together with the
//! event that raised it. An alert is an event of dataset `kamatama.alert` (fields: AlertJson).
//! Rules are reloaded on SIGHUP: the new set replaces the old one at once (batches being evaluated
//! finish with the old set); a directory that cannot be read keeps the old set.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/metrics.h"
#include "core/raw_record.h"
#include "core/status.h"
#include "detect/ruleset.h"
#include "ingest/pipeline.h"
#include "parsers/parse.h"
#include "server/config.h"

namespace kamatama::server {

//! Longest matched value copied into an alert (kamatama.matched.values.*, .original).
inline constexpr size_t kMaxAlertValueBytes = 8192;

//! What the alert gate (issue 21, server/alert_store.h) decided about one match: raise an alert
//! (with this id and level) or not (off, excluded, folded into an open alert, over the cap).
struct AlertDecision {
  bool raise = true;
  uint64_t id = 0;    //!< kamatama.alert.id (0: none)
  std::string level;  //!< the level to raise with; empty: the rule's
  //! Correlations this match completed (detect/correlation.h): each goes through the gate in
  //! turn and is raised on the same event.
  std::vector<std::shared_ptr<const detect::Rule>> correlated;
};
using AlertGate = std::function<AlertDecision(const detect::Rule& rule, const Event& matched, int64_t now_ns)>;

class LiveDetection {
 public:
  explicit LiveDetection(ParseOptions parse) : parse_(std::move(parse)) {}

  //! Loads the rules of `opt` and makes them the live set. On a directory that cannot be read the
  //! error is returned and the previous set stays. `summary` (optional) gets the per-rule report.
  Status Load(const DetectionOptions& opt, detect::LoadSummary* summary = nullptr);

  //! Evaluates the batch's events (alerts and kamatama's own events excepted) and appends an alert
  //! event, with its raw record, for every rule that fires.
  void Evaluate(ingest::Batch* batch) const;

  //! Asked about every match before an alert is raised (issue 21). Set before ingest starts.
  void SetGate(AlertGate gate) { gate_ = std::move(gate); }
  //! Where rules' `field|list: NAME` finds lists (issue 28; intel::FollowingLists). Set before
  //! the first Load; null: such rules are unsupported.
  void SetLists(const query::ListResolver* lists) { lists_ = lists; }

  //! Rules in the live set.
  size_t RuleCount() const;
  std::shared_ptr<const detect::RuleSet> Rules() const;

 private:
  ParseOptions parse_;
  AlertGate gate_;
  const query::ListResolver* lists_ = nullptr;
  mutable std::mutex mu_;  // guards rules_ (the pointer; the set itself is immutable)
  std::shared_ptr<const detect::RuleSet> rules_;
};

//! The alert's JSON object (its event.original): @timestamp (detection time), event.kind alert,
//! event.dataset kamatama.alert, rule.{id,name,author,level,description,reference,ruleset,
//! license}, threat.technique.id (ATT&CK ids from the tags; an array when several), tags, host.name
//! and the matched event's @timestamp, dataset, original line and the values of the fields the
//! rule reads (kamatama.matched.*), and a message.
//! With `decision`: its level replaces the rule's and kamatama.alert.id is set (issue 21).
std::string AlertJson(const detect::Rule& rule, const Event& matched, int64_t now_ns,
                      const AlertDecision* decision = nullptr);

}  // namespace kamatama::server

namespace kamatama::server {

//! The alert JSON with these fields added (retro-hunts and imports mark their alerts:
//! kamatama.alert.origin "hunt" or "imported", and kamatama.alert.key).
std::string AddAlertFields(std::string alert_json, const std::vector<std::pair<std::string, std::string>>& fields);
//! A key naming one firing (the rule, the matched event's time and original line): the same
//! firing found again by a later hunt or import has the same key, so it is not raised twice.
std::string AlertKey(const detect::Rule& rule, const Event& matched);

}  // namespace kamatama::server
