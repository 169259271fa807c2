// investigate/entity.cc
#include "investigate/entity.h"

#include <algorithm>
#include <unordered_map>

#include "core/time.h"
#include "investigate/json_out.h"
#include "investigate/logons.h"
#include "investigate/process_tree.h"
#include "investigate/sentence.h"

namespace kamatama::investigate {

namespace {

struct RelationSpec {
  const char* name;
  const char* type;
  const char* field;
};

// What is counted beside an entity of each type.
std::vector<RelationSpec> RelationsOf(EntityType t) {
  switch (t) {
    case EntityType::kHost:
      return {{"users", "user", "user.name"}, {"processes", "process", "process.name"},
              {"addresses", "ip", "source.ip"}, {"destinations", "ip", "destination.ip"},
              {"domains queried", "domain", "dns.question.name"}};
    case EntityType::kUser:
      return {{"hosts", "host", "host.name"}, {"source addresses", "ip", "source.ip"},
              {"processes", "process", "process.name"}};
    case EntityType::kIp:
      return {{"hosts", "host", "host.name"}, {"users", "user", "user.name"}, {"sources", "ip", "source.ip"},
              {"destinations", "ip", "destination.ip"}, {"processes", "process", "process.name"},
              {"domains", "domain", "dns.question.name"}};
    case EntityType::kProcess:
      return {{"hosts", "host", "host.name"}, {"users", "user", "user.name"},
              {"destinations", "ip", "destination.ip"}, {"domains queried", "domain", "dns.question.name"}};
    case EntityType::kHash:
      return {{"hosts", "host", "host.name"}, {"processes", "process", "process.name"}, {"users", "user", "user.name"},
              {"paths", "", "process.executable"}};
    case EntityType::kDomain:
      return {{"clients", "ip", "source.ip"}, {"hosts", "host", "host.name"}, {"processes", "process", "process.name"},
              {"destinations", "ip", "destination.ip"}};
  }
  return {};
}

// The filter naming the entity. A host also matches its fully qualified names (WORKSTATION5 finds
// WORKSTATION5.theshire.local).
std::string EntityFilter(EntityType t, std::string_view value) {
  std::string q = AnyField(EntityFields(t), value);
  if (t == EntityType::kHost) q = "(" + q + " OR " + HostNameFilter(value) + ")";
  return q;
}

struct Accumulator {
  uint64_t total = 0;
  int64_t first = INT64_MAX, last = INT64_MIN;
  std::unordered_map<std::string, uint64_t> datasets;
  std::vector<std::unordered_map<std::string, uint64_t>> related;
};

constexpr size_t kMaxDistinctPerRelation = 100'000;  // per scanning thread

std::vector<RelatedValue> Top(const std::unordered_map<std::string, uint64_t>& counts, size_t n) {
  std::vector<RelatedValue> out;
  for (const auto& [v, c] : counts) out.push_back({v, c});
  size_t k = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + k, out.end(), [](const RelatedValue& a, const RelatedValue& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  });
  out.resize(k);
  return out;
}

Status Count(const Searcher& s, const std::string& q, const std::vector<RelationSpec>& specs, int64_t from, int64_t to,
             std::string_view self, EntityAnswer* out, std::vector<std::unordered_map<std::string, uint64_t>>* related) {
  std::vector<Accumulator> acc(store::ScanOptions::kMaxScanWorkers);
  std::vector<std::string> fields{"event.dataset"};
  for (const auto& r : specs) fields.push_back(r.field);
  Status st = s.Visit(q, from, to, fields, [&](unsigned w, const FieldAccessor& row, int64_t ts) {
    Accumulator& a = acc[w];
    if (a.related.empty()) a.related.resize(specs.size());
    ++a.total;
    a.first = std::min(a.first, ts);
    a.last = std::max(a.last, ts);
    std::string_view v;
    if (row.Get("event.dataset", &v)) ++a.datasets[std::string(v)];
    for (size_t i = 0; i < specs.size(); ++i) {
      if (!row.Get(specs[i].field, &v) || v.empty() || v == "-" || v == self) continue;
      auto& m = a.related[i];
      auto it = m.find(std::string(v));
      if (it != m.end()) ++it->second;
      else if (m.size() < kMaxDistinctPerRelation) m.emplace(std::string(v), 1);
    }
  });
  if (!st.ok()) return st;
  related->resize(specs.size());
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const Accumulator& a : acc) {
    out->total += a.total;
    first = std::min(first, a.first);
    last = std::max(last, a.last);
    for (const auto& [ds, c] : a.datasets) out->datasets[ds] += c;
    for (size_t i = 0; i < a.related.size(); ++i) {
      for (const auto& [v, c] : a.related[i]) (*related)[i][v] += c;
    }
  }
  if (out->total) {
    out->first_ns = first;
    out->last_ns = last;
  }
  return Status::OK();
}

