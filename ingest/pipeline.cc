// ingest/pipeline.cc
#include "ingest/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "core/metrics.h"
#include "core/time.h"

namespace kamatama::ingest {

size_t Batch::Bytes() const {
  if (bytes_ != 0) return bytes_;  // computed once: TrySubmit is retried under backpressure
  // What the batch really holds in memory (strings on the heap beyond the small-string buffer),
  // so that storage.queue bounds the process's memory rather than the raw bytes.
  auto heap = [](const std::string& str) { return str.capacity() > 15 ? str.capacity() + 1 : 0; };
  size_t b = sizeof(Batch) + raws.capacity() * sizeof(RawRecord) + events.capacity() * sizeof(Event);
  for (const auto& r : raws) b += heap(r.data) + heap(r.observer) + heap(r.source);
  for (const auto& e : events) {
    b += heap(e.original) + e.fields.capacity() * sizeof(e.fields[0]);
    for (const auto& [name, value] : e.fields) b += heap(name) + heap(value);
  }
  bytes_ = b;
  return b;
}

Pipeline::Pipeline(store::Store* store, PipelineOptions opt)
    : store_(store),
      opt_(opt),
      min_free_bytes_(opt.min_free_bytes),
      retention_min_free_bytes_(opt.retention_min_free_bytes),
      retention_max_bytes_(opt.retention_max_bytes) {}

// config reload (issue 10)
void Pipeline::SetDiskLimits(uint64_t min_free, uint64_t retention_min_free, uint64_t retention_max) {
  min_free_bytes_.store(min_free);
  retention_min_free_bytes_.store(retention_min_free);
  retention_max_bytes_.store(retention_max);
  disk_check_due_.store(true);
  {
    std::lock_guard lock(mu_);  // the writer checks the flag after waking: no lost wake-up
  }
  cv_.notify_all();
}

void Pipeline::RequestRetentionCheck() {
  retention_due_.store(true);
  {
    std::lock_guard lock(mu_);
  }
  cv_.notify_all();
}

Pipeline::~Pipeline() { Stop(); }

bool Pipeline::TrySubmit(Batch& batch) {
  Detect(batch);  // before Bytes(): alerts are part of the batch
  size_t bytes = batch.Bytes();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    // Disk full or read-only: refuse, so that TCP readers stop reading (reliability, issue 9).
    if (state_.load() != 0) return false;
    // An oversized batch is still accepted into an empty queue, so progress is always possible.
    if (queued_bytes_ > 0 && queued_bytes_ + bytes > opt_.max_queue_bytes) return false;
    queued_bytes_ += bytes;
    queue_.push_back(std::move(batch));
  }
  cv_.notify_one();
  return true;
}

bool Pipeline::TrySubmitReserved(Batch& batch) {
  size_t bytes = batch.Bytes();
  {
    std::lock_guard lock(mu_);
    if (stopping_ || state_.load() == static_cast<int>(IngestState::kReadOnly)) return false;
    if (queued_bytes_ > 0 && queued_bytes_ + bytes > opt_.max_queue_bytes + opt_.reserve_bytes) return false;
    queued_bytes_ += bytes;
    queue_.push_back(std::move(batch));
  }
  cv_.notify_one();
  return true;
}

bool Pipeline::ReserveHasRoom(size_t bytes) const {
  std::lock_guard lock(mu_);
  if (stopping_ || state_.load() == static_cast<int>(IngestState::kReadOnly)) return false;
  return queued_bytes_ == 0 || queued_bytes_ + bytes <= opt_.max_queue_bytes + opt_.reserve_bytes;
}

void Pipeline::Submit(Batch batch, int64_t timeout_ns) {
  Detect(batch);
  size_t bytes = batch.Bytes();
  {
    std::unique_lock lock(mu_);
    auto room = [&] {
      return stopping_ || state_.load() != 0 || queued_bytes_ == 0 || queued_bytes_ + bytes <= opt_.max_queue_bytes;
    };
    bool has_room = true;
    if (timeout_ns < 0) room_cv_.wait(lock, room);
    else has_room = room_cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), room);
    if (stopping_ || state_.load() != 0 || !has_room) {
      Status why = stopping_             ? Status::Busy("server is shutting down")
                   : state_.load() == 1 ? Status::ResourceExhausted(state_msg_)
                   : state_.load() == 2 ? Status::IoError(state_msg_)
                                        : Status::Busy("ingest queue full");
      lock.unlock();
      std::vector<Batch> one;
      one.push_back(std::move(batch));
      FailBatches(&one, why);
      return;
    }
    queued_bytes_ += bytes;
    queue_.push_back(std::move(batch));
  }
  cv_.notify_one();
}

