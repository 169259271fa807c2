// store/store.cc
#include "store/store.h"

#include <rocksdb/db.h>
#include <sys/statvfs.h>  // reliability (issue 9): FreeBytes
#include <cstdarg>        // reliability (issue 9): DiagnosticLog
#include <rocksdb/listener.h>
#include <cstdio>
#include <rocksdb/filter_policy.h>
#include <rocksdb/flush_block_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/backup_engine.h>  // operations (issue 10)
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/time.h"
#include "core/tokenize.h"
#include "core/varint.h"
#include "store/block.h"
#include "store/scan_worker.h"
#include "store/state_files.h"
#include "store/token_index.h"


namespace kamatama::store {

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  // reliability: a full disk is the one write error that may be retried (see ingest/pipeline.cc).
  if (s.IsNoSpace()) return Status::ResourceExhausted(s.ToString());
  if (s.IsIOError()) return Status::IoError(s.ToString());
  return Status::IoError(s.ToString());
}

// RocksDB 7.8's PinnableSlice move constructor leaves the new slice's buffer pointer unset when the
// source is pinned (to the block cache: a value read from a table file); a later Reset() keeps it
// unset and the next read of a memtable value copies through it (fixed upstream after 7.8). So a
// vector of them is never resized in place, which moves its elements: it grows into a new vector of
// fresh slices (move-assigning the vector swaps buffers, moving no element).
void GrowSlices(std::vector<rocksdb::PinnableSlice>* v, size_t n) {
  if (v->size() < n) *v = std::vector<rocksdb::PinnableSlice>(std::max(n, v->size() * 2));
}

int64_t NowSteady() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {


// Cuts RocksDB data blocks so that a wide column never shares a block with narrow ones.
// RocksDB's size policy appends an entry to the current block unless the block is already ~90%
// full, so a 20 KB block of small columns plus the 350 KB `event.original` of the same event block
// became one 370 KB block: reading `event.dataset` (2 KB) decompressed the whole of it. Measured
// on the 10M-event bench store, reading source.ip and event.dataset of every block: 468 MB of
// compressed blocks read and 4.3 s (one thread) before, 68 MB and 0.49 s with this policy (and
// then small enough to stay in the 256 MiB block cache: 0.05 s), store 4% smaller.
class ColumnBlockPolicy final : public rocksdb::FlushBlockPolicy {
 public:
  // A value of kWide bytes or more (a large column: the original lines, messages, and since issue
  // 24 a filter column such as user.name of a 2,048-event block) gets a table block of its own;
  // smaller ones share blocks of about block_size bytes. 8 KiB before: a root-failures count
  // decompressed the neighbours of user.name and event.outcome in every block (bench/README.md,
  // "Aggregations: table blocks per column"; 2 KiB: that query -38% on a 2M store, same size).
  static constexpr size_t kWide = 2 << 10;
  explicit ColumnBlockPolicy(size_t block_size) : block_size_(block_size), wide_(kWide) {}
  // Called before each entry is added: true flushes the current block first.
  bool Update(const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    const size_t add = key.size() + value.size() + 8;  // + entry overhead, roughly
    // Token filters (keys from 0xff on, all after the block data) stay packed: a search reads
    // runs of neighbouring filters together.
    const bool wide = value.size() >= wide_ && !(key.size() > 0 && static_cast<uint8_t>(key[0]) == 0xff);
    const bool flush = size_ > 0 && (size_ + add > block_size_ || wide || last_wide_);
    if (flush) size_ = 0;
    size_ += add;
    last_wide_ = wide;
    return flush;
  }

 private:
  const size_t block_size_, wide_;
  size_t size_ = 0;  // bytes in the current block (before prefix compression)
  bool last_wide_ = false;
};
class ColumnBlockPolicyFactory final : public rocksdb::FlushBlockPolicyFactory {
 public:
  const char* Name() const override { return "KamatamaColumnBlocks"; }
  rocksdb::FlushBlockPolicy* NewFlushBlockPolicy(const rocksdb::BlockBasedTableOptions& t,
                                                 const rocksdb::BlockBuilder&) const override {
    return new ColumnBlockPolicy(t.block_size);
  }
};

constexpr char kPendingCf[] = "pending";
constexpr int64_t kDayBias = int64_t{1} << 40;  // makes day numbers non-negative in keys

std::string DayCfName(int64_t day) {
  CivilDate d = CivilFromDays(day);
  return fmt::format("d{:04}{:02}{:02}", d.year, d.month, d.day);
}
bool ParseDayCfName(const std::string& name, int64_t* day) {
  if (name.size() != 9 || name[0] != 'd') return false;
  for (size_t i = 1; i < 9; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  int y = std::stoi(name.substr(1, 4)), m = std::stoi(name.substr(5, 2)), d = std::stoi(name.substr(7, 2));
  *day = DaysFromCivil(y, m, d);
  return true;
}

std::string PendingKey(int64_t day, uint64_t seq) {
  std::string k;
  PutFixed64BE(&k, static_cast<uint64_t>(day + kDayBias));
  PutFixed64BE(&k, seq);
  return k;
}

void EncodeRaw(const RawRecord& r, std::string* out) {
  PutVarint(out, ZigZag(r.received_ns));
  out->push_back(static_cast<char>(r.flags));
  PutLengthPrefixed(out, r.observer);
  PutLengthPrefixed(out, r.source);
  out->append(r.data);
}
bool DecodeRaw(std::string_view in, RawRecord* r) {
  uint64_t t;
  if (!GetVarint(&in, &t) || in.empty()) return false;
  r->received_ns = UnZigZag(t);
  r->flags = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  std::string_view obs, src;
  if (!GetLengthPrefixed(&in, &obs) || !GetLengthPrefixed(&in, &src)) return false;
  r->observer.assign(obs);
  r->source.assign(src);
  r->data.assign(in);
  return true;
}

// ---- outbox (issue 26) ----
// Column family `outbox`: key = ingest seq (8 bytes BE), value = the event as stored (EncodeEvent),
// so that the sender ships exactly what the local store holds, alerts and enrichments included,
// without parsing again. The sender's position is one key of the default column family.
constexpr char kOutboxCf[] = "outbox";
constexpr char kOutboxPositionKey[] = "kamatama.outbox_position";

std::string OutboxKey(uint64_t seq) {
  std::string k;
  PutFixed64BE(&k, seq);
  return k;
}
void EncodeEvent(const Event& ev, std::string* out) {
  PutVarint(out, ZigZag(ev.timestamp_ns));
  PutVarint(out, ZigZag(ev.ingested_ns));
  PutLengthPrefixed(out, ev.original);
  PutVarint(out, ev.fields.size());
  for (const auto& [k, v] : ev.fields) {
    PutLengthPrefixed(out, k);
    PutLengthPrefixed(out, v);
  }
}
bool DecodeEvent(std::string_view in, Event* ev) {
  uint64_t ts, ing, n;
  std::string_view orig;
  if (!GetVarint(&in, &ts) || !GetVarint(&in, &ing) || !GetLengthPrefixed(&in, &orig) || !GetVarint(&in, &n))
    return false;
  ev->timestamp_ns = UnZigZag(ts);
  ev->ingested_ns = UnZigZag(ing);
  ev->original.assign(orig);
  ev->fields.clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view k, v;
    if (!GetLengthPrefixed(&in, &k) || !GetLengthPrefixed(&in, &v)) return false;
    ev->fields.emplace_back(k, v);
  }
  return in.empty();
}
std::string EncodePosition(const OutboxPosition& p) {
  std::string v;
  for (uint64_t x : {p.acked, p.inflight_first, p.inflight_last}) PutFixed64BE(&v, x);
  return v;
}
bool DecodePosition(std::string_view v, OutboxPosition* p) {
  if (v.size() != 24) return false;
  p->acked = DecodeFixed64BE(v.data());
  p->inflight_first = DecodeFixed64BE(v.data() + 8);
  p->inflight_last = DecodeFixed64BE(v.data() + 16);
  return true;
}
// ---- end outbox ----

// ---- reliability (issue 9) ----
// RocksDB's own diagnostic LOG, written through stdio with write errors ignored: RocksDB's
// default file logger aborts the process (assert) on the line after a failed write, which is
// what happens when the disk is full. Rotated at 8 MiB (LOG -> LOG.old).
class DiagnosticLog final : public rocksdb::Logger {
 public:
  explicit DiagnosticLog(std::string path) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), path_(std::move(path)) {
    f_ = std::fopen(path_.c_str(), "a");
  }
  ~DiagnosticLog() override {
    if (f_) std::fclose(f_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    std::lock_guard lock(mu_);
    if (!f_) return;
    std::fprintf(f_, "%s ", FormatRfc3339(NowNanos()).c_str());
    std::vfprintf(f_, format, ap);
    std::fputc('\n', f_);
    std::fflush(f_);
    if (std::ftell(f_) > (8L << 20)) {
      std::fclose(f_);
      std::rename(path_.c_str(), (path_ + ".old").c_str());
      f_ = std::fopen(path_.c_str(), "a");
    }
  }

 private:
  std::mutex mu_;
  std::string path_;
  std::FILE* f_ = nullptr;
};

// RocksDB would recover from a full disk by itself only once free space exceeds the largest
// write buffer (64 MiB for `pending`), and meanwhile refuses Resume() as busy. The writer
// (ingest/pipeline.cc) decides instead: it calls Resume() and retries when there is room.
class ManualRecovery final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
    *auto_recovery = false;
  }
};
// ---- end reliability ----


