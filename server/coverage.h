// server/coverage.h
//! Rule coverage (issue 21): for each loaded rule, whether any source that sent events in the
//! last N days can feed its logsource (detect/logsource.h routes: Windows channels or providers
//! with event ids, or datasets); the blind rules counted per ATT&CK tactic and technique, with
//! the missing source named. Pure functions over the rule set and the sources seen, plus the
//! GET /api/v1/rules/coverage answer.
#pragma once

#include <string>
#include <vector>

#include "detect/ruleset.h"
#include "server/http_types.h"

namespace kamatama::server {

struct AlertRoutes;

//! One combination of source fields seen in stored events (empty: absent).
struct SeenSource {
  std::string dataset, channel, provider, code;
};

//! Whether a source of `seen` can feed `route` (a route with no alternatives takes any event).
bool RouteFed(const detect::Route& route, const std::vector<SeenSource>& seen);
//! What a route needs, in words: "event.dataset firewall or below", "winlog.channel
//! microsoft-windows-sysmon/operational with event.code 1", ... joined by " or ".
std::string RouteNeeds(const detect::Route& route);
//! ATT&CK tactics of a rule, from its tags (attack.execution → "execution"; technique tags and
//! group/software ids left out).
std::vector<std::string> RuleTactics(const detect::Rule& rule);

//! GET /api/v1/rules/coverage?days=N (default 7, at most 3650).
Response CoverageResponse(const Request& req, const AlertRoutes& ctx);

}  // namespace kamatama::server
