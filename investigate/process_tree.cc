// investigate/process_tree.cc
#include "investigate/process_tree.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/json.h"
#include "investigate/json_out.h"
#include "core/time.h"
#include "investigate/sentence.h"

namespace kamatama::investigate {

namespace {

constexpr size_t kIdsPerQuery = 64;  // entity ids ORed into one query
constexpr std::string_view kStarts = "(event.dataset:sysmon.process_create)";
constexpr std::string_view kEnds = "(event.dataset:sysmon.process_terminate)";

std::string_view V(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? std::string_view(*v) : std::string_view();
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

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

// What kind of activity an event of a process is (Sysmon event and PowerShell datasets).
std::string KindOf(std::string_view dataset) {
  static const std::pair<std::string_view, std::string_view> kKinds[] = {
      {"sysmon.network_connection", "network"}, {"sysmon.dns_query", "dns"},
      {"sysmon.file_create", "file_create"},     {"sysmon.file_delete", "file_delete"},
      {"sysmon.registry", "registry"},            {"sysmon.image_load", "image_load"},
      {"sysmon.process_access", "process_access"}, {"powershell.", "powershell"},
      {"sysmon.create_remote_thread", "remote_thread"}, {"sysmon.pipe", "pipe"},
  };
  for (const auto& [prefix, kind] : kKinds) {
    if (dataset.substr(0, prefix.size()) == prefix) return std::string(kind);
  }
  return "other";
}

class TreeBuilder {
 public:
  TreeBuilder(const Searcher& s, std::string_view host, int64_t from, int64_t to, const TreeLimits& limits)
      : s_(s), host_(host), from_(from), to_(to), limits_(limits) {}

  Status Build(std::string_view focus, ProcessTree* out);

 private:
  // Runs `where AND (field:id1 OR ...)` for the ids, in batches; events on other hosts are skipped.
  Status ForIds(std::string_view where, std::string_view field, const std::vector<std::string>& ids, size_t limit,
                const std::function<void(Event&&)>& take);
  void TakeStart(Event&& ev);
  void TakeEnd(const Event& ev);
  Status Ancestors(const std::string& focus);
  Status Descendants(const std::string& focus);
  Status Activity();
  Status PowerShellActivity();
  void AddActivity(ProcessNode* node, std::string kind, Event&& ev);

  const Searcher& s_;
  std::string_view host_;
  int64_t from_, to_;
  const TreeLimits& limits_;
  std::unordered_map<std::string, ProcessNode> nodes_;
  bool truncated_ = false;
};

Status TreeBuilder::ForIds(std::string_view where, std::string_view field, const std::vector<std::string>& ids,
                           size_t limit, const std::function<void(Event&&)>& take) {
  for (size_t i = 0; i < ids.size(); i += kIdsPerQuery) {
    std::vector<std::string> batch(ids.begin() + i, ids.begin() + std::min(ids.size(), i + kIdsPerQuery));
    std::string q = std::string(where) + " AND " + AnyValue(field, batch);
    std::vector<Event> events;
    uint64_t matched = 0;
    if (Status st = s_.Find(q, from_, to_, limit, &events, &matched); !st.ok()) return st;
    if (matched > events.size()) truncated_ = true;
    for (Event& ev : events) {
      if (SameHost(V(ev, "host.name"), host_)) take(std::move(ev));
    }
  }
  return Status::OK();
}

void TreeBuilder::TakeStart(Event&& ev) {
  std::string id(V(ev, "process.entity_id"));
  if (id.empty()) return;
  ProcessNode& n = nodes_[id];
  n.entity_id = id;
  n.seen_start = true;
  n.start_ns = ev.timestamp_ns;
  n.parent_entity_id = V(ev, "process.parent.entity_id");
  n.host = V(ev, "host.name");
  n.pid = V(ev, "process.pid");
  n.executable = V(ev, "process.executable");
  n.name = V(ev, "process.name");
  n.command_line = V(ev, "process.command_line");
  n.command_line_decoded = V(ev, "process.command_line_decoded");
  n.user = UserOf(ev);
  n.logon_id = V(ev, "winlog.event_data.LogonId");
  // The parent as this event describes it, until (unless) its own start is found.
  if (!n.parent_entity_id.empty()) {
    ProcessNode& p = nodes_[n.parent_entity_id];
    if (!p.seen_start) {
      p.entity_id = n.parent_entity_id;
      p.host = n.host;
      p.pid = V(ev, "process.parent.pid");
      p.executable = V(ev, "process.parent.executable");
      p.name = V(ev, "process.parent.name");
      p.command_line = V(ev, "process.parent.command_line");
    }
  }
}

void TreeBuilder::TakeEnd(const Event& ev) {
  auto it = nodes_.find(std::string(V(ev, "process.entity_id")));
  if (it != nodes_.end()) it->second.end_ns = ev.timestamp_ns;
}

Status TreeBuilder::Ancestors(const std::string& focus) {
  std::string id = focus;
  std::set<std::string> seen;
  for (size_t depth = 0; depth < limits_.max_depth && !id.empty() && seen.insert(id).second; ++depth) {
    auto it = nodes_.find(id);
    if (it == nodes_.end() || !it->second.seen_start) {
      Status st = ForIds(kStarts, "process.entity_id", {id}, 1, [this](Event&& ev) { TakeStart(std::move(ev)); });
      if (!st.ok()) return st;
      it = nodes_.find(id);
    }
    if (it == nodes_.end()) break;
    id = it->second.parent_entity_id;
  }
  return Status::OK();
}

Status TreeBuilder::Descendants(const std::string& focus) {
  std::vector<std::string> frontier{focus};
  while (!frontier.empty()) {
    std::vector<std::string> next;
    Status st = ForIds(kStarts, "process.parent.entity_id", frontier, limits_.max_nodes, [&](Event&& ev) {
      std::string id(V(ev, "process.entity_id"));
      if (id.empty() || (nodes_.count(id) && nodes_[id].seen_start)) return;
      if (nodes_.size() >= limits_.max_nodes) {
        truncated_ = true;
        return;
      }
      next.push_back(id);
      TakeStart(std::move(ev));
    });
    if (!st.ok()) return st;
    frontier = std::move(next);
  }
  return Status::OK();
}

void TreeBuilder::AddActivity(ProcessNode* node, std::string kind, Event&& ev) {
  uint64_t& count = node->activity_counts[kind];
  ++count;
  auto& items = node->activity[kind];
  if (items.size() >= limits_.max_activity_per_kind) return;
  ActivityItem item;
  item.ts_ns = ev.timestamp_ns;
  item.dataset = V(ev, "event.dataset");
  item.sentence = Sentence(ev);
  AppendEventJson(ev, &item.event_json);
  items.push_back(std::move(item));
}

Status TreeBuilder::Activity() {
  std::vector<std::string> ids;
  for (const auto& [id, n] : nodes_) ids.push_back(id);
  std::string where = std::string("NOT ") + std::string(kStarts) + " NOT " + std::string(kEnds);
  return ForIds(where, "process.entity_id", ids, 20'000, [this](Event&& ev) {
    auto it = nodes_.find(std::string(V(ev, "process.entity_id")));
    if (it != nodes_.end()) AddActivity(&it->second, KindOf(V(ev, "event.dataset")), std::move(ev));
  });
}

// PowerShell 4103/4104 name no ProcessGuid: they are the powershell process whose pid logged
// them (winlog.process.pid) on the same host while it ran.
Status TreeBuilder::PowerShellActivity() {
  for (auto& [id, n] : nodes_) {
    std::string lower;
    for (char c : n.name) lower.push_back(Lower(c));
    if (n.pid.empty() || !n.start_ns || (lower != "powershell.exe" && lower != "pwsh.exe")) continue;
    int64_t end = n.end_ns ? n.end_ns + kNanosPerSecond : std::min<int64_t>(to_, n.start_ns + kNanosPerDay);
    std::string q = "event.module:powershell AND winlog.process.pid:" + Quote(n.pid);
    std::vector<Event> events;
    if (Status st = s_.Find(q, std::max(from_, n.start_ns - kNanosPerSecond), end, 5'000, &events); !st.ok()) return st;
    for (Event& ev : events) {
      if (SameHost(V(ev, "host.name"), n.host)) AddActivity(&n, "powershell", std::move(ev));
    }
  }
  return Status::OK();
}

Status TreeBuilder::Build(std::string_view focus_view, ProcessTree* out) {
  std::string focus(focus_view);
  if (Status st = Ancestors(focus); !st.ok()) return st;
  if (nodes_.find(focus) == nodes_.end()) {
    // No start event (it began before logging): any event of it makes it a node.
    Status st = ForIds("*", "process.entity_id", {focus}, 1, [&](Event&& ev) {
      ProcessNode& n = nodes_[focus];
      n.entity_id = focus;
      n.host = V(ev, "host.name");
      n.pid = V(ev, "process.pid");
      n.executable = V(ev, "process.executable");
      n.name = V(ev, "process.name");
    });
    if (!st.ok()) return st;
    if (nodes_.find(focus) == nodes_.end()) return Status::NotFound("no event names process " + focus);
  }
  if (Status st = Descendants(focus); !st.ok()) return st;
  {
    std::vector<std::string> ids;
    for (const auto& [id, n] : nodes_) ids.push_back(id);
    Status st = ForIds(kEnds, "process.entity_id", ids, limits_.max_nodes, [this](Event&& ev) { TakeEnd(ev); });
    if (!st.ok()) return st;
  }
  if (Status st = Activity(); !st.ok()) return st;
  if (Status st = PowerShellActivity(); !st.ok()) return st;
  // Root: walk up from the focus while the parent is a node.
  std::string root = focus;
  for (size_t i = 0; i < limits_.max_depth; ++i) {
    auto it = nodes_.find(root);
    if (it == nodes_.end() || it->second.parent_entity_id.empty() || !nodes_.count(it->second.parent_entity_id)) break;
    root = it->second.parent_entity_id;
  }
  out->root = root;
  out->focus = focus;
  out->truncated = truncated_;
  out->nodes.clear();
  for (auto& [id, n] : nodes_) out->nodes.push_back(std::move(n));
  std::sort(out->nodes.begin(), out->nodes.end(), [&](const ProcessNode& a, const ProcessNode& b) {
    if ((a.entity_id == root) != (b.entity_id == root)) return a.entity_id == root;
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.entity_id < b.entity_id;
  });
  return Status::OK();
}


std::string TimeOrEmpty(int64_t ns) { return ns ? FormatRfc3339(ns) : std::string(); }

void AppendNode(const ProcessNode& n, std::string* out) {
  out->push_back('{');
  AppendMember(out, "entity_id", n.entity_id, true);
  AppendMember(out, "parent_entity_id", n.parent_entity_id);
  AppendMember(out, "pid", n.pid);
  AppendMember(out, "executable", n.executable);
  AppendMember(out, "name", n.name);
  AppendMember(out, "command_line", n.command_line);
  AppendMember(out, "command_line_decoded", n.command_line_decoded);
  AppendMember(out, "user", n.user);
  AppendMember(out, "host", n.host);
  AppendMember(out, "logon_id", n.logon_id);
  AppendMember(out, "start", TimeOrEmpty(n.start_ns));
  AppendMember(out, "end", TimeOrEmpty(n.end_ns));
  out->append(n.seen_start ? ",\"seen_start\":true" : ",\"seen_start\":false");
  out->append(",\"activity\":{");
  bool first_kind = true;
  for (const auto& [kind, items] : n.activity) {
    if (!first_kind) out->push_back(',');
    first_kind = false;
    AppendJsonString(out, kind);
    out->append(":[");
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out->push_back(',');
      out->push_back('{');
      AppendMember(out, "@timestamp", FormatRfc3339(items[i].ts_ns), true);
      AppendMember(out, "dataset", items[i].dataset);
      AppendMember(out, "sentence", items[i].sentence);
      out->append(",\"event\":");
      out->append(items[i].event_json);
      out->push_back('}');
    }
    out->push_back(']');
  }
  out->append("},\"activity_counts\":{");
  bool first_count = true;
  for (const auto& [kind, count] : n.activity_counts) {
    if (!first_count) out->push_back(',');
    first_count = false;
    AppendJsonString(out, kind);
    out->append(":" + std::to_string(count));
  }
  out->append("}}");
}

}  // namespace

bool SameHost(std::string_view event_host, std::string_view host) {
  if (host.empty()) return true;
  if (EqualNoCase(event_host, host)) return true;
  return event_host.size() > host.size() && event_host[host.size()] == '.' && EqualNoCase(event_host.substr(0, host.size()), host);
}

Status BuildProcessTree(const Searcher& searcher, std::string_view host, std::string_view entity_id, int64_t from_ns,
                        int64_t to_ns, const TreeLimits& limits, ProcessTree* out) {
  TreeBuilder builder(searcher, host, from_ns, to_ns, limits);
  return builder.Build(entity_id, out);
}

std::string ProcessTreeJson(const ProcessTree& tree) {
  std::string out = "{";
  AppendMember(&out, "root", tree.root, true);
  AppendMember(&out, "focus", tree.focus);
  out += tree.truncated ? ",\"truncated\":true" : ",\"truncated\":false";
  out += ",\"nodes\":[";
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    if (i) out.push_back(',');
    AppendNode(tree.nodes[i], &out);
  }
  out += "]}";
  return out;
}

}  // namespace kamatama::investigate