// Domains whose answers held the address (Sysmon 22 QueryResults, DNS server answers): the
// address is in the original line of a DNS event.
Status DomainsResolvedTo(const Searcher& s, std::string_view ip, int64_t from, int64_t to, size_t top, Relation* out) {
  std::unordered_map<std::string, uint64_t> counts;
  const std::string q = "_exists_:dns.question.name AND NOT dns.question.name:" + Quote(ip) + " AND " + Quote(ip);
  std::vector<Event> events;
  if (Status f = s.Find(q, from, to, 2'000, &events); !f.ok()) return f;
  for (const Event& ev : events) {
    if (const std::string* name = ev.Get("dns.question.name")) ++counts[*name];
  }
  out->name = "domains resolved to it";
  out->type = "domain";
  out->top = Top(counts, top);
  return Status::OK();
}

}  // namespace

std::optional<EntityType> ParseEntityType(std::string_view name) {
  static const std::pair<std::string_view, EntityType> kNames[] = {
      {"host", EntityType::kHost}, {"user", EntityType::kUser}, {"ip", EntityType::kIp},
      {"process", EntityType::kProcess}, {"hash", EntityType::kHash}, {"domain", EntityType::kDomain}};
  for (const auto& [n, t] : kNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

std::string_view EntityTypeName(EntityType t) {
  switch (t) {
    case EntityType::kHost: return "host";
    case EntityType::kUser: return "user";
    case EntityType::kIp: return "ip";
    case EntityType::kProcess: return "process";
    case EntityType::kHash: return "hash";
    case EntityType::kDomain: return "domain";
  }
  return "";
}

const std::vector<std::string>& EntityFields(EntityType t) {
  static const std::vector<std::string> kHost{"host.name", "dhcp.client.hostname", "source.domain"};
  static const std::vector<std::string> kUser{"user.name", "user.target.name", "source.user.name", "destination.user.name"};
  static const std::vector<std::string> kIp{"source.ip", "destination.ip", "client.ip", "server.ip", "host.ip"};
  static const std::vector<std::string> kProcess{"process.entity_id", "process.parent.entity_id", "process.target.entity_id"};
  static const std::vector<std::string> kHash{"process.hash.sha256", "process.hash.sha1", "process.hash.md5",
                                              "file.hash.sha256", "file.hash.sha1", "file.hash.md5", "process.pe.imphash"};
  static const std::vector<std::string> kDomain{"dns.question.name", "url.domain", "destination.domain"};
  switch (t) {
    case EntityType::kHost: return kHost;
    case EntityType::kUser: return kUser;
    case EntityType::kIp: return kIp;
    case EntityType::kProcess: return kProcess;
    case EntityType::kHash: return kHash;
    case EntityType::kDomain: return kDomain;
  }
  return kHost;
}

std::optional<EntityType> EntityTypeOfField(std::string_view field) {
  for (EntityType t : {EntityType::kHost, EntityType::kUser, EntityType::kIp, EntityType::kProcess, EntityType::kHash,
                       EntityType::kDomain}) {
    for (const auto& f : EntityFields(t)) {
      if (f == field) return t;
    }
  }
  return std::nullopt;
}

Status DescribeEntity(const Searcher& s, EntityType type, std::string_view value, int64_t from_ns, int64_t to_ns,
                      const EntityLimits& limits, EntityAnswer* out) {
  *out = EntityAnswer{};
  out->type = type;
  out->value = value;
  out->from_ns = from_ns;
  out->to_ns = to_ns;
  const std::string q = EntityFilter(type, value);
  const auto specs = RelationsOf(type);
  std::vector<std::unordered_map<std::string, uint64_t>> related;
  if (Status st = Count(s, q, specs, from_ns, to_ns, value, out, &related); !st.ok()) return st;
  for (size_t i = 0; i < specs.size(); ++i) {
    Relation r{specs[i].name, specs[i].type, Top(related[i], limits.related_top)};
    if (!r.top.empty()) out->related.push_back(std::move(r));
  }
  if (type == EntityType::kIp) {
    Relation domains;
    if (Status st = DomainsResolvedTo(s, value, from_ns, to_ns, limits.related_top, &domains); !st.ok()) return st;
    if (!domains.top.empty()) out->related.push_back(std::move(domains));
  }
  if (type == EntityType::kHost || type == EntityType::kUser) {
    const std::string who = type == EntityType::kHost ? EntityFilter(type, value) : "user.name:" + Quote(value);
    if (Status st = FindSessions(s, who, from_ns, to_ns, limits.sessions, &out->sessions); !st.ok()) return st;
  }
  std::vector<Event> events;
  if (Status st = s.Find(q, from_ns, to_ns, limits.timeline, &events); !st.ok()) return st;
  if (type == EntityType::kProcess) {
    // A busy process's start is older than its newest events: it ends the timeline anyway.
    std::vector<Event> start;
    const std::string sq = "process.entity_id:" + Quote(value) + " AND event.category:process AND event.type:start";
    if (Status st = s.Find(sq, from_ns, to_ns, 1, &start); !st.ok()) return st;
    if (!start.empty() && (events.empty() || events.back().timestamp_ns > start[0].timestamp_ns))
      events.push_back(std::move(start[0]));
  }
  for (const Event& ev : events) {
    TimelineItem item{Sentence(ev), {}};
    AppendEventJson(ev, &item.event_json);
    out->timeline.push_back(std::move(item));
  }
  return Status::OK();
}

namespace {
std::string Time(int64_t ns) { return ns == 0 || ns == INT64_MIN || ns == INT64_MAX ? "" : FormatRfc3339(ns); }
}  // namespace

std::string EntityJson(const EntityAnswer& a) {
  std::string out = "{";
  AppendMember(&out, "type", EntityTypeName(a.type), true);
  AppendMember(&out, "value", a.value);
  AppendMember(&out, "from", Time(a.from_ns));
  AppendMember(&out, "to", Time(a.to_ns));
  out += ",\"total\":" + std::to_string(a.total);
  AppendMember(&out, "first_seen", a.total ? FormatRfc3339(a.first_ns) : "");
  AppendMember(&out, "last_seen", a.total ? FormatRfc3339(a.last_ns) : "");
  out += ",\"datasets\":{";
  bool first = true;
  for (const auto& [ds, c] : a.datasets) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(&out, ds);
    out += ":" + std::to_string(c);
  }
  out += "},\"related\":[";
  for (size_t i = 0; i < a.related.size(); ++i) {
    if (i) out.push_back(',');
    out += "{";
    AppendMember(&out, "name", a.related[i].name, true);
    AppendMember(&out, "type", a.related[i].type);
    out += ",\"top\":[";
    for (size_t j = 0; j < a.related[i].top.size(); ++j) {
      if (j) out.push_back(',');
      out += "{";
      AppendMember(&out, "value", a.related[i].top[j].value, true);
      out += ",\"count\":" + std::to_string(a.related[i].top[j].count) + "}";
    }
    out += "]}";
  }
  out += "],\"sessions\":[";
  for (size_t i = 0; i < a.sessions.size(); ++i) {
    if (i) out.push_back(',');
    AppendSessionJson(a.sessions[i], &out);
  }
  out += "],\"timeline\":[";
  for (size_t i = 0; i < a.timeline.size(); ++i) {
    if (i) out.push_back(',');
    out += "{";
    AppendMember(&out, "sentence", a.timeline[i].sentence, true);
    out += ",\"event\":" + a.timeline[i].event_json + "}";
  }
  out += "]}";
  return out;
}

}  // namespace kamatama::investigate
