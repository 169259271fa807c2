// clickhouse/search.cc
#include "clickhouse/search.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "clickhouse/schema.h"
#include "clickhouse/sql.h"
#include "core/time.h"

namespace kamatama::clickhouse {

namespace {

std::string NewQueryId() {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("kamatama-{}-{}-{}", ::getpid(), NowNanos(), counter.fetch_add(1));
}

// Watches `cancelled` while a statement runs; once set, asks every server to kill `query_id`
// (the one that took the statement stops it and its parts on the other shards).
class KillWatcher {
 public:
  KillWatcher(const Client& client, const std::atomic<bool>* cancelled, std::string query_id)
      : client_(client), cancelled_(cancelled), query_id_(std::move(query_id)) {
    if (cancelled_) thread_ = std::thread([this] { Run(); });
  }
  ~KillWatcher() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool killed() const { return killed_; }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!done_) {
      cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return done_; });
      if (done_ || !cancelled_->load()) continue;
      lock.unlock();
      killed_ = true;
      std::string ignored;
      for (const std::string& url : client_.options().urls)
        (void)client_.ExecuteAt(url, fmt::format("KILL QUERY WHERE query_id = {} ASYNC", SqlString(query_id_)), &ignored);
      return;
    }
  }
  const Client& client_;
  const std::atomic<bool>* cancelled_;
  std::string query_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> killed_{false};
  std::thread thread_;
};

int Digit(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

// Appends the character escaped by `text[*i]` (just after a backslash) and advances *i.
void Unescape(std::string_view text, size_t* i, std::string* out) {
  const char c = text[*i];
  switch (c) {
    case 'n': *out += '\n'; break;
    case 't': *out += '\t'; break;
    case 'r': *out += '\r'; break;
    case '0': *out += '\0'; break;
    case 'b': *out += '\b'; break;
    case 'f': *out += '\f'; break;
    case 'a': *out += '\a'; break;
    case 'v': *out += '\v'; break;
    case 'x':
      if (*i + 2 < text.size() && Digit(text[*i + 1]) >= 0 && Digit(text[*i + 2]) >= 0) {
        *out += static_cast<char>(Digit(text[*i + 1]) * 16 + Digit(text[*i + 2]));
        *i += 2;
        break;
      }
      *out += c;
      break;
    default: *out += c;  // \\ \' and any other character stand for themselves
  }
  ++*i;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

bool ParseInt64(std::string_view s, int64_t* v) {
  if (s.empty()) return false;
  bool neg = s[0] == '-';
  uint64_t x = 0;
  for (size_t i = neg ? 1 : 0; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    x = x * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  *v = neg ? -static_cast<int64_t>(x) : static_cast<int64_t>(x);
  return true;
}

//! One row of the events SELECT below as an event.
Status EventOfRow(std::string_view line, Event* ev) {
  const auto& cols = ColumnFields();
  std::vector<std::string_view> f = SplitTabs(line);
  if (f.size() != 3 + cols.size() + 2) return Status::Corruption("unexpected row from ClickHouse: " + std::string(line.substr(0, 200)));
  if (!ParseInt64(f[0], &ev->timestamp_ns) || !ParseInt64(f[1], &ev->ingested_ns))
    return Status::Corruption("unexpected time in a row from ClickHouse");
  ev->original = UnescapeTsv(f[2]);
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!f[3 + i].empty()) ev->Add(cols[i].field, UnescapeTsv(f[3 + i]));
  }
  std::vector<std::string> keys, values;
  if (!ParseStringArray(f[3 + cols.size()], &keys) || !ParseStringArray(f[4 + cols.size()], &values) ||
      keys.size() != values.size())
    return Status::Corruption("unexpected key/value arrays in a row from ClickHouse");
  for (size_t i = 0; i < keys.size(); ++i) ev->Set(keys[i], values[i]);
  return Status::OK();
}

//! Where a page of events ended: the last row's sort key (ORDER BY ts_ns DESC, node, seq).
struct RowKey {
  bool set = false;
  int64_t ts_ns = 0;
  std::string node;
  uint64_t seq = 0;
};

std::vector<std::vector<std::string>> TsvRows(std::string_view answer, std::vector<std::string>* totals = nullptr);

//! The newest `limit` events matching `where` (after *after when it is set, which then moves to
//! the last row read), newest first, to `visit` until it returns false.
Status ReadEvents(const Client& client, const std::string& where, size_t limit, const QueryLimits& limits, RowKey* after,
                  const std::function<bool(Event&&, const RowKey&)>& visit) {
  std::string columns, cond = where;
  for (const ColumnField& c : ColumnFields()) columns += fmt::format(", {}", c.column);
  if (after && after->set)
    cond = fmt::format("({0}) AND (ts_ns < {1} OR (ts_ns = {1} AND (node > {2} OR (node = {2} AND seq > {3}))))", where,
                       after->ts_ns, SqlString(after->node), after->seq);
  std::string answer;
  if (Status s = RunQuery(client,
                          fmt::format("SELECT ts_ns, ingested_ns, event_original{}, kv_keys, kv_values, node, seq FROM {}.events "
                                      "WHERE {} ORDER BY ts_ns DESC, node, seq LIMIT {} FORMAT TabSeparated",
                                      columns, client.options().database, cond, limit),
                          limits, &answer);
      !s.ok())
    return s;
  std::string_view rest(answer);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    // The last two columns (node, seq) are the page's key, not the event's.
    const size_t seq_tab = line.rfind('\t');
    const size_t node_tab = seq_tab == std::string_view::npos || seq_tab == 0 ? std::string_view::npos : line.rfind('\t', seq_tab - 1);
    int64_t seq = 0;
    if (node_tab == std::string_view::npos || !ParseInt64(line.substr(seq_tab + 1), &seq))
      return Status::Corruption("unexpected row from ClickHouse: " + std::string(line.substr(0, 200)));
    Event ev;
    if (Status s = EventOfRow(line.substr(0, node_tab), &ev); !s.ok()) return s;
    RowKey key{true, ev.timestamp_ns, UnescapeTsv(line.substr(node_tab + 1, seq_tab - node_tab - 1)), static_cast<uint64_t>(seq)};
    if (after) *after = key;
    if (!visit(std::move(ev), key)) return Status::OK();
  }
  return Status::OK();
}

}  // namespace