struct Builder {
  std::vector<Event> events;
  uint64_t max_seq = 0;
  size_t bytes = 0;
  int64_t last_append_ns = 0;
};

// A builder being encoded into a block by the sealer thread (issue 24: the writer thread spent
// most of its time in EncodeBlock). `done` and `blk` are guarded by Impl::seal_mu until done.
struct SealJob {
  uint64_t id = 0;
  std::shared_ptr<Builder> builder;
  EncodedBlock blk;
  bool done = false;
};

struct Sealed {
  int64_t day;
  uint64_t block_id;
  std::shared_ptr<Builder> builder;  // its events stay searchable until the block is committed
  std::shared_ptr<SealJob> job;      // the encoding; its keys join the batch once it is done
  bool in_batch = false;             // its keys are in `batch` (writer thread)
};

// ---- operations (issue 10): on-disk format version (store/FORMAT.md) ----
constexpr char kFormatKey[] = "kamatama.format_version";  // in the default column family

// Reads the format marker. A new store gets the current version; a store written before the
// marker existed is version 0 (same layout) and is migrated by writing the marker; a store of a
// newer version is refused before anything else is read or written.
Status CheckStoreFormat(rocksdb::DB* db, bool existed, const std::string& dir, std::string* note) {
  std::string v;
  auto s = db->Get(rocksdb::ReadOptions(), db->DefaultColumnFamily(), kFormatKey, &v);
  int found = 0;
  if (s.ok()) {
    found = -1;
    if (!v.empty() && v.size() < 6 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      found = std::stoi(v);
    if (found < 0) return Status::Corruption(fmt::format("store in {}: unreadable format version '{}'", dir, v));
    if (found > Store::kFormatVersion)
      return Status::InvalidArgument(fmt::format(
          "store in {} has on-disk format version {}, but this kamatama only reads versions up to {}: "
          "it was written by a newer kamatama; run that version (or newer) on it, or restore an older backup",
          dir, found, Store::kFormatVersion));
    if (found == Store::kFormatVersion) return Status::OK();
  } else if (!s.IsNotFound()) {
    return FromRocks(s);
  }
  // Version 0 -> 1: the layout is unchanged, only the marker is added. Version 1 -> 2: new
  // blocks keep their token filter under FilterKey(id); older blocks are read the old way
  // (lazily, nothing is rewritten). Version 2 -> 3: new blocks have frames (header version 2,
  // frame filters under id|0x04, framed columns); older blocks are read whole, as before.
  // Version 3 -> 4: new blocks may hold span columns (values stored as spans of event.original);
  // older blocks have none and are read as they are.
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db->Put(wo, db->DefaultColumnFamily(), kFormatKey, std::to_string(Store::kFormatVersion));
  if (!s.ok()) return FromRocks(s);
  if (existed)
    *note = fmt::format("migrated store format version {} -> {} (format marker written; no data rewritten)", found,
                        Store::kFormatVersion);
  return Status::OK();
}
// ---- end operations ----
}  // namespace

class Store::Impl {
 public:
  StoreOptions opt;
  Reparse reparse;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* pending_cf = nullptr;
  rocksdb::ColumnFamilyOptions day_cf_opts;
  // outbox (issue 26). The counters move from pending_* (writer thread) at each commit.
  rocksdb::ColumnFamilyHandle* outbox_cf = nullptr;
  std::atomic<uint64_t> outbox_events{0}, outbox_bytes{0};
  uint64_t pending_outbox_events = 0, pending_outbox_bytes = 0;
  std::atomic<uint64_t> durable_seq{0};  // every seq up to this one is fsynced
  uint64_t committed_seq = 0;            // writer thread: written, maybe not synced
  mutable std::mutex outbox_mu;          // guards outbox_pos
  OutboxPosition outbox_pos;
  std::shared_ptr<rocksdb::Cache> cache;
  std::atomic<size_t> filter_bytes{0};  // bytes of FilterSets held (budget: half of storage.cache)
  size_t FilterBudget() const { return (opt.cache_mb << 20) / 2; }

