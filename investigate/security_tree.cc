// investigate/security_tree.cc
//! The process tree from Windows Security process auditing alone (4688 created, 4689 exited):
//! no ProcessGuid, only pids (NewProcessId/ProcessId, hex in the event, decimal in process.pid
//! and process.parent.pid) that Windows reuses. A process is identified by host, pid and the
//! time of its 4688 ("pid:HOST:PID:START_NS"); its parent is the newest 4688 of the parent pid
//! on the host at or before the child's start, unless a 4689 of that pid came in between (then
//! the parent started before logging and is known from the child only); its children are the
//! 4688s naming its pid as parent while it lived (until its 4689, or the next 4688 reusing its
//! pid). Activity: Security 5156 connections and PowerShell logging by pid within the lifetime.
#include <algorithm>
#include <charconv>
#include <functional>
#include <set>

#include "core/time.h"
#include "investigate/logons.h"
#include "investigate/process_tree.h"
#include "investigate/tree_parts.h"

namespace kamatama::investigate {

namespace {

constexpr size_t kPidsPerQuery = 64;  // pids ORed into one query
// Sysmon 1 and Security 4688 of one start are logged this close together (or closer).
constexpr int64_t kSameStartNs = 5 * kNanosPerSecond;
constexpr std::string_view kStarts = "event.dataset:auth.windows_security AND event.code:4688";
constexpr std::string_view kEnds = "event.dataset:auth.windows_security AND event.code:4689";
constexpr std::string_view kConnections = "event.dataset:auth.windows_security AND event.code:5156";

class SecurityTreeBuilder {
 public:
  SecurityTreeBuilder(const Searcher& s, std::string host, int64_t from, int64_t to, const TreeLimits& limits)
      : s_(s), host_(std::move(host)), from_(from), to_(to), limits_(limits) {}

  Status Build(const std::string& pid, int64_t start_ns, ProcessTree* out);

 private:
  // Runs `where AND host AND (field:v1 OR ...)` over [from, to) in batches of values.
  Status ForValues(std::string_view where, std::string_view field, const std::vector<std::string>& values,
                   int64_t from, int64_t to, size_t limit, const std::function<void(Event&&)>& take);
  ProcessNode& TakeStart(Event&& ev);
  Status Ancestors(std::string id);
  Status Lifetimes(const std::vector<std::string>& ids);
  Status Descendants(const std::string& focus);
  Status Connections();
  // The node of `pid` alive at `ts` among `ids` (its start <= ts < its bound); "" if none.
  std::string AliveAt(const std::vector<std::string>& ids, std::string_view pid, int64_t ts) const;

