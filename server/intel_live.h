// server/intel_live.h
//! Live threat-intelligence matching (issue 28): every ingested event's address, name, URL, hash
//! and e-mail fields (intel::ClassifyField) are looked up in every list as the pipeline receives
//! the event, beside the Sigma rules (main.cc chains both into ingest::Pipeline::SetDetector).
//! A hit adds an alert event (dataset kamatama.alert, rule.ruleset intel) to the same batch, so
//! it is stored and acknowledged with the event that raised it. One alert per (list, indicator,
//! host) per intel.alert_dedup; the hits in between are counted, not alerted.
//! Evaluate is thread-safe (receivers call it from many threads).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/event.h"
#include "ingest/pipeline.h"
#include "intel/list_store.h"
#include "parsers/parse.h"

namespace kamatama::server {

class LiveIntel {
 public:
  LiveIntel(const intel::ListStore* lists, ParseOptions parse, int64_t dedup_ns)
      : lists_(lists), parse_(std::move(parse)), dedup_ns_(dedup_ns) {}

  //! Matches the batch's events (kamatama's own excepted) against every list and appends an
  //! alert event, with its raw record, for each hit not suppressed by the dedup window.
  void Evaluate(ingest::Batch* batch);

 private:
  //! Whether an alert for `key` may be raised at `now` (and records it).
  bool Admit(const std::string& key, int64_t now);

  const intel::ListStore* lists_;
  ParseOptions parse_;
  int64_t dedup_ns_;
  std::mutex mu_;  // guards last_alert_
  std::unordered_map<std::string, int64_t> last_alert_;  // list, indicator, host -> time of the last alert
};

//! The alert's JSON object (its event.original): @timestamp (detection time), event.kind alert,
//! event.dataset kamatama.alert, event.module intel, rule.{id,name,ruleset,level,description},
//! threat.indicator.{type,name,provider,description}, kamatama.intel.{list,version,indicator,
//! type,source,field}, host.name, the matched event's @timestamp, dataset, original line and the
//! matched field's value (kamatama.matched.*), and a message.
std::string IntelAlertJson(const intel::IntelList& list, const intel::Hit& hit, const Event& matched, int64_t now_ns);

}  // namespace kamatama::server