  //! The partition's filters in memory, loaded (or rebuilt, once a quarter of its blocks are
  //! newer than the set) if the budget allows; null if it does not. `blocks` is the partition's
  //! block count as the caller saw it.
  std::shared_ptr<const FilterSet> FiltersOf(Partition* p, size_t blocks) {
    std::lock_guard lock(p->filters_mu);
    std::shared_ptr<const FilterSet> cur = p->filters;
    // Loaded (or refused: too big for the budget) at about this size already: not tried again
    // until a quarter more blocks, so a refused day is not re-read for every chunk of a search.
    const size_t tried = p->filters_tried_at;
    if (tried && blocks <= tried + tried / 4 + 16) return cur;
    p->filters_tried_at = std::max<size_t>(blocks, 1);
    const size_t budget = FilterBudget();
    if (filter_bytes.load() >= budget + (cur ? cur->Bytes() : 0)) return cur;
    auto set = std::make_shared<FilterSet>();
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // read once, kept here
    const rocksdb::Slice first(kFilterKeyPrefix.data(), kFilterKeyPrefix.size());
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, p->cf));
    for (it->Seek(first); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      if (key.size() != first.size() + 8 || !key.starts_with(first)) break;
      set->ids.push_back(DecodeFixed64BE(key.data() + first.size()));
      set->data.append(it->value().data(), it->value().size());
      set->ends.push_back(static_cast<uint32_t>(set->data.size()));
      if (set->data.size() > budget) return cur;  // a partition larger than the budget
    }
    if (!it->status().ok()) return cur;
    const size_t bytes = set->Bytes();
    if (filter_bytes.load() + bytes > budget + (cur ? cur->Bytes() : 0)) return cur;
    filter_bytes += bytes;
    set->accounted = &filter_bytes;
    p->filters = set;
    return set;
  }

  //! The partition's token index (issue 24), read again once 16 blocks more than at the last read
  //! (at the next new block while there is none).
  std::shared_ptr<const TokenIndex> IndexOf(Partition* p, size_t blocks) {
    std::lock_guard lock(p->index_mu);
    const size_t tried = p->index_tried_at;
    if (tried && (blocks == tried || (p->index && blocks < tried + 16))) return p->index;
    p->index_tried_at = std::max<size_t>(blocks, 1);
    rocksdb::PinnableSlice v;
    auto s = db->Get(rocksdb::ReadOptions(), p->cf, rocksdb::Slice(kTokenIndexKey.data(), kTokenIndexKey.size()), &v);
    if (!s.ok()) return p->index;
    auto idx = std::make_shared<TokenIndex>();
    if (!TokenIndex::Parse(std::string_view(v.data(), v.size()), idx.get()).ok()) return p->index;
    p->index = std::move(idx);
    return p->index;
  }

  // Loads the filters of the newest days, one day at a time, until the budget is full (each
  // day is looked up again under the locks: a reopen after a full disk replaces the partitions).
  std::thread warm_thread;
  std::atomic<bool> warm_stop{false};
  void WarmFilters() {
    std::vector<int64_t> days;
    {
      std::lock_guard lock(mu);
      for (auto it = partitions.rbegin(); it != partitions.rend(); ++it) days.push_back(it->first);
    }
    const size_t budget = FilterBudget();
    for (int64_t day : days) {
      if (warm_stop.load() || filter_bytes.load() >= budget) return;
      std::shared_lock db_lock(db_mu);
      if (!db) return;
      std::shared_ptr<Partition> p;
      size_t blocks = 0;
      {
        std::lock_guard lock(mu);
        auto it = partitions.find(day);
        if (it == partitions.end()) continue;
        p = it->second;
        blocks = p->blocks.size();
      }
      (void)FiltersOf(p.get(), blocks);
    }
  }

  // Writer-thread state.
  rocksdb::WriteBatch batch;
  uint64_t next_seq = 1;
  // The sealer thread (issue 24): encodes full builders while the writer appends the next
  // events. At most kMaxSealJobs wait or run; the writer waits for room (back-pressure).
  static constexpr size_t kMaxSealJobs = 2;
  std::thread sealer;
  std::mutex seal_mu;
  std::condition_variable seal_cv, seal_done_cv;
  std::deque<std::shared_ptr<SealJob>> seal_jobs;  // FIFO; a job leaves once encoded
  bool seal_stop = false;
  struct DayIndex {  // issue 24
    TokenIndexBuilder builder;
    int64_t last_block_ns = 0;  // when it last got a block
  };
  std::map<int64_t, std::unique_ptr<DayIndex>> index_builders;  // by day
  bool unsynced = false;

  // Held shared by every reader of `db` outside the writer thread (scans, backups) and
  // exclusively by Reopen, which replaces `db` (reliability: recovery from a full disk).
  mutable std::shared_mutex db_mu;
  // Shared state, guarded by mu.
  mutable std::mutex mu;
  std::map<int64_t, std::shared_ptr<Partition>> partitions;
  std::map<int64_t, std::shared_ptr<Builder>> builders;
  std::vector<Sealed> sealed;  // written to the batch, searchable from memory until committed
  std::set<std::string, std::less<>> known_fields;  // column names of every block
  unsigned scan_threads = 1;
  int64_t expired_before_day = INT64_MIN;  // retention cut: days before this are gone
  // operations (issue 10)
  std::string format_note;
  std::atomic<int> live_max_age_days{-1};  // set by SetMaxAgeDays (config reload)
  std::mutex backup_mu;

  ~Impl() {
    warm_stop = true;
    if (warm_thread.joinable()) warm_thread.join();
    if (!db) {
      StopSealer();
      return;
    }
    (void)SealAll();
    (void)CommitBatch(true);
    StopSealer();
    // Flush every memtable so the write-ahead log files can be deleted: a clean stop leaves
    // only compressed table files behind and the next start has nothing to replay.
    std::vector<rocksdb::ColumnFamilyHandle*> cfs{pending_cf};
    for (auto& [day, p] : partitions) cfs.push_back(p->cf);
    rocksdb::FlushOptions fo;
    fo.wait = true;
    (void)db->Flush(fo, cfs);
    partitions.clear();
    if (pending_cf) db->DestroyColumnFamilyHandle(pending_cf);
    if (outbox_cf) db->DestroyColumnFamilyHandle(outbox_cf);
    db->Close();
  }

  // `initial`: the first open (format check, retention cut, pending rows into builders). A reopen
  // after a full disk keeps the builders, the sealed blocks and the failed batch in memory.
  Status OpenDb(bool initial = true) {
    std::error_code ec;
    std::filesystem::create_directories(opt.dir, ec);
    if (ec) return Status::IoError(fmt::format("cannot create data directory {}: {}", opt.dir, ec.message()));
    rocksdb::Options o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    o.max_background_jobs = 2;
    o.db_write_buffer_size = opt.write_buffer_mb << 20;
    o.max_total_wal_size = 128u << 20;
    o.keep_log_file_num = 3;
    o.max_log_file_size = 8u << 20;
    o.bytes_per_sync = 1u << 20;
    o.info_log = std::make_shared<DiagnosticLog>(opt.dir + "/LOG");  // reliability (issue 9)
    o.listeners.push_back(std::make_shared<ManualRecovery>());         // reliability (issue 9)
    cache = rocksdb::NewLRUCache(opt.cache_mb << 20);
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    // Small columns share 16 KiB table blocks: a search that reads two or three small columns of
    // every block (a stats over months) decompresses those blocks whole, so 64 KiB blocks made it
    // decompress ~4x the bytes (root failures by IP over the 10M-event bench store: 0.99 -> 0.64 s).
    t.block_size = 16 << 10;
    t.cache_index_and_filter_blocks = true;
    t.flush_block_policy_factory = std::make_shared<ColumnBlockPolicyFactory>();
    // No implicit readahead for iterators: a search walks the filters of a chunk of blocks, which
    // are nearly always cached already; the readahead() system calls it issued took ~10% of a
    // search that every filter prunes (10M-event bench store).
    t.max_auto_readahead_size = 0;
    day_cf_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    // zstd level 1: on the bench's lines it stores 1.5% fewer bytes than level 3 in 16 KiB blocks
    // (779.8 vs 791.3 MB for 10M events), compresses faster and decompresses as fast.
    day_cf_opts.compression = rocksdb::kZSTD;
    day_cf_opts.bottommost_compression = rocksdb::kZSTD;
    day_cf_opts.compression_opts.level = 1;
    day_cf_opts.bottommost_compression_opts.level = 1;
    day_cf_opts.bottommost_compression_opts.enabled = true;
    day_cf_opts.write_buffer_size = 32u << 20;
    day_cf_opts.level_compaction_dynamic_level_bytes = true;
    rocksdb::ColumnFamilyOptions pending_opts;
    pending_opts.compression = rocksdb::kNoCompression;
    pending_opts.write_buffer_size = 64u << 20;

    std::vector<std::string> names;
    auto ls = rocksdb::DB::ListColumnFamilies(o, opt.dir, &names);
    if (!ls.ok()) names = {rocksdb::kDefaultColumnFamilyName};
    if (std::find(names.begin(), names.end(), kPendingCf) == names.end()) names.push_back(kPendingCf);
    if (opt.outbox && std::find(names.begin(), names.end(), kOutboxCf) == names.end()) names.push_back(kOutboxCf);
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const auto& n : names) {
      if (n == kPendingCf || n == kOutboxCf) descs.emplace_back(n, pending_opts);
      else if (n == rocksdb::kDefaultColumnFamilyName) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
      else descs.emplace_back(n, day_cf_opts);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(o, opt.dir, descs, &handles, &raw);
    if (!s.ok()) return Status::IoError(fmt::format("cannot open store in {}: {}", opt.dir, s.ToString()));
    db.reset(raw);
    for (size_t i = 0; i < handles.size(); ++i) {
      int64_t day;
      if (names[i] == kPendingCf) {
        pending_cf = handles[i];
      } else if (names[i] == kOutboxCf) {
        outbox_cf = handles[i];
      } else if (ParseDayCfName(names[i], &day)) {
        auto p = std::make_shared<Partition>();
        p->day = day;
        p->db = db.get();
        p->cf = handles[i];
        KMT_RETURN(LoadHeaders(p.get()));
        std::lock_guard lock(mu);
        partitions[day] = std::move(p);
      } else if (names[i] == rocksdb::kDefaultColumnFamilyName) {
        db->DestroyColumnFamilyHandle(handles[i]);  // the DB keeps its own default handle
      } else {
        db->DestroyColumnFamilyHandle(handles[i]);
      }
    }
    for (auto& [day, p] : partitions) {
      if (!p->blocks.empty()) next_seq = std::max(next_seq, p->blocks.back().id + 1);
    }
    if (!initial) return Status::OK();
    KMT_RETURN(CheckStoreFormat(db.get(), ls.ok(), opt.dir, &format_note));  // operations (issue 10)
    KMT_RETURN(ApplyRetentionCut());  // reliability (issue 9)
    KMT_RETURN(LoadOutbox());          // issue 26
    KMT_RETURN(Recover());
    committed_seq = next_seq - 1;      // everything found at open is on disk
    durable_seq = committed_seq;
    return Status::OK();
  }

  // issue 26: the outbox's size and the sender's position; sequence numbers continue after both,
  // so that a number already sent is never given to another event (even if retention dropped
  // the day that held the highest one).
  Status LoadOutbox() {
    std::string v;
    auto s = db->Get(rocksdb::ReadOptions(), db->DefaultColumnFamily(), kOutboxPositionKey, &v);
    if (s.ok() && !DecodePosition(v, &outbox_pos)) return Status::Corruption("bad outbox position");
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s);
    next_seq = std::max({next_seq, outbox_pos.acked + 1, outbox_pos.inflight_last + 1});
    if (!outbox_cf) return Status::OK();
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), outbox_cf));
    uint64_t events = 0, bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) continue;
      ++events;
      bytes += it->value().size();
      next_seq = std::max(next_seq, DecodeFixed64BE(it->key().data()) + 1);
    }
    outbox_events = events;
    outbox_bytes = bytes;
    return FromRocks(it->status());
  }

  Status LoadHeaders(Partition* p) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), p->cf));
    for (it->SeekToFirst(); it->Valid();) {
      auto key = it->key();
      if (IsFilterKey(std::string_view(key.data(), key.size()))) break;  // filters follow every block
      if (key.size() < 9) return Status::Corruption("bad block key");
      uint64_t id = DecodeFixed64BE(key.data());
      if (static_cast<KeyKind>(key[8]) == KeyKind::kHeader) {
        BlockHeader h;
        KMT_RETURN(DecodeHeader(std::string_view(it->value().data(), it->value().size()), &h));
        h.id = id;
        {
          std::lock_guard lock(mu);
          known_fields.insert(h.columns.begin(), h.columns.end());
        }
        p->blocks.push_back(std::move(h));
      }
      it->Seek(BlockKey(id + 1, KeyKind::kHeader));
    }
    return FromRocks(it->status());
  }

  Status Recover() {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), pending_cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto key = it->key();
      if (key.size() != 16) continue;
      int64_t day = static_cast<int64_t>(DecodeFixed64BE(key.data())) - kDayBias;
      std::string_view value(it->value().data(), it->value().size());
      auto& b = builders[day];
      if (!b) b = std::make_shared<Builder>();
      while (!value.empty()) {
        uint64_t seq;
        std::string_view raw;
        RawRecord rec;
        if (!GetVarint(&value, &seq) || !GetLengthPrefixed(&value, &raw) || !DecodeRaw(raw, &rec))
          return Status::Corruption("bad pending row in day " + DayCfName(day));
        Event ev = reparse(rec);
        b->bytes += ev.original.size();
        b->events.push_back(std::move(ev));
        b->max_seq = std::max(b->max_seq, seq);
        b->last_append_ns = NowNanos();
        next_seq = std::max(next_seq, seq + 1);
      }
    }
    return FromRocks(it->status());
  }

  Status PartitionFor(int64_t day, std::shared_ptr<Partition>* out) {
    {
      std::lock_guard lock(mu);
      auto it = partitions.find(day);
      if (it != partitions.end()) {
        *out = it->second;
        return Status::OK();
      }
    }
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    auto s = db->CreateColumnFamily(day_cf_opts, DayCfName(day), &cf);
    if (!s.ok()) return FromRocks(s);
    auto p = std::make_shared<Partition>();
    p->day = day;
    p->db = db.get();
    p->cf = cf;
    std::lock_guard lock(mu);
    partitions[day] = p;
    *out = p;
    return Status::OK();
  }

  // Hands a builder to the sealer thread and moves it to `sealed`, where its events stay
  // searchable until the block is committed (writer thread). DrainSealed waits for the encoding.
  Status Seal(int64_t day) {
    std::shared_ptr<Builder> b;
    {
      std::lock_guard lock(mu);
      auto it = builders.find(day);
      if (it == builders.end() || it->second->events.empty()) return Status::OK();
      b = it->second;
    }
    std::shared_ptr<Partition> p;
    KMT_RETURN(PartitionFor(day, &p));  // the column family is created on the writer thread
    auto job = std::make_shared<SealJob>();
    job->id = b->max_seq;
    job->builder = b;
    {
      std::lock_guard lock(mu);
      builders.erase(day);
      sealed.push_back(Sealed{day, job->id, b, job});
    }
    {
      std::unique_lock lock(seal_mu);
      if (!sealer.joinable()) sealer = std::thread([this] { SealLoop(); });
      seal_done_cv.wait(lock, [&] { return seal_jobs.size() < kMaxSealJobs; });
      seal_jobs.push_back(job);
    }
    seal_cv.notify_one();
    return Status::OK();
  }

  void SealLoop() {
    for (;;) {
      std::shared_ptr<SealJob> job;
      {
        std::unique_lock lock(seal_mu);
        seal_cv.wait(lock, [&] { return seal_stop || !seal_jobs.empty(); });
        if (seal_jobs.empty()) return;
        job = seal_jobs.front();
      }
      // The builder left `builders`: nobody appends to it any more, scans only read it.
      std::vector<const Event*> evs;
      evs.reserve(job->builder->events.size());
      for (const auto& e : job->builder->events) evs.push_back(&e);
      EncodedBlock blk;
      EncodeBlock(job->id, evs, &blk);
      {
        std::lock_guard lock(seal_mu);
        job->blk = std::move(blk);
        job->done = true;
        seal_jobs.pop_front();
      }
      seal_done_cv.notify_all();
    }
  }

  // Waits for the sealer and puts every encoded block into the batch (writer thread).
  Status DrainSealed() {
    WaitSealJobs();
    return AddEncodedBlocks();
  }

  void WaitSealJobs() {
    std::unique_lock lock(seal_mu);
    seal_done_cv.wait(lock, [&] { return seal_jobs.empty(); });
  }

  void StopSealer() {
    {
      std::lock_guard lock(seal_mu);
      seal_stop = true;
    }
    seal_cv.notify_all();
    if (sealer.joinable()) sealer.join();
  }

  // Puts the encoded blocks into the batch, oldest first, with the deletion of their pending
  // rows (writer thread; only it changes `sealed`, so reading it needs no lock). A block whose
  // encoding is still running waits for a later commit, and so do the blocks after it.
  Status AddEncodedBlocks() {
    for (auto& sb : sealed) {
      if (sb.in_batch) continue;
      {
        std::lock_guard lock(seal_mu);
        if (!sb.job->done) break;
      }
      std::shared_ptr<Partition> p;
      KMT_RETURN(PartitionFor(sb.day, &p));
      const EncodedBlock& blk = sb.job->blk;
      const uint64_t id = sb.block_id;
      batch.Put(p->cf, BlockKey(id, KeyKind::kHeader), blk.header_value);
      batch.Put(p->cf, FilterKey(id), blk.filter);
      batch.Put(p->cf, BlockKey(id, KeyKind::kTimes), blk.times);
      if (!blk.frame_filters.empty()) batch.Put(p->cf, BlockKey(id, KeyKind::kFrameFilters), blk.frame_filters);
      batch.Put(p->cf, BlockKey(id, KeyKind::kRowColumns), blk.row_columns);
      for (const auto& [name, data] : blk.columns) batch.Put(p->cf, BlockKey(id, KeyKind::kColumn, name), data);
      if (opt.token_index) KMT_RETURN(IndexBlock(p.get(), sb.day, id, blk.tokens));
      batch.DeleteRange(pending_cf, PendingKey(sb.day, 0), PendingKey(sb.day, id + 1));
      sb.in_batch = true;
    }
    return Status::OK();
  }

  Status SealAll() {
    std::vector<int64_t> days;
    {
      std::lock_guard lock(mu);
      for (auto& [d, b] : builders) days.push_back(d);
    }
    for (int64_t d : days) KMT_RETURN(Seal(d));
    KMT_RETURN(DrainSealed());  // every block in the batch and in its day's index
    return FlushIndexes(0, 0);
  }

  // ---- issue 24: the days' token indexes (store/token_index.h) ----
  // A day's index is rewritten whole in the batch of the block that brings it up to date: every
  // 16 blocks at first, then every third more (a day of 160 blocks is written about 7 times, ~2.5x
  // its final size in all), and when the day goes quiet (FlushIndexes). A crash loses at most
  // the blocks since the last write from it (they are pruned by their filters).
  Status IndexBlock(Partition* p, int64_t day, uint64_t id, const std::vector<uint64_t>& tokens) {
    auto& d = index_builders[day];
    if (!d) {
      // Days written to at once are few; beyond kOpenIndexes the least recent one is written.
      if (index_builders.size() > kOpenIndexes) {
        auto lru = index_builders.end();
        for (auto it = index_builders.begin(); it != index_builders.end(); ++it) {
          if (it->first != day && it->second && (lru == index_builders.end() || it->second->last_block_ns < lru->second->last_block_ns))
            lru = it;
        }
        if (lru != index_builders.end()) FlushIndex(lru);
      }
      d = std::make_unique<DayIndex>();
      rocksdb::PinnableSlice v;
      auto s = db->Get(rocksdb::ReadOptions(), p->cf, rocksdb::Slice(kTokenIndexKey.data(), kTokenIndexKey.size()), &v);
      if (s.ok() && !TokenIndexBuilder::FromIndex(std::string_view(v.data(), v.size()), &d->builder).ok())
        d->builder = TokenIndexBuilder();  // unreadable: a new index covers the new blocks
      else if (!s.ok() && !s.IsNotFound()) return FromRocks(s);
    }
    TokenIndexBuilder& b = d->builder;
    b.AddBlock(id, tokens);
    d->last_block_ns = NowNanos();
    if (b.pending_blocks() >= std::max<size_t>(16, b.blocks() / 3))
      batch.Put(p->cf, rocksdb::Slice(kTokenIndexKey.data(), kTokenIndexKey.size()), b.Encode());
    return Status::OK();
  }
  // Writes the indexes of days without an open builder that got no block for idle_ns (every
  // such day if 0) and forgets them.
  Status FlushIndexes(int64_t now_ns, int64_t idle_ns) {
    for (auto it = index_builders.begin(); it != index_builders.end();) {
      bool open = idle_ns != 0 && now_ns - it->second->last_block_ns < idle_ns;
      if (!open) {
        std::lock_guard lock(mu);
        open = builders.count(it->first) > 0;
      }
      if (open) {
        ++it;
        continue;
      }
      it = FlushIndex(it);
    }
    return Status::OK();
  }
  static constexpr size_t kOpenIndexes = 3;
  // Writes a day's index into the batch if it has blocks not written yet, and forgets it.
  std::map<int64_t, std::unique_ptr<DayIndex>>::iterator FlushIndex(std::map<int64_t, std::unique_ptr<DayIndex>>::iterator it) {
    std::shared_ptr<Partition> p;
    {
      std::lock_guard lock(mu);
      if (auto found = partitions.find(it->first); found != partitions.end()) p = found->second;
    }
    if (p && it->second->builder.pending_blocks())
      batch.Put(p->cf, rocksdb::Slice(kTokenIndexKey.data(), kTokenIndexKey.size()), it->second->builder.Encode());
    return index_builders.erase(it);
  }
  // ---- end issue 24 ----

  // A synced commit first waits for the blocks being encoded, so that it leaves nothing in
  // flight (tests, HTTP and RELP batches, Close); an unsynced one (TCP and UDP syslog) writes the
  // blocks already encoded and leaves the others to a later commit.
  Status CommitBatch(bool sync) {
    if (sync) WaitSealJobs();
    KMT_RETURN(AddEncodedBlocks());
    if (batch.Count() == 0) {
      return sync ? SyncIfNeeded() : Status::OK();
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    auto s = db->Write(wo, &batch);
    // reliability: a failed write keeps its batch, so that the writer can retry it once the
    // disk has room again (after Resume); the events stay in their builders meanwhile.
    if (!s.ok()) return FromRocks(s);
    batch.Clear();
    unsynced = !sync;
    committed_seq = next_seq - 1;
    if (sync) durable_seq = committed_seq;
    outbox_events += pending_outbox_events;  // issue 26
    outbox_bytes += pending_outbox_bytes;
    pending_outbox_events = pending_outbox_bytes = 0;
    std::lock_guard lock(mu);
    size_t written = 0;
    for (auto& sb : sealed) {
      if (!sb.in_batch) break;
      ++written;
      BlockHeader& header = sb.job->blk.header;
      auto it = partitions.find(sb.day);
      known_fields.insert(header.columns.begin(), header.columns.end());
      if (it == partitions.end()) continue;
      // After a reopen (full disk) the write-ahead log may already have held this batch.
      auto& blocks = it->second->blocks;
      auto at = std::lower_bound(blocks.begin(), blocks.end(), header.id,
                                 [](const BlockHeader& h, uint64_t id) { return h.id < id; });
      if (at != blocks.end() && at->id == header.id) continue;
      blocks.push_back(std::move(header));
    }
    sealed.erase(sealed.begin(), sealed.begin() + static_cast<long>(written));
    return Status::OK();
  }

  // reliability (issue 9): recovery from a full disk by closing and reopening RocksDB. Its own
  // DB::Resume() (7.x) can wait forever for a flush that the background error orphaned (a flush
  // scheduled just before a failed WAL write is dropped but stays queued); a reopen replays the
  // write-ahead log instead. Scans wait (db_mu); `batch` keeps the failed write (column family
  // ids are stable), and re-writing it is idempotent (same keys, same values).
  Status Reopen() {
    std::unique_lock dbl(db_mu);
    {
      std::lock_guard lock(mu);
      partitions.clear();  // their column family handles, while the old DB is still open
    }
    if (db) {
      if (pending_cf) db->DestroyColumnFamilyHandle(pending_cf);
      pending_cf = nullptr;
      if (outbox_cf) db->DestroyColumnFamilyHandle(outbox_cf);
      outbox_cf = nullptr;
      (void)db->Close();  // the background error stops it from flushing: nothing to wait for
      db.reset();
    }
    return OpenDb(false);  // on failure `db` stays null: scans refuse, the writer retries
  }

  Status SyncIfNeeded() {
    if (!unsynced) return Status::OK();
    auto s = db->SyncWAL();
    if (s.ok()) {
      unsynced = false;
      durable_seq = committed_seq;
    }
    return FromRocks(s);
  }

  // ---- reliability (issue 9): all-or-nothing retention drops ----
  // The retention cut (first kept day) is written, synced, to the default column family before
  // any partition is dropped, and Open completes a drop that a crash interrupted: a day is either
  // all there (blocks and pending rows) or all gone.
  static constexpr char kRetentionCutKey[] = "kamatama.retention_cut";

  Status DropDaysBefore(int64_t first_kept_day, std::vector<Store::DroppedDay>* out) {
    WaitSealJobs();  // every sealed block is written before a day is dropped
    KMT_RETURN(CommitBatch(false));
    std::vector<std::shared_ptr<Partition>> victims;
    std::vector<std::pair<int64_t, std::shared_ptr<Builder>>> builder_days;
    {
      std::lock_guard lock(mu);
      for (auto it = partitions.begin(); it != partitions.end() && it->first < first_kept_day; ++it)
        victims.push_back(it->second);
      for (auto it = builders.begin(); it != builders.end() && it->first < first_kept_day; ++it)
        builder_days.emplace_back(it->first, it->second);
      if (victims.empty() && builder_days.empty()) {
        expired_before_day = std::max(expired_before_day, first_kept_day);
        return Status::OK();
      }
    }
    std::string cut;
    PutFixed64BE(&cut, static_cast<uint64_t>(first_kept_day + kDayBias));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    KMT_RETURN(FromRocks(db->Put(wo, db->DefaultColumnFamily(), kRetentionCutKey, cut)));
    std::map<int64_t, Store::DroppedDay> days;
    {
      std::lock_guard lock(mu);
      expired_before_day = std::max(expired_before_day, first_kept_day);
      for (auto& p : victims) {
        auto& d = days[p->day];
        for (auto& h : p->blocks) {
          d.events += h.count;
          d.raw_bytes += h.raw_bytes;
        }
        partitions.erase(p->day);
        index_builders.erase(p->day);  // issue 24
      }
      for (auto& [day, b] : builder_days) {
        auto& d = days[day];
        d.events += b->events.size();
        d.raw_bytes += b->bytes;
        builders.erase(day);
        index_builders.erase(day);
      }
    }
    for (auto& p : victims) KMT_RETURN(FromRocks(db->DropColumnFamily(p->cf)));
    KMT_RETURN(FromRocks(db->DeleteRange(wo, pending_cf, PendingKey(-kDayBias, 0), PendingKey(first_kept_day, 0))));
    for (auto& [day, d] : days) {
      d.day = day;
      if (out) out->push_back(d);
    }
    return Status::OK();
  }

  // At open: applies a recorded retention cut (finishing an interrupted drop).
  Status ApplyRetentionCut() {
    std::string v;
    auto s = db->Get(rocksdb::ReadOptions(), db->DefaultColumnFamily(), kRetentionCutKey, &v);
    if (s.IsNotFound()) return Status::OK();
    KMT_RETURN(FromRocks(s));
    if (v.size() != 8) return Status::Corruption("bad retention cut");
    int64_t cut = static_cast<int64_t>(DecodeFixed64BE(v.data())) - kDayBias;
    expired_before_day = cut;
    std::vector<std::shared_ptr<Partition>> victims;
    for (auto it = partitions.begin(); it != partitions.end() && it->first < cut;) {
      victims.push_back(it->second);
      it = partitions.erase(it);
    }
    for (auto& p : victims) KMT_RETURN(FromRocks(db->DropColumnFamily(p->cf)));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db->DeleteRange(wo, pending_cf, PendingKey(-kDayBias, 0), PendingKey(cut, 0)));
  }
  // ---- end reliability ----
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Status Store::Open(const StoreOptions& options, Reparse reparse, std::unique_ptr<Store>* out) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->scan_threads = options.scan_threads
                           ? options.scan_threads
                           : std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  impl->reparse = std::move(reparse);
  KMT_RETURN(impl->OpenDb());
  if (options.warm_filters) {
    Impl* m = impl.get();
    m->warm_thread = std::thread([m] { m->WarmFilters(); });
  }
  out->reset(new Store(std::move(impl)));
  return Status::OK();
}

