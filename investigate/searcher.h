// investigate/searcher.h
//! Runs the investigation layer's searches: a query string over the store with the caller's
//! limits (deadline, cancellation, memory cap) and its visibility rule (the server hides
//! kamatama.audit/internal from non-admins). Every investigation answer is a handful of these.
//! Thread-safe (the store's Scan is); a Searcher is used by one request.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "store/store.h"

namespace kamatama::query {
class Query;
}

namespace kamatama::investigate {

//! Where a Searcher reads instead of the local store (issue 26: the ClickHouse cluster, with
//! store.backend: clickhouse; the server gives one). `q` is already restricted and parsed.
class EventSource {
 public:
  virtual ~EventSource() = default;
  //! The newest `limit` events matching `q` in [from_ns, to_ns), newest first, and every match's count.
  virtual Status Find(const query::Query& q, int64_t from_ns, int64_t to_ns, size_t limit, std::vector<Event>* out,
                      uint64_t* matched) const = 0;
  //! Every matching event; `visit` returns false to stop.
  virtual Status Each(const query::Query& q, int64_t from_ns, int64_t to_ns,
                      const std::function<bool(Event&&)>& visit) const = 0;
};

//! What one investigation request may use.
struct SearchLimits {
  int64_t deadline_ns = 0;                      //!< steady clock (store::NowSteady), 0 = none
  const std::atomic<bool>* cancelled = nullptr;
  size_t max_memory_bytes = 0;
  //! Rewrites a filter before it runs (the caller's visibility restriction); identity if unset.
  std::function<std::string(const std::string&)> restrict;
  //! Set: every search reads it, not the store (Visit then gives whole events, from one thread).
  std::shared_ptr<const EventSource> source;
};

class Searcher {
 public:
  Searcher(const store::Store& store, SearchLimits limits) : store_(store), limits_(std::move(limits)) {}

  //! The newest `limit` events matching `q` in [from_ns, to_ns), newest first; *matched (optional)
  //! counts every match when the scan completed.
  Status Find(const std::string& q, int64_t from_ns, int64_t to_ns, size_t limit, std::vector<Event>* out,
              uint64_t* matched = nullptr) const;

  //! Calls `visit` for every matching row, from up to store::ScanOptions::kMaxScanWorkers threads
  //! (`worker` says which); rows give `fields` and the filter's own fields.
  Status Visit(const std::string& q, int64_t from_ns, int64_t to_ns, std::vector<std::string> fields,
               const std::function<void(unsigned worker, const FieldAccessor& row, int64_t ts_ns)>& visit) const;

  //! Every matching event in full (no limit, not in time order); `visit` returns false to stop.
  Status Each(const std::string& q, int64_t from_ns, int64_t to_ns, const std::function<bool(Event&&)>& visit) const;

 private:
  store::ScanOptions Options(int64_t from_ns, int64_t to_ns) const;
  const store::Store& store_;
  SearchLimits limits_;
};

//! `"v"` with `\` and `"` escaped: a whole, literal field value in the query language.
std::string Quote(std::string_view v);
//! `(f1:"v" OR f2:"v" ...)`.
std::string AnyField(const std::vector<std::string>& fields, std::string_view value);
//! `(field:"a" OR field:"b" ...)`; "" for no values.
std::string AnyValue(std::string_view field, const std::vector<std::string>& values);

//! The events of a host: host.name is `host`, or (a plain name without a dot) one of its fully
//! qualified names (WORKSTATION5 finds WORKSTATION5.theshire.local).
std::string HostNameFilter(std::string_view host);

}  // namespace kamatama::investigate
