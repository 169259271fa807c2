// investigate/lease_index.cc
#include "investigate/lease_index.h"

#include <algorithm>
#include <mutex>

namespace kamatama::investigate {

namespace {

bool Contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// What a dhcp event.action says about the lease (parsers/dhcp.h names them).
std::optional<LeaseObservation::Kind> KindOf(std::string_view action, bool failed) {
  using K = LeaseObservation::Kind;
  if (action.rfind("dhcp", 0) != 0) return std::nullopt;
  std::string_view verb = action.substr(action.find('-') == std::string_view::npos ? action.size() : action.find('-') + 1);
  if (Contains(verb, "release") || Contains(verb, "expire") || Contains(verb, "deleted") || verb == "decline" ||
      verb == "abandon")
    return K::kEnd;
  if (failed) return std::nullopt;
  if (verb == "ack" || verb == "assign" || verb == "renew" || verb == "bound" || verb == "reply" ||
      verb == "send-reply" || verb == "rebind")
    return K::kBind;
  if (verb == "offer" || verb == "request" || verb == "inform" || verb == "advertise" || verb == "send-advertise")
    return K::kHint;
  return std::nullopt;
}

std::string_view Value(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? std::string_view(*v) : std::string_view();
}

}  // namespace

void LeaseIndex::Observe(const Event& ev) {
  std::string_view ds = Value(ev, "event.dataset");
  if (ds.rfind("dhcp.", 0) != 0) return;
  auto kind = KindOf(Value(ev, "event.action"), Value(ev, "event.outcome") == "failure");
  if (!kind) return;
  std::string_view ip = Value(ev, "client.ip");
  if (ip.empty()) ip = Value(ev, "source.ip");
  if (ip.empty()) return;
  LeaseObservation obs;
  obs.kind = *kind;
  obs.first_ns = obs.last_ns = ev.timestamp_ns;
  obs.mac = Value(ev, "source.mac");
  obs.hostname = Value(ev, "dhcp.client.hostname");
  obs.dataset = ds;
  obs.action = Value(ev, "event.action");
  obs.client = !obs.mac.empty() ? obs.mac : std::string(Value(ev, "dhcp.client.id"));
  if (obs.client.empty()) obs.client = obs.hostname;
  if (obs.client.empty() && obs.kind != LeaseObservation::Kind::kEnd) return;  // nobody to name
  Insert(std::string(ip), std::move(obs));
}

void LeaseIndex::Insert(const std::string& ip, LeaseObservation obs) {
  std::unique_lock lock(mu_);
  auto& v = by_ip_[ip];
  auto pos = std::upper_bound(v.begin(), v.end(), obs.first_ns,
                              [](int64_t t, const LeaseObservation& o) { return t < o.first_ns; });
  // A binding right after a binding of the same client (nothing between them) extends it.
  if (pos != v.begin() && obs.kind == LeaseObservation::Kind::kBind) {
    LeaseObservation& prev = *(pos - 1);
    if (prev.kind == obs.kind && prev.client == obs.client && prev.last_ns <= obs.first_ns) {
      prev.last_ns = obs.first_ns;
      ++prev.count;
      if (prev.hostname.empty()) prev.hostname = obs.hostname;
      return;
    }
  }
  v.insert(pos, std::move(obs));
  ++size_;
}

std::string LeaseIndex::HostnameOf(const std::vector<LeaseObservation>& obs, const std::string& client) const {
  for (auto it = obs.rbegin(); it != obs.rend(); ++it) {
    if (it->client == client && !it->hostname.empty()) return it->hostname;
  }
  return "";
}

std::optional<Lease> LeaseIndex::OwnerAt(std::string_view ip, int64_t at_ns) const {
  using K = LeaseObservation::Kind;
  std::shared_lock lock(mu_);
  auto found = by_ip_.find(std::string(ip));
  if (found == by_ip_.end()) return std::nullopt;
  const auto& v = found->second;
  // The latest binding that started at or before `at`.
  auto after = std::upper_bound(v.begin(), v.end(), at_ns, [](int64_t t, const LeaseObservation& o) { return t < o.first_ns; });
  auto bind = after;
  while (bind != v.begin()) {
    --bind;
    if (bind->kind == K::kBind) break;
    if (bind->kind == K::kEnd && bind->first_ns <= at_ns) return std::nullopt;  // released before `at`
  }
  if (bind == v.end() || bind->kind != K::kBind || bind->first_ns > at_ns) return std::nullopt;
  const std::string& client = bind->client;
  // Back to the first binding of this client's unbroken run.
  auto first = bind;
  while (first != v.begin()) {
    auto prev = first - 1;
    if (prev->kind == K::kEnd || (prev->kind == K::kBind && prev->client != client)) break;
    first = prev;
  }
  // Forward to what ends the tenure.
  Lease lease;
  lease.ip = std::string(ip);
  lease.from_ns = first->first_ns;
  int64_t last_bind = bind->last_ns;
  auto it = bind + 1;
  for (; it != v.end(); ++it) {
    if (it->kind == K::kEnd && (it->client.empty() || it->client == client)) break;
    if (it->kind == K::kBind && it->client != client) break;
    if (it->kind == K::kBind) {
      if (it->first_ns > last_bind + max_lease_ns_) break;  // lapsed, then bound again: a new tenure
      last_bind = it->last_ns;
    }
  }
  const int64_t lapse = last_bind + max_lease_ns_;
  if (it != v.end() && it->first_ns <= lapse) {
    lease.to_ns = it->first_ns;
  } else {
    lease.to_ns = lapse;
    lease.to_estimated = true;
  }
  if (at_ns >= lease.to_ns) return std::nullopt;
  lease.mac = first->mac.empty() ? bind->mac : first->mac;
  lease.hostname = HostnameOf(v, client);
  lease.dataset = bind->dataset;
  auto end = it == v.end() ? v.end() : it + 1;
  for (auto e = first; e != end && lease.evidence.size() < 50; ++e) {
    if (e->client == client || e->client.empty() || e == it) lease.evidence.push_back(*e);
  }
  return lease;
}

std::optional<int64_t> LeaseIndex::FreedBefore(std::string_view ip, int64_t at_ns) const {
  using K = LeaseObservation::Kind;
  std::shared_lock lock(mu_);
  auto found = by_ip_.find(std::string(ip));
  if (found == by_ip_.end()) return std::nullopt;
  const auto& v = found->second;
  auto it = std::upper_bound(v.begin(), v.end(), at_ns, [](int64_t t, const LeaseObservation& o) { return t < o.first_ns; });
  while (it != v.begin()) {
    --it;
    if (it->kind == K::kEnd) return it->first_ns;
    if (it->kind == K::kBind) {
      int64_t lapse = it->last_ns + max_lease_ns_;
      return lapse <= at_ns ? std::optional<int64_t>(lapse) : std::nullopt;
    }
  }
  return std::nullopt;
}

size_t LeaseIndex::Size() const {
  std::shared_lock lock(mu_);
  return size_;
}

size_t LeaseIndex::Addresses() const {
  std::shared_lock lock(mu_);
  return by_ip_.size();
}

}  // namespace kamatama::investigate
