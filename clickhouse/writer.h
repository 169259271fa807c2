// clickhouse/writer.h
//! Sending events to the cluster so that a retry neither loses nor duplicates them (issue 26).
//!
//! A batch is identified by the node that spooled it and the spool sequence number of its first
//! event: event i of the batch is row (node, first_seq + i). The rows, and so the bytes sent,
//! depend only on that identity, so a batch sent again after a crash or a timeout is the same
//! block: ReplicatedMergeTree drops an inserted block identical to one of the last
//! replicated_deduplication_window blocks (100 by default) of its partition, on 18.16 as on current releases;
//! the Distributed table splits it by cityHash64(node, seq) the same way each time
//! (insert_distributed_sync=1: the INSERT answers once every shard has its part). Events that
//! happen to be identical stay distinct rows (their seq differs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clickhouse/client.h"
#include "core/event.h"
#include "core/status.h"

namespace kamatama::clickhouse {

//! One batch as the spool hands it over.
struct Batch {
  std::string node;              //!< the ingest node's name (unique in the cluster)
  uint64_t first_seq = 0;        //!< spool sequence number of events[0]
  const std::vector<Event>* events = nullptr;
};

//! The TabSeparated rows of `batch` for EventColumnList() (deterministic: same batch, same bytes).
std::string EventRows(const Batch& batch);
//! The TabSeparated rows (tok, ts, ts_ns, node, seq) of the distinct lowercased tokens of each
//! event's original line.
std::string TokenRows(const Batch& batch);

//! Inserts the batch's events and tokens into the Distributed tables. Safe to call again with
//! the same batch after any failure.
Status InsertBatch(const Client& client, const Batch& batch);

}  // namespace kamatama::clickhouse