std::string UnescapeTsv(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      ++i;
      Unescape(text, &i, &out);
    } else {
      out += text[i++];
    }
  }
  return out;
}

bool ParseStringArray(std::string_view text, std::vector<std::string>* out) {
  out->clear();
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  size_t i = 1;
  const size_t end = text.size() - 1;
  while (i < end) {
    if (text[i] != '\'') return false;
    ++i;
    std::string item;
    for (;;) {
      if (i >= end) return false;
      if (text[i] == '\\' && i + 1 < end) {
        ++i;
        Unescape(text, &i, &item);
      } else if (text[i] == '\'') {
        ++i;
        break;
      } else {
        item += text[i++];
      }
    }
    out->push_back(std::move(item));
    if (i < end) {
      if (text[i] != ',') return false;
      ++i;
    }
  }
  return true;
}

Status RunQuery(const Client& client, const std::string& sql, const QueryLimits& limits, std::string* out) {
  const std::string query_id = NewQueryId();
  Settings settings = {{"query_id", query_id}};
  if (limits.timeout_ns > 0)
    settings.emplace_back("max_execution_time", std::to_string(std::max<int64_t>(1, (limits.timeout_ns + 999'999'999) / 1'000'000'000)));
  if (limits.max_result_rows > 0) settings.emplace_back("max_result_rows", std::to_string(limits.max_result_rows));
  // A statement carrying a list (field:@name) can be longer than the default 256 KiB.
  // (or the rules of a hunt): it is also a larger syntax tree than the default 50,000 elements.
  // The query each shard receives is the statement formatted again, longer than sent.
  if (sql.size() > 200'000) {
    settings.emplace_back("max_query_size", std::to_string(sql.size() * 4 + 65536));
    settings.emplace_back("max_ast_elements", std::to_string(sql.size()));
    settings.emplace_back("max_expanded_ast_elements", std::to_string(sql.size()));
  }
  Status s;
  bool killed = false;
  {
    KillWatcher watcher(client, limits.cancelled, query_id);
    s = client.Execute(sql, out, settings);
    killed = watcher.killed();
  }
  if (killed)
    return Status::Busy(fmt::format("the search was cancelled (the client went away); KILL QUERY sent for {}: {}", query_id,
                                    s.ok() ? "it had finished" : s.message()));
  // Code 159: TIMEOUT_EXCEEDED (max_execution_time); 396: TOO_MANY_ROWS_OR_BYTES (max_result_rows).
  if (!s.ok() && (s.message().find("Code: 159") != std::string::npos || s.message().find("Code: 396") != std::string::npos))
    return Status::ResourceExhausted("ClickHouse stopped the search at its limit: " + s.message());
  return s;
}

Status SearchEvents(const Client& client, const std::string& where, size_t limit, const QueryLimits& limits,
                    EventsAnswer* out) {
  const std::string& db = client.options().database;
  std::string answer;
  if (Status s_ = RunQuery(client, fmt::format("SELECT count() FROM {}.events WHERE {} FORMAT TabSeparated", db, where), limits, &answer); !s_.ok()) return s_;
  int64_t matched = 0;
  if (!ParseInt64(std::string_view(answer).substr(0, answer.find('\n')), &matched))
    return Status::Corruption("unexpected count from ClickHouse: " + answer.substr(0, 100));
  out->matched = static_cast<uint64_t>(matched);
  out->events.clear();
  if (limit == 0 || matched == 0) return Status::OK();
  return ReadEvents(client, where, limit, limits, nullptr, [out](Event&& ev, const RowKey&) {
    out->events.push_back(std::move(ev));
    return true;
  });
}

Status BucketCounts(const Client& client, const std::string& where, int64_t from_ns, int64_t width_ns,
                    const QueryLimits& limits, std::vector<uint64_t>* counts, uint64_t* matched) {
  std::string answer;
  if (Status s = RunQuery(client,
                          fmt::format("SELECT intDiv(ts_ns - {}, {}) AS b, count() FROM {}.events WHERE {} GROUP BY b "
                                      "FORMAT TabSeparated", from_ns, width_ns, client.options().database, where),
                          limits, &answer);
      !s.ok())
    return s;
  *matched = 0;
  for (const auto& row : TsvRows(answer)) {
    int64_t b = 0, n = 0;
    if (row.size() != 2 || !ParseInt64(row[0], &b) || !ParseInt64(row[1], &n))
      return Status::Corruption("unexpected histogram row from ClickHouse");
    *matched += static_cast<uint64_t>(n);
    if (b >= 0 && static_cast<size_t>(b) < counts->size()) (*counts)[static_cast<size_t>(b)] += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Status VisitEvents(const Client& client, const std::string& where, uint64_t limit, const QueryLimits& limits,
                   const std::function<bool(Event&&)>& visit, size_t page) {
  return VisitRows(client, where, limit, limits, [&visit](Event&& ev, std::string_view, uint64_t) { return visit(std::move(ev)); },
                   page);
}

Status VisitRows(const Client& client, const std::string& where, uint64_t limit, const QueryLimits& limits,
                 const std::function<bool(Event&&, std::string_view node, uint64_t seq)>& visit, size_t page) {
  RowKey after;
  uint64_t n = 0;
  for (;;) {
    const size_t want = limit ? static_cast<size_t>(std::min<uint64_t>(page, limit - n)) : page;
    size_t got = 0;
    bool stopped = false;
    Status s = ReadEvents(client, where, want, limits, &after, [&](Event&& ev, const RowKey& key) {
      ++got;
      if (!visit(std::move(ev), key.node, key.seq)) stopped = true;
      return !stopped;
    });
    if (!s.ok()) return s;
    n += got;
    if (stopped || got < want || (limit && n >= limit)) return Status::OK();
  }
}

namespace {

//! The TabSeparated rows of `answer`, unescaped; a TOTALS row (after an empty line) goes to
//! *totals when given.
std::vector<std::vector<std::string>> TsvRows(std::string_view answer, std::vector<std::string>* totals) {
  std::vector<std::vector<std::string>> rows;
  bool after_blank = false;
  while (!answer.empty()) {
    size_t nl = answer.find('\n');
    std::string_view line = answer.substr(0, nl);
    answer = nl == std::string_view::npos ? std::string_view() : answer.substr(nl + 1);
    if (line.empty()) {
      after_blank = true;
      continue;
    }
    std::vector<std::string> row;
    for (std::string_view f : SplitTabs(line)) row.push_back(UnescapeTsv(f));
    if (after_blank && totals) *totals = std::move(row);
    else rows.push_back(std::move(row));
  }
  return rows;
}

//! top/rare's rows as query::Aggregator::Finish writes them: the values, the count, and its
//! percentage of the TOTALS count with two decimals.
Status TopRows(const query::Stage& stage, std::string_view answer, query::Table* table) {
  std::vector<std::string> totals;
  table->rows = TsvRows(answer, &totals);
  int64_t total = 0;
  if (!table->rows.empty() && (totals.size() != stage.by.size() + 1 || !ParseInt64(totals.back(), &total)))
    return Status::Corruption("unexpected totals from ClickHouse");
  for (auto& row : table->rows) {
    int64_t count = 0;
    if (row.size() != stage.by.size() + 1 || !ParseInt64(row.back(), &count))
      return Status::Corruption("unexpected top/rare row from ClickHouse");
    row.push_back(fmt::format("{:.2f}", total > 0 ? 100.0 * static_cast<double>(count) / static_cast<double>(total) : 0.0));
  }
  return Status::OK();
}

//! One aggregate's cell from its AggSqlColumns values (StatsSql), as query::Aggregator::Finish
//! writes it.
Status AggCell(query::AggFn fn, const std::string* v, std::string* cell) {
  int64_t n = 0;
  std::optional<double> x;
  switch (fn) {
    case query::AggFn::kCount:
    case query::AggFn::kDistinctCount:
      *cell = v[0];
      return ParseInt64(v[0], &n) ? Status::OK() : Status::Corruption("unexpected count from ClickHouse");
    case query::AggFn::kSum:
      if (!(x = query::AsNumber(v[0]))) break;
      *cell = query::FormatNumber(*x);
      return Status::OK();
    case query::AggFn::kAvg:
      if (!ParseInt64(v[0], &n) || !(x = query::AsNumber(v[1]))) break;
      *cell = n > 0 ? query::FormatNumber(*x / static_cast<double>(n)) : "";
      return Status::OK();
    case query::AggFn::kMin:
    case query::AggFn::kMax:
      if (!ParseInt64(v[0], &n) || !(x = query::AsNumber(v[1]))) break;
      *cell = n > 0 ? query::FormatNumber(*x) : v[2];
      return Status::OK();
  }
  return Status::Corruption("unexpected aggregate from ClickHouse");
}

//! A stats row as read (the `keys` group values, then the aggregates' columns) made into
//! query::Aggregator's row: the group values, then one cell per aggregate.
Status StatsRow(const query::Stage& stage, size_t keys, std::vector<std::string>* row) {
  size_t width = keys;
  for (const query::Agg& a : stage.aggs) width += AggSqlColumns(a.fn);
  if (row->size() != width) return Status::Corruption("unexpected stats row from ClickHouse");
  std::vector<std::string> out(row->begin(), row->begin() + static_cast<ptrdiff_t>(keys));
  size_t at = keys;
  for (const query::Agg& a : stage.aggs) {
    std::string cell;
    if (Status s = AggCell(a.fn, row->data() + at, &cell); !s.ok()) return s;
    out.push_back(std::move(cell));
    at += AggSqlColumns(a.fn);
  }
  *row = std::move(out);
  return Status::OK();
}

}  // namespace

Status StatsTable(const Client& client, const query::Stage& stage, const std::string& where, size_t max_groups,
                  const QueryLimits& limits, query::Table* table, bool* complete) {
  const bool top = stage.kind == query::StageKind::kTop || stage.kind == query::StageKind::kRare;
  const bool timechart = stage.kind == query::StageKind::kTimechart;
  if (!top && stage.aggs.empty()) return Status::InvalidArgument("`stats by` without an aggregate is not pushed down to ClickHouse yet");
  std::string sql;
  if (Status s_ = StatsSql(stage, where, client.options().database + ".events", &sql); !s_.ok()) return s_;
  if (!top) sql += fmt::format(" LIMIT {}", max_groups + 1);
  std::string answer;
  if (Status s_ = RunQuery(client, sql + " FORMAT TabSeparated", limits, &answer); !s_.ok()) return s_;
  table->columns.clear();
  if (timechart) table->columns.push_back("_time");
  table->columns.insert(table->columns.end(), stage.by.begin(), stage.by.end());
  if (top) {
    table->columns.insert(table->columns.end(), {"count", "percent"});
    *complete = true;  // every group counted in the cluster: no group limit applies
    return TopRows(stage, answer, table);
  }
  for (const query::Agg& a : stage.aggs) table->columns.push_back(a.name);
  table->rows = TsvRows(answer);
  const size_t keys = stage.by.size() + (timechart ? 1 : 0);
  for (auto& row : table->rows) {
    if (Status s_ = StatsRow(stage, keys, &row); !s_.ok()) return s_;
    int64_t bucket = 0;
    if (timechart && !ParseInt64(row[0], &bucket)) return Status::Corruption("unexpected time bucket from ClickHouse");
    if (timechart) row[0] = FormatRfc3339(bucket);
  }
  *complete = table->rows.size() <= max_groups;
  if (!*complete) table->rows.resize(max_groups);
  std::sort(table->rows.begin(), table->rows.end());
  return Status::OK();
}

namespace {

//! The tokens every match of `q` has in its line: those of the root's free text, or of the free
//! text ANDed at the root.
std::vector<std::string> RequiredTokens(const query::Query& q) {
  std::vector<std::string> out;
  auto add = [&out](const query::Node& n) {
    if (n.kind == query::NodeKind::kTerm || n.kind == query::NodeKind::kPhrase)
      out.insert(out.end(), n.tokens.begin(), n.tokens.end());
  };
  const query::Node& root = q.Root();
  add(root);
  if (root.kind == query::NodeKind::kAnd) {
    for (uint32_t kid : root.children) add(q.NodeAt(kid));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  // The longest (likely the rarest) 16 of a long text: any subset narrows correctly.
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  if (out.size() > 16) out.resize(16);
  return out;
}

//! The condition restricting events to `rows` (hour, ts_ns, node, seq as the token table gives them).
std::string CandidatesSql(const std::vector<std::vector<std::string>>& rows) {
  std::set<std::string> hours, times, ids;
  for (const auto& r : rows) {
    hours.insert(fmt::format("toDateTime({})", r[1]));
    times.insert(r[2]);
    ids.insert(fmt::format("({}, {})", SqlString(r[3]), r[4]));
  }
  auto join = [](const std::set<std::string>& items) {
    std::string out;
    for (const std::string& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
  };
  return fmt::format("toStartOfHour(ts) IN ({}) AND ts_ns IN ({}) AND (node, seq) IN ({})", join(hours), join(times),
                     join(ids));
}

}  // namespace

Status TokenPrefilter(const Client& client, const query::Query& q, const std::string& time, const QueryLimits& limits,
                      std::string* cond, size_t max_events) {
  cond->clear();
  const std::vector<std::string> tokens = RequiredTokens(q);
  if (tokens.empty()) return Status::OK();
  // One SELECT per token, each with its own LIMIT (read stops there: a frequent token costs
  // max_events rows, where LIMIT BY would read all of its rows).
  std::string sql;
  for (const std::string& t : tokens)
    sql += fmt::format("{}SELECT tok, toUInt32(toStartOfHour(ts)), ts_ns, node, seq FROM {}.tokens WHERE tok = {} AND ({}) LIMIT {}",
                       sql.empty() ? "" : " UNION ALL ", client.options().database, SqlString(t), time, max_events + 1);
  std::string answer;
  if (Status s = RunQuery(client, sql + " FORMAT TabSeparated", limits, &answer); !s.ok()) return s;
  std::map<std::string, std::vector<std::vector<std::string>>> by_token;
  for (auto& row : TsvRows(answer)) {
    if (row.size() != 5) return Status::Corruption("unexpected token row from ClickHouse");
    by_token[row[0]].push_back(std::move(row));
  }
  if (by_token.size() < tokens.size()) {  // a token in no event: nothing matches
    *cond = "0";
    return Status::OK();
  }
  const std::vector<std::vector<std::string>>* rarest = nullptr;
  for (const auto& [tok, rows] : by_token) {
    if (!rarest || rows.size() < rarest->size()) rarest = &rows;
  }
  if (rarest->size() <= max_events) *cond = CandidatesSql(*rarest);
  return Status::OK();
}

}  // namespace kamatama::clickhouse
