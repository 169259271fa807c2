// server/investigate_routes.h
//! The investigation endpoints (issue 22), over investigate/: GET /api/v1/ip/owner (which PC had
//! an address at a time), /api/v1/process/tree (a process's ancestors and descendants with their
//! activity) and /api/v1/entity (a host, user, IP, process, hash or domain page). Each answer is a
//! few searches run with the caller's query limits and visibility. No HTTP library here.
#pragma once

#include <functional>
#include <optional>
#include <string>

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
};

//! A searcher with the request's limits (query.timeout, query.max_memory, cancellation) and the
//! caller's visibility `restrict` (investigation and case routes).
investigate::Searcher RequestSearcher(const Request& req, const Config& cfg, const store::Store& store,
                                      std::function<std::string(const std::string&)> restrict);

//! The request's `from`/`to` parameters (API times: RFC 3339, epoch, now-30d; absent: unbounded)
//! into *from and *to; a 400 answer when one is bad or from >= to (also used by the unparsed routes).
std::optional<Response> RequestTimeRange(const Request& req, int64_t* from, int64_t* to);

//! The answer when `req` is one of the investigation endpoints, else nullopt.
std::optional<Response> HandleInvestigateRoute(const Request& req, const InvestigateContext& ctx);

//! Feeds the lease index from the store: DHCP events of the retention window (all, when retention
//! keeps everything). Returns the events read.
Status LoadLeases(const store::Store& store, const Config& cfg, investigate::LeaseIndex* leases, uint64_t* events);

}  // namespace kamatama::server
