// investigate/lease_index.h
//! Which machine held an IP address at a time, from DHCP (issue 22). The index keeps, per
//! address, the DHCP observations of every dataset the parsers emit (dhcp.isc, dhcp.dnsmasq,
//! dhcp.kea, dhcp.windows; DHCPv4 and v6): bindings (ack, assign, renew, bound, reply), ends
//! (release, expiry, deletion, decline) and hints (offer, request: a host name for a MAC).
//! Consecutive bindings of one client arriving in time order collapse into one observation, so
//! a host renewing every hour costs one entry per tenure, not one per renewal.
//!
//! A lease of address A to client C (by MAC, else client id, else host name) runs from the first
//! binding of an unbroken run of C's bindings to the first of: an end for A, a binding of A to
//! another client, or C's last binding + `max_lease` (no DHCP server logs every expiry).
//!
//! Fed by Observe() for every stored event (the pipeline's observer) and, at start-up, from the
//! store over the retention window. Thread-safe: Observe takes a writer lock, OwnerAt a reader lock.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace kamatama::investigate {

//! Longest a binding is assumed to last without a renewal or end (ISC's default max-lease-time
//! is 1 day; Windows DHCP's default lease is 8 days).
inline constexpr int64_t kDefaultMaxLeaseNs = 8LL * 86'400 * 1'000'000'000;

struct LeaseObservation {
  enum class Kind : uint8_t { kBind, kEnd, kHint };
  Kind kind = Kind::kHint;
  int64_t first_ns = 0;  //!< first event of the run
  int64_t last_ns = 0;   //!< last event of the run (== first_ns for one event)
  uint32_t count = 1;    //!< events collapsed into this observation
  std::string client;    //!< the identity leases are compared by (MAC, client id or host name)
  std::string mac, hostname, dataset, action;
};

struct Lease {
  std::string ip, hostname, mac, dataset;
  int64_t from_ns = 0;
  int64_t to_ns = 0;          //!< exclusive
  bool to_estimated = false;  //!< no end was seen: last binding + max lease, or now
  std::vector<LeaseObservation> evidence;  //!< the observations of this tenure, oldest first
};

class LeaseIndex {
 public:
  explicit LeaseIndex(int64_t max_lease_ns = kDefaultMaxLeaseNs) : max_lease_ns_(max_lease_ns) {}

  //! Takes a DHCP event (event.dataset dhcp.*) into the index; other events are ignored cheaply.
  void Observe(const Event& ev);
  //! The lease of `ip` covering `at_ns`, or nullopt.
  std::optional<Lease> OwnerAt(std::string_view ip, int64_t at_ns) const;
  //! When DHCP says `ip` was free at `at_ns`: the time of the end (release, expiry) of its last
  //! lease before `at_ns`, or of its lapse; nullopt when no lease of it ended before `at_ns`.
  std::optional<int64_t> FreedBefore(std::string_view ip, int64_t at_ns) const;
  //! Observations held (for the start-up log and tests).
  size_t Size() const;
  //! Addresses held.
  size_t Addresses() const;

 private:
  void Insert(const std::string& ip, LeaseObservation obs);
  std::string HostnameOf(const std::vector<LeaseObservation>& obs, const std::string& client) const;
  const int64_t max_lease_ns_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::vector<LeaseObservation>> by_ip_;  // each sorted by first_ns
  size_t size_ = 0;
};

}  // namespace kamatama::investigate
