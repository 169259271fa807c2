// server/case_routes.h
//! The case endpoints (issue 22), over investigate/case.h, independent of the HTTP library:
//!   GET    /api/v1/cases?status=open|closed        the cases, newest first, with item counts
//!   POST   /api/v1/cases                           {"title","description","owner","status"} (case.create)
//!   GET    /api/v1/cases/ID                        one case with its items
//!   PATCH  /api/v1/cases/ID                        {"title","description","status","owner",
//!                                                   "remove_events","remove_entities","remove_alerts"} (case.update)
//!   DELETE /api/v1/cases/ID                        (case.delete; administrators)
//!   POST   /api/v1/cases/ID/events                 {"events":[{"@timestamp","event.dataset","host.name",
//!                                                   "event.original"}]}: each found in the store with the
//!                                                   caller's visibility, then pinned (case.pin_events)
//!   GET    /api/v1/cases/ID/events/N               the pinned copy and the event read again from the store
//!   POST   /api/v1/cases/ID/entities               {"entities":[{"type","value"}]} (case.pin_entities)
//!   POST   /api/v1/cases/ID/alerts                 {"alerts":[ID,...]} (case.pin_alerts)
//!   POST   /api/v1/cases/ID/notes                  {"text"} (case.note)
//!   GET    /api/v1/cases/ID/export?format=json|csv|md|html   an attachment (Content-Disposition)
//! The route table (server/auth.cc) decides who may call them; every change is audited. Non-admins
//! never see pinned kamatama.audit or kamatama.internal events.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clickhouse/client.h"
#include "investigate/case.h"
#include "server/http_types.h"
#include "server/config.h"
#include "store/store.h"

namespace kamatama::server {

class AlertStore;

struct CaseRoutes {
  investigate::CaseBook* cases = nullptr;
  const Config& cfg;
  const store::Store& store;
  const AlertStore* alerts = nullptr;  //!< null when detection is off (no alerts to pin)
  //! The caller's visibility restriction of a filter (Api::RestrictFilter).
  std::function<std::string(const std::string&)> restrict;
  //! Writes an audit event for the request; false when it could not be queued.
  std::function<bool(std::string_view action, std::string_view outcome,
                     const std::vector<std::pair<std::string, std::string>>& extra)>
      audit;
  //! Issue 26 (store.backend clickhouse): the cluster the events are found and read again in
  //! (the case records stay in this node's data directory, server/README.md).
  const clickhouse::Client* cluster = nullptr;
};

//! The response if the request is for one of these endpoints, else nullopt. Thread-safe.
std::optional<Response> HandleCaseRoute(const Request& req, const CaseRoutes& ctx);

}  // namespace kamatama::server
