// ingest/pipeline.h
//! The bounded hand-off from receivers to the store, and the single writer thread.
//!
//! Receivers parse frames into events and submit them in batches. The queue is bounded in bytes:
//! TrySubmit fails when it is full, and the receiver stops reading its socket until space frees
//! up (TCP backpressure) or counts a drop (UDP). The writer drains every queued batch into one
//! store write (group commit): batches with a completion callback (HTTP ingest) are written with
//! a WAL sync and acknowledged only after it; the rest is synced at least every sync_interval.
//!
//! Failures (docs/reliability.md):
//! - disk full (RocksDB NoSpace on a write, or free space under storage.min_free): ingest pauses.
//!   The failed group commit is kept by the store and retried every retry interval; its
//!   callbacks fire when it succeeds. TrySubmit refuses (TCP readers stop reading), Submit fails
//!   at once, and HTTP answers 507. Searches keep working. Ingest resumes by itself.
//! - the store's outbox (issue 26, store.backend: clickhouse) past its limit: the same pause
//!   until the spool sender has drained it below the limit.
//! - any other write error, and every failed fsync: the store goes read-only for good. Nothing
//!   more is acknowledged or stored (a failed fsync may have lost data the kernel had accepted,
//!   so retrying and acknowledging would lie: the PostgreSQL fsync lesson). Restart to recover.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <thread>
#include <vector>

#include "core/event.h"
#include "core/raw_record.h"
#include "core/status.h"
#include "store/store.h"

namespace kamatama::ingest {

struct Batch {
  std::vector<RawRecord> raws;
  std::vector<Event> events;  //!< same length and order as raws
  //! Called on the writer thread once the batch is durable (or failed); may be empty.
  std::function<void(Status)> done;
  //! The pipeline's detector has run on the batch (issue 20): a refused batch offered again is not
  //! evaluated twice.
  bool evaluated = false;
  //! Memory held by the batch (computed once; the batch must not change afterwards).
  size_t Bytes() const;

 private:
  mutable size_t bytes_ = 0;
};

struct PipelineOptions {
  size_t max_queue_bytes = 64u << 20;
  size_t reserve_bytes = 4u << 20;  //!< room past max_queue_bytes for TrySubmitReserved (audit)
  int64_t sync_interval_ns = 1'000'000'000;
  int64_t idle_seal_ns = 300LL * 1'000'000'000;   //!< seal a day's block after this long idle
  int64_t retention_check_ns = 3600LL * 1'000'000'000;
  // reliability (issue 9)
  uint64_t min_free_bytes = 16u << 20;    //!< storage.min_free: pause ingest below this much free disk
  uint64_t retention_min_free_bytes = 0;  //!< retention.min_free: drop the oldest day below this
  uint64_t retention_max_bytes = 0;       //!< retention.max_size: drop the oldest day above this
  int64_t disk_check_ns = 1'000'000'000;  //!< how often free space and store size are checked
  int64_t retry_ns = 500'000'000;         //!< how often a paused writer tries to resume
};

enum class IngestState { kOk = 0, kDiskFull = 1, kReadOnly = 2 };

class Pipeline {
 public:
  Pipeline(store::Store* store, PipelineOptions opt);
  ~Pipeline();  // Stop()

  //! Queues the batch unless the queue is full; on false the batch is left untouched.
  bool TrySubmit(Batch& batch);
  //! Queues a small batch that must not be lost to ordinary traffic (the audit log, issue 19):
  //! it may go past storage.queue by up to audit_reserve_bytes, and it is queued while ingest is
  //! paused for a full disk (written on resume). Refused only when read-only, stopping, or when
  //! the reserve is used up; on false the batch is left untouched.
  bool TrySubmitReserved(Batch& batch);
  //! Whether TrySubmitReserved would now take `bytes` (a streamed export checks before it starts).
  bool ReserveHasRoom(size_t bytes) const;
  //! Queues the batch, waiting for room (for callers that may block, like tests and `parse`).
  //! Fails the batch (calls done, counts the events as rejected) at once when ingest is paused or
  //! read-only, and with Busy after timeout_ns (if >= 0) without room.
  void Submit(Batch batch, int64_t timeout_ns = -1);

  void Start();
  //! Stops accepting, writes everything queued, seals blocks and syncs.
  void Stop();

  size_t QueuedBytes() const;

  //! Memory (reliability, issue 9). A parsed event takes 10-20 times the bytes of its line, so
  //! a TCP receiver must not read (and parse) while the queue is full: it would hold a refused
  //! batch per connection (2,000 connections held gigabytes). Receivers wait for HasRoom()
  //! before each read, and count a batch the queue refused with Hold() until it is queued
  //! (Release()): together with the queue it stays under storage.queue, plus one read per
  //! receiving thread.
  bool HasRoom() const;
  void Hold(size_t bytes) { held_bytes_.fetch_add(bytes, std::memory_order_relaxed); }
  void Release(size_t bytes) { held_bytes_.fetch_sub(bytes, std::memory_order_relaxed); }
  size_t HeldBytes() const { return held_bytes_.load(std::memory_order_relaxed); }

