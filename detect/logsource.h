// detect/logsource.h
//! Where a Sigma rule applies and what its field names mean in kamatama's events.
//!  - Routing: a logsource (product/category/service) becomes a condition on the fields the
//!    Windows parsers write (winlog.channel or event.provider, and event.code), following the
//!    channel/EventID map of SigmaHQ's own regression runner (tests/thor.yml) and pySigma's
//!    Windows conventions: Sysmon categories need the Sysmon channel and the event id (never the
//!    event id alone), process_creation is Sysmon 1 or Security 4688. A logsource without a
//!    built-in route matches events whose event.dataset is `<product>.<service|category>` (or
//!    starts with it and a dot), as a shipper or pipeline labels them.
//!  - Fields: on Windows, a field named by a rule is read from winlog.event_data.<Field>, the
//!    raw EventData every Windows input form keeps, so `DOMAIN\user` values, the raw `Hashes`
//!    string and `Initiated: 'true'` compare as the rule's author saw them. Where a parser's ECS
//!    field holds the same text for every event of the route (process.command_line,
//!    process.executable, ... of Sysmon and 4688), the ECS field is used instead, which is what
//!    makes 4688 events answer process_creation rules. System fields (EventID, Channel,
//!    Provider_Name, Computer) map to event.code, winlog.channel, event.provider, host.name.
//!    Elsewhere a field keeps its name.
//! Thread-safe (tables only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "query/builder.h"

namespace kamatama::detect {

struct Logsource {
  std::string product, category, service;  //!< lowercase, as written in the rule
};

//! One way an event can belong to a logsource: any of the channels or providers (lowercase),
//! and one of the event codes (empty: any), or one of the datasets (exact or `dataset.*`).
struct RouteAlt {
  std::vector<std::string> channels;
  std::vector<std::string> providers;
  std::vector<std::string> codes;
  std::vector<std::string> datasets;
  std::vector<std::string> event_types;  //!< Sysmon registry: EventType values (empty: any)
  bool ecs_process_fields = false;  //!< Sysmon/4688 routes: ECS process fields are exact
};

//! How a logsource routes: alternatives (OR); empty = every event (no logsource given).
struct Route {
  std::vector<RouteAlt> alts;
  bool windows = false;
};

//! The route of a logsource.
Route RouteOf(const Logsource& ls);

//! The query node for a route (match-all when it has no alternatives).
uint32_t CompileRoute(query::QueryBuilder* b, const Route& route);

//! The event field a rule's field name reads under `route` (ECS fields only when every
//! alternative of the route writes them verbatim).
std::string MapField(const Route& route, std::string_view sigma_field);

}  // namespace kamatama::detect
