// server/lease_feed.cc
#include "server/lease_feed.h"

#include <algorithm>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "clickhouse/search.h"
#include "clickhouse/sql.h"
#include "core/time.h"
#include "query/query.h"

namespace kamatama::server {

Status ClusterLeaseFeed::Read(int64_t from_ns, bool others_only, int64_t remember_from, uint64_t* events) {
  std::string where;
  auto dhcp = query::Query::Parse("event.dataset:dhcp.*");
  if (Status s = clickhouse::WhereSql(std::get<query::Query>(dhcp), &where); !s.ok()) return s;
  where = "(" + clickhouse::TimeSql(query::TimeRange{from_ns, INT64_MAX}) + ") AND " + where;
  if (others_only) where += " AND node != " + clickhouse::SqlString(node_);
  clickhouse::QueryLimits limits;
  limits.timeout_ns = static_cast<int64_t>(client_.options().timeout_seconds) * 1'000'000'000;
  *events = 0;
  // A poll's events are observed oldest first, as they arrived on the node that received them
  // (consecutive bindings collapse only in time order); the start-up load streams them.
  std::vector<Event> batch;
  Status s = clickhouse::VisitRows(client_, where, 0, limits, [&](Event&& ev, std::string_view node, uint64_t seq) {
    if (ev.timestamp_ns >= remember_from && !seen_.emplace(std::pair(std::string(node), seq), ev.timestamp_ns).second) return true;
    ++*events;
    if (others_only) batch.push_back(std::move(ev));
    else leases_->Observe(ev);
    return true;
  });
  std::stable_sort(batch.begin(), batch.end(), [](const Event& x, const Event& y) { return x.timestamp_ns < y.timestamp_ns; });
  for (const Event& ev : batch) leases_->Observe(ev);
  return s;
}

Status ClusterLeaseFeed::Load(int64_t from_ns, uint64_t* events) {
  next_from_ = NowNanos();
  return Read(from_ns, false, next_from_ - lookback_ns_, events);
}

Status ClusterLeaseFeed::Poll(uint64_t* events) {
  const int64_t start = NowNanos();
  const int64_t from = next_from_ - lookback_ns_;
  Status s = Read(from, true, from, events);
  if (!s.ok()) return s;  // the next poll reads from the same time again
  next_from_ = start;
  // Rows older than what the next poll reads are not read again: forget them.
  std::erase_if(seen_, [&](const auto& kv) { return kv.second < start - lookback_ns_; });
  return s;
}

void ClusterLeaseFeed::Start(int64_t interval_ns, std::function<void(const std::string&)> log) {
  if (interval_ns <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this, interval_ns, log = std::move(log)] {
    std::unique_lock lock(mu_);
    bool failing = false;
    while (!cv_.wait_for(lock, std::chrono::nanoseconds(interval_ns), [this] { return stop_; })) {
      uint64_t n = 0;
      Status s = Poll(&n);
      if (s.ok() == !failing) continue;
      failing = !s.ok();
      log(failing ? "warning: DHCP leases of other nodes not read from the cluster: " + s.ToString()
                  : "DHCP leases of other nodes read from the cluster again");
    }
  });
}

void ClusterLeaseFeed::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kamatama::server
