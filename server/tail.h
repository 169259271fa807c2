// server/tail.h
//! Live tail: the store writer publishes every batch just before storing it; each subscriber
//! (a WebSocket session) keeps the JSON of the events its query matches, up to a cap, and counts
//! what it had to drop because its client reads too slowly. No network code here.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/event.h"
#include "query/query.h"

namespace kamatama::server {

class TailSubscriber {
 public:
  TailSubscriber(query::Query q, size_t max_pending_bytes, std::string owner = "")
      : query_(std::move(q)), max_bytes_(max_pending_bytes), owner_(std::move(owner)) {}
  //! Moves out the waiting event JSON objects and the number dropped since the last call.
  void Take(std::vector<std::string>* events, uint64_t* dropped);
  const query::Query& query() const { return query_; }

 private:
  friend class TailHub;
  query::Query query_;
  size_t max_bytes_;
  std::string owner_;  //!< the principal's key (per-principal cap)
  std::mutex mu_;
  std::deque<std::string> pending_;
  size_t pending_bytes_ = 0;
  uint64_t dropped_ = 0;
};

class TailHub {
 public:
  explicit TailHub(size_t max_subscribers) : max_subscribers_(max_subscribers) {}
  //! A new subscriber, or null when max_subscribers are already connected, or when `owner` (a
  //! principal's key) already holds max_per_owner (> 0) of them (*owner_full then says so).
  //! The subscription ends when the returned pointer is released.
  std::shared_ptr<TailSubscriber> Subscribe(query::Query q, size_t max_pending_bytes, const std::string& owner = "",
                                            size_t max_per_owner = 0, bool* owner_full = nullptr);
  //! Offers events to every subscriber (store writer thread). Costs nothing without subscribers.
  void Publish(const std::vector<Event>& events);
  size_t subscribers() const { return count_.load(); }

 private:
  size_t max_subscribers_;
  std::atomic<size_t> count_{0};
  std::mutex mu_;
  std::vector<std::weak_ptr<TailSubscriber>> subs_;
};

}  // namespace kamatama::server
