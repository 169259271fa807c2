// server/selfmon.cc: self-monitoring (issue 10), see selfmon.h and docs/operations.md.
#include "server/selfmon.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/row.h"
#include "core/time.h"

namespace kamatama::server {

namespace {
constexpr size_t kMaxBacklog = 1000;      // internal events waiting for the pipeline
constexpr size_t kMaxHosts = 100000;      // sources tracked for silence
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kOldestEvery = 600 * kSecond;  // oldest event per family: recomputed this often
constexpr int64_t kScanBudget = 10 * kSecond;    // one background scan gives up after this long

void Log(const std::string& msg) {
  fmt::print(stderr, "{} kamatama: {}\n", FormatRfc3339(NowNanos()), msg);
  std::fflush(stderr);
}

Counter& InternalQueued() {
  return GetCounter("kamatama_internal_events_total", "",
                    "Internal events (kamatama.internal) handed to the store writer");
}
Counter& InternalDropped() {
  return GetCounter("kamatama_internal_events_dropped_total", "",
                    "Internal events lost (backlog full while ingest was paused, or the server stopped first)");
}
Counter& InternalSuppressed() {
  return GetCounter("kamatama_internal_events_suppressed_total", "",
                    "Internal reports not stored again because the same one came within monitor.repeat");
}

bool IsInternalDataset(std::string_view ds) { return ds.substr(0, 9) == "kamatama."; }

// A filter that matches every row (background scans).
class AllRows final : public RowFilter {
 public:
  bool MayMatch(const TokenFilter&) const override { return true; }
  bool Matches(const FieldAccessor&) const override { return true; }
  const std::vector<std::string>& ReferencedFields() const override { return none_; }

 private:
  std::vector<std::string> none_;
};

std::string Seconds(int64_t ns) { return fmt::format("{:.0f}", ns / 1e9); }
}  // namespace

std::string_view SourceFamily(std::string_view dataset) {
  std::string_view head = dataset.substr(0, dataset.find('.'));
  for (std::string_view f : {"firewall", "proxy", "mail", "dns", "dhcp", "antivirus", "auth", "sysmon"}) {
    if (head == f) return f;
  }
  if (head == "powershell" || head == "windows") return "sysmon";
  return "other";
}

SelfMonitor::SelfMonitor(MonitorOptions opt, ParseOptions parse, store::Store* store, ingest::Pipeline* pipeline)
    : opt_(std::move(opt)), parse_(parse), store_(store), pipeline_(pipeline) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) hostname_ = host;
  else hostname_ = "localhost";
}

SelfMonitor::~SelfMonitor() { Stop(); }

Event SelfMonitor::MakeEvent(std::string_view level, std::string_view action, const std::string& message,
                             const Fields& fields, RawRecord* raw) const {
  const int64_t now = NowNanos();
  std::string j = "{\"@timestamp\":";
  AppendJsonString(&j, FormatRfc3339(now));
  auto add = [&](std::string_view k, std::string_view v) {
    if (v.empty()) return;
    j += ",";
    AppendJsonString(&j, k);
    j += ":";
    AppendJsonString(&j, v);
  };
  add("event.dataset", kInternalDataset);
  add("event.kind", level == "info" ? "event" : "alert");
  add("event.action", action);
  add("log.level", level);
  add("host.name", hostname_);
  add("service.type", "kamatama");
  for (const auto& [k, v] : fields) add(k, v);
  add("message", message);
  j += "}";
  raw->received_ns = now;
  raw->data = std::move(j);
  raw->flags = kRawJson | kRawInternal;  // may claim the reserved kamatama.* dataset
  return ParseRecord(*raw, parse_);
}

bool SelfMonitor::Report(std::string_view level, std::string_view action, std::string_view subject,
                         const std::string& message, const Fields& fields, bool log) {
  std::string key(action);
  key.push_back('\0');
  key.append(subject);
  const int64_t steady = store::NowSteady();
  {
    std::lock_guard lock(mu_);
    auto it = last_report_.find(key);
    if (it != last_report_.end() && steady - it->second < opt_.repeat_ns) {
      InternalSuppressed().Add();
      return false;
    }
    if (last_report_.size() > 10000) last_report_.clear();  // bounded (subjects are hosts, users)
    last_report_[key] = steady;
  }
  if (log) Log(level == "info" ? message : fmt::format("{}: {}", level, message));
  ingest::Batch b;
  RawRecord raw;
  b.events.push_back(MakeEvent(level, action, message, fields, &raw));
  b.raws.push_back(std::move(raw));
  {
    std::lock_guard lock(mu_);
    if (stopping_ || backlog_.size() >= kMaxBacklog) {
      InternalDropped().Add();
      return true;
    }
    backlog_.push_back(std::move(b));
    kicked_ = true;
  }
  cv_.notify_one();
  return true;
}

