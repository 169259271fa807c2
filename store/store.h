// store/store.h
//! The event store: one RocksDB database, one column family per UTC day, events in columnar
//! blocks (store/block.h) with token filters.
//!
//! Durability: Append() first records each event's raw record in the `pending` column family
//! (WAL-protected) and keeps the parsed event in an in-memory block builder of its day; once a
//! builder is full, its block is written and its pending rows deleted in one atomic batch. A
//! restart re-parses pending rows, so a small or slow stream never makes tiny blocks and every
//! committed event survives a crash. Events in builders are searchable like stored ones.
//!
//! Threads: Append/Commit/SyncWal/FlushIdle/EnforceRetention must be called from one writer
//! thread at a time; Scan and Stats may be called from any thread concurrently with the writer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/raw_record.h"
#include "core/row.h"
#include "core/status.h"

namespace kamatama::store {

struct StoreOptions {
  std::string dir = "data";
  int max_age_days = 0;               //!< 0 keeps everything
  size_t block_max_events = 2048;     //!< a block is sealed at this many events (smaller blocks prune better)
  size_t block_max_bytes = 8u << 20;  //!< ... or this many bytes of original lines
  size_t max_open_days = 8;           //!< days with an open builder; more seals the least recent
  size_t cache_mb = 256;              //!< RocksDB block cache
  size_t write_buffer_mb = 64;        //!< memtable budget shared by all partitions
  unsigned scan_threads = 0;          //!< threads per query (0 = hardware concurrency, at most 8)
  //! After opening, load the token filters of the newest days into memory in the background (up
  //! to their budget, half of the cache), so the first search after a start does not wait for them.
  bool warm_filters = true;
  //! Keep an outbox (issue 26, store.backend: clickhouse): every appended event is also kept,
  //! in the same atomic write, under its ingest sequence number until AckOutbox says it was sent.
  bool outbox = false;
  //! Bytes of outbox above which OutboxFull() says so (0 = no limit): the pipeline then pauses ingest.
  uint64_t outbox_max_bytes = 0;
  //! Keep a token index per day (issue 24, store/token_index.h): false writes none (days
  //! without one are pruned by their blocks' filters alone).
  bool token_index = true;
};

struct ScanOptions {
  int64_t from_ns = INT64_MIN;  //!< inclusive
  int64_t to_ns = INT64_MAX;    //!< exclusive
  size_t limit = 100;           //!< newest `limit` matches are returned; 0 = count only
  int64_t deadline_ns = 0;      //!< steady-clock deadline (NowSteady), 0 = none
  const std::atomic<bool>* cancelled = nullptr;
  //! If set, called for every matching row in range (no limit, no early stop) with the row's
  //! @timestamp; the row gives the filter's fields plus `visit_fields`. `events` stays empty.
  //! Called from the scanning thread, one row at a time.
  std::function<void(const FieldAccessor& row, int64_t ts_ns)> visit{};
  //! Like `visit`, but called with no lock held, from up to kMaxScanWorkers threads at once;
  //! `worker` (< kMaxScanWorkers) says which, so that the caller can keep one accumulator per
  //! worker and merge them at the end. Used instead of `visit` when set.
  std::function<void(unsigned worker, const FieldAccessor& row, int64_t ts_ns)> visit_worker{};
  static constexpr unsigned kMaxScanWorkers = 64;
  //! With `visit_worker` (which still gets the events in memory): the matching rows of each stored
  //! block at once, their columns resolved once per block (core/row.h RowBatch), on the same
  //! threads and with the same `worker` numbers. Used instead of `visit_worker` for blocks.
  std::function<void(unsigned worker, const RowBatch& rows)> visit_batch{};
  std::vector<std::string> visit_fields{};
  //! false: the visitor ignores `ts_ns`, so blocks wholly inside the range skip their times column
  //! (the visitor then sees the block's oldest time). Only with `visit` / `visit_worker`.
  bool need_timestamps = true;
  //! If set (and `visit` is not), called with every matching event in full, newest block first
  //! (not strictly sorted), with no limit; return false to stop. For exports of any size.
  std::function<bool(Event&& ev)> visit_event{};
  //! Threads evaluating blocks at once (0 = the store's default, 1 = the calling thread only).
  unsigned parallelism = 0;
  //! Skip blocks by their token filters (false only to prove pruning changes no result).
  bool use_token_filters = true;
  //! Consult the days' token indexes before the blocks' filters (false only for A/B and tests).
  bool use_token_index = true;
  //! Bytes of events a query may hold (0 = no cap); beyond it Scan fails with ResourceExhausted.
  size_t max_memory_bytes = 0;
};

struct ScanResult {
  std::vector<Event> events;  //!< newest first
  uint64_t matched = 0;       //!< matches seen (all matches in range when `complete`)
  uint64_t scanned = 0;       //!< rows evaluated
  uint64_t blocks_total = 0;  //!< blocks whose time range overlaps the query
  uint64_t blocks_pruned = 0; //!< skipped by their token filter
  uint64_t blocks_pruned_by_index = 0;  //!< of those, skipped by their day's token index
  uint64_t blocks_read = 0;
  bool complete = true;       //!< false if stopped early (limit reached, deadline, cancel)
  bool timed_out = false;
};

struct StoreStats {
  uint64_t partitions = 0;
  uint64_t blocks = 0;
  uint64_t events_in_blocks = 0;
  uint64_t events_in_memory = 0;
  uint64_t disk_bytes = 0;  //!< SST + WAL bytes
  uint64_t filter_bytes = 0;  //!< token filters held in memory (at most half of the cache)
  int64_t oldest_day = 0, newest_day = 0;
};

int64_t NowSteady();

// ---- outbox (issue 26) ----
//! An event waiting in the outbox, with its ingest sequence number.
struct OutboxEvent {
  uint64_t seq = 0;
  Event event;
};
//! Where the sender stands, kept durably: every event up to `acked` is confirmed by the remote
//! store (and gone from the outbox); [inflight_first, inflight_last] (both 0: none) is the batch
//! being sent, which a restarted sender sends again exactly as it was (an identical batch is
//! dropped as a duplicate by the remote store).
struct OutboxPosition {
  uint64_t acked = 0;
  uint64_t inflight_first = 0, inflight_last = 0;
};
// ---- end outbox ----

class Store {
 public:
  //! Turns a pending raw record back into its event at recovery (the parsers' ParseRecord).
  using Reparse = std::function<Event(const RawRecord&)>;

