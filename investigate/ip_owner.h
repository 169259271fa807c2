// investigate/ip_owner.h
//! Which PC had an address at a time (issue 22): the DHCP lease (LeaseIndex), else the host's
//! own events that carry the address as theirs (Sysmon 3 and Security 5156 outbound connections,
//! host.ip), the nearest at or before the time within a day, else the nearest after it within an
//! hour. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "investigate/lease_index.h"
#include "investigate/searcher.h"

namespace kamatama::investigate {

struct OwnerAnswer {
  bool found = false;
  std::string ip, hostname, mac, dataset;
  std::string method;  //!< "dhcp" or "host-events"
  int64_t at_ns = 0, from_ns = 0, to_ns = 0;
  bool to_estimated = false;
  std::vector<std::string> evidence_json;  //!< JSON objects
};

//! The owner of `ip` at `at_ns`; found false when nothing tells.
Status ResolveOwner(const LeaseIndex& leases, const Searcher& searcher, std::string_view ip, int64_t at_ns,
                    OwnerAnswer* out);

//! {"ip","at","found","hostname","mac","from","to","to_estimated","dataset","method","evidence":[...]}
std::string OwnerJson(const OwnerAnswer& a);

}  // namespace kamatama::investigate
