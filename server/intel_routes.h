// server/intel_routes.h
//! The threat-intelligence endpoints (issue 28), independent of the HTTP library:
//!   GET    /api/v1/lists             every list: version, size, active and expired entries, types,
//!                                    created/updated, origin, history, the last hunt's summary
//!   GET    /api/v1/lists/NAME        the same for one list, with its first 1,000 indicators
//!   PUT    /api/v1/lists/NAME        a new version from the body, told apart by Content-Type
//!                                    (text/plain, text/csv, application/stix+json, application/json
//!                                    for STIX or MISP); ?lenient=true skips bad entries;
//!                                    ?hunt=false skips the hunt over history (intel.hunt_on_import)
//!   DELETE /api/v1/lists/NAME
//!   GET    /api/v1/lists/NAME/hits   live alerts per indicator (from the stored kamatama.alert
//!                                    events) and the last hunt's sightings
//!   POST   /api/v1/lists/NAME/hunt   searches the stored history for the list now
//! The route table (server/auth.cc) lets analysts read and hunt and only admins write. Hunts run
//! on the request's worker thread, within query.timeout. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "intel/hunt.h"
#include "intel/list_store.h"
#include "server/http_types.h"
#include "server/config.h"
#include "store/store.h"

namespace kamatama::server {

class IntelRoutes {
 public:
  IntelRoutes(const Config& cfg, store::Store* store, intel::ListStore* lists)
      : cfg_(cfg), store_(store), lists_(lists) {}

  //! The response if the request is under /api/v1/lists, else nullopt.
  std::optional<Response> Handle(const Request& req);
  //! Makes `body` the new version of list `name` (format from `content_type`), then hunts for it
  //! when `hunt`; the PUT answer. Also what a scheduled feed fetch calls.
  Response PutList(const std::string& name, const std::string& content_type, std::string_view body, bool lenient,
                   const std::string& origin, bool hunt, const std::atomic<bool>* cancelled = nullptr);
  const intel::ListStore* lists() const { return lists_; }

 private:
  Response ListLists(const std::string* only);
  Response Hits(const std::string& name);
  Response Hunt(const std::string& name, const std::atomic<bool>* cancelled);
  //! Searches the history for `list`; returns the report's JSON (kept as the list's last hunt).
  std::string RunHunt(const std::shared_ptr<const intel::IntelList>& list, const std::atomic<bool>* cancelled,
                      int* status);
  std::string ListJson(const intel::IntelList& list, int64_t now, bool with_indicators);

  const Config& cfg_;
  store::Store* store_;
  intel::ListStore* lists_;
  std::mutex hunts_mu_;                      // guards last_hunts_
  std::map<std::string, std::string> last_hunts_;  // list name -> the last hunt's report (JSON)
  std::map<std::string, std::string> hunt_summaries_;  // list name -> a short summary (JSON)
};

}  // namespace kamatama::server
