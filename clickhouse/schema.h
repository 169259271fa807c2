// clickhouse/schema.h
//! kamatama's tables in ClickHouse (issue 26), in SQL that 18.16 and current releases accept:
//!  - `events_local` on every server (ReplicatedMergeTree: one replica set per shard), and
//!    `events` over them (Distributed, rows spread by cityHash64(node, seq));
//!  - day partitions (toYYYYMMDD(ts): retention is ALTER TABLE ... DROP PARTITION);
//!  - ORDER BY (toStartOfHour(ts), host_name, ts_ns): a time bound skips granules by the hour, a
//!    host within it by the host;
//!  - the common ECS fields as String columns (kColumnFields), every other field in the parallel
//!    arrays kv_keys/kv_values, the original line in event_original;
//!  - `tokens_local`/`tokens`: one row per distinct token of each event's original line
//!    (core/tokenize.h), ORDER BY (tok, ts), sharded like the events, so that a rare token is a
//!    range read and not a scan of every line.
//! No LowCardinality, Map, CODEC, TTL or skip index: 18.16 has none of them in ON CLUSTER DDL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clickhouse/client.h"
#include "clickhouse/options.h"
#include "core/status.h"

namespace kamatama::clickhouse {

//! An event field stored in a column of its own.
struct ColumnField {
  std::string_view field;   //!< ECS name
  std::string_view column;  //!< column name
};
//! The fields with columns of their own (any other field goes to kv_keys/kv_values).
const std::vector<ColumnField>& ColumnFields();
//! The column of `field`, or empty if it has none.
std::string_view ColumnOf(std::string_view field);

//! The columns of events_local in insert order, comma-separated (the INSERT's column list).
std::string EventColumnList();

//! The statements `kamatama clickhouse init` runs, in order; each is idempotent (IF NOT EXISTS).
std::vector<std::string> SchemaStatements(const ClickHouseOptions& opt);

//! Runs SchemaStatements through `client`; *report gets one line per statement run.
Status InitSchema(const Client& client, std::string* report);

}  // namespace kamatama::clickhouse
