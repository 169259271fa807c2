// server/selfmon.h
//! Self-monitoring (issue 10): kamatama's own warnings and errors become searchable events of the
//! dataset `kamatama.internal`, and /metrics gets the gauges an operator alerts on.
//!
//! Report() logs a line to stderr (like every other server line) and queues an internal event
//! (event.dataset kamatama.internal, event.kind alert|event, log.level, event.action, message,
//! host.name = this machine) for the store writer. It never blocks: events wait in a small
//! backlog of their own while ingest is paused (they are stored once it resumes) and are counted
//! in kamatama_internal_events_dropped_total when that backlog overflows or the server stops
//! first. The same action and subject are reported at most once per monitor.repeat.
//!
//! A monitor thread checks every monitor.interval: free disk space (disk_low), sources gone
//! silent (source_silent, from per-host last-seen times kept in memory by Observe()), bursts of
//! failed logins (login_failures_burst) and dropped events (events_dropped); every 10 minutes it
//! recomputes the oldest event per source family. The pipeline reports ingest_paused,
//! ingest_resumed and retention_dropped through its notifier; the authenticator's lock-outs come
//! through Api. Events are listed in docs/operations.md#self-monitoring.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <atomic>
#include <map>
#include <set>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/event.h"
#include "ingest/pipeline.h"
#include "parsers/parse.h"
#include "store/store.h"

namespace kamatama::server {

//! The dataset of kamatama's own warnings and errors (reserved: see parsers/parse.h).
inline constexpr std::string_view kInternalDataset = "kamatama.internal";

//! The source family of a dataset (firewall, proxy, mail, dns, dhcp, antivirus, auth, sysmon,
//! other), as on the sources page.
std::string_view SourceFamily(std::string_view dataset);

struct MonitorOptions {
  std::string data_dir;                              //!< the store's directory (storage.dir, not a key)
  int64_t interval_ns = 30LL * 1'000'000'000;       //!< monitor.interval: how often checks run
  double disk_low_ratio = 0.10;                      //!< monitor.disk_low as a share of the file system ...
  uint64_t disk_low_bytes = 0;                       //!< ... or as bytes (when set, wins); both 0: off
  int64_t repeat_ns = 3600LL * 1'000'000'000;        //!< monitor.repeat: same action+subject at most this often
  int64_t source_silence_ns = 300LL * 1'000'000'000; //!< monitor.source_silence: minimum quiet time
  int login_burst = 20;                              //!< monitor.login_burst: failed logins per minute (0: off)
};

using Fields = std::vector<std::pair<std::string, std::string>>;

class SelfMonitor {
 public:
  SelfMonitor(MonitorOptions opt, ParseOptions parse, store::Store* store, ingest::Pipeline* pipeline);
  ~SelfMonitor();  // Stop()

  //! level: "info", "warning" or "error"; action: a short snake_case name (disk_low ...);
  //! subject: what the rate limit is per (a host, a user, "" for the whole server);
  //! log: also write the line to stderr (false when the caller logged it already).
  //! Thread-safe; never blocks. False when suppressed by the rate limit.
  bool Report(std::string_view level, std::string_view action, std::string_view subject, const std::string& message,
              const Fields& fields = {}, bool log = true);

  //! Notes each event's source (family, host) and arrival time. Called on the writer thread
  //! with every batch (Api's pipeline observer); cheap.
  void Observe(const std::vector<Event>& events);

  //! The pipeline's notifier (ingest paused/resumed, retention drops): set it before Start().
  ingest::Pipeline::Notifier PipelineNotifier();

  //! Registers the gauges and starts the monitor thread.
  void Start();
  //! Queues what is still waiting (if the pipeline takes it) and stops the thread.
  void Stop();

  const std::string& hostname() const { return hostname_; }

 private:
  struct HostSeen {
    int64_t first_ns = 0, last_ns = 0;
    uint64_t count = 0;
    bool reported = false;  // this silence was reported (cleared by the next event)
  };
  void Run();
  void Flush();  // submits the backlog while the pipeline takes it
  void CheckDisk(int64_t now);
  void CheckSources(int64_t now);
  void CheckLogins(int64_t now);
  void CheckDrops();
  void ComputeOldest(int64_t now);
  void SeedSources(int64_t now);
  Event MakeEvent(std::string_view level, std::string_view action, const std::string& message, const Fields& fields,
                  RawRecord* raw) const;

  MonitorOptions opt_;
  ParseOptions parse_;
  store::Store* store_;
  ingest::Pipeline* pipeline_;
  std::string hostname_;

  std::mutex mu_;  // backlog_, last_report_, stopping_
  std::condition_variable cv_;
  std::deque<ingest::Batch> backlog_;
  std::map<std::string, int64_t> last_report_;  // action + '\0' + subject -> when (steady)
  bool stopping_ = false;
  bool kicked_ = false;  // a report is waiting
  std::thread thread_;

  std::mutex seen_mu_;  // seen_, families_, write timing
  std::unordered_map<std::string, HostSeen> seen_;  // family + '\0' + host
  std::set<std::string, std::less<>> families_;    // the families in seen_ (they only grow)
  std::string key_buf_;                             // writer thread only
  int64_t last_write_ns_ = 0;                       // when the writer last handed a batch to the store
  int64_t last_write_lag_ns_ = 0;                   // arrival -> hand-off of that batch's oldest event
  size_t silent_ = 0;

  std::mutex oldest_mu_;
  std::map<std::string, int64_t, std::less<>> oldest_;  // family -> @timestamp of its oldest event
  int64_t oldest_at_ = 0;                  // steady time of the last computation (0: due)
  size_t oldest_families_ = 0;             // families_.size() at the last computation
  std::atomic<bool> oldest_due_{false};    // a retention drop: recompute at the next check
  bool seeded_ = false;
  std::deque<std::pair<int64_t, uint64_t>> login_samples_;  // (steady ns, auth failures counter)
  std::map<std::string, uint64_t> drops_seen_;             // reason -> counter at the last check
};

}  // namespace kamatama::server
