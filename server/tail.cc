// server/tail.cc
#include "server/tail.h"

#include "core/row.h"
#include "core/json.h"

namespace kamatama::server {

void TailSubscriber::Take(std::vector<std::string>* events, uint64_t* dropped) {
  std::lock_guard lock(mu_);
  events->clear();
  events->reserve(pending_.size());
  for (auto& e : pending_) events->push_back(std::move(e));
  pending_.clear();
  pending_bytes_ = 0;
  *dropped = dropped_;
  dropped_ = 0;
}

std::shared_ptr<TailSubscriber> TailHub::Subscribe(query::Query q, size_t max_pending_bytes, const std::string& owner,
                                                   size_t max_per_owner, bool* owner_full) {
  std::lock_guard lock(mu_);
  std::erase_if(subs_, [](const auto& w) { return w.expired(); });
  if (owner_full) *owner_full = false;
  if (max_per_owner > 0) {
    size_t mine = 0;
    for (const auto& w : subs_) {
      if (auto s = w.lock(); s && s->owner_ == owner) ++mine;
    }
    if (mine >= max_per_owner) {
      if (owner_full) *owner_full = true;
      return nullptr;
    }
  }
  if (subs_.size() >= max_subscribers_) return nullptr;
  auto sub = std::make_shared<TailSubscriber>(std::move(q), max_pending_bytes, owner);
  subs_.push_back(sub);
  count_ = subs_.size();
  return sub;
}

void TailHub::Publish(const std::vector<Event>& events) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::vector<std::shared_ptr<TailSubscriber>> live;
  {
    std::lock_guard lock(mu_);
    std::erase_if(subs_, [](const auto& w) { return w.expired(); });
    count_ = subs_.size();
    for (auto& w : subs_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& sub : live) {
    for (const Event& ev : events) {
      EventAccessor row(ev);
      if (!sub->query_.Matches(row)) continue;
      std::lock_guard lock(sub->mu_);
      if (sub->pending_bytes_ >= sub->max_bytes_) {
        ++sub->dropped_;
        continue;
      }
      std::string json = "{\"type\":\"event\",\"event\":";
      AppendEventJson(ev, &json);
      json.push_back('}');
      sub->pending_bytes_ += json.size();
      sub->pending_.push_back(std::move(json));
    }
  }
}

}  // namespace kamatama::server
