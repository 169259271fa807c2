// clickhouse/client.h
//! A ClickHouse client over HTTP (net/http_client.h): SQL in the request body, settings as URL
//! parameters, HTTP Basic credentials. Talks HTTP because a current native-protocol client
//! cannot talk to old servers (18.16, what the tests run on). Each call tries the configured
//! URLs in order until one answers; a server that answers with an error ends the call (the
//! error is about the statement, not the server). Thread-safe: calls share nothing.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "clickhouse/options.h"
#include "core/status.h"

namespace kamatama::clickhouse {

//! Setting name and value, sent as URL parameters (`insert_distributed_sync=1`, `query_id=...`).
using Settings = std::vector<std::pair<std::string, std::string>>;

class Client {
 public:
  explicit Client(ClickHouseOptions options) : options_(std::move(options)) {}

  //! Runs `sql`; `data` (when not empty) follows the statement in the body (INSERT ... FORMAT
  //! TabSeparated rows). *out gets the answer body. IoError when no server answered, with the
  //! last reason; InvalidArgument with ClickHouse's message when a server refused the statement.
  Status Execute(const std::string& sql, std::string* out, const Settings& settings = {},
                 const std::string& data = "") const;
  //! Runs `sql` on the server at `url` only (checks that reach each server).
  Status ExecuteAt(const std::string& url, const std::string& sql, std::string* out, const Settings& settings = {},
                   const std::string& data = "") const;
  //! The first line of the answer of `sql` (a single value), trimmed.
  Status Scalar(const std::string& sql, std::string* value) const;

  const ClickHouseOptions& options() const { return options_; }

 private:
  ClickHouseOptions options_;
};

//! Checks that every configured server answers, runs a version we can use and knows the cluster
//! (system.clusters); *report gets one line per server ("URL: version 18.16.1, cluster kmt: 4
//! replicas"). What `kamatama check-config` runs for `store.backend: clickhouse`.
Status CheckServers(const Client& client, std::string* report);

}  // namespace kamatama::clickhouse