ingest::Pipeline::Notifier SelfMonitor::PipelineNotifier() {
  return [this](std::string_view level, std::string_view action, const std::string& message, const Fields& fields) {
    // Retention drops are per day; a pause or a resume is one state of the whole server.
    std::string subject;
    for (const auto& [k, v] : fields) {
      if (k == "kamatama.retention.day") subject = v;
    }
    if (action == "retention_dropped") oldest_due_ = true;
    Report(level, action, subject, message, fields, /*log=*/false);  // the pipeline logged it
  };
}

void SelfMonitor::Observe(const std::vector<Event>& events) {
  const int64_t now = NowNanos();
  int64_t oldest_arrival = INT64_MAX;
  std::lock_guard lock(seen_mu_);
  const std::string* prev_ds = nullptr;
  const std::string* prev_host = nullptr;
  HostSeen* prev = nullptr;
  for (const auto& ev : events) {
    oldest_arrival = std::min(oldest_arrival, ev.ingested_ns);
    const std::string* ds = ev.Get(field::kDataset);
    if (ds && IsInternalDataset(*ds)) continue;  // the server's own events are not a source
    const std::string* host = ev.Get(field::kHostName);
    if (!host) host = ev.Get(field::kObserverIp);
    HostSeen* h = nullptr;
    if (prev && ds && prev_ds && host && prev_host && *ds == *prev_ds && *host == *prev_host) {
      h = prev;  // batches usually come from one sender
    } else {
      key_buf_.assign(SourceFamily(ds ? std::string_view(*ds) : "unknown"));
      key_buf_.push_back('\0');
      key_buf_.append(host ? std::string_view(*host) : "unknown");
      auto it = seen_.find(key_buf_);
      if (it == seen_.end()) {
        if (seen_.size() >= kMaxHosts) continue;
        it = seen_.emplace(key_buf_, HostSeen{}).first;
        if (auto f = SourceFamily(ds ? std::string_view(*ds) : "unknown"); !families_.count(f)) families_.emplace(f);
      }
      h = &it->second;
    }
    prev = h;
    prev_ds = ds;
    prev_host = host;
    if (h->count == 0) h->first_ns = ev.ingested_ns;
    h->last_ns = std::max(h->last_ns, ev.ingested_ns);
    ++h->count;
    h->reported = false;
  }
  last_write_ns_ = now;
  if (oldest_arrival != INT64_MAX) last_write_lag_ns_ = std::max<int64_t>(0, now - oldest_arrival);
}

void SelfMonitor::Start() {
  InternalQueued();
  InternalDropped();
  InternalSuppressed();
  // Gauges run under the metrics registry's lock: nothing below registers a metric.
  RegisterGauge("kamatama_disk_free_ratio", "Share of the data directory's file system that is free (0 to 1)", [this] {
    struct statvfs v {};
    if (::statvfs(opt_.data_dir.c_str(), &v) != 0 || v.f_blocks == 0) return -1.0;
    return static_cast<double>(v.f_bavail) / static_cast<double>(v.f_blocks);
  });
  RegisterGauge("kamatama_queue_events", "Events waiting between receivers and the store writer",
                [this] { return static_cast<double>(pipeline_->QueuedEvents()); });
  RegisterGauge("kamatama_ingest_lag_seconds",
                "Age of the oldest event waiting for the store writer (arrival to now); with an empty queue, how "
                "long the last written batch waited; while ingest is paused, at least the time since the last write",
                [this] {
                  const int64_t now = NowNanos();
                  int64_t lag = 0;
                  {
                    std::lock_guard lock(seen_mu_);
                    lag = last_write_lag_ns_;
                    if (pipeline_->State() != ingest::IngestState::kOk && last_write_ns_)
                      lag = std::max(lag, now - last_write_ns_);
                  }
                  if (int64_t oldest = pipeline_->OldestQueuedNs(); oldest > 0) lag = std::max(lag, now - oldest);
                  return std::max<int64_t>(0, lag) / 1e9;
                });
  RegisterGauge("kamatama_sources_silent",
                "Sources (family and host) that sent nothing for 5 times their usual gap (at least monitor.source_silence)",
                [this] {
                  std::lock_guard lock(seen_mu_);
                  return static_cast<double>(silent_);
                });
  RegisterLabeledGauge("kamatama_oldest_event_age_seconds",
                       "Age of the oldest stored event (@timestamp) per source family (recomputed every 10 minutes)",
                       [this] {
                         std::vector<std::pair<std::string, double>> out;
                         const int64_t now = NowNanos();
                         std::lock_guard lock(oldest_mu_);
                         for (const auto& [family, ts] : oldest_)
                           out.emplace_back(fmt::format("family=\"{}\"", family), std::max<int64_t>(0, now - ts) / 1e9);
                         return out;
                       });
  thread_ = std::thread([this] { Run(); });
}

void SelfMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  InternalDropped().Add(backlog_.size());
  backlog_.clear();
}

void SelfMonitor::Flush() {
  for (;;) {
    ingest::Batch b;
    {
      std::lock_guard lock(mu_);
      if (backlog_.empty()) return;
      b = std::move(backlog_.front());
      backlog_.pop_front();
    }
    // TrySubmit never blocks; it refuses (leaving the batch as it was) while ingest is paused or
    // the queue is full: the event waits here, first in line.
    if (!pipeline_->TrySubmit(b)) {
      std::lock_guard lock(mu_);
      backlog_.push_front(std::move(b));
      return;
    }
    InternalQueued().Add();
  }
}

void SelfMonitor::Run() {
  // The first checks come soon after start (a full disk should not wait a whole interval).
  int64_t next_check = store::NowSteady() + std::min<int64_t>(opt_.interval_ns, 2 * kSecond);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      int64_t wait = next_check - store::NowSteady();
      if (!backlog_.empty()) wait = std::min<int64_t>(wait, kSecond / 4);  // retry a refused submit
      cv_.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(wait, 0)), [&] { return stopping_ || kicked_; });
      kicked_ = false;
      if (stopping_) break;
    }
    Flush();
    if (store::NowSteady() < next_check) continue;
    const int64_t now = NowNanos();
    CheckDisk(now);
    CheckLogins(now);
    CheckDrops();
    if (!seeded_) SeedSources(now);
    CheckSources(now);
    // The oldest event per family: every 10 minutes, after a retention drop, and when a new
    // family shows up (there are few of them).
    size_t families;
    {
      std::lock_guard lock(seen_mu_);
      families = families_.size();
    }
    if (oldest_at_ == 0 || store::NowSteady() - oldest_at_ >= kOldestEvery || oldest_due_.exchange(false) ||
        families != oldest_families_) {
      oldest_families_ = families;
      ComputeOldest(now);
    }
    Flush();
    next_check = store::NowSteady() + opt_.interval_ns;
  }
  Flush();  // what is left is counted as dropped by Stop()
}

void SelfMonitor::CheckDisk(int64_t) {
  struct statvfs v {};
  if (::statvfs(opt_.data_dir.c_str(), &v) != 0 || v.f_blocks == 0) return;
  const uint64_t total = static_cast<uint64_t>(v.f_blocks) * v.f_frsize;
  const uint64_t free = static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
  const double ratio = static_cast<double>(v.f_bavail) / static_cast<double>(v.f_blocks);
  bool low = false;
  std::string threshold;
  if (opt_.disk_low_bytes > 0) {
    low = free < opt_.disk_low_bytes;
    threshold = fmt::format("{} bytes", opt_.disk_low_bytes);
  } else if (opt_.disk_low_ratio > 0) {
    low = ratio < opt_.disk_low_ratio;
    threshold = fmt::format("{:.4g}%", opt_.disk_low_ratio * 100);
  }
  if (!low) return;
  Report("warning", "disk_low", "",
         fmt::format("disk low: {:.1f} MiB free of {:.1f} MiB ({:.2f}%) in {} (monitor.disk_low is {})", free / 1048576.0,
                     total / 1048576.0, ratio * 100, opt_.data_dir, threshold),
         {{"kamatama.disk.free_bytes", std::to_string(free)},
          {"kamatama.disk.total_bytes", std::to_string(total)},
          {"kamatama.disk.free_percent", fmt::format("{:.2f}", ratio * 100)}});
}

