// clickhouse/options.h
//! The `clickhouse:` section of the configuration (issue 26): where the cluster is and how to log
//! in. Plain values; Validate checks them without any connection.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace kamatama::clickhouse {

struct ClickHouseOptions {
  //! HTTP(S) endpoints of the cluster's servers, tried in order (any server of the cluster can
  //! take DDL ON CLUSTER, inserts into the Distributed table and queries).
  std::vector<std::string> urls;
  std::string cluster;              //!< cluster name of the servers' <remote_servers>
  std::string database = "kamatama";  //!< database holding kamatama's tables
  std::string user = "default";
  std::string password;
  //! PEM CA file trusted beside the system's for https:// URLs (the `tls` key: `tls: {ca_file}`).
  std::string ca_file;
  int timeout_seconds = 30;  //!< one request (connect, send, answer)
  //! This ingest node's name in the rows it sends (`node`, with the spool sequence number the
  //! identity of a row): unique in the cluster and kept across restarts. Empty: the host name.
  std::string node;
  //! Bytes of events the local spool may hold unsent (`spool_max`); past it ingest pauses.
  size_t spool_max_bytes = size_t{1} << 30;
  size_t batch_events = 10000;  //!< most events per insert (`batch_events`)
  //! How often a server reads the DHCP events other nodes sent into its lease index
  //! (`lease_poll`, server/lease_feed.h); 0: only at start-up.
  int64_t lease_poll_ns = 10LL * 1'000'000'000;
};

//! Whether the options can be used: at least one http(s):// URL, cluster and database names
//! that are identifiers ([A-Za-z_][A-Za-z0-9_]*, they are written into SQL unquoted), a user.
//! `where` prefixes the messages (e.g. "kamatama.yaml: clickhouse").
Status Validate(const ClickHouseOptions& opt, const std::string& where);

//! This ingest node's name in the rows it sends: `node`, else the host name (else "kamatama").
//! `kamatama serve` and `kamatama import` on the same data directory send under the same name.
std::string NodeName(const ClickHouseOptions& opt);

//! Whether `name` is an identifier as Validate accepts it.
bool IsIdentifier(const std::string& name);

}  // namespace kamatama::clickhouse
