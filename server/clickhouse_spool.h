// server/clickhouse_spool.h
//! The spool sender (issue 26, store.backend: clickhouse): events are stored in the local store
//! first (acknowledged after its fsync, as with the RocksDB backend) and kept in its outbox
//! (store::Store::ReadOutbox); one thread ships them to the cluster in batches, in ingest
//! sequence order, and keeps its position durably in the store:
//!  1. read up to batch_events contiguous outbox events after the acknowledged position;
//!  2. record them as the in-flight batch (synced) before sending;
//!  3. insert them (clickhouse::InsertBatch), retrying with back-off while the cluster refuses;
//!  4. move the acknowledged position past them (they leave the outbox).
//! A restart resends the recorded in-flight batch exactly as it was (the same events from the
//! same first sequence number), which ReplicatedMergeTree drops as a duplicate block when the
//! previous attempt had landed: nothing confirmed is sent again as new rows, nothing is lost.
//! While the cluster is unreachable the outbox grows; past storage.spool_max the pipeline pauses
//! ingest (ingest/pipeline.h), and resumes once the sender has drained it below the limit.
//!
//! Threads: one sender thread of its own; Start/Stop from one thread; the getters from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "clickhouse/client.h"
#include "core/status.h"
#include "store/store.h"

namespace kamatama::server {

struct SpoolSenderOptions {
  std::string node;                      //!< this ingest node's name, unique in the cluster
  size_t batch_events = 10000;           //!< most events per insert
  size_t batch_bytes = 16u << 20;        //!< about this many bytes of stored events per insert
  int64_t idle_wait_ns = 200'000'000;    //!< how long an empty outbox is waited on before looking again
  int64_t backoff_min_ns = 250'000'000;  //!< first wait after a failed insert; doubled per failure
  int64_t backoff_max_ns = 5'000'000'000;  //!< a retry every 5 s at most against a cluster that is down
};

class SpoolSender {
 public:
  using LogFn = std::function<void(const std::string&)>;
  SpoolSender(store::Store* store, const clickhouse::Client* client, SpoolSenderOptions opt, LogFn log);
  ~SpoolSender();  // Stop()
  SpoolSender(const SpoolSender&) = delete;
  SpoolSender& operator=(const SpoolSender&) = delete;

  //! Starts the sender thread and registers its metrics (kamatama_clickhouse_*).
  void Start();
  //! Stops after the insert under way (an unconfirmed in-flight batch is resent at the next start).
  void Stop();
  //! Wakes the sender (new events were committed); optional, it also looks every idle_wait_ns.
  void Poke();

  //! Whether the last insert attempt succeeded (true before any attempt).
  bool Reachable() const { return reachable_.load(); }
  //! Why the last insert failed (empty when Reachable()).
  std::string LastError() const;
  uint64_t SentEvents() const { return sent_.load(); }

 private:
  void Run();
  //! Inserts events (first_seq .. first_seq + n - 1) until it succeeds; false if stopped first.
  bool SendWithRetry(uint64_t first_seq, const std::vector<Event>& events);
  //! Reads the outbox after `acked` up to the first gap in sequence numbers (at most up to
  //! `last`, 0 = no bound); *first gets the first event's sequence number.
  Status ReadRun(uint64_t acked, uint64_t last, uint64_t* first, std::vector<Event>* events);
  bool WaitFor(int64_t ns);  // false once stopping

  store::Store* store_;
  const clickhouse::Client* client_;
  SpoolSenderOptions opt_;
  LogFn log_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool poked_ = false;
  std::string last_error_;
  std::atomic<bool> reachable_{true};
  std::atomic<uint64_t> sent_{0};
};

}  // namespace kamatama::server