Status Store::Append(std::vector<Event>* events, const std::vector<RawRecord>& raws, uint64_t* expired) {
  Impl& m = *impl_;
  *expired = 0;
  const int64_t now = NowNanos();
  // The raw records of one day in this call go into one pending row (key: day|first seq,
  // value: (seq, raw record)*): one memtable entry per batch and day instead of one per event.
  struct Group {
    int64_t day;
    bool expired;
    uint64_t first_seq = 0;
    std::string value;
    std::shared_ptr<Builder> builder;
  };
  std::vector<Group> groups;
  std::string scratch;
  auto flush_group = [&](Group& g) {
    if (g.value.empty()) return;
    m.batch.Put(m.pending_cf, PendingKey(g.day, g.first_seq), g.value);
    g.value.clear();
  };
  for (size_t i = 0; i < events->size(); ++i) {
    Event& ev = (*events)[i];
    const int64_t day = DayOf(ev.timestamp_ns);
    size_t gi = 0;
    while (gi < groups.size() && groups[gi].day != day) ++gi;
    if (gi == groups.size()) {
      std::lock_guard lock(m.mu);
      groups.push_back(Group{day, day < m.expired_before_day, 0, {}, {}});
    }
    Group& g = groups[gi];
    if (g.expired) {
      ++*expired;
      continue;
    }
    if (!g.builder) {
      // Few days receive events at once; when one more opens, seal the least recently used
      // builder so that events of past days do not wait in memory (searches scan memory linearly).
      int64_t victim = INT64_MIN;
      {
        std::lock_guard lock(m.mu);
        if (!m.builders.count(day) && m.builders.size() >= m.opt.max_open_days) {
          int64_t oldest = INT64_MAX;
          for (auto& [d, bl] : m.builders) {
            if (bl->last_append_ns < oldest) {
              oldest = bl->last_append_ns;
              victim = d;
            }
          }
        }
      }
      if (victim != INT64_MIN) {
        for (auto& other : groups) {
          if (other.day == victim) {
            flush_group(other);
            other.builder.reset();
          }
        }
        KMT_RETURN(m.Seal(victim));
      }
      std::lock_guard lock(m.mu);
      auto& slot = m.builders[day];
      if (!slot) {
        slot = std::make_shared<Builder>();
        slot->events.reserve(std::min<size_t>(m.opt.block_max_events, 16384));
      }
      g.builder = slot;
    }
    const uint64_t seq = m.next_seq++;
    if (g.value.empty()) g.first_seq = seq;
    scratch.clear();
    EncodeRaw(raws[i], &scratch);
    PutVarint(&g.value, seq);
    PutLengthPrefixed(&g.value, scratch);
    if (m.opt.outbox && m.outbox_cf) {  // issue 26: in the same batch, so durable with the event
      scratch.clear();
      EncodeEvent(ev, &scratch);
      m.batch.Put(m.outbox_cf, OutboxKey(seq), scratch);
      ++m.pending_outbox_events;
      m.pending_outbox_bytes += scratch.size();
    }
    Builder& b = *g.builder;
    const size_t bytes = ev.original.size();
    {
      std::lock_guard lock(m.mu);
      b.events.push_back(std::move(ev));
      b.max_seq = seq;
      b.bytes += bytes;
      b.last_append_ns = now;
    }
    if (b.events.size() >= m.opt.block_max_events || b.bytes >= m.opt.block_max_bytes) {
      flush_group(g);  // before the seal's range delete of this day's pending rows
      KMT_RETURN(m.Seal(day));
      g.builder.reset();
    }
  }
  for (auto& g : groups) flush_group(g);
  return Status::OK();
}

