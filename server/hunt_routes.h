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
//!
//! Issue 26, store.backend clickhouse: the cluster answers instead of the local store (only this
//! node's spool). Each rule becomes a condition true for every event it matches
//! (clickhouse::SupersetSql, exact where 18.16 allows), kamatama's own events left out; per
//! slice, the events of the rules' conditions ORed come back newest first, a page at a time
//! (clickhouse::VisitEvents: the node holds one page), and the rules decide each one here
//! (detect::RuleSetFilter::Fire), so the hits, counts and match lines are those of the RocksDB
//! store. `scanned` is then the number of events the cluster sent. Correlations: the hours with
//! candidates (one GROUP BY) are read oldest first into detect::CorrelationHunt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace kamatama::clickhouse {
class Client;
}
namespace kamatama::detect {
class RuleSet;
}

namespace kamatama::server {

//! The condition a hunt of `set` sends to the cluster (server/clickhouse_search.cc): each
//! rule's clickhouse::SupersetSql ORed, kamatama's own events left out.
std::string ClusterHuntSql(const detect::RuleSet& set);

//! A row of the cluster a hunt decides: its time and identity.
struct ClusterRow {
  int64_t ts_ns = 0;
  std::string node;
  uint64_t seq = 0;
};
//! Most rows a hunt on the cluster decides (beyond: an error asking for a shorter range).
inline constexpr size_t kMaxClusterHuntRows = 1'000'000;
//! Most bytes of one statement's condition: 18.16 takes time quadratic in an OR's terms
//! (measured: 27 KB 0.6 s, 110 KB 7 s, 440 KB over 120 s), so many rules are several statements.
inline constexpr size_t kMaxHuntSqlBytes = 24 << 10;
//! The rows of [from_ns, to_ns) some rule of `set` may match (the rules' conditions in groups of
//! at most kMaxHuntSqlBytes, one statement each), newest first, each once. ResourceExhausted past
//! kMaxClusterHuntRows.
Status ClusterHuntRows(const clickhouse::Client& client, const detect::RuleSet& set, int64_t from_ns, int64_t to_ns,
                       int64_t deadline_ns, std::vector<ClusterRow>* rows);
//! The events of rows [begin, end) (newest first, ClusterHuntRows), read a page at a time.
Status VisitClusterRows(const clickhouse::Client& client, const ClusterRow* begin, const ClusterRow* end,
                        int64_t deadline_ns, const std::function<bool(Event&&)>& visit);
//! Every event of [from_ns, to_ns) matching `where`, newest first, a page at a time, to `visit`
//! until it returns false. `deadline_ns`: steady clock, 0 = none.
Status VisitClusterHunt(const clickhouse::Client& client, const std::string& where, int64_t from_ns, int64_t to_ns,
                        int64_t deadline_ns, const std::function<bool(Event&&)>& visit);
//! How many events matching `where` fall in each slice of `width_ns` from from_ns (one GROUP BY).
Status ClusterHuntSlices(const clickhouse::Client& client, const std::string& where, int64_t from_ns, int64_t width_ns,
                         int64_t deadline_ns, std::vector<uint64_t>* counts);

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
