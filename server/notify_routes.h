// server/notify_routes.h
//! The notification endpoints (issue 21), independent of the HTTP library; admins only (the
//! route table in server/auth.cc):
//!   GET  /api/v1/notifications        the targets (secrets never: "secret_set"), their counts,
//!                                     and notifications.allowed_targets
//!   PUT  /api/v1/notifications        {"targets":[...]} replaces them all; each is checked
//!                                     against the allow-list, its host resolved now (audited:
//!                                     notifications.update)
//!   POST /api/v1/notifications/test   {"target":"NAME"}: one test notification now, its
//!                                     outcome in the answer (audited: notifications.test)
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http_types.h"
#include "server/notifier.h"

namespace kamatama::server {

struct NotifyRoutes {
  Notifier* notifier = nullptr;
  //! Writes an audit event for the request; false when it could not be queued.
  std::function<bool(std::string_view action, std::string_view outcome,
                     const std::vector<std::pair<std::string, std::string>>& extra)>
      audit;
};

//! The response if the request is for one of these endpoints, else nullopt. Thread-safe.
std::optional<Response> HandleNotifyRoute(const Request& req, const NotifyRoutes& ctx);

}  // namespace kamatama::server
