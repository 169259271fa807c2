// clickhouse/search.h
//! Searches and `stats` answered by the cluster (issue 26): the WHERE clause of clickhouse/sql.h
//! run over the Distributed `events` table, with the limits and the cancellation of a search:
//!  - max_execution_time from the search's deadline, max_result_rows as a safety net beside the
//!    LIMIT the statement carries;
//!  - every statement has a query_id; while it runs, a watcher looks at `cancelled` (the client
//!    went away) and sends KILL QUERY for that id to every configured server.
//! Events come back whole (`@timestamp`, `event.ingested`, `event.original`, the column fields,
//! then the key/value arrays) and newest first. Thread-safe: calls share nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "clickhouse/client.h"
#include "core/event.h"
#include "core/status.h"
#include "query/pipes.h"
#include "query/query.h"

namespace kamatama::clickhouse {

struct QueryLimits {
  int64_t timeout_ns = 0;                        //!< 0 = none; else max_execution_time (rounded up, >= 1 s)
  size_t max_result_rows = 0;                    //!< 0 = none
  const std::atomic<bool>* cancelled = nullptr;  //!< set when the client went away
};

struct EventsAnswer {
  std::vector<Event> events;  //!< newest first, at most `limit`
  uint64_t matched = 0;       //!< every match (count() over the same WHERE)
};

//! The newest `limit` events matching `where` over `<database>.events`, and their total count.
//! Busy when cancelled, ResourceExhausted when the server's time limit was reached.
Status SearchEvents(const Client& client, const std::string& where, size_t limit, const QueryLimits& limits,
                    EventsAnswer* out);

//! A `stats`, `timechart`, `top` or `rare` stage (StatsSql) as a table with query::Aggregator's columns, groups sorted
//! by their values; at most max_groups rows (*complete false when there were more).
Status StatsTable(const Client& client, const query::Stage& stage, const std::string& where, size_t max_groups,
                  const QueryLimits& limits, query::Table* table, bool* complete);

//! How many events matching `where` fall in each bucket [from_ns + i*width_ns, ... + width_ns)
//! for i < counts->size() (GROUP BY in the cluster); *matched gets their sum.
Status BucketCounts(const Client& client, const std::string& where, int64_t from_ns, int64_t width_ns,
                    const QueryLimits& limits, std::vector<uint64_t>* counts, uint64_t* matched);

//! Every event matching `where` (at most `limit`, 0 = all), newest first, handed to `visit`
//! until it returns false; read in pages of `page` rows after the last one read (ts_ns, node,
//! seq), so the node never holds more than a page. The limits apply to each page's statement.
Status VisitEvents(const Client& client, const std::string& where, uint64_t limit, const QueryLimits& limits,
                   const std::function<bool(Event&&)>& visit, size_t page = 5000);
//! VisitEvents with each row's identity: the node that sent it and its sequence number there.
Status VisitRows(const Client& client, const std::string& where, uint64_t limit, const QueryLimits& limits,
                 const std::function<bool(Event&&, std::string_view node, uint64_t seq)>& visit, size_t page = 5000);

//! The token table (tokens, written with the events) as a prefilter of a rare-term search: when
//! the filter's root is free text, or an AND with free-text children, their tokens are looked up
//! in the token table within `time` (at most max_events + 1 rows each, one statement); the
//! rarest one, if it is in at most max_events events, gives *cond: those events' hours
//! (the first column of the events' ORDER BY, so only their granules are read), times and
//! (node, seq). "" when the filter has no such token or each is frequent (a scan is then as good);
//! "0" when a token is in no event at all. The filter itself still applies: *cond only narrows.
inline constexpr size_t kPrefilterEvents = 1000;
Status TokenPrefilter(const Client& client, const query::Query& q, const std::string& time, const QueryLimits& limits,
                      std::string* cond, size_t max_events = kPrefilterEvents);

//! Runs `sql` with the limits and cancellation above (query_id, KILL QUERY). Exposed for tests.
Status RunQuery(const Client& client, const std::string& sql, const QueryLimits& limits, std::string* out);

//! A TabSeparated value with its backslash escapes undone (exposed for tests).
std::string UnescapeTsv(std::string_view text);
//! A TabSeparated Array(String) value as written (`['a','b\'c']`) as its elements.
bool ParseStringArray(std::string_view text, std::vector<std::string>* out);

}  // namespace kamatama::clickhouse
