// investigate/tree_parts.cc
#include "investigate/tree_parts.h"

#include <algorithm>
#include <map>

#include "core/json.h"
#include "core/time.h"
#include "investigate/logons.h"
#include "investigate/sentence.h"

namespace kamatama::investigate {

namespace {
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

std::string_view V(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? std::string_view(*v) : std::string_view();
}

bool EqualNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string UserOf(const Event& ev) {
  std::string_view user = V(ev, "user.name"), domain = V(ev, "user.domain");
  if (user.empty()) return "";
  return domain.empty() ? std::string(user) : std::string(domain) + "\\" + std::string(user);
}

void TakeStartFields(const Event& ev, ProcessNode* n) {
  n->seen_start = true;
  n->start_ns = ev.timestamp_ns;
  n->host = V(ev, "host.name");
  n->pid = V(ev, "process.pid");
  n->executable = V(ev, "process.executable");
  n->name = V(ev, "process.name");
  n->command_line = V(ev, "process.command_line");
  n->command_line_decoded = V(ev, "process.command_line_decoded");
  n->user = UserOf(ev);
  n->logon_id = ProcessLogonId(ev);
}

void AddActivity(ProcessNode* node, const std::string& kind, Event&& ev, const TreeLimits& limits) {
  uint64_t& count = node->activity_counts[kind];
  ++count;
  auto& items = node->activity[kind];
  if (items.size() >= limits.max_activity_per_kind) return;
  ActivityItem item;
  item.ts_ns = ev.timestamp_ns;
  item.dataset = V(ev, "event.dataset");
  item.sentence = Sentence(ev);
  AppendEventJson(ev, &item.event_json);
  items.push_back(std::move(item));
}

Status PowerShellActivity(const Searcher& s, NodeMap* nodes, int64_t from, int64_t to, const TreeLimits& limits) {
  for (auto& [id, n] : *nodes) {
    if (n.pid.empty() || !n.start_ns || !(EqualNoCase(n.name, "powershell.exe") || EqualNoCase(n.name, "pwsh.exe")))
      continue;
    int64_t end = n.end_ns ? n.end_ns + kNanosPerSecond : std::min<int64_t>(to, n.start_ns + kNanosPerDay);
    std::string q = "event.module:powershell AND winlog.process.pid:" + Quote(n.pid);
    std::vector<Event> events;
    if (Status st = s.Find(q, std::max(from, n.start_ns - kNanosPerSecond), end, 5'000, &events); !st.ok()) return st;
    for (Event& ev : events) {
      if (SameHost(V(ev, "host.name"), n.host)) AddActivity(&n, "powershell", std::move(ev), limits);
    }
  }
  return Status::OK();
}

Status LinkLogons(const Searcher& s, NodeMap* nodes, int64_t from, int64_t to) {
  // host -> logon id -> the latest start of a process under it.
  std::map<std::string, std::map<std::string, int64_t>> wanted;
  for (const auto& [id, n] : *nodes) {
    if (n.logon_id.empty() || n.host.empty()) continue;
    int64_t& before = wanted[n.host][n.logon_id];
    before = std::max(before, n.start_ns ? n.start_ns : to);
  }
  for (const auto& [host, ids] : wanted) {
    std::map<std::string, LogonSession> sessions;
    if (Status st = SessionsByLogonId(s, host, ids, from, to, &sessions); !st.ok()) return st;
    for (auto& [id, n] : *nodes) {
      if (n.host != host) continue;
      auto it = sessions.find(n.logon_id);
      if (it != sessions.end()) n.logon = it->second;
    }
  }
  return Status::OK();
}

void FinishTree(NodeMap* nodes, const std::string& focus, bool truncated, size_t max_depth, ProcessTree* out) {
  std::string root = focus;
  for (size_t i = 0; i < max_depth; ++i) {
    auto it = nodes->find(root);
    if (it == nodes->end() || it->second.parent_entity_id.empty() || !nodes->count(it->second.parent_entity_id)) break;
    root = it->second.parent_entity_id;
  }
  out->root = root;
  out->focus = focus;
  out->truncated = truncated;
  out->nodes.clear();
  for (auto& [id, n] : *nodes) out->nodes.push_back(std::move(n));
  std::sort(out->nodes.begin(), out->nodes.end(), [&](const ProcessNode& a, const ProcessNode& b) {
    if ((a.entity_id == root) != (b.entity_id == root)) return a.entity_id == root;
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.entity_id < b.entity_id;
  });
}

bool SameHost(std::string_view event_host, std::string_view host) {
  if (host.empty()) return true;
  if (EqualNoCase(event_host, host)) return true;
  return event_host.size() > host.size() && event_host[host.size()] == '.' &&
         EqualNoCase(event_host.substr(0, host.size()), host);
}

}  // namespace kamatama::investigate