Status Store::Commit(bool sync) { return impl_->CommitBatch(sync); }

// ---- outbox (issue 26) ----
Status Store::ReadOutbox(uint64_t after_seq, size_t max_events, size_t max_bytes, std::vector<OutboxEvent>* out) const {
  const Impl& m = *impl_;
  out->clear();
  std::shared_lock dbl(m.db_mu);
  if (!m.db) return Status::Busy("store is recovering");
  if (!m.opt.outbox || !m.outbox_cf) return Status::InvalidArgument("this store keeps no outbox");
  const uint64_t durable = m.durable_seq.load();
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(rocksdb::ReadOptions(), m.outbox_cf));
  size_t bytes = 0;
  for (it->Seek(OutboxKey(after_seq + 1)); it->Valid() && out->size() < max_events && bytes < max_bytes; it->Next()) {
    if (it->key().size() != 8) continue;
    const uint64_t seq = DecodeFixed64BE(it->key().data());
    if (seq > durable) break;
    OutboxEvent oe;
    oe.seq = seq;
    if (!DecodeEvent(std::string_view(it->value().data(), it->value().size()), &oe.event))
      return Status::Corruption(fmt::format("bad outbox event {}", seq));
    bytes += it->value().size();
    out->push_back(std::move(oe));
  }
  return FromRocks(it->status());
}