void SelfMonitor::CheckLogins(int64_t) {
  if (opt_.login_burst <= 0) return;
  const int64_t steady = store::NowSteady();
  const uint64_t failures = GetCounter("kamatama_auth_failures_total", "",
                                       "Failed authentications (bad password, token, session)").Get();
  login_samples_.emplace_back(steady, failures);
  // Keep the newest sample at least a minute old as the base of the window.
  while (login_samples_.size() > 1 && steady - login_samples_[1].first >= 60 * kSecond) login_samples_.pop_front();
  const auto& [t0, n0] = login_samples_.front();
  const uint64_t burst = failures - n0;
  if (burst < static_cast<uint64_t>(opt_.login_burst)) return;
  Report("warning", "login_failures_burst", "",
         fmt::format("{} failed authentication(s) in the last {} s (monitor.login_burst is {} a minute)", burst,
                     Seconds(steady - t0), opt_.login_burst),
         {{"kamatama.auth.failures", std::to_string(burst)}});
}

void SelfMonitor::CheckDrops() {
  // Every reason that has a counter (they appear with the first drop).
  const std::string metrics = RenderMetrics();
  static constexpr std::string_view kPrefix = "kamatama_events_dropped_total{reason=\"";
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(kPrefix, 0) != 0) continue;
    size_t q = line.find('"', kPrefix.size());
    size_t sp = line.rfind(' ');
    if (q == std::string::npos || sp == std::string::npos) continue;
    std::string reason = line.substr(kPrefix.size(), q - kPrefix.size());
    uint64_t n = std::strtoull(line.c_str() + sp + 1, nullptr, 10);
    auto it = drops_seen_.emplace(reason, 0).first;
    if (n <= it->second) {
      it->second = n;
      continue;
    }
    uint64_t delta = n - it->second;
    // Not yet reported (suppressed) drops stay counted for the next report.
    if (Report("warning", "events_dropped", reason,
               fmt::format("{} event(s) dropped (reason {}) since the last report; "
                           "kamatama_events_dropped_total{{reason=\"{}\"}} is {}",
                           delta, reason, reason, n),
               {{"kamatama.dropped.reason", reason}, {"kamatama.dropped.events", std::to_string(delta)}}))
      it->second = n;
  }
}

void SelfMonitor::SeedSources(int64_t now) {
  // Sources seen in the last day before this start: a source that went silent before a restart
  // is still reported. One pass, on this thread, with a time budget.
  seeded_ = true;
  struct Seen {
    int64_t first = INT64_MAX, last = INT64_MIN;
    uint64_t count = 0;
  };
  std::unordered_map<std::string, Seen> found;
  store::ScanOptions so;
  so.from_ns = now - 86400 * kSecond;
  so.to_ns = now + kSecond;
  so.limit = 0;
  so.parallelism = 1;
  so.deadline_ns = store::NowSteady() + kScanBudget;
  so.visit_fields = {std::string(field::kDataset), std::string(field::kHostName), std::string(field::kObserverIp)};
  std::string key;
  so.visit = [&](const FieldAccessor& row, int64_t ts) {
    std::string_view ds, host;
    if (!row.Get(field::kDataset, &ds)) ds = "unknown";
    if (IsInternalDataset(ds)) return;
    if (!row.Get(field::kHostName, &host) && !row.Get(field::kObserverIp, &host)) host = "unknown";
    key.assign(SourceFamily(ds));
    key.push_back('\0');
    key.append(host);
    auto it = found.find(key);
    if (it == found.end()) {
      if (found.size() >= kMaxHosts) return;
      it = found.emplace(key, Seen{}).first;
    }
    it->second.first = std::min(it->second.first, ts);
    it->second.last = std::max(it->second.last, std::min(ts, now));
    ++it->second.count;
  };
  AllRows all;
  store::ScanResult res;
  if (Status s = store_->Scan(all, so, &res); !s.ok()) {
    Log("monitor: reading the last day's sources failed: " + s.ToString());
    return;
  }
  std::lock_guard lock(seen_mu_);
  for (const auto& [k, f] : found) {
    auto it = seen_.find(k);
    if (it == seen_.end()) {
      if (seen_.size() >= kMaxHosts) continue;
      seen_.emplace(k, HostSeen{f.first, f.last, f.count, false});
      families_.insert(k.substr(0, k.find('\0')));
      continue;
    }
    HostSeen& h = it->second;
    h.first_ns = h.count ? std::min(h.first_ns, f.first) : f.first;
    h.last_ns = std::max(h.last_ns, f.last);
    h.count += f.count;
  }
}

