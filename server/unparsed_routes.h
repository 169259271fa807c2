// server/unparsed_routes.h
//! The "Unparsed" endpoints (issue 23): which sources send lines no parser understood, and a
//! parser builder that needs no compiler. No HTTP library here.
//!   GET  /api/v1/unparsed            the newest lines stored as syslog.generic / syslog.raw
//!        (from, to, limit): {"scanned","matched","sources":[{host,program,count}],
//!        "shapes":[{host,program,shape,count,samples:[line...]}]}, biggest first
//!   POST /api/v1/unparsed/propose    {"line": "..."}: {"definition": YAML} a starting
//!        declarative definition for lines like it (parsers/declarative/builder.h)
//!   POST /api/v1/unparsed/test       {"definition": YAML, "lines": [...]}: what `kamatama
//!        parsers test` says: {"loaded":[...],"problems":[...],"results":[{parser,declarative,
//!        dataset,fields:{...}}]}
//!   POST /api/v1/unparsed/save       {"definition": YAML} (administrators): one definition, checked
//!        as a file is (loader) and with its examples holding, written to
//!        <storage.dir>/parsers/<parser>.yaml and made active at once (the running set is
//!        reloaded: parsers.dirs, the saved ones, the shipped ones); audited as parser.save.
//!        400 with "problems" when it does not load or an example fails, 409 when the name is a
//!        definition of a parsers.dirs file. {"saved","file","replaces_shipped","loaded"}
//! Lines are attacker text: they leave here only as JSON strings, and the UI shows them as text.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "clickhouse/client.h"
#include "server/config.h"
#include "server/http_types.h"
#include "store/store.h"

namespace kamatama::server {

struct UnparsedRoutes {
  const Config& cfg;
  const store::Store& store;
  //! The caller's visibility restriction of a filter (Api::RestrictFilter).
  std::function<std::string(const std::string&)> restrict;
  //! The route's audit events (parser.save).
  AuditFn audit;
  //! Issue 26 (store.backend clickhouse): the cluster the lines are read from (every node's).
  const clickhouse::Client* cluster = nullptr;
};

//! The answer when `req` is one of these endpoints, else nullopt. Thread-safe.
std::optional<Response> HandleUnparsedRoute(const Request& req, const UnparsedRoutes& ctx);

}  // namespace kamatama::server