  const Searcher& s_;
  const std::string host_;
  int64_t from_, to_;
  const TreeLimits& limits_;
  NodeMap nodes_;
  std::unordered_map<std::string, std::string> ppid_;   // id -> parent pid
  std::unordered_map<std::string, int64_t> bound_;      // id -> exit, or the pid's next reuse, or to_
  std::unordered_map<std::string, std::string> parent_name_, parent_exe_;
  bool truncated_ = false;
};

Status SecurityTreeBuilder::ForValues(std::string_view where, std::string_view field,
                                      const std::vector<std::string>& values, int64_t from, int64_t to, size_t limit,
                                      const std::function<void(Event&&)>& take) {
  for (size_t i = 0; i < values.size(); i += kPidsPerQuery) {
    std::vector<std::string> batch(values.begin() + i, values.begin() + std::min(values.size(), i + kPidsPerQuery));
    const std::string q = std::string(where) + " AND " + HostNameFilter(host_) + " AND " + AnyValue(field, batch);
    std::vector<Event> events;
    uint64_t matched = 0;
    if (Status st = s_.Find(q, from, to, limit, &events, &matched); !st.ok()) return st;
    if (matched > events.size()) truncated_ = true;
    std::reverse(events.begin(), events.end());  // oldest first
    for (Event& ev : events) {
      if (EqualNoCase(V(ev, "host.name"), host_)) take(std::move(ev));
    }
  }
  return Status::OK();
}

ProcessNode& SecurityTreeBuilder::TakeStart(Event&& ev) {
  const std::string id = PidEntityId(host_, V(ev, "process.pid"), ev.timestamp_ns);
  ProcessNode& n = nodes_[id];
  TakeStartFields(ev, &n);
  n.entity_id = id;
  ppid_[id] = V(ev, "process.parent.pid");
  parent_name_[id] = V(ev, "process.parent.name");
  parent_exe_[id] = V(ev, "process.parent.executable");
  return n;
}

Status SecurityTreeBuilder::Ancestors(std::string id) {
  for (size_t depth = 0; depth < limits_.max_depth; ++depth) {
    const std::string ppid = ppid_[id];
    const int64_t child_start = nodes_[id].start_ns;
    const std::string child_host = nodes_[id].host;
    if (ppid.empty() || !child_start) return Status::OK();
    std::vector<Event> found;
    const std::string q = std::string(kStarts) + " AND " + HostNameFilter(host_) + " AND process.pid:" + Quote(ppid);
    if (Status st = s_.Find(q, from_, child_start + 1, 1, &found); !st.ok()) return st;
    int64_t parent_start = found.empty() ? 0 : found[0].timestamp_ns;
    if (parent_start) {
      // A 4689 of that pid between the candidate's start and the child's: not its parent.
      std::vector<Event> exited;
      const std::string e = std::string(kEnds) + " AND " + HostNameFilter(host_) + " AND process.pid:" + Quote(ppid);
      if (Status st = s_.Find(e, parent_start, child_start, 1, &exited); !st.ok()) return st;
      if (!exited.empty()) parent_start = 0;
    }
    if (!parent_start) {
      const std::string pid_id = PidEntityId(host_, ppid, 0);
      ProcessNode& p = nodes_[pid_id];
      p.entity_id = pid_id;
      p.host = child_host;
      p.pid = ppid;
      p.name = parent_name_[id];
      p.executable = parent_exe_[id];
      nodes_[id].parent_entity_id = pid_id;
      return Status::OK();
    }
    const std::string parent_id = TakeStart(std::move(found[0])).entity_id;
    nodes_[id].parent_entity_id = parent_id;
    id = parent_id;
  }
  return Status::OK();
}

Status SecurityTreeBuilder::Lifetimes(const std::vector<std::string>& ids) {
  std::vector<std::string> pids;
  int64_t from = INT64_MAX;
  for (const std::string& id : ids) {
    const ProcessNode& n = nodes_[id];
    pids.push_back(n.pid);
    from = std::min(from, n.start_ns);
    bound_[id] = to_;
  }
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  const std::string where = "event.dataset:auth.windows_security AND (event.code:4688 OR event.code:4689)";
  return ForValues(where, "process.pid", pids, from, to_, 20'000, [&](Event&& ev) {
    const bool exit = V(ev, "event.code") == "4689";
    for (const std::string& id : ids) {
      ProcessNode& n = nodes_[id];
      if (n.pid != V(ev, "process.pid") || ev.timestamp_ns < n.start_ns || ev.timestamp_ns >= bound_[id]) continue;
      if (!exit && ev.timestamp_ns == n.start_ns) continue;  // its own start
      bound_[id] = ev.timestamp_ns;
      n.end_ns = exit ? ev.timestamp_ns : 0;
    }
  });
}

std::string SecurityTreeBuilder::AliveAt(const std::vector<std::string>& ids, std::string_view pid, int64_t ts) const {
  for (const std::string& id : ids) {
    const ProcessNode& n = nodes_.at(id);
    auto b = bound_.find(id);
    if (n.pid == pid && n.start_ns <= ts && (b == bound_.end() || ts <= b->second)) return id;
  }
  return "";
}

Status SecurityTreeBuilder::Descendants(const std::string& focus) {
  std::vector<std::string> frontier{focus};
  while (!frontier.empty()) {
    if (Status st = Lifetimes(frontier); !st.ok()) return st;
    std::vector<std::string> pids;
    int64_t from = INT64_MAX, to = INT64_MIN;
    for (const std::string& id : frontier) {
      pids.push_back(nodes_[id].pid);
      from = std::min(from, nodes_[id].start_ns);
      to = std::max(to, bound_[id]);
    }
    std::vector<std::string> next;
    Status st = ForValues(kStarts, "process.parent.pid", pids, from, to == INT64_MAX ? to : to + 1, limits_.max_nodes,
                          [&](Event&& ev) {
                            const std::string parent = AliveAt(frontier, V(ev, "process.parent.pid"), ev.timestamp_ns);
                            const std::string id = PidEntityId(host_, V(ev, "process.pid"), ev.timestamp_ns);
                            if (parent.empty() || nodes_.count(id)) return;
                            if (nodes_.size() >= limits_.max_nodes) {
                              truncated_ = true;
                              return;
                            }
                            TakeStart(std::move(ev)).parent_entity_id = parent;
                            next.push_back(id);
                          });
    if (!st.ok()) return st;
    frontier = std::move(next);
  }
  return Status::OK();
}

Status SecurityTreeBuilder::Connections() {
  std::vector<std::string> ids, pids;
  int64_t from = INT64_MAX, to = INT64_MIN;
  for (const auto& [id, n] : nodes_) {
    if (!n.start_ns) continue;
    if (!bound_.count(id)) bound_[id] = n.end_ns ? n.end_ns : to_;
    ids.push_back(id);
    pids.push_back(n.pid);
    from = std::min(from, n.start_ns);
    to = std::max(to, bound_[id]);
  }
  if (ids.empty()) return Status::OK();
  return ForValues(kConnections, "process.pid", pids, from, to == INT64_MAX ? to : to + 1, 20'000, [&](Event&& ev) {
    const std::string id = AliveAt(ids, V(ev, "process.pid"), ev.timestamp_ns);
    if (!id.empty()) AddActivity(&nodes_[id], "network", std::move(ev), limits_);
  });
}