bool Pipeline::HasRoom() const {
  if (state_.load() != 0) return false;
  std::lock_guard lock(mu_);
  return queued_bytes_ + held_bytes_.load(std::memory_order_relaxed) < opt_.max_queue_bytes;
}

size_t Pipeline::QueuedBytes() const {
  std::lock_guard lock(mu_);
  return queued_bytes_;
}

// self-monitoring (issue 10)
size_t Pipeline::QueuedEvents() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& b : queue_) n += b.events.size();
  return n;
}
int64_t Pipeline::OldestQueuedNs() const {
  std::lock_guard lock(mu_);
  int64_t oldest = 0;
  for (const auto& b : queue_) {  // batches are queued in arrival order: the first non-empty one
    for (const auto& e : b.events) oldest = oldest == 0 ? e.ingested_ns : std::min(oldest, e.ingested_ns);
    if (oldest) break;
  }
  return oldest;
}

void Pipeline::Start() {
  RegisterGauge("kamatama_queue_bytes", "Bytes waiting between receivers and the store writer",
                [this] { return static_cast<double>(QueuedBytes()); });
  RegisterGauge("kamatama_receiver_held_bytes",
                "Bytes of parsed batches that receivers hold while the queue is full (bounded: see HasRoom)",
                [this] { return static_cast<double>(HeldBytes()); });
  writer_ = std::thread([this] { Run(); });
}

void Pipeline::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  room_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::string Pipeline::StateMessage() const {
  std::lock_guard lock(mu_);
  return state_msg_;
}