  static Status Open(const StoreOptions& options, Reparse reparse, std::unique_ptr<Store>* out);
  //! Seals every builder into blocks, syncs and closes.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  //! Adds events (and their raw records, same order) to the current write batch; *expired counts
  //! events dropped because retention already removed their day. Durable after Commit.
  Status Append(std::vector<Event>* events, const std::vector<RawRecord>& raws, uint64_t* expired);
  //! Writes the batch; with sync the WAL is fsynced before returning. Full blocks are encoded
  //! on a sealer thread meanwhile (their events stay searchable from memory and durable as
  //! pending rows): an unsynced commit writes those already encoded, a synced one waits for all.
  Status Commit(bool sync);
  //! Fsyncs the WAL if anything was written since the last sync.
  Status SyncWal();
  //! Seals builders that got no event for idle_ns (all of them if idle_ns == 0).
  Status FlushIdle(int64_t now_ns, int64_t idle_ns);
  //! Drops every day partition entirely older than max_age_days; *dropped = partitions dropped.
  //! A drop is all-or-nothing across a crash. `dropped_days` (optional) says what went.
  struct DroppedDay {
    int64_t day = 0;         //!< days since the epoch (0 with DropOldestDay: nothing dropped)
    uint64_t events = 0;
    uint64_t raw_bytes = 0;  //!< bytes of original lines
  };
  Status EnforceRetention(int64_t now_ns, int* dropped, std::vector<DroppedDay>* dropped_days = nullptr);
  // ---- reliability (issue 9) ----
  //! Drops the oldest day partition if it lies before `before_day` (size and free-space
  //! retention, which never drop the current day); out->events == 0 && out->day == 0 if none.
  Status DropOldestDay(int64_t before_day, DroppedDay* out);
  //! After a failed write (disk full): reopens RocksDB (replaying its write-ahead log) so that
  //! the kept batch can be committed again; scans wait meanwhile. Writer thread only. Never call
  //! it after a failed sync (see ingest/pipeline.cc). On failure the store refuses scans (Busy)
  //! until a later Resume() succeeds.
  Status Resume();
  //! Free bytes Resume() needs: the replayed memtables are flushed and a new write-ahead log is
  //! opened. With less, it would only fail again.
  uint64_t BytesNeededToResume() const;
  //! Bytes available to the server on the data directory's file system.
  uint64_t FreeBytes() const;
  // ---- end reliability ----

