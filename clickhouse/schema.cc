// clickhouse/schema.cc
#include "clickhouse/schema.h"

#include <fmt/format.h>

namespace kamatama::clickhouse {

const std::vector<ColumnField>& ColumnFields() {
  // The fields most searches and most pipes name (ECS), from the parsers' output.
  static const std::vector<ColumnField> kFields = {
      {"host.name", "host_name"},
      {"event.dataset", "event_dataset"},
      {"message", "message"},
      {"observer.ip", "observer_ip"},
      {"source.ip", "source_ip"},
      {"source.port", "source_port"},
      {"destination.ip", "destination_ip"},
      {"destination.port", "destination_port"},
      {"user.name", "user_name"},
      {"event.action", "event_action"},
      {"event.outcome", "event_outcome"},
      {"process.name", "process_name"},
      {"process.command_line", "process_command_line"},
      {"url.original", "url_original"},
      {"dns.question.name", "dns_question_name"},
      {"file.path", "file_path"},
  };
  return kFields;
}

std::string_view ColumnOf(std::string_view field) {
  if (field == "event.original") return "event_original";
  for (const ColumnField& c : ColumnFields()) {
    if (c.field == field) return c.column;
  }
  return {};
}

std::string EventColumnList() {
  std::string out = "ts, ts_ns, ingested_ns, node, seq, event_original";
  for (const ColumnField& c : ColumnFields()) out += fmt::format(", {}", c.column);
  return out + ", kv_keys, kv_values";
}

namespace {

std::string EventColumnsDdl() {
  std::string out =
      "ts DateTime, ts_ns Int64, ingested_ns Int64, node String, seq UInt64, event_original String";
  for (const ColumnField& c : ColumnFields()) out += fmt::format(", {} String", c.column);
  return out + ", kv_keys Array(String), kv_values Array(String)";
}

}  // namespace

std::vector<std::string> SchemaStatements(const ClickHouseOptions& o) {
  const std::string& db = o.database;
  const std::string& cl = o.cluster;
  auto replicated = [&](const std::string& table) {
    return fmt::format("ReplicatedMergeTree('/clickhouse/tables/{{shard}}/{}/{}', '{{replica}}')", db, table);
  };
  return {
      fmt::format("CREATE DATABASE IF NOT EXISTS {} ON CLUSTER {}", db, cl),
      fmt::format("CREATE TABLE IF NOT EXISTS {0}.events_local ON CLUSTER {1} ({2}) ENGINE = {3} "
                  "PARTITION BY toYYYYMMDD(ts) ORDER BY (toStartOfHour(ts), host_name, ts_ns) "
                  "SETTINGS index_granularity = 8192",
                  db, cl, EventColumnsDdl(), replicated("events_local")),
      fmt::format("CREATE TABLE IF NOT EXISTS {0}.events ON CLUSTER {1} AS {0}.events_local "
                  "ENGINE = Distributed({1}, {0}, events_local, cityHash64(node, seq))",
                  db, cl),
      fmt::format("CREATE TABLE IF NOT EXISTS {0}.tokens_local ON CLUSTER {1} "
                  "(tok String, ts DateTime, ts_ns Int64, node String, seq UInt64) ENGINE = {2} "
                  "PARTITION BY toYYYYMMDD(ts) ORDER BY (tok, ts) SETTINGS index_granularity = 8192",
                  db, cl, replicated("tokens_local")),
      fmt::format("CREATE TABLE IF NOT EXISTS {0}.tokens ON CLUSTER {1} AS {0}.tokens_local "
                  "ENGINE = Distributed({1}, {0}, tokens_local, cityHash64(node, seq))",
                  db, cl),
  };
}

Status InitSchema(const Client& client, std::string* report) {
  for (const std::string& sql : SchemaStatements(client.options())) {
    std::string answer;
    Status s = client.Execute(sql, &answer);
    if (!s.ok()) return s;
    *report += sql.substr(0, sql.find(" ON CLUSTER")) + ": done\n";
  }
  return Status::OK();
}

}  // namespace kamatama::clickhouse
