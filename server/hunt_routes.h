// server/hunt_routes.h
//! Retro-hunt (issue 20): POST /api/v1/hunt runs Sigma rules over stored events through the
//! store's scan (detect/hunt.h), so block pruning applies. Implemented by Api::Hunt
//! (server/hunt_routes.cc); no HTTP library here.
//!
//! Body: {"rules":["<id>",...] | "all"  (rules of the live set, detection.rules)
//!        or "yaml":"<rule>[\n---\n<rule>...]" (pasted, compiled for this hunt only),
//!        "from","to" (as /api/v1/search: RFC 3339, epoch, now-7d; default the last 7 days),
//!        "limit" (matching events returned; default query.default_limit, at most
//!        query.max_limit), "create_alerts": false}
//! Answer: 400 with the reason (a rule that does not load, an unknown id, a bad time), else an
//! NDJSON stream, newest UTC day first:
//!   {"type":"hunt","rules":N,"from":...,"to":...}
//!   {"type":"match","rule.id":["<id>",...],"event":{...}}      newest first within a day
//!   {"type":"progress","through":"<start of the day scanned>","scanned":N}
//!   {"type":"done","counts":[{"rule.id","rule.name","rule.level","count"}],"rules","matched",
//!    "events","scanned","blocks","blocks_pruned","alerts","alerts_duplicate","took_ms","complete"}
//! One rule is scanned as its own query (its tokens prune blocks); several in one pass, every
//! scanned event given to RuleSet::Match (routing and the literal prefilter). A client that goes
//! away stops the hunt at the end of the day being scanned; query.export_timeout bounds it.
//! Correlations (issue 21): when live rules are hunted ("all", ids; the id of a correlation hunts
//! the rules it takes), the live correlations fed by those rules are decided after the scan, over
//! the range oldest hour first, each hour's matching rows sorted by @timestamp
//! (detect::CorrelationHunt): same windows and bounds as live. Each firing is a
//!   {"type":"match","rule.id":["<correlation id>"],"correlation":true,"event":{...}}
//! line (the event that completed it, with the fields the correlation read; within `limit`), and
//! the done line gets "correlations":[{"rule.id","rule.name","rule.level","count"}].
//! With create_alerts, every returned match becomes an alert (kamatama.alert.origin "hunt"),
//! unless an earlier hunt raised the same one (kamatama.alert.key).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kamatama::server {

//! Most rules one pasted 'yaml' may hold.
inline constexpr size_t kMaxHuntRules = 1000;
//! Days hunted when 'from' is not given.
inline constexpr int64_t kDefaultHuntDays = 7;
//! Most time slices of one hunt (a longer range gets longer slices than a day).
inline constexpr int64_t kMaxHuntSlices = 400;
//! Time slices of the correlation pass (rows of one slice are sorted by time in memory).
inline constexpr int64_t kCorrelationSliceNs = 3600LL * 1'000'000'000;
//! Most slices of the correlation pass (a long range gets longer slices than an hour).
inline constexpr int64_t kMaxCorrelationSlices = 2000;
//! Rules that did not fire still listed in the counts, after those that did.
inline constexpr size_t kMaxReportedRules = 50;

}  // namespace kamatama::server
