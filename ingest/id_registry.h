// ingest/id_registry.h
//! Idempotency ids of shipper documents (Elasticsearch `_id`), so a retried `_bulk` batch is not
//! stored twice, across restarts. A small RocksDB database of its own (`<data_dir>/shipper_ids`,
//! kept apart from the event store so neither format depends on the other): key `x<id>` → the
//! time it was recorded, plus a time index `t<be64 time><id>` for expiry. Ids older than max_age
//! are forgotten (checked at open and at most hourly), so the database stays bounded.
//!
//! Ordering (see server/shipper_routes.cc): an id is recorded only AFTER its event is durable,
//! with a synced write. A crash between the two can store a retried event twice (at-least-once);
//! recording first could lose an event for good (its retry would be refused as a duplicate).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace rocksdb {
class DB;
}

namespace kamatama::ingest {

class IdRegistry {
 public:
  static Status Open(const std::string& dir, int64_t max_age_ns, std::unique_ptr<IdRegistry>* out);
  ~IdRegistry();

  //! (*known)[i] = whether ids[i] is recorded. Thread-safe.
  Status Lookup(const std::vector<std::string>& ids, std::vector<bool>* known) const;
  //! Records the ids with time now_ns; durable (WAL fsync) on return. Thread-safe.
  Status Record(const std::vector<std::string>& ids, int64_t now_ns);
  //! Forgets ids recorded before now_ns - max_age; returns how many through *dropped.
  Status Expire(int64_t now_ns, size_t* dropped);

 private:
  IdRegistry() = default;
  std::unique_ptr<rocksdb::DB> db_;
  int64_t max_age_ns_ = 0;
  std::mutex expire_mu_;
  int64_t last_expire_ns_ = 0;
};

}  // namespace kamatama::ingest
