// investigate/connection.h
//! One connection as every source saw it (issue 22): the host's Sysmon 3 or Security 5156, the
//! firewall, the proxy and IDS lines (ECS source/destination fields, or Suricata EVE's src_ip/
//! dest_ip/src_port/dest_port) for the same source and destination address (and ports when given
//! and logged), within a clock-skew tolerance of the time: each sighting says how far its time
//! is from the one asked about and how well it matched. Beside them, the DNS answers that
//! resolved the destination before the connection (Sysmon 22 QueryResults, DNS server logs),
//! the ones from the same client first. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "investigate/searcher.h"

namespace kamatama::investigate {

//! How far back a DNS answer is looked for before a connection (a TTL rarely exceeds a day).
inline constexpr int64_t kDnsLookbackNs = 86'400LL * 1'000'000'000;
//! Sightings kept (the nearest in time to `at`) and DNS answers kept.
inline constexpr size_t kMaxSightings = 200;
inline constexpr size_t kMaxDnsAnswers = 5;

struct ConnectionQuery {
  std::string src, dst;          //!< addresses (required)
  std::string dport, sport;      //!< "" = any
  int64_t at_ns = 0;
  int64_t tolerance_ns = 0;      //!< sightings within at ± tolerance
};

struct Sighting {
  int64_t ts_ns = 0, offset_ns = 0;  //!< offset: ts - at
  std::string dataset, host, match;  //!< match: "5-tuple", "addresses+port", "addresses"
  std::string sentence, event_json;
};

struct DnsSighting {
  int64_t ts_ns = 0, offset_ns = 0;
  std::string name, dataset, client;  //!< client: source.ip, or the host a Sysmon 22 came from
  bool same_client = false;
  std::string sentence, event_json;
};

struct ConnectionProcess {
  std::string entity_id, name, host, pid, user;
};

struct ConnectionAnswer {
  ConnectionQuery query;
  std::vector<Sighting> sightings;  //!< by time
  std::vector<DnsSighting> dns;     //!< same client first, then newest first
  std::vector<ConnectionProcess> processes;  //!< from host-side sightings (Sysmon 3, 5156), per host and pid
  int64_t spread_ns = 0;            //!< latest - earliest sighting
  bool truncated = false;
};

Status JoinConnection(const Searcher& searcher, const ConnectionQuery& q, ConnectionAnswer* out);

//! {"src","dst","dport","sport","at","tolerance_ms","spread_ms","truncated",
//! "processes":[{"entity_id","name","host","pid","user"}],
//! "sightings":[{"@timestamp","offset_ms","dataset","host","match","sentence","event"}],
//! "dns":[{"@timestamp","offset_ms","name","dataset","client","same_client","sentence","event"}]}
std::string ConnectionJson(const ConnectionAnswer& a);

}  // namespace kamatama::investigate