Status Store::SetOutboxPosition(const OutboxPosition& pos, bool sync) {
  Impl& m = *impl_;
  std::shared_lock dbl(m.db_mu);
  if (!m.db) return Status::Busy("store is recovering");
  if (!m.opt.outbox || !m.outbox_cf) return Status::InvalidArgument("this store keeps no outbox");
  std::lock_guard lock(m.outbox_mu);
  // What leaves the outbox, for its counters.
  uint64_t events = 0, bytes = 0;
  if (pos.acked > m.outbox_pos.acked) {
    std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(rocksdb::ReadOptions(), m.outbox_cf));
    for (it->Seek(OutboxKey(m.outbox_pos.acked + 1)); it->Valid(); it->Next()) {
      if (it->key().size() != 8) continue;
      if (DecodeFixed64BE(it->key().data()) > pos.acked) break;
      ++events;
      bytes += it->value().size();
    }
    KMT_RETURN(FromRocks(it->status()));
  }
  rocksdb::WriteBatch wb;
  if (events) wb.DeleteRange(m.outbox_cf, OutboxKey(0), OutboxKey(pos.acked + 1));
  wb.Put(m.db->DefaultColumnFamily(), kOutboxPositionKey, EncodePosition(pos));
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  KMT_RETURN(FromRocks(m.db->Write(wo, &wb)));
  m.outbox_pos = pos;
  m.outbox_events -= std::min<uint64_t>(events, m.outbox_events.load());
  m.outbox_bytes -= std::min<uint64_t>(bytes, m.outbox_bytes.load());
  return Status::OK();
}

OutboxPosition Store::GetOutboxPosition() const {
  std::lock_guard lock(impl_->outbox_mu);
  return impl_->outbox_pos;
}
uint64_t Store::OutboxEvents() const { return impl_->outbox_events.load(); }
uint64_t Store::OutboxBytes() const { return impl_->outbox_bytes.load(); }
bool Store::OutboxFull() const {
  return impl_->opt.outbox_max_bytes > 0 && impl_->outbox_bytes.load() > impl_->opt.outbox_max_bytes;
}
// ---- end outbox ----
Status Store::SyncWal() { return impl_->SyncIfNeeded(); }

