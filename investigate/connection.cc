// investigate/connection.cc
#include "investigate/connection.h"

#include <algorithm>
#include <cstdlib>

#include "core/json.h"
#include "core/time.h"
#include "investigate/json_out.h"
#include "investigate/sentence.h"
#include "investigate/tree_parts.h"

namespace kamatama::investigate {

namespace {

// The first of these fields the event has ("" when none).
std::string_view First(const Event& ev, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    std::string_view v = V(ev, n);
    if (!v.empty()) return v;
  }
  return {};
}

std::string_view SrcIp(const Event& ev) { return First(ev, {"source.ip", "src_ip"}); }
std::string_view DstIp(const Event& ev) { return First(ev, {"destination.ip", "dest_ip"}); }
std::string_view SrcPort(const Event& ev) { return First(ev, {"source.port", "src_port"}); }
std::string_view DstPort(const Event& ev) { return First(ev, {"destination.port", "dest_port"}); }

// How the event matches the query; "" when it is another connection (a port that differs).
std::string MatchOf(const Event& ev, const ConnectionQuery& q) {
  if (SrcIp(ev) != q.src || DstIp(ev) != q.dst) return "";
  const std::string_view dport = DstPort(ev), sport = SrcPort(ev);
  if (!q.dport.empty() && !dport.empty() && dport != q.dport) return "";
  if (!q.sport.empty() && !sport.empty() && sport != q.sport) return "";
  if (!q.dport.empty() && dport == q.dport) return !q.sport.empty() && sport == q.sport ? "5-tuple" : "addresses+port";
  return "addresses";
}

// Sysmon 3 and Security 5156 are the host's own view: they name the process.
bool HostSide(const Event& ev) {
  return V(ev, "event.dataset") == "sysmon.network_connection" ||
         (V(ev, "event.dataset") == "auth.windows_security" && V(ev, "event.code") == "5156");
}

// The process a host-side event names, once per host and pid; Sysmon's (with its ProcessGuid and
// user) replaces a 5156's.
void AddProcess(const Event& ev, std::vector<ConnectionProcess>* out) {
  ConnectionProcess p{std::string(V(ev, "process.entity_id")), std::string(V(ev, "process.name")),
                      std::string(V(ev, "host.name")), std::string(V(ev, "process.pid")), UserOf(ev)};
  for (ConnectionProcess& q : *out) {
    if (q.host != p.host || q.pid != p.pid) continue;
    if (q.entity_id.empty() && !p.entity_id.empty()) q = std::move(p);
    return;
  }
  out->push_back(std::move(p));
}

Status Sightings(const Searcher& s, const ConnectionQuery& q, ConnectionAnswer* out) {
  const std::string where = "(source.ip:" + Quote(q.src) + " OR src_ip:" + Quote(q.src) + ") AND (destination.ip:" +
                            Quote(q.dst) + " OR dest_ip:" + Quote(q.dst) + ")";
  std::vector<Event> events;
  uint64_t matched = 0;
  const int64_t from = q.at_ns - q.tolerance_ns, to = q.at_ns + q.tolerance_ns + 1;
  if (Status st = s.Find(where, from, to, 10 * kMaxSightings, &events, &matched); !st.ok()) return st;
  out->truncated = matched > events.size();
  for (Event& ev : events) {
    std::string match = MatchOf(ev, q);
    if (match.empty()) continue;
    if (HostSide(ev)) AddProcess(ev, &out->processes);
    Sighting sg{ev.timestamp_ns, ev.timestamp_ns - q.at_ns, std::string(V(ev, "event.dataset")),
                std::string(V(ev, "host.name")), std::move(match), Sentence(ev), {}};
    AppendEventJson(ev, &sg.event_json);
    out->sightings.push_back(std::move(sg));
  }
  auto& v = out->sightings;
  if (v.size() > kMaxSightings) {  // the nearest to `at`
    std::partial_sort(v.begin(), v.begin() + kMaxSightings, v.end(), [](const Sighting& a, const Sighting& b) {
      return std::llabs(a.offset_ns) < std::llabs(b.offset_ns);
    });
    v.resize(kMaxSightings);
    out->truncated = true;
  }
  std::sort(v.begin(), v.end(), [](const Sighting& a, const Sighting& b) { return a.ts_ns < b.ts_ns; });
  if (!v.empty()) out->spread_ns = v.back().ts_ns - v.front().ts_ns;
  return Status::OK();
}

// DNS answers holding the destination (the address is a token of the event), up to the
// connection (plus the tolerance: the DNS server's clock may be ahead).
Status DnsAnswers(const Searcher& s, const ConnectionQuery& q, const std::vector<std::string>& client_hosts,
                  ConnectionAnswer* out) {
  const std::string where =
      "_exists_:dns.question.name AND NOT dns.question.name:" + Quote(q.dst) + " AND NOT dns.type:query AND " + Quote(q.dst);
  std::vector<Event> events;
  if (Status st = s.Find(where, q.at_ns - kDnsLookbackNs, q.at_ns + q.tolerance_ns + 1, 1'000, &events); !st.ok())
    return st;
  for (Event& ev : events) {
    DnsSighting d;
    d.ts_ns = ev.timestamp_ns;
    d.offset_ns = ev.timestamp_ns - q.at_ns;
    d.name = V(ev, "dns.question.name");
    d.dataset = V(ev, "event.dataset");
    const std::string_view client = SrcIp(ev);
    if (!client.empty()) {
      d.client = client;
      d.same_client = client == q.src;
    } else if (V(ev, "event.dataset") == "sysmon.dns_query") {
      d.client = V(ev, "host.name");
      for (const std::string& h : client_hosts) d.same_client = d.same_client || EqualNoCase(h, d.client);
    }
    d.sentence = Sentence(ev);
    AppendEventJson(ev, &d.event_json);
    out->dns.push_back(std::move(d));
  }
  std::stable_sort(out->dns.begin(), out->dns.end(), [](const DnsSighting& a, const DnsSighting& b) {
    if (a.same_client != b.same_client) return a.same_client;
    return a.ts_ns > b.ts_ns;
  });
  if (out->dns.size() > kMaxDnsAnswers) out->dns.resize(kMaxDnsAnswers);
  return Status::OK();
}

std::string Ms(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

}  // namespace

Status JoinConnection(const Searcher& searcher, const ConnectionQuery& q, ConnectionAnswer* out) {
  *out = ConnectionAnswer{};
  out->query = q;
  if (Status st = Sightings(searcher, q, out); !st.ok()) return st;
  std::vector<std::string> hosts;
  for (const Sighting& sg : out->sightings) {
    if (!sg.host.empty() && std::find(hosts.begin(), hosts.end(), sg.host) == hosts.end()) hosts.push_back(sg.host);
  }
  return DnsAnswers(searcher, q, hosts, out);
}

std::string ConnectionJson(const ConnectionAnswer& a) {
  std::string out = "{";
  AppendMember(&out, "src", a.query.src, true);
  AppendMember(&out, "dst", a.query.dst);
  AppendMember(&out, "dport", a.query.dport);
  AppendMember(&out, "sport", a.query.sport);
  AppendMember(&out, "at", FormatRfc3339(a.query.at_ns));
  out += ",\"tolerance_ms\":" + Ms(a.query.tolerance_ns) + ",\"spread_ms\":" + Ms(a.spread_ns);
  out += a.truncated ? ",\"truncated\":true" : ",\"truncated\":false";
  out += ",\"processes\":[";
  for (size_t i = 0; i < a.processes.size(); ++i) {
    const ConnectionProcess& p = a.processes[i];
    out += i ? ",{" : "{";
    AppendMember(&out, "entity_id", p.entity_id, true);
    AppendMember(&out, "name", p.name);
    AppendMember(&out, "host", p.host);
    AppendMember(&out, "pid", p.pid);
    AppendMember(&out, "user", p.user);
    out += "}";
  }
  out += "]";
  out += ",\"sightings\":[";
  for (size_t i = 0; i < a.sightings.size(); ++i) {
    const Sighting& s = a.sightings[i];
    out += i ? ",{" : "{";
    AppendMember(&out, "@timestamp", FormatRfc3339(s.ts_ns), true);
    out += ",\"offset_ms\":" + Ms(s.offset_ns);
    AppendMember(&out, "dataset", s.dataset);
    AppendMember(&out, "host", s.host);
    AppendMember(&out, "match", s.match);
    AppendMember(&out, "sentence", s.sentence);
    out += ",\"event\":" + s.event_json + "}";
  }
  out += "],\"dns\":[";
  for (size_t i = 0; i < a.dns.size(); ++i) {
    const DnsSighting& d = a.dns[i];
    out += i ? ",{" : "{";
    AppendMember(&out, "@timestamp", FormatRfc3339(d.ts_ns), true);
    out += ",\"offset_ms\":" + Ms(d.offset_ns);
    AppendMember(&out, "name", d.name);
    AppendMember(&out, "dataset", d.dataset);
    AppendMember(&out, "client", d.client);
    out += d.same_client ? ",\"same_client\":true" : ",\"same_client\":false";
    AppendMember(&out, "sentence", d.sentence);
    out += ",\"event\":" + d.event_json + "}";
  }
  out += "]}";
  return out;
}

}  // namespace kamatama::investigate
