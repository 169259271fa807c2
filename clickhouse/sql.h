// clickhouse/sql.h
//! The filter language (query/ast.h) as a ClickHouse WHERE clause over the events table
//! (clickhouse/schema.h), in SQL that 18.16 and current releases accept, with the same answers as
//! query/eval.cc (docs/scale-out.md lists the known differences):
//!  - free text: positionCaseInsensitive on event_original, and each of the text's tokens found
//!    as a token (core/tokenize.h) by match() on lower(event_original) with the token's
//!    boundaries spelled out (18.16 has no hasToken, and its match() loses `(?i)` patterns that
//!    contain escapes, so the line is lowercased instead);
//!  - field:value and globs: lower(value) = / LIKE; field:* by the column being non-empty or the
//!    key being in kv_keys;
//!  - regex: match(), anchored for a field (the whole value, as RE2::FullMatch);
//!  - CIDR v4 and IPv4 ranges: IPv4StringToNum with bitAnd, the value first checked to be an
//!    address written as kamatama reads one;
//!  - integer ranges: toInt64OrZero once the value is checked to be an integer;
//!  - @timestamp ranges ANDed at the top: ts and ts_ns bounds (TimeSql).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "query/pipes.h"
#include "query/query.h"

namespace kamatama::clickhouse {

//! A ClickHouse string literal holding `bytes` exactly ('...', with \\, \' and \xHH escapes).
std::string SqlString(std::string_view bytes);

//! The WHERE condition of `q` (its @timestamp bounds included). InvalidArgument naming the
//! construct when part of it cannot be translated yet (lists, IPv6 CIDR and ranges, time ranges
//! on other fields).
Status WhereSql(const query::Query& q, std::string* sql);

//! A condition true for every event `q` matches, maybe for others too: for a caller that
//! evaluates `q` itself on what comes back (hunts: the rule decides on the node). Exact where
//! WhereSql is, except regexes that fold case (`(?i)`: 18.16's match() can miss with them), which
//! become the field's presence; what WhereSql cannot translate becomes true (false under NOT).
//! Never fails.
std::string SupersetSql(const query::Query& q);

//! The SELECT of a first aggregating stage pushed down (groups made in the cluster, never the
//! rows pulled to the node), over `table` WHERE `where`, without FORMAT:
//!  - `stats [... by]` and `timechart`: timechart's bucket first (`t`, ts_ns rounded down to the
//!    span, in nanoseconds), then the `by` fields (an absent field as '', as query::Aggregator
//!    groups it), then each aggregate's AggSqlColumns(fn) columns in order: count() or
//!    count(field); dc(field) (uniqExact); sum(field) as the sum of its numeric values; avg as
//!    (events with the field, sum of the numeric values); min/max as (how many numeric values,
//!    their min/max, the min/max of the other non-empty values), query::Aggregator's rules.
//!    Without `by` (nor timechart) one row, none when nothing matched;
//!  - `top`/`rare`: the fields, then count() of the events that have them all, WITH TOTALS (the
//!    base of the percentages), ordered by the count (down for top, up for rare) then the values,
//!    LIMIT N.
//! Other stages are InvalidArgument.
Status StatsSql(const query::Stage& stage, const std::string& where, const std::string& table, std::string* sql);

//! How many columns StatsSql gives an aggregate of this function.
size_t AggSqlColumns(query::AggFn fn);

//! The condition for [from_ns, to_ns) on ts (whole seconds, for the partition and the primary
//! key) and ts_ns (exact); "1" when unbounded.
std::string TimeSql(const query::TimeRange& range);

}  // namespace kamatama::clickhouse