void SelfMonitor::CheckSources(int64_t now) {
  struct Silent {
    std::string family, host;
    int64_t quiet_ns, gap_ns;
  };
  std::vector<Silent> fresh;
  {
    std::lock_guard lock(seen_mu_);
    size_t silent = 0;
    for (auto& [key, h] : seen_) {
      // Usual gap: the mean interval between its events. Silent after 5 times that, and at least
      // monitor.source_silence (as on the sources page). One event says nothing about a rate.
      if (h.count < 2) continue;
      const int64_t gap = (h.last_ns - h.first_ns) / static_cast<int64_t>(h.count - 1);
      const int64_t quiet = now - h.last_ns;
      if (quiet <= std::max<int64_t>(opt_.source_silence_ns, 5 * gap)) continue;
      ++silent;
      if (h.reported) continue;
      h.reported = true;
      size_t nul = key.find('\0');
      fresh.push_back(Silent{key.substr(0, nul), key.substr(nul + 1), quiet, gap});
    }
    silent_ = silent;
  }
  // One event per silent source, but a burst (a whole site offline, or old data imported) is
  // summarised after the first kMaxEach so the log and the store are not flooded.
  constexpr size_t kMaxEach = 20;
  if (fresh.size() > kMaxEach) {
    std::string names;
    for (size_t i = kMaxEach; i < fresh.size() && i < kMaxEach + 50; ++i)
      names += (names.empty() ? "" : ", ") + fresh[i].host + " (" + fresh[i].family + ")";
    Report("warning", "source_silent", "many",
           fmt::format("{} more sources went silent: {}{}", fresh.size() - kMaxEach, names,
                       fresh.size() > kMaxEach + 50 ? ", ..." : ""),
           {{"kamatama.source.count", std::to_string(fresh.size() - kMaxEach)}});
    fresh.resize(kMaxEach);
  }
  for (const auto& s : fresh) {
    Report("warning", "source_silent", s.family + "/" + s.host,
           fmt::format("source silent: {} ({}) sent nothing for {} s (usually every {} s)", s.host, s.family,
                       Seconds(s.quiet_ns), Seconds(s.gap_ns)),
           {{"kamatama.source.host", s.host},
            {"kamatama.source.family", s.family},
            {"kamatama.source.silent_for_s", Seconds(s.quiet_ns)},
            {"kamatama.source.typical_gap_s", Seconds(s.gap_ns)}});
  }
}

void SelfMonitor::ComputeOldest(int64_t now) {
  oldest_at_ = store::NowSteady();
  // The families to look for: those seen since start (and in the last day before it).
  std::set<std::string, std::less<>> wanted;
  {
    std::lock_guard lock(seen_mu_);
    wanted = families_;
  }
  // Walk the days from the oldest: usually every family is in the oldest day already.
  const auto st = store_->Stats();
  std::map<std::string, int64_t, std::less<>> found;
  const int64_t budget_end = store::NowSteady() + kScanBudget;
  int64_t from = INT64_MIN;
  int64_t to = st.partitions ? (st.oldest_day + 1) * kNanosPerDay : INT64_MAX;
  AllRows all;
  for (int day = 0; day < 100000; ++day) {
    store::ScanOptions so;
    so.from_ns = from;
    so.to_ns = to;
    so.limit = 0;
    so.parallelism = 1;
    so.deadline_ns = budget_end;
    so.visit_fields = {std::string(field::kDataset)};
    so.visit = [&](const FieldAccessor& row, int64_t ts) {
      std::string_view ds;
      if (!row.Get(field::kDataset, &ds)) ds = "unknown";
      if (IsInternalDataset(ds)) return;
      std::string_view family = SourceFamily(ds);
      auto it = found.find(family);
      if (it == found.end()) found.emplace(std::string(family), ts);
      else it->second = std::min(it->second, ts);
    };
    store::ScanResult res;
    if (Status s = store_->Scan(all, so, &res); !s.ok()) {
      Log("monitor: finding the oldest event per family failed: " + s.ToString());
      break;
    }
    bool all_found = true;
    for (const auto& f : wanted) all_found = all_found && found.count(f);
    if (all_found || res.timed_out || to == INT64_MAX || to > now + kNanosPerDay) break;
    from = to;
    to += kNanosPerDay;
  }
  std::lock_guard lock(oldest_mu_);
  oldest_ = std::move(found);
}

}  // namespace kamatama::server
