// server/lease_feed.h
//! Issue 26 (store.backend clickhouse): the DHCP lease index (investigate::LeaseIndex) of a node
//! kept current with the DHCP events other nodes received. At start-up Load reads every node's
//! DHCP events of the retention window from the cluster; then every `clickhouse.lease_poll` a
//! thread reads the DHCP events other nodes sent whose @timestamp is at most `lookback` older
//! than the previous poll's start (the events this node receives are observed as they arrive).
//! Each row (node, sequence number) is observed once: the rows of the lookback window are
//! remembered, so a row a replica had not yet when a poll ran is taken by the next one.
//! A DHCP event that reaches the cluster more than `lookback` after its own time (an imported
//! file, a node that spooled longer than that) is in the index after the next restart.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "clickhouse/client.h"
#include "core/status.h"
#include "investigate/lease_index.h"

namespace kamatama::server {

inline constexpr int64_t kLeaseLookbackNs = 3600LL * 1'000'000'000;

class ClusterLeaseFeed {
 public:
  ClusterLeaseFeed(const clickhouse::Client& client, std::string node, investigate::LeaseIndex* leases,
                   int64_t lookback_ns = kLeaseLookbackNs)
      : client_(client), node_(std::move(node)), leases_(leases), lookback_ns_(lookback_ns) {}
  ~ClusterLeaseFeed() { Stop(); }
  ClusterLeaseFeed(const ClusterLeaseFeed&) = delete;
  ClusterLeaseFeed& operator=(const ClusterLeaseFeed&) = delete;

  //! Every node's DHCP events from `from_ns` on (start-up); *events: how many were observed.
  Status Load(int64_t from_ns, uint64_t* events);
  //! Other nodes' DHCP events since the previous poll (less the lookback) not observed yet.
  Status Poll(uint64_t* events);
  //! Polls every `interval_ns` on a thread until Stop; `log` hears when polls start or stop failing.
  void Start(int64_t interval_ns, std::function<void(const std::string&)> log);
  void Stop();

 private:
  //! Observes the DHCP events from from_ns on not seen yet; remembers those from remember_from on.
  Status Read(int64_t from_ns, bool others_only, int64_t remember_from, uint64_t* events);

  const clickhouse::Client& client_;
  const std::string node_;
  investigate::LeaseIndex* leases_;
  const int64_t lookback_ns_;
  int64_t next_from_ = 0;  //!< the previous poll's (or the load's) start
  std::map<std::pair<std::string, uint64_t>, int64_t> seen_;  //!< rows of the lookback window -> @timestamp
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace kamatama::server