Status SecurityTreeBuilder::Build(const std::string& pid, int64_t start_ns, ProcessTree* out) {
  std::vector<Event> found;
  const std::string q = std::string(kStarts) + " AND " + HostNameFilter(host_) + " AND process.pid:" + Quote(pid);
  if (Status st = s_.Find(q, start_ns, start_ns + 1, 10, &found); !st.ok()) return st;
  auto it = std::find_if(found.begin(), found.end(), [&](const Event& ev) { return EqualNoCase(V(ev, "host.name"), host_); });
  if (it == found.end()) return Status::NotFound("no 4688 of pid " + pid + " on " + host_ + " at that time");
  const std::string focus = TakeStart(std::move(*it)).entity_id;
  if (Status st = Ancestors(focus); !st.ok()) return st;
  if (Status st = Descendants(focus); !st.ok()) return st;
  {
    std::vector<std::string> rest;
    for (const auto& [id, n] : nodes_) {
      if (n.start_ns && !bound_.count(id)) rest.push_back(id);
    }
    if (Status st = Lifetimes(rest); !st.ok()) return st;
  }
  if (Status st = Connections(); !st.ok()) return st;
  if (Status st = PowerShellActivity(s_, &nodes_, from_, to_, limits_); !st.ok()) return st;
  if (Status st = LinkLogons(s_, &nodes_, from_, to_); !st.ok()) return st;
  FinishTree(&nodes_, focus, truncated_, limits_.max_depth, out);
  return Status::OK();
}

// "pid:HOST:PID:START_NS", split from the right (a host name may hold a colon: an address).
bool ParsePidEntityId(std::string_view id, std::string* host, std::string* pid, int64_t* start_ns) {
  if (id.substr(0, 4) != "pid:") return false;
  id.remove_prefix(4);
  const size_t c2 = id.rfind(':');
  if (c2 == std::string_view::npos || c2 == 0) return false;
  const size_t c1 = id.rfind(':', c2 - 1);
  if (c1 == std::string_view::npos || c1 == 0) return false;
  std::string_view start = id.substr(c2 + 1);
  auto [p, ec] = std::from_chars(start.data(), start.data() + start.size(), *start_ns);
  if (ec != std::errc() || p != start.data() + start.size()) return false;
  *host = id.substr(0, c1);
  *pid = id.substr(c1 + 1, c2 - c1 - 1);
  return !pid->empty();
}

}  // namespace

std::string PidEntityId(std::string_view host, std::string_view pid, int64_t start_ns) {
  return "pid:" + std::string(host) + ":" + std::string(pid) + ":" + std::to_string(start_ns);
}

bool IsPidEntityId(std::string_view id) { return id.substr(0, 4) == "pid:"; }

Status BuildSecurityProcessTree(const Searcher& searcher, std::string_view entity_id, int64_t from_ns, int64_t to_ns,
                                const TreeLimits& limits, ProcessTree* out) {
  std::string host, pid;
  int64_t start = 0;
  if (!ParsePidEntityId(entity_id, &host, &pid, &start)) return Status::InvalidArgument("bad process id: " + std::string(entity_id));
  if (!start) return Status::NotFound("process " + std::string(entity_id) + " is known from its children only");
  SecurityTreeBuilder builder(searcher, host, from_ns, to_ns, limits);
  return builder.Build(pid, start, out);
}

Status FindProcessStart(const Searcher& searcher, std::string_view host, std::string_view pid, int64_t at_ns,
                        std::string* entity_id) {
  const std::string q = "event.category:process AND event.type:start AND " + HostNameFilter(host) +
                        " AND process.pid:" + Quote(pid);
  std::vector<Event> found;
  if (Status st = searcher.Find(q, INT64_MIN, at_ns + 1, 20, &found); !st.ok()) return st;
  // The newest start; when Sysmon logged the same start (within seconds of the 4688), its GUID.
  const Event* newest = nullptr;
  for (const Event& ev : found) {
    if (!SameHost(V(ev, "host.name"), host)) continue;
    if (!newest) newest = &ev;
    if (newest->timestamp_ns - ev.timestamp_ns > kSameStartNs) break;
    if (!V(ev, "process.entity_id").empty()) {
      *entity_id = V(ev, "process.entity_id");
      return Status::OK();
    }
  }
  if (newest) {
    *entity_id = PidEntityId(V(*newest, "host.name"), pid, newest->timestamp_ns);
    return Status::OK();
  }
  return Status::NotFound("no start of pid " + std::string(pid) + " on " + std::string(host) + " before that time");
}

}  // namespace kamatama::investigate