Status Store::FlushIdle(int64_t now_ns, int64_t idle_ns) {
  Impl& m = *impl_;
  std::vector<int64_t> days;
  {
    std::lock_guard lock(m.mu);
    for (auto& [d, b] : m.builders) {
      if (idle_ns == 0 || now_ns - b->last_append_ns >= idle_ns) days.push_back(d);
    }
  }
  for (int64_t d : days) KMT_RETURN(m.Seal(d));
  KMT_RETURN(m.DrainSealed());  // the blocks join their days' indexes before those are written
  KMT_RETURN(m.FlushIndexes(now_ns, idle_ns));  // issue 24
  return m.CommitBatch(true);
}

Status Store::EnforceRetention(int64_t now_ns, int* dropped, std::vector<DroppedDay>* dropped_days) {
  Impl& m = *impl_;
  *dropped = 0;
  if (int v = m.live_max_age_days.load(); v >= 0) m.opt.max_age_days = v;  // config reload (issue 10)
  if (m.opt.max_age_days <= 0) return Status::OK();
  // A day is dropped once all of it is older than max_age_days.
  int64_t cutoff_ns = now_ns - static_cast<int64_t>(m.opt.max_age_days) * kNanosPerDay;
  int64_t first_kept_day = DayOf(cutoff_ns);
  // reliability (issue 9): crash-atomic drop, see Impl::DropDaysBefore.
  std::vector<DroppedDay> days;
  Status s = m.DropDaysBefore(first_kept_day, &days);
  *dropped = static_cast<int>(days.size());
  if (dropped_days) *dropped_days = std::move(days);
  return s;
}

// ---- reliability (issue 9) ----
Status Store::DropOldestDay(int64_t before_day, DroppedDay* out) {
  Impl& m = *impl_;
  *out = DroppedDay();
  int64_t oldest = INT64_MAX;
  {
    std::lock_guard lock(m.mu);
    if (!m.partitions.empty()) oldest = m.partitions.begin()->first;
    if (!m.builders.empty()) oldest = std::min(oldest, m.builders.begin()->first);
  }
  if (oldest == INT64_MAX || oldest >= before_day) return Status::OK();
  std::vector<DroppedDay> days;
  KMT_RETURN(m.DropDaysBefore(oldest + 1, &days));
  if (!days.empty()) *out = days.front();
  return Status::OK();
}

Status Store::Resume() { return impl_->Reopen(); }

uint64_t Store::BytesNeededToResume() const {
  uint64_t memtables = 0;
  if (impl_->db) (void)impl_->db->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables);
  // A new WAL is preallocated at 1.1x the largest write buffer, capped by the total budget.
  const uint64_t wal = std::min<uint64_t>((64u << 20) * 11 / 10, static_cast<uint64_t>(impl_->opt.write_buffer_mb) << 20);
  return memtables + wal + (1u << 20);  // and a little for the MANIFEST and OPTIONS files
}