  //! Newest-first search; thread-safe.
  Status Scan(const RowFilter& filter, const ScanOptions& options, ScanResult* result) const;
  StoreStats Stats() const;
  //! Every field name of stored or buffered events, sorted (for completion and query warnings).
  std::vector<std::string> FieldNames() const;
  //! Whether FieldNames() holds `name`, without building the list: a name sealed blocks already
  //! have is one lookup; otherwise the events in memory are searched until one has it.
  bool KnowsField(std::string_view name) const;

  // ---- operations (issue 10): on-disk format version, backup/restore, live retention ----
  //! On-disk format version this build writes and reads (store/FORMAT.md). A store with a
  //! higher version is refused at Open; a lower one is migrated (and FormatNote() says so).
  static constexpr int kFormatVersion = 4;
  //! What Open did about the format, for the log ("" when nothing to say).
  const std::string& FormatNote() const;
  struct BackupInfo {
    uint32_t id = 0;
    int64_t timestamp = 0;     //!< seconds since the epoch
    uint64_t bytes = 0;        //!< size of this backup (files shared with older backups included)
    uint32_t files = 0;
    std::string metadata;      //!< "kamatama-format=N"
    uint32_t state_files = 0;  //!< server state copied beside it (store/state_files.h)
    uint64_t state_bytes = 0;
  };
  //! Adds a consistent, incremental backup (RocksDB BackupEngine) of the live store to
  //! backup_dir (created if needed). Thread-safe, concurrent with the writer and scans; every
  //! event committed before the call is in it. One backup at a time (Busy otherwise). The server
  //! state files of the data directory are copied to backup_dir/state/ID (store/state_files.h).
  Status Backup(const std::string& backup_dir, BackupInfo* out);
  //! The backups in backup_dir, oldest first.
  static Status ListBackups(const std::string& backup_dir, std::vector<BackupInfo>* out);
  //! Restores backup `id` (0 = the latest) from backup_dir into data_dir, which must not hold a
  //! store, with the server state kept beside it (users, tokens, alerts, cases, dashboards, ...).
  static Status Restore(const std::string& backup_dir, uint32_t id, const std::string& data_dir);
  //! Changes retention.max_age_days on a running store (applied at the next EnforceRetention).
  void SetMaxAgeDays(int days);
  // ---- end operations ----

  // ---- outbox (issue 26): the local store as the durable spool of a remote backend ----
  //! Up to max_events (and about max_bytes) outbox events with seq > after_seq, in seq order,
  //! only among those already fsynced (so that a sequence number sent out is never reused after
  //! a power loss). Thread-safe; one reader (the sender) expected. InvalidArgument without an outbox.
  Status ReadOutbox(uint64_t after_seq, size_t max_events, size_t max_bytes, std::vector<OutboxEvent>* out) const;
  //! Records the sender's position; events up to pos.acked leave the outbox. With sync, durable
  //! before returning (required before an in-flight batch is sent). Thread-safe (sender thread).
  Status SetOutboxPosition(const OutboxPosition& pos, bool sync);
  OutboxPosition GetOutboxPosition() const;
  //! Events and bytes in the outbox (committed, not yet acknowledged).
  uint64_t OutboxEvents() const;
  uint64_t OutboxBytes() const;
  //! Whether the outbox holds more than StoreOptions::outbox_max_bytes.
  bool OutboxFull() const;
  // ---- end outbox ----

 private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kamatama::store
