// ingest/pipeline.h
//! The bounded hand-off from receivers to the store, and the single writer thread.
//!
//! Receivers parse frames into events and submit them in batches. The queue is bounded in bytes:
//! TrySubmit fails when it is full, and the receiver stops reading its socket until space frees
//! up (TCP backpressure) or counts a drop (UDP). The writer drains every queued batch into one
//! store write (group commit): batches with a completion callback (HTTP ingest) are written with
//! a WAL sync and acknowledged only after it; the rest is synced at least every sync_interval.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
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
  //! Memory held by the batch (computed once; the batch must not change afterwards).
  size_t Bytes() const;

 private:
  mutable size_t bytes_ = 0;
};

struct PipelineOptions {
  size_t max_queue_bytes = 64u << 20;
  int64_t sync_interval_ns = 1'000'000'000;
  int64_t idle_seal_ns = 300LL * 1'000'000'000;   //!< seal a day's block after this long idle
  int64_t retention_check_ns = 3600LL * 1'000'000'000;
};

class Pipeline {
 public:
  Pipeline(store::Store* store, PipelineOptions opt);
  ~Pipeline();  // Stop()

  //! Queues the batch unless the queue is full; on false the batch is left untouched.
  bool TrySubmit(Batch& batch);
  //! Queues the batch, waiting for room (for callers that may block, like tests and `parse`).
  void Submit(Batch batch);

  void Start();
  //! Stops accepting, writes everything queued, seals blocks and syncs.
  void Stop();

  size_t QueuedBytes() const;

  //! Called on the writer thread with each batch's events just before they are stored (live
  //! tail). Set before Start(); must be quick and must not block.
  void SetObserver(std::function<void(const std::vector<Event>&)> observer) { observer_ = std::move(observer); }

 private:
  void Run();

  store::Store* store_;
  PipelineOptions opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_;        // writer waits for work
  std::condition_variable room_cv_;   // Submit waits for room
  std::deque<Batch> queue_;
  size_t queued_bytes_ = 0;
  bool stopping_ = false;
  std::thread writer_;
  std::function<void(const std::vector<Event>&)> observer_;
};

}  // namespace kamatama::ingest
