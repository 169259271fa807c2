// server/clickhouse_spool.cc
#include "server/clickhouse_spool.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "clickhouse/writer.h"
#include "core/metrics.h"
#include "core/time.h"

namespace kamatama::server {

namespace {
Counter& SentEventsCounter() {
  return GetCounter("kamatama_clickhouse_sent_events_total", "", "Events inserted into the ClickHouse cluster");
}
Counter& SentBatchesCounter() {
  return GetCounter("kamatama_clickhouse_sent_batches_total", "", "Batches inserted into the ClickHouse cluster");
}
Counter& FailuresCounter() {
  return GetCounter("kamatama_clickhouse_send_failures_total", "", "Failed inserts into the ClickHouse cluster (retried)");
}
}  // namespace

SpoolSender::SpoolSender(store::Store* store, const clickhouse::Client* client, SpoolSenderOptions opt, LogFn log)
    : store_(store), client_(client), opt_(std::move(opt)), log_(std::move(log)) {}

SpoolSender::~SpoolSender() { Stop(); }

void SpoolSender::Start() {
  (void)SentEventsCounter();
  (void)SentBatchesCounter();
  (void)FailuresCounter();
  store::Store* st = store_;
  RegisterGauge("kamatama_clickhouse_spool_events", "Events stored locally and not yet confirmed by the ClickHouse cluster",
                [st] { return static_cast<double>(st->OutboxEvents()); });
  RegisterGauge("kamatama_clickhouse_spool_bytes", "Bytes of events waiting in the local spool for the ClickHouse cluster",
                [st] { return static_cast<double>(st->OutboxBytes()); });
  RegisterGauge("kamatama_clickhouse_reachable", "1 while the last insert into the ClickHouse cluster succeeded",
                [this] { return Reachable() ? 1.0 : 0.0; });
  thread_ = std::thread([this] { Run(); });
}

void SpoolSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  RegisterGauge("kamatama_clickhouse_reachable", "1 while the last insert into the ClickHouse cluster succeeded",
                [] { return 0.0; });
}

void SpoolSender::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

std::string SpoolSender::LastError() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

bool SpoolSender::WaitFor(int64_t ns) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::nanoseconds(ns), [this] { return stopping_ || poked_; });
  poked_ = false;
  return !stopping_;
}

Status SpoolSender::ReadRun(uint64_t acked, uint64_t last, uint64_t* first, std::vector<Event>* events) {
  events->clear();
  std::vector<store::OutboxEvent> got;
  // A batch to resend is read whole, whatever the batch limits are now: only the same batch
  // is a duplicate block.
  const size_t max_events = last ? static_cast<size_t>(last - acked) : opt_.batch_events;
  const size_t max_bytes = last ? SIZE_MAX : opt_.batch_bytes;
  if (Status s = store_->ReadOutbox(acked, max_events, max_bytes, &got); !s.ok()) return s;
  if (got.empty()) return Status::OK();
  *first = got.front().seq;
  for (auto& oe : got) {
    // A batch is (node, first seq, n events): its rows name seqs first..first+n-1, so it ends
    // at the first gap (the writer's numbers have none in normal operation).
    if (oe.seq != *first + events->size() || (last && oe.seq > last)) break;
    events->push_back(std::move(oe.event));
  }
  return Status::OK();
}

bool SpoolSender::SendWithRetry(uint64_t first_seq, const std::vector<Event>& events) {
  const clickhouse::Batch batch{opt_.node, first_seq, &events};
  int64_t backoff = opt_.backoff_min_ns;
  for (;;) {
    Status s = clickhouse::InsertBatch(*client_, batch);
    if (s.ok()) {
      if (!reachable_.exchange(true)) log_("clickhouse: inserts succeed again; sending the spool");
      {
        std::lock_guard lock(mu_);
        last_error_.clear();
      }
      SentEventsCounter().Add(events.size());
      SentBatchesCounter().Add();
      sent_ += events.size();
      return true;
    }
    FailuresCounter().Add();
    {
      std::lock_guard lock(mu_);
      last_error_ = s.ToString();
    }
    if (reachable_.exchange(false))
      log_(fmt::format("clickhouse: insert failed, events stay in the local spool and are retried: {}", s.ToString()));
    if (!WaitFor(backoff)) return false;
    backoff = std::min(opt_.backoff_max_ns, backoff * 2);
  }
}

void SpoolSender::Run() {
  store::OutboxPosition pos = store_->GetOutboxPosition();
  std::vector<Event> events;
  int64_t backoff = opt_.backoff_min_ns;
  // A batch in flight at the last stop is sent again exactly as it was (the same first seq and
  // events): if it had landed, the cluster drops it as a duplicate block.
  bool resend = pos.inflight_last != 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    uint64_t first = 0;
    Status s = resend ? ReadRun(pos.inflight_first - 1, pos.inflight_last, &first, &events)
                      : ReadRun(pos.acked, 0, &first, &events);
    if (!s.ok()) {
      log_("clickhouse: reading the spool: " + s.ToString());
      if (!WaitFor(backoff)) return;
      backoff = std::min(opt_.backoff_max_ns, backoff * 2);
      continue;
    }
    backoff = opt_.backoff_min_ns;
    if (events.empty()) {
      resend = false;
      if (!WaitFor(opt_.idle_wait_ns)) return;
      continue;
    }
    const uint64_t last = first + events.size() - 1;
    if (!resend) {
      // The intent first, synced: a restart must resend these events as this very batch.
      s = store_->SetOutboxPosition({pos.acked, first, last}, true);
      if (!s.ok()) {
        log_("clickhouse: recording the spool position: " + s.ToString());
        if (!WaitFor(opt_.backoff_min_ns)) return;
        continue;
      }
    }
    if (!SendWithRetry(first, events)) return;
    resend = false;
    // Unsynced: if it is lost, the in-flight record stays and the batch is resent (a duplicate).
    // If the write fails, the next batch's intent (acked = last) records it.
    pos = {last, 0, 0};
    s = store_->SetOutboxPosition(pos, false);
    if (!s.ok()) log_("clickhouse: recording the spool position: " + s.ToString());
  }
}

}  // namespace kamatama::server
