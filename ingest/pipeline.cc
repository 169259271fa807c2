// ingest/pipeline.cc
#include "ingest/pipeline.h"

#include <fmt/format.h>

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

Pipeline::Pipeline(store::Store* store, PipelineOptions opt) : store_(store), opt_(opt) {}

Pipeline::~Pipeline() { Stop(); }

bool Pipeline::TrySubmit(Batch& batch) {
  size_t bytes = batch.Bytes();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    // An oversized batch is still accepted into an empty queue, so progress is always possible.
    if (queued_bytes_ > 0 && queued_bytes_ + bytes > opt_.max_queue_bytes) return false;
    queued_bytes_ += bytes;
    queue_.push_back(std::move(batch));
  }
  cv_.notify_one();
  return true;
}

void Pipeline::Submit(Batch batch) {
  size_t bytes = batch.Bytes();
  {
    std::unique_lock lock(mu_);
    room_cv_.wait(lock, [&] { return stopping_ || queued_bytes_ == 0 || queued_bytes_ + bytes <= opt_.max_queue_bytes; });
    if (stopping_) {
      lock.unlock();
      if (batch.done) batch.done(Status::Busy("server is shutting down"));
      return;
    }
    queued_bytes_ += bytes;
    queue_.push_back(std::move(batch));
  }
  cv_.notify_one();
}

size_t Pipeline::QueuedBytes() const {
  std::lock_guard lock(mu_);
  return queued_bytes_;
}

void Pipeline::Start() {
  RegisterGauge("kamatama_queue_bytes", "Bytes waiting between receivers and the store writer",
                [this] { return static_cast<double>(QueuedBytes()); });
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

void Pipeline::Run() {
  Counter& stored = GetCounter("kamatama_events_stored_total", "", "Events written to the store");
  Counter& expired = GetCounter("kamatama_events_dropped_total", "reason=\"expired\"",
                                "Events dropped, by reason");
  Counter& write_errors = GetCounter("kamatama_store_errors_total", "", "Failed store writes");
  Histogram& commit_latency =
      GetHistogram("kamatama_store_commit_seconds", "", "Time to write (and sync) one group commit");
  int64_t last_sync = NowNanos();
  int64_t last_idle_check = last_sync;
  int64_t last_retention = 0;
  std::vector<Batch> work;
  for (;;) {
    bool stopping;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::nanoseconds(opt_.sync_interval_ns / 2 + 1),
                   [&] { return stopping_ || !queue_.empty(); });
      while (!queue_.empty()) {
        work.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_bytes_ = 0;
      stopping = stopping_;
    }
    room_cv_.notify_all();
    int64_t now = NowNanos();
    if (now - last_retention >= opt_.retention_check_ns) {
      int dropped = 0;
      Status s = store_->EnforceRetention(now, &dropped);
      if (!s.ok()) fmt::print(stderr, "kamatama: retention: {}\n", s.ToString());
      else if (dropped) fmt::print(stderr, "kamatama: retention dropped {} day partition(s)\n", dropped);
      last_retention = now;
    }
    if (!work.empty()) {
      bool sync = false;
      Status s;
      uint64_t n = 0;
      for (auto& b : work) {
        sync |= static_cast<bool>(b.done);
        n += b.events.size();
        uint64_t exp = 0;
        if (observer_ && s.ok()) observer_(b.events);
        if (s.ok()) s = store_->Append(&b.events, b.raws, &exp);
        expired.Add(exp);
        n -= exp;
      }
      int64_t t0 = NowNanos();
      if (s.ok()) s = store_->Commit(sync);
      commit_latency.Observe((NowNanos() - t0) / 1e9);
      if (s.ok()) {
        stored.Add(n);
        if (sync) last_sync = NowNanos();
      } else {
        write_errors.Add();
        fmt::print(stderr, "kamatama: store write failed: {}\n", s.ToString());
      }
      for (auto& b : work) {
        if (b.done) b.done(s);
      }
      work.clear();
    }
    now = NowNanos();
    if (now - last_sync >= opt_.sync_interval_ns) {
      Status s = store_->SyncWal();
      if (!s.ok()) fmt::print(stderr, "kamatama: WAL sync failed: {}\n", s.ToString());
      last_sync = now;
    }
    if (now - last_idle_check >= opt_.idle_seal_ns / 4) {
      Status s = store_->FlushIdle(now, opt_.idle_seal_ns);
      if (!s.ok()) fmt::print(stderr, "kamatama: sealing idle blocks failed: {}\n", s.ToString());
      last_idle_check = now;
    }
    if (stopping) {
      std::lock_guard lock(mu_);
      if (queue_.empty()) break;
    }
  }
  Status s = store_->FlushIdle(NowNanos(), 0);
  if (!s.ok()) fmt::print(stderr, "kamatama: final flush failed: {}\n", s.ToString());
}

}  // namespace kamatama::ingest
