// investigate/ip_owner.cc
#include "investigate/ip_owner.h"

#include <algorithm>
#include <cstdlib>

#include "core/json.h"
#include "investigate/json_out.h"
#include "core/time.h"
#include "investigate/sentence.h"

namespace kamatama::investigate {

namespace {

constexpr int64_t kLookBehindNs = kNanosPerDay;
constexpr int64_t kLookAheadNs = 3600 * kNanosPerSecond;
constexpr size_t kMaxEvidence = 20;


std::string ObservationJson(const LeaseObservation& o) {
  std::string out = "{";
  AppendMember(&out, "@timestamp", FormatRfc3339(o.first_ns), true);
  AppendMember(&out, "last", FormatRfc3339(o.last_ns));
  out += ",\"count\":" + std::to_string(o.count);
  AppendMember(&out, "event.dataset", o.dataset);
  AppendMember(&out, "event.action", o.action);
  AppendMember(&out, "source.mac", o.mac);
  AppendMember(&out, "dhcp.client.hostname", o.hostname);
  out += "}";
  return out;
}

std::string HostEventJson(const Event& ev) {
  std::string out = "{";
  AppendMember(&out, "@timestamp", FormatRfc3339(ev.timestamp_ns), true);
  const std::string* ds = ev.Get("event.dataset");
  AppendMember(&out, "event.dataset", ds ? *ds : "");
  const std::string* host = ev.Get("host.name");
  AppendMember(&out, "host.name", host ? *host : "");
  AppendMember(&out, "sentence", Sentence(ev));
  out += "}";
  return out;
}

// The host's own events carrying `ip` as its address.
// Not before `not_before` (DHCP says the address was free then).
Status FromHostEvents(const Searcher& searcher, std::string_view ip, int64_t at_ns, int64_t not_before,
                      OwnerAnswer* out) {
  const std::string q = "_exists_:host.name AND ((source.ip:" + Quote(ip) +
                        " AND (network.direction:egress OR event.code:5156)) OR host.ip:" + Quote(ip) + ")";
  std::vector<Event> events;
  if (Status s = searcher.Find(q, std::max(not_before, at_ns - kLookBehindNs), at_ns + 1, kMaxEvidence, &events); !s.ok()) return s;
  if (events.empty()) {
    if (Status s = searcher.Find(q, at_ns + 1, at_ns + kLookAheadNs, 1000, &events); !s.ok()) return s;
    if (events.size() > kMaxEvidence) events.erase(events.begin(), events.end() - kMaxEvidence);  // keep the oldest
  }
  if (events.empty()) return Status::OK();
  // The nearest event to `at` names the host; evidence is every event of that host.
  const Event* nearest = &events.front();
  for (const Event& ev : events) {
    if (std::llabs(ev.timestamp_ns - at_ns) < std::llabs(nearest->timestamp_ns - at_ns)) nearest = &ev;
  }
  const std::string host = *nearest->Get("host.name");
  out->found = true;
  out->method = "host-events";
  out->hostname = host;
  out->dataset = nearest->Get("event.dataset") ? *nearest->Get("event.dataset") : "";
  out->from_ns = INT64_MAX;
  out->to_ns = INT64_MIN;
  for (const Event& ev : events) {
    const std::string* h = ev.Get("host.name");
    if (!h || *h != host) continue;
    out->from_ns = std::min(out->from_ns, ev.timestamp_ns);
    out->to_ns = std::max(out->to_ns, ev.timestamp_ns);
    out->evidence_json.push_back(HostEventJson(ev));
  }
  out->to_estimated = true;
  return Status::OK();
}

}  // namespace

Status ResolveOwner(const LeaseIndex& leases, const Searcher& searcher, std::string_view ip, int64_t at_ns,
                    OwnerAnswer* out) {
  *out = OwnerAnswer{};
  out->ip = ip;
  out->at_ns = at_ns;
  if (auto lease = leases.OwnerAt(ip, at_ns)) {
    out->found = true;
    out->method = "dhcp";
    out->hostname = lease->hostname;
    out->mac = lease->mac;
    out->dataset = lease->dataset;
    out->from_ns = lease->from_ns;
    out->to_ns = lease->to_ns;
    out->to_estimated = lease->to_estimated;
    for (const auto& o : lease->evidence) out->evidence_json.push_back(ObservationJson(o));
    return Status::OK();
  }
  // Host events before the end of a DHCP lease (a release, a lapse) belong to its holder, not
  // to whoever has the address after it.
  return FromHostEvents(searcher, ip, at_ns, leases.FreedBefore(ip, at_ns).value_or(INT64_MIN), out);
}

std::string OwnerJson(const OwnerAnswer& a) {
  std::string out = "{";
  AppendMember(&out, "ip", a.ip, true);
  AppendMember(&out, "at", FormatRfc3339(a.at_ns));
  out += a.found ? ",\"found\":true" : ",\"found\":false";
  AppendMember(&out, "hostname", a.hostname);
  AppendMember(&out, "mac", a.mac);
  AppendMember(&out, "from", a.found ? FormatRfc3339(a.from_ns) : "");
  AppendMember(&out, "to", a.found ? FormatRfc3339(a.to_ns) : "");
  out += a.to_estimated ? ",\"to_estimated\":true" : ",\"to_estimated\":false";
  AppendMember(&out, "dataset", a.dataset);
  AppendMember(&out, "method", a.method);
  out += ",\"evidence\":[";
  for (size_t i = 0; i < a.evidence_json.size(); ++i) {
    if (i) out.push_back(',');
    out += a.evidence_json[i];
  }
  out += "]}";
  return out;
}

}  // namespace kamatama::investigate
