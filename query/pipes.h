// query/pipes.h
//! The pipe half of the language: `filter | stats ... | sort ... | head N`.
//!
//! SplitPipeline cuts a query at top-level `|` (not inside quotes or /regex/). The first pipe
//! stage that aggregates (stats, top, rare, timechart) consumes every matching row as it is
//! scanned (Aggregator); the stages after it, and non-aggregating pipelines, work on a Table.
//! Not thread-safe: one Aggregator per query.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/row.h"
#include "core/status.h"
#include "query/query.h"

namespace kamatama::query {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // "" = null
};

enum class AggFn { kCount, kDistinctCount, kSum, kAvg, kMin, kMax };
struct Agg {
  AggFn fn = AggFn::kCount;
  std::string field;  // empty for count()
  std::string name;   // output column, e.g. "count" or "dc(user.name)"
};

enum class StageKind { kStats, kTop, kRare, kTimechart, kSort, kHead, kFields, kWhere };
struct SortKey {
  std::string field;
  bool descending = false;
};
struct Stage {
  StageKind kind;
  size_t position = 0;  // byte offset of the stage in the query (errors)
  std::vector<Agg> aggs;               // stats, timechart
  std::vector<std::string> by;         // stats/timechart by; top/rare field
  size_t n = 10;                       // top/rare/head
  int64_t span_ns = 0;                 // timechart
  std::vector<SortKey> sort;           // sort
  std::vector<std::string> fields;     // fields
  std::string where_field, where_op, where_value;  // where
};

struct Pipeline {
  std::string filter;          // the text before the first top-level '|'
  std::vector<Stage> stages;
  //! Whether the first stage aggregates (then every matching row must be visited).
  bool Aggregates() const;
  //! Fields the aggregating stage reads from rows.
  std::vector<std::string> AggregateFields() const;
};

//! Parses "filter | stage | ..."; positions in errors are offsets in `text`.
std::variant<Pipeline, ParseError> ParsePipeline(std::string_view text);

//! Consumes rows for the pipeline's first (aggregating) stage, bounded in groups.
class Aggregator {
 public:
  Aggregator(const Stage& stage, size_t max_groups);
  ~Aggregator();
  void Add(const FieldAccessor& row, int64_t ts_ns);
  //! Adds a stored block's matching rows (ScanOptions::visit_batch). Counts by one field are
  //! tallied per dictionary index where the column has a dictionary, each distinct value then
  //! looked up once per block; a plain column's values are read without a lookup by name per row.
  void AddBatch(const RowBatch& rows);
  //! Adds another aggregator's groups (of the same stage) into this one: parallel scans keep
  //! one aggregator per thread and merge them at the end.
  void Merge(Aggregator&& other);
  //! False if the group limit was reached (the result is then partial).
  bool complete() const;
  Table Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! A cell's value as a number when std::from_chars reads all of it as a double (what sum, avg,
//! min and max count as numbers).
std::optional<double> AsNumber(std::string_view s);
//! A number as stats cells write it: integers without a decimal point, others with 6 digits.
std::string FormatNumber(double v);

//! Applies stages [first, end) to a table.
Status ApplyStages(const std::vector<Stage>& stages, size_t first, Table* table);

//! Turns events into a table: the listed fields, or @timestamp, host.name, event.dataset and
//! message when `fields` is empty.
Table EventsToTable(const std::vector<Event>& events, const std::vector<std::string>& fields);

}  // namespace kamatama::query