uint64_t Store::FreeBytes() const {
  struct statvfs v {};
  if (::statvfs(impl_->opt.dir.c_str(), &v) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
}
// ---- end reliability ----

// The blocks of the days in range whose times overlap [so.from_ns, so.to_ns), and each searched
// partition's block count. Caller holds m.mu.
template <typename Impl>
void CollectCandidates(Impl& m, const ScanOptions& so, ScanShared* sh) {
  int64_t first_day = so.from_ns == INT64_MIN ? INT64_MIN : DayOf(so.from_ns);
  int64_t last_day = so.to_ns == INT64_MAX ? INT64_MAX : DayOf(so.to_ns - 1);
  for (auto it = m.partitions.lower_bound(first_day); it != m.partitions.end() && it->first <= last_day; ++it) {
    sh->part_blocks[it->second.get()] = it->second->blocks.size();
    for (const auto& h : it->second->blocks) {
      if (h.max_ts < so.from_ns || h.min_ts >= so.to_ns) continue;
      sh->cands.push_back({it->second, &h});
    }
  }
}

// Evaluates the events still in memory (builders, and sealed blocks not yet committed): visitors
// are called, an export's matches go to *memory_hits (handed over once unlocked), the newest
// `limit` others into *top. Caller holds m.mu.
template <typename Impl>
void ScanMemory(Impl& m, const RowFilter& filter, const ScanOptions& so, ScanResult* res, TopK* top,
                std::vector<Event>* memory_hits) {
  std::vector<std::pair<int64_t, const Event*>> memory_top;
  auto scan_events = [&](const std::vector<Event>& evs) {
    for (const Event& ev : evs) {
      if (ev.timestamp_ns < so.from_ns || ev.timestamp_ns >= so.to_ns) continue;
      ++res->scanned;
      EventAccessor row(ev);
      if (filter.Matches(row)) {
        ++res->matched;
        if (so.visit_worker) so.visit_worker(0, row, ev.timestamp_ns);
        else if (so.visit) so.visit(row, ev.timestamp_ns);
        else if (so.visit_event) memory_hits->push_back(ev);
        else if (so.limit) memory_top.emplace_back(ev.timestamp_ns, &ev);
      }
    }
  };
  for (auto& [day, b] : m.builders) scan_events(b->events);
  for (auto& s : m.sealed) scan_events(s.builder->events);
  // Copy only the newest `limit` in-memory matches (copying every match costs more than the scan).
  if (memory_top.size() > so.limit) {
    std::nth_element(memory_top.begin(), memory_top.begin() + static_cast<ptrdiff_t>(so.limit), memory_top.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    memory_top.resize(so.limit);
  }
  for (const auto& [ts, ev] : memory_top) top->Push(*ev);
}

// Hands an export its in-memory matches, newest first; false if it stopped.
bool ExportMemoryHits(const ScanOptions& so, std::vector<Event>* hits) {
  std::sort(hits->begin(), hits->end(), [](const Event& a, const Event& b) { return a.timestamp_ns > b.timestamp_ns; });
  for (auto& ev : *hits) {
    if (!so.visit_event(std::move(ev))) return false;
  }
  hits->clear();
  return true;
}

// Scans the events in memory, then the stored blocks (store/scan_worker.h: prune, fetch,
// evaluate, aggregate, materialise) on up to the plan's threads, newest block first.
Status Store::Scan(const RowFilter& filter, const ScanOptions& so, ScanResult* res) const {
  Impl& m = *impl_;
  *res = ScanResult();
  ScanShared sh;
  sh.filter = &filter;
  sh.so = &so;
  sh.res = res;
  const bool visiting = so.visit || so.visit_worker;
  sh.top = TopK(visiting ? 0 : so.limit);
  std::vector<Event> memory_hits;
  std::shared_lock db_lock(m.db_mu);  // reliability: no reopen while scanning
  if (!m.db) return Status::Busy("the store is reopening after a full disk; retry");
  {
    std::lock_guard lock(m.mu);
    sh.snap = m.db->GetSnapshot();
    CollectCandidates(m, so, &sh);
    ScanMemory(m, filter, so, res, &sh.top, &memory_hits);
  }
  struct SnapshotRelease {
    rocksdb::DB* db;
    const rocksdb::Snapshot* s;
    ~SnapshotRelease() { db->ReleaseSnapshot(s); }
  } release{m.db.get(), sh.snap};
  res->blocks_total = sh.cands.size();
  if (!visiting && so.visit_event && !ExportMemoryHits(so, &memory_hits)) {
    res->complete = false;
    return Status::OK();
  }
  std::sort(sh.cands.begin(), sh.cands.end(),
            [](const Candidate& a, const Candidate& b) { return a.header().max_ts > b.header().max_ts; });
  sh.plan = PlanScan(filter, so, m.scan_threads, sh.cands.size());
  sh.db = m.db.get();
  sh.filters_of = [&m](Partition* p, size_t blocks) { return m.FiltersOf(p, blocks); };
  sh.index_of = [&m](Partition* p, size_t blocks) { return m.IndexOf(p, blocks); };
  sh.cutoff = sh.top.Full() ? sh.top.MinTs() : INT64_MIN;
  sh.matched = res->matched;
  sh.scanned = res->scanned;
  sh.fill_budget = (m.opt.cache_mb << 20) / 2;
  sh.chunk = std::clamp<size_t>(sh.cands.size() / (sh.plan.threads * 4), 1, BlockScanner::kChunk);
  Status error = RunScanners(sh);
  res->matched = sh.matched;
  res->scanned = sh.scanned;
  res->blocks_pruned = sh.pruned;
  res->blocks_pruned_by_index = sh.index_pruned;
  res->blocks_read = sh.read;
  if (!error.ok()) return error;
  res->events = sh.top.TakeNewestFirst();
  return Status::OK();
}

namespace {
// Fields every event has outside its field list (the times, the original line).
constexpr std::string_view kImplicitFields[] = {"@timestamp", "event.ingested", field::kOriginal};

// Calls stop(name) for each field name of the events still in memory (builders, and sealed
// blocks not yet committed), until it returns true; says whether it did. Caller holds m.mu.
template <typename Impl, typename Fn>
bool AnyBufferedField(Impl& m, Fn&& stop) {
  auto any = [&](const std::vector<Event>& evs) {
    for (const Event& ev : evs) {
      for (const auto& [k, v] : ev.fields) {
        if (stop(k)) return true;
      }
    }
    return false;
  };
  for (auto& [day, b] : m.builders) {
    if (any(b->events)) return true;
  }
  for (auto& s : m.sealed) {
    if (any(s.builder->events)) return true;
  }
  return false;
}
}  // namespace

std::vector<std::string> Store::FieldNames() const {
  Impl& m = *impl_;
  std::set<std::string, std::less<>> names;
  {
    std::lock_guard lock(m.mu);
    names = m.known_fields;
    AnyBufferedField(m, [&](const std::string& k) {
      if (!names.count(k)) names.insert(k);
      return false;
    });
  }
  names.insert(std::begin(kImplicitFields), std::end(kImplicitFields));
  return {names.begin(), names.end()};
}

bool Store::KnowsField(std::string_view name) const {
  if (std::find(std::begin(kImplicitFields), std::end(kImplicitFields), name) != std::end(kImplicitFields)) return true;
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.known_fields.find(name) != m.known_fields.end()) return true;
  return AnyBufferedField(m, [&](const std::string& k) { return k == name; });
}

StoreStats Store::Stats() const {
  Impl& m = *impl_;
  StoreStats st;
  {
    std::lock_guard lock(m.mu);
    st.partitions = m.partitions.size();
    for (auto& [d, p] : m.partitions) {
      st.blocks += p->blocks.size();
      for (auto& h : p->blocks) st.events_in_blocks += h.count;
    }
    for (auto& [d, b] : m.builders) st.events_in_memory += b->events.size();
    for (auto& s : m.sealed) st.events_in_memory += s.builder->events.size();
    st.filter_bytes = m.filter_bytes.load();
    if (!m.partitions.empty()) {
      st.oldest_day = m.partitions.begin()->first;
      st.newest_day = m.partitions.rbegin()->first;
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(m.opt.dir, ec)) {
    if (entry.is_regular_file(ec)) st.disk_bytes += entry.file_size(ec);
  }
  return st;
}

// ---- operations (issue 10): format note, backup/restore, live retention ----
const std::string& Store::FormatNote() const { return impl_->format_note; }

void Store::SetMaxAgeDays(int days) { impl_->live_max_age_days.store(std::max(0, days)); }

namespace {
Status OpenBackupEngine(const std::string& dir, bool create, rocksdb::BackupEngine** out) {
  std::error_code ec;
  if (create) std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot create backup directory {}: {}", dir, ec.message()));
  if (!create && !std::filesystem::exists(std::filesystem::path(dir) / "meta"))
    return Status::NotFound(fmt::format("{} holds no kamatama backup (no meta/ directory)", dir));
  rocksdb::BackupEngineOptions bo(dir);
  bo.max_background_operations = 2;
  auto s = rocksdb::BackupEngine::Open(bo, rocksdb::Env::Default(), out);
  if (!s.ok()) return Status::IoError(fmt::format("cannot open backup directory {}: {}", dir, s.ToString()));
  return Status::OK();
}
Store::BackupInfo FromRocksInfo(const rocksdb::BackupInfo& i) {
  Store::BackupInfo b;
  b.id = i.backup_id;
  b.timestamp = i.timestamp;
  b.bytes = i.size;
  b.files = i.number_files;
  b.metadata = i.app_metadata;
  return b;
}
}  // namespace

Status Store::Backup(const std::string& backup_dir, BackupInfo* out) {
  Impl& m = *impl_;
  std::unique_lock lock(m.backup_mu, std::try_to_lock);
  if (!lock.owns_lock()) return Status::Busy("a backup is already running");
  rocksdb::BackupEngine* raw = nullptr;
  KMT_RETURN(OpenBackupEngine(backup_dir, true, &raw));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  // No flush: the live WAL files are copied with the table files, which keeps the day column
  // families and `pending` consistent with each other (a block and the deletion of its pending
  // rows are one write batch). Table files already in an older backup are not copied again.
  rocksdb::CreateBackupOptions co;
  co.flush_before_backup = false;
  std::shared_lock db_lock(m.db_mu);  // reliability: no reopen while copying
  if (!m.db) return Status::Busy("the store is reopening after a full disk; retry");
  rocksdb::BackupID id = 0;
  auto s = engine->CreateNewBackupWithMetadata(co, m.db.get(), fmt::format("kamatama-format={}", kFormatVersion), &id);
  if (!s.ok()) return Status::IoError(fmt::format("backup to {} failed: {}", backup_dir, s.ToString()));
  rocksdb::BackupInfo info;
  auto si = engine->GetBackupInfo(id, &info);
  if (!si.ok()) return FromRocks(si);
  *out = FromRocksInfo(info);
  StateCopy state;
  if (Status st = CopyStateOut(m.opt.dir, fmt::format("{}/state/{}", backup_dir, id), &state); !st.ok())
    return Status::IoError(fmt::format("backup {} of the store was made, but not of the server state: {}", id, st.ToString()));
  out->state_files = static_cast<uint32_t>(state.files);
  out->state_bytes = state.bytes;
  return Status::OK();
}

Status Store::ListBackups(const std::string& backup_dir, std::vector<BackupInfo>* out) {
  rocksdb::BackupEngine* raw = nullptr;
  KMT_RETURN(OpenBackupEngine(backup_dir, false, &raw));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  out->clear();
  for (const auto& i : infos) out->push_back(FromRocksInfo(i));
  return Status::OK();
}

Status Store::Restore(const std::string& backup_dir, uint32_t id, const std::string& data_dir) {
  std::error_code ec;
  if (std::filesystem::exists(data_dir, ec) && !std::filesystem::is_empty(data_dir, ec))
    return Status::InvalidArgument(
        fmt::format("{} is not empty: restore only into a new or empty data directory", data_dir));
  rocksdb::BackupEngine* raw = nullptr;
  KMT_RETURN(OpenBackupEngine(backup_dir, false, &raw));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  if (infos.empty()) return Status::NotFound(fmt::format("{} holds no backup", backup_dir));
  if (id == 0) id = infos.back().backup_id;
  const rocksdb::BackupInfo* info = nullptr;
  for (const auto& i : infos) {
    if (i.backup_id == id) info = &i;
  }
  if (!info) return Status::NotFound(fmt::format("{} holds no backup {}", backup_dir, id));
  if (info->app_metadata.rfind("kamatama-format=", 0) == 0) {
    int v = std::atoi(info->app_metadata.c_str() + 16);
    if (v > kFormatVersion)
      return Status::InvalidArgument(fmt::format(
          "backup {} has store format version {}; this kamatama reads up to {}: restore it with a newer kamatama", id,
          v, kFormatVersion));
  }
  rocksdb::Status s = engine->VerifyBackup(id, /*verify_with_checksum=*/true);
  if (!s.ok()) return Status::Corruption(fmt::format("backup {} in {} is damaged: {}", id, backup_dir, s.ToString()));
  std::filesystem::create_directories(data_dir, ec);
  s = engine->RestoreDBFromBackup(id, data_dir, data_dir);
  if (!s.ok()) return Status::IoError(fmt::format("restore of backup {} into {} failed: {}", id, data_dir, s.ToString()));
  StateCopy state;
  if (Status st = CopyStateIn(fmt::format("{}/state/{}", backup_dir, id), data_dir, &state); !st.ok())
    return Status::IoError(fmt::format("backup {} restored the store but not the server state: {}", id, st.ToString()));
  return Status::OK();
}
// ---- end operations ----

}  // namespace kamatama::store