int Pipeline::RetryAfterSeconds() const {
  switch (State()) {
    case IngestState::kOk: return 1;
    case IngestState::kDiskFull: return std::max<int>(1, static_cast<int>(opt_.disk_check_ns / 1'000'000'000) * 5);
    case IngestState::kReadOnly: return 60;
  }
  return 1;
}

namespace {
Counter& Rejected(std::string_view reason) {
  return GetCounter("kamatama_events_rejected_total", fmt::format("reason=\"{}\"", reason),
                    "Events refused with an error answer to their sender, by reason");
}
Counter& Dropped(std::string_view reason) {
  return GetCounter("kamatama_events_dropped_total", fmt::format("reason=\"{}\"", reason), "Events dropped, by reason");
}
void Log(const std::string& msg) {
  fmt::print(stderr, "{} kamatama: {}\n", FormatRfc3339(NowNanos()), msg);
  std::fflush(stderr);
}
}  // namespace

void Pipeline::SetState(IngestState st, std::string msg) {
  {
    std::lock_guard lock(mu_);
    state_msg_ = std::move(msg);
    state_.store(static_cast<int>(st));
  }
  room_cv_.notify_all();
}

bool Pipeline::Retryable(const Status& s) const {
  // NoSpace on a write may be retried once there is room; on an fsync it may not (the kernel may
  // have dropped the dirty pages: retrying could acknowledge data that is not on disk).
  return s.code() == Status::Code::kResourceExhausted && s.message().find("sync") == std::string::npos;
}

// Answers (or counts) batches that will never be stored.
void Pipeline::FailBatches(std::vector<Batch>* batches, const Status& s) {
  const char* reason = s.code() == Status::Code::kResourceExhausted      ? "disk_full"
                       : s.code() == Status::Code::kBusy && s.message() == "ingest queue full" ? "queue_full"
                       : s.code() == Status::Code::kBusy                     ? "shutdown"
                                                                              : "store_failed";
  for (auto& b : *batches) {
    if (b.done) {
      Rejected(reason).Add(b.events.size());
      b.done(s);
    } else {
      Dropped(reason).Add(b.events.size());
    }
  }
  batches->clear();
}

void Pipeline::EnterReadOnly(const Status& s, const char* what) {
  GetCounter("kamatama_store_errors_total", "", "Failed store writes").Add();
  std::string msg = fmt::format("{} failed: {}; the store is read-only: nothing more is stored or acknowledged "
                                "until the server is restarted (searches keep working)",
                                what, s.ToString());
  Log("error: " + msg);
  SetState(IngestState::kReadOnly, msg);
  Status err = Status::IoError(msg);
  FailBatches(&held_, err);
  held_events_ = 0;
}

void Pipeline::TryResume(int64_t now) {
  last_retry_ = now;
  if (store_->OutboxFull()) return;  // issue 26: the spool drains first
  if (const uint64_t min_free = min_free_bytes_.load(); min_free > 0 && store_->FreeBytes() < min_free) return;
  if (store_dirty_) {
    if (uint64_t need = store_->BytesNeededToResume(), free = store_->FreeBytes(); free < need) {
      std::string wait = fmt::format("disk full: waiting for {:.1f} MiB free to resume ({:.1f} MiB now)",
                                     need / 1048576.0, free / 1048576.0);
      if (last_resume_error_.rfind("disk full: waiting", 0) != 0) Log(wait);
      last_resume_error_ = wait;
      return;
    }
    // The store reopens RocksDB; if that fails (still no room), try again later.
    if (Status r = store_->Resume(); !r.ok()) {
      if (r.ToString() != last_resume_error_) Log("disk full: store not resumed yet: " + r.ToString());
      last_resume_error_ = r.ToString();
      return;
    }
    last_resume_error_.clear();
    Status s = store_->Commit(true);
    if (!s.ok()) {
      if (!Retryable(s)) EnterReadOnly(s, "store write (retry after disk full)");
      else if (s.ToString() != last_resume_error_) Log("disk full: held events not written yet: " + s.ToString());
      last_resume_error_ = s.ToString();
      return;
    }
    store_dirty_ = false;
    GetCounter("kamatama_events_stored_total", "", "Events written to the store").Add(held_events_);
    for (auto& b : held_) {
      if (b.done) b.done(Status::OK());
    }
    held_.clear();
    held_events_ = 0;
  }
  std::string resumed = fmt::format("{}: ingest resumed after {:.1f} s",
                                    spool_paused_ ? "the spool drained below its limit" : "disk has room again",
                                    (NowNanos() - paused_since_) / 1e9);
  spool_paused_ = false;
  Log(resumed);
  SetState(IngestState::kOk, "");
  Notify("info", "ingest_resumed", resumed, {{"kamatama.disk.free_bytes", std::to_string(store_->FreeBytes())}});  // issue 10
  cv_.notify_all();
}

void Pipeline::CheckDisk(int64_t now) {
  last_disk_check_ = now;
  uint64_t free = store_->FreeBytes();
  GetCounter("kamatama_disk_checks_total", "", "Free-space checks of the data directory").Add();
  // Early retention (oldest day first, never the current day): by free space, then by size.
  // Not while a failed commit is pending (the drop commits the batch first).
  if (!store_dirty_ && State() != IngestState::kReadOnly) {
    const int64_t today = DayOf(now);
    for (int i = 0; i < 2; ++i) {
      const char* reason = nullptr;
      const uint64_t ret_min_free = retention_min_free_bytes_.load(), ret_max = retention_max_bytes_.load();
      if (ret_min_free > 0 && free < ret_min_free) reason = "min_free";
      else if (ret_max > 0 && store_->Stats().disk_bytes > ret_max) reason = "max_size";
      if (!reason) break;
      store::Store::DroppedDay d;
      Status s = store_->DropOldestDay(today, &d);
      if (!s.ok()) {
        Log("retention: " + s.ToString());
        break;
      }
      if (d.day == 0 && d.events == 0) break;  // only the current day left
      GetCounter("kamatama_retention_dropped_days_total", fmt::format("reason=\"{}\"", reason),
                 "Day partitions dropped by retention, by reason").Add();
      GetCounter("kamatama_retention_dropped_events_total", fmt::format("reason=\"{}\"", reason),
                 "Events dropped with their day by retention, by reason").Add(d.events);
      std::string dropped = fmt::format("retention ({}): dropped day {} ({} event(s), {} bytes of lines)", reason,
                                        FormatRfc3339(d.day * kNanosPerDay).substr(0, 10), d.events, d.raw_bytes);
      Log(dropped);
      Notify("warning", "retention_dropped", dropped,  // issue 10: dropped before its age
             {{"kamatama.retention.reason", reason}, {"kamatama.retention.day", FormatRfc3339(d.day * kNanosPerDay).substr(0, 10)},
              {"kamatama.retention.events", std::to_string(d.events)}});
      free = store_->FreeBytes();
    }
  }
  if (const uint64_t min_free = min_free_bytes_.load(); State() == IngestState::kOk && min_free > 0 && free < min_free) {
    paused_since_ = now;
    GetCounter("kamatama_disk_full_total", "", "Times ingest paused because the disk was full").Add();
    std::string msg = fmt::format("disk almost full ({} bytes free, storage.min_free is {}): ingest paused", free,
                                  min_free);
    Log(msg);
    SetState(IngestState::kDiskFull, msg);
    Notify("error", "ingest_paused", msg, {{"kamatama.disk.free_bytes", std::to_string(free)}});  // issue 10
  }
}

// Issue 26: the outbox (events waiting for the remote store) passed its limit. The same pause
// as a full disk: TCP readers stop, HTTP answers 507, /readyz 503; TryResume waits for it to drain.
void Pipeline::PauseForSpool(int64_t now) {
  paused_since_ = now;
  spool_paused_ = true;
  GetCounter("kamatama_spool_full_total", "", "Times ingest paused because the spool for the remote store was full").Add();
  std::string msg = fmt::format("spool full ({} bytes of events not yet sent to the remote store): ingest paused "
                                "until it drains", store_->OutboxBytes());
  Log(msg);
  SetState(IngestState::kDiskFull, msg);
  Notify("error", "ingest_paused", msg, {{"kamatama.spool.bytes", std::to_string(store_->OutboxBytes())}});
}

void Pipeline::Run() {
  Counter& stored = GetCounter("kamatama_events_stored_total", "", "Events written to the store");
  Counter& expired = GetCounter("kamatama_events_dropped_total", "reason=\"expired\"",
                                "Events dropped, by reason");
  Counter& write_errors = GetCounter("kamatama_store_errors_total", "", "Failed store writes");
  Histogram& commit_latency =
      GetHistogram("kamatama_store_commit_seconds", "", "Time to write (and sync) one group commit");
  RegisterGauge("kamatama_ingest_paused", "1 while ingest is paused because the disk is full",
                [this] { return State() == IngestState::kDiskFull ? 1.0 : 0.0; });
  RegisterGauge("kamatama_store_read_only", "1 once a failed write or fsync made the store read-only",
                [this] { return State() == IngestState::kReadOnly ? 1.0 : 0.0; });
  RegisterGauge("kamatama_disk_free_bytes", "Free bytes on the data directory's file system",
                [this] { return static_cast<double>(store_->FreeBytes()); });
  int64_t last_sync = NowNanos();
  int64_t last_idle_check = last_sync;
  int64_t last_retention = 0;
  std::vector<Batch> work, refused;
  // A full disk: the failed commit's batches are held; everything else waits in the queue.
  auto enter_disk_full = [&](const Status& s, const char* what) {
    write_errors.Add();
    store_dirty_ = true;
    if (State() == IngestState::kOk) {
      paused_since_ = NowNanos();
      GetCounter("kamatama_disk_full_total", "", "Times ingest paused because the disk was full").Add();
      std::string msg = fmt::format("{} failed, disk full: {}; ingest paused, retrying", what, s.ToString());
      Log(msg);
      SetState(IngestState::kDiskFull, msg);
      Notify("error", "ingest_paused", msg, {{"kamatama.disk.free_bytes", std::to_string(store_->FreeBytes())}});  // issue 10
    }
  };
  for (;;) {
    bool stopping;
    const bool ok_state = State() == IngestState::kOk;
    {
      std::unique_lock lock(mu_);
      int64_t wait_ns = ok_state ? opt_.sync_interval_ns / 2 + 1 : opt_.retry_ns;
      cv_.wait_for(lock, std::chrono::nanoseconds(wait_ns), [&] {
        return stopping_ || (state_.load() == 0 && (!queue_.empty() || retention_due_.load())) || disk_check_due_.load();
      });
      const int st = state_.load();
      for (auto it = queue_.begin(); it != queue_.end();) {
        // Paused: HTTP batches are answered at once (507), syslog batches wait. Read-only: all go.
        if (st == 0 || st == 2 || it->done) {
          queued_bytes_ -= std::min(queued_bytes_, it->Bytes());
          (st == 0 ? work : refused).push_back(std::move(*it));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      if (queue_.empty()) queued_bytes_ = 0;
      stopping = stopping_;
    }
    room_cv_.notify_all();
    if (!refused.empty()) {
      FailBatches(&refused, State() == IngestState::kDiskFull ? Status::ResourceExhausted(StateMessage())
                                                              : Status::IoError(StateMessage()));
    }
    int64_t now = NowNanos();
    // A reload that changed retention.max_age_days asks for a check now (issue 10).
    if (State() == IngestState::kOk && (retention_due_.exchange(false) || now - last_retention >= opt_.retention_check_ns)) {
      int dropped = 0;
      std::vector<store::Store::DroppedDay> days;
      Status s = store_->EnforceRetention(now, &dropped, &days);
      if (!s.ok()) fmt::print(stderr, "kamatama: retention: {}\n", s.ToString());
      else if (dropped) fmt::print(stderr, "kamatama: retention dropped {} day partition(s)\n", dropped);
      for (const auto& d : days) {
        GetCounter("kamatama_retention_dropped_days_total", "reason=\"max_age\"",
                   "Day partitions dropped by retention, by reason").Add();
        GetCounter("kamatama_retention_dropped_events_total", "reason=\"max_age\"",
                   "Events dropped with their day by retention, by reason").Add(d.events);
        std::string dropped = fmt::format("retention (max_age): dropped day {} ({} event(s), {} bytes of lines)",
                                          FormatRfc3339(d.day * kNanosPerDay).substr(0, 10), d.events, d.raw_bytes);
        Log(dropped);
        Notify("info", "retention_dropped", dropped,  // issue 10
               {{"kamatama.retention.reason", "max_age"}, {"kamatama.retention.day", FormatRfc3339(d.day * kNanosPerDay).substr(0, 10)},
                {"kamatama.retention.events", std::to_string(d.events)}});
      }
      last_retention = now;
    }
    // A reload that changed a disk limit asks for a check now (issue 10).
    if (disk_check_due_.exchange(false) || now - last_disk_check_ >= opt_.disk_check_ns) CheckDisk(now);
    if (State() == IngestState::kOk && store_->OutboxFull()) PauseForSpool(now);  // issue 26
    if (State() == IngestState::kDiskFull && (now - last_retry_ >= opt_.retry_ns || stopping)) TryResume(now);
    if (!work.empty()) {
      bool sync = false;
      Status s;
      uint64_t n = 0;
      size_t appended = 0;
      for (auto& b : work) {
        if (!s.ok()) break;
        sync |= static_cast<bool>(b.done);
        n += b.events.size();
        uint64_t exp = 0;
        if (observer_) observer_(b.events);
        s = store_->Append(&b.events, b.raws, &exp);
        expired.Add(exp);
        n -= exp;
        ++appended;
      }
      if (!s.ok()) {
        // The batch that failed and those after it were not (wholly) appended: refuse them.
        n -= work[appended - 1].events.size();
        std::vector<Batch> rest(std::make_move_iterator(work.begin() + static_cast<long>(appended) - 1),
                                std::make_move_iterator(work.end()));
        work.resize(appended - 1);
        if (Retryable(s)) {
          enter_disk_full(s, "store write");
          FailBatches(&rest, Status::ResourceExhausted(StateMessage()));
        } else {
          EnterReadOnly(s, "store write");
          FailBatches(&rest, Status::IoError(StateMessage()));
        }
      }
      int64_t t0 = NowNanos();
      if (s.ok()) s = store_->Commit(sync);
      commit_latency.Observe((NowNanos() - t0) / 1e9);
      if (s.ok()) {
        stored.Add(n);
        if (sync) last_sync = NowNanos();
        for (auto& b : work) {
          if (b.done) b.done(s);
        }
        work.clear();
      } else if (State() != IngestState::kReadOnly && Retryable(s)) {
        if (State() == IngestState::kOk) enter_disk_full(s, "store write");
        for (auto& b : work) held_.push_back(std::move(b));
        held_events_ += n;
        work.clear();
        last_retry_ = NowNanos();
      } else {
        if (State() != IngestState::kReadOnly) EnterReadOnly(s, sync ? "store write with fsync" : "store write");
        FailBatches(&work, Status::IoError(StateMessage()));
      }
    }
    now = NowNanos();
    if (State() == IngestState::kOk && now - last_sync >= opt_.sync_interval_ns) {
      Status s = store_->SyncWal();
      if (!s.ok()) EnterReadOnly(s, "WAL sync");
      last_sync = now;
    }
    if (State() == IngestState::kOk && now - last_idle_check >= opt_.idle_seal_ns / 4) {
      Status s = store_->FlushIdle(now, opt_.idle_seal_ns);
      if (!s.ok() && Retryable(s)) enter_disk_full(s, "sealing idle blocks");
      else if (!s.ok()) EnterReadOnly(s, "sealing idle blocks");
      last_idle_check = now;
    }
    if (stopping) {
      if (State() == IngestState::kDiskFull) {
        // One last try happened above; give up on what cannot be written.
        Log("stopping while the disk is full: events not yet written are lost");
        FailBatches(&held_, Status::ResourceExhausted(StateMessage()));
        std::vector<Batch> rest;
        {
          std::lock_guard lock(mu_);
          for (auto& b : queue_) rest.push_back(std::move(b));
          queue_.clear();
          queued_bytes_ = 0;
        }
        FailBatches(&rest, Status::ResourceExhausted(StateMessage()));
        break;
      }
      std::lock_guard lock(mu_);
      if (queue_.empty()) break;
    }
  }
  if (State() != IngestState::kOk) return;  // nothing more may be written
  Status s = store_->FlushIdle(NowNanos(), 0);
  if (!s.ok()) Log("final flush failed: " + s.ToString());
}

}  // namespace kamatama::ingest
