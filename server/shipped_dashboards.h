// server/shipped_dashboards.h
//! The dashboards kamatama ships (issue 25): one per log family (firewall, proxy, mail, DNS,
//! DHCP, antivirus, authentication, Windows, alerts), written as JSON in web/dashboards/ and
//! embedded in the binary (web/assets.h). Each is checked like a dashboard a user sends
//! (DashboardKind, the search API's query check) and served read-only, shared with everyone,
//! with the id `shipped-<file name>` and `"builtin": true`; a copy (POST /api/v1/dashboards of its
//! fields) is an ordinary dashboard its maker may change. See docs/dashboards.md.
#pragma once

#include <string>
#include <vector>

#include "server/library_kinds.h"
#include "server/owned_store.h"

namespace kamatama::server {

//! The owner named on shipped dashboards.
inline constexpr const char* kShippedOwner = "kamatama";

//! The shipped dashboards that pass the checks, in file order; each one that does not is left out
//! and described in *problems (a bug of the build: tests/library_integration_test.cc lists them).
std::vector<OwnedObject> LoadShippedDashboards(const QueryCheck& check, std::vector<std::string>* problems);

}  // namespace kamatama::server