  //! kOk; kDiskFull (paused, resumes by itself); kReadOnly (a write or sync failed: restart).
  IngestState State() const { return static_cast<IngestState>(state_.load()); }
  //! Why ingest is paused or stopped (empty when kOk), for answers and logs.
  std::string StateMessage() const;
  //! Seconds a sender should wait before retrying (Retry-After), by state.
  int RetryAfterSeconds() const;

  //! Live detection (issue 20): called once per batch on the submitting thread, in TrySubmit and
  //! Submit before the batch is queued, so every event is evaluated before it can be stored and
  //! acknowledged. It may append events (alerts) to the batch, with their raws. Receivers submit
  //! from many threads, so evaluation runs in parallel, off the single writer thread. Set before
  //! Start(); must be thread-safe.
  using Detector = std::function<void(Batch*)>;
  void SetDetector(Detector detector) { detector_ = std::move(detector); }

  //! Called on the writer thread with each batch's events just before they are stored (live
  //! tail). Set before Start(); must be quick and must not block.
  void SetObserver(std::function<void(const std::vector<Event>&)> observer) { observer_ = std::move(observer); }

  // ---- self-monitoring (issue 10, server/selfmon.h) ----
  //! Told (on the writer thread, after the line is logged) when ingest pauses ("ingest_paused")
  //! or resumes ("ingest_resumed") and when retention drops a day ("retention_dropped"): level
  //! (info, warning, error), action, the logged message and extra fields. Set before Start();
  //! must be quick, must not block and must not submit to this pipeline.
  using Notifier = std::function<void(std::string_view level, std::string_view action, const std::string& message,
                                      const std::vector<std::pair<std::string, std::string>>& fields)>;
  void SetNotifier(Notifier notifier) { notifier_ = std::move(notifier); }
  //! Events waiting in the queue (for /metrics).
  size_t QueuedEvents() const;
  //! Arrival time (event.ingested) of the oldest event waiting in the queue; 0 when it is empty.
  int64_t OldestQueuedNs() const;
  // ---- end self-monitoring ----

  // ---- config reload (issue 10, ops/reload.cc) ----
  //! New storage.min_free, retention.min_free and retention.max_size (bytes, 0 = off) on a
  //! running pipeline; thread-safe. It wakes the writer, which checks free space and size-based
  //! retention at once (not after disk_check_ns): ingest may pause, resume or drop a day.
  void SetDiskLimits(uint64_t min_free, uint64_t retention_min_free, uint64_t retention_max);
  //! Wakes the writer to run the max-age retention now rather than after
  //! retention.check_interval (after retention.max_age_days changed). Thread-safe.
  void RequestRetentionCheck();
  // ---- end config reload ----

 private:
  void Run();
  // reliability (issue 9)
  void SetState(IngestState st, std::string msg);
  bool Retryable(const Status& s) const;  // a full disk on a write (not on a sync)
  void EnterReadOnly(const Status& s, const char* what);
  void TryResume(int64_t now);
  void CheckDisk(int64_t now);
  void FailBatches(std::vector<Batch>* batches, const Status& s);
  void PauseForSpool(int64_t now);  // issue 26

  store::Store* store_;
  PipelineOptions opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_;        // writer waits for work
  std::condition_variable room_cv_;   // Submit waits for room
  std::deque<Batch> queue_;
  size_t queued_bytes_ = 0;
  std::atomic<size_t> held_bytes_{0};  // refused batches that receivers hold (see Hold)
  bool stopping_ = false;
  std::thread writer_;
  std::function<void(const std::vector<Event>&)> observer_;
  Detector detector_;  // issue 20
  void Detect(Batch& batch) const {
    if (detector_ && !batch.evaluated) detector_(&batch);
    batch.evaluated = true;
  }
  Notifier notifier_;  // self-monitoring (issue 10)
  void Notify(std::string_view level, std::string_view action, const std::string& message,
              const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    if (notifier_) notifier_(level, action, message, fields);
  }
  // reliability (issue 9); writer-thread state except state_ and state_msg_ (under mu_)
  std::atomic<int> state_{0};
  std::string state_msg_;
  std::vector<Batch> held_;      // written to the store batch; the commit failed for lack of space
  uint64_t held_events_ = 0;
  bool store_dirty_ = false;     // the store keeps an uncommitted batch (failed commit)
  int64_t paused_since_ = 0;
  int64_t last_retry_ = 0;
  int64_t last_disk_check_ = 0;
  std::string last_resume_error_;
  bool spool_paused_ = false;  // issue 26: paused by the store's outbox limit, not the disk
  // config reload (issue 10): the limits of PipelineOptions that SIGHUP may change; the writer
  // thread reads them through these atomics, never through opt_.
  std::atomic<uint64_t> min_free_bytes_;
  std::atomic<uint64_t> retention_min_free_bytes_;
  std::atomic<uint64_t> retention_max_bytes_;
  std::atomic<bool> disk_check_due_{false};
  std::atomic<bool> retention_due_{false};
};

}  // namespace kamatama::ingest
