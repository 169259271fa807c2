// clickhouse/writer.cc
#include "clickhouse/writer.h"

#include <set>

#include <fmt/format.h>

#include "clickhouse/schema.h"
#include "core/tokenize.h"

namespace kamatama::clickhouse {

namespace {

//! TabSeparated escaping (also valid inside a quoted array element): backslash, tab, line
//! breaks, NUL and the single quote escaped; every other byte as it is.
void AppendEscaped(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\0': *out += "\\0"; break;
      case '\'': *out += "\\'"; break;
      default: *out += c;
    }
  }
}

void AppendArray(const std::vector<std::string_view>& items, std::string* out) {
  *out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) *out += ',';
    *out += '\'';
    AppendEscaped(items[i], out);
    *out += '\'';
  }
  *out += ']';
}

int64_t Seconds(int64_t ns) { return ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000); }

void AppendEventRow(const Event& ev, const std::string& node, uint64_t seq, std::string* out) {
  *out += fmt::format("{}\t{}\t{}\t", std::max<int64_t>(0, Seconds(ev.timestamp_ns)), ev.timestamp_ns, ev.ingested_ns);
  AppendEscaped(node, out);
  *out += fmt::format("\t{}\t", seq);
  AppendEscaped(ev.original, out);
  std::vector<std::string_view> keys, values;
  std::vector<const std::string*> columns(ColumnFields().size(), nullptr);
  for (const auto& [name, value] : ev.fields) {
    size_t i = 0;
    while (i < columns.size() && ColumnFields()[i].field != name) ++i;
    // An empty value goes to the arrays, so that a column's '' still means "absent".
    if (i < columns.size() && !value.empty()) {
      columns[i] = &value;
    } else {
      keys.push_back(name);
      values.push_back(value);
    }
  }
  for (const std::string* v : columns) {
    *out += '\t';
    if (v) AppendEscaped(*v, out);
  }
  *out += '\t';
  AppendArray(keys, out);
  *out += '\t';
  AppendArray(values, out);
  *out += '\n';
}

}  // namespace

std::string EventRows(const Batch& batch) {
  std::string out;
  for (size_t i = 0; i < batch.events->size(); ++i) AppendEventRow((*batch.events)[i], batch.node, batch.first_seq + i, &out);
  return out;
}

std::string TokenRows(const Batch& batch) {
  std::string out;
  std::set<std::string> seen;
  for (size_t i = 0; i < batch.events->size(); ++i) {
    const Event& ev = (*batch.events)[i];
    seen.clear();
    ForEachToken(ev.original, [&](std::string_view t) {
      std::string lower(t);
      for (char& c : lower) c = AsciiLower(c);
      seen.insert(std::move(lower));
    });
    const std::string tail = fmt::format("\t{}\t{}\t", std::max<int64_t>(0, Seconds(ev.timestamp_ns)), ev.timestamp_ns);
    for (const std::string& tok : seen) {
      AppendEscaped(tok, &out);
      out += tail;
      AppendEscaped(batch.node, &out);
      out += fmt::format("\t{}\n", batch.first_seq + i);
    }
  }
  return out;
}

Status InsertBatch(const Client& client, const Batch& batch) {
  if (!batch.events || batch.events->empty()) return Status::OK();
  const std::string& db = client.options().database;
  const Settings settings = {{"insert_distributed_sync", "1"}, {"insert_deduplicate", "1"}};
  std::string answer;
  Status s = client.Execute(fmt::format("INSERT INTO {}.events ({}) FORMAT TabSeparated", db, EventColumnList()),
                            &answer, settings, EventRows(batch));
  if (!s.ok()) return s;
  return client.Execute(fmt::format("INSERT INTO {}.tokens (tok, ts, ts_ns, node, seq) FORMAT TabSeparated", db),
                        &answer, settings, TokenRows(batch));
}

}  // namespace kamatama::clickhouse
