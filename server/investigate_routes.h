// server/investigate_routes.h
//! The investigation endpoints (issue 22), over investigate/: GET /api/v1/ip/owner (which PC had
//! an address at a time), /api/v1/process/tree (a process's ancestors and descendants with their
//! activity) and /api/v1/entity (a host, user, IP, process, hash or domain page). Each answer is a
//! few searches run with the caller's query limits and visibility. No HTTP library here.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "clickhouse/client.h"
#include "investigate/lease_index.h"
#include "investigate/searcher.h"
#include "server/http_types.h"
#include "server/config.h"
#include "store/store.h"

namespace kamatama::server {

struct InvestigateContext {
  const Config& cfg;
  const store::Store& store;
  const investigate::LeaseIndex& leases;
  //! The caller's visibility restriction of a filter (Api::RestrictFilter).
  std::function<std::string(const std::string&)> restrict;
  //! Issue 26 (store.backend: clickhouse): the cluster the searches read instead of the store.
  const clickhouse::Client* cluster = nullptr;
};

//! A searcher with the request's limits (query.timeout, query.max_memory, cancellation) and the
//! caller's visibility `restrict` (investigation and case routes); on `cluster` when given.
investigate::Searcher RequestSearcher(const Request& req, const Config& cfg, const store::Store& store,
                                      std::function<std::string(const std::string&)> restrict,
                                      const clickhouse::Client* cluster = nullptr);

//! The cluster as a searcher's source (server/clickhouse_search.cc): filters translated to SQL and
//! narrowed by the token table, with the request's deadline (steady clock, 0 = none) and
//! cancellation.
std::shared_ptr<const investigate::EventSource> ClusterEventSource(const clickhouse::Client& client, int64_t deadline_ns,
                                                                   const std::atomic<bool>* cancelled);

//! The request's `from`/`to` parameters (API times: RFC 3339, epoch, now-30d; absent: unbounded)
//! into *from and *to; a 400 answer when one is bad or from >= to (also used by the unparsed routes).
std::optional<Response> RequestTimeRange(const Request& req, int64_t* from, int64_t* to);

//! The answer when `req` is one of the investigation endpoints, else nullopt.
std::optional<Response> HandleInvestigateRoute(const Request& req, const InvestigateContext& ctx);

//! Feeds the lease index from the store: DHCP events of the retention window (all, when retention
//! keeps everything). Returns the events read.
//! With `cluster`, the DHCP events come from the cluster (every ingest node's).
Status LoadLeases(const store::Store& store, const Config& cfg, investigate::LeaseIndex* leases, uint64_t* events,
                  const clickhouse::Client* cluster = nullptr);

}  // namespace kamatama::server
