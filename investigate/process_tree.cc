// investigate/process_tree.cc
#include "investigate/process_tree.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/json.h"
#include "investigate/json_out.h"
#include "core/time.h"
#include "investigate/logons.h"
#include "investigate/sentence.h"
#include "investigate/tree_parts.h"

namespace kamatama::investigate {

namespace {

constexpr size_t kIdsPerQuery = 64;  // entity ids ORed into one query
constexpr std::string_view kStarts = "(event.dataset:sysmon.process_create)";
constexpr std::string_view kEnds = "(event.dataset:sysmon.process_terminate)";

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

  const Searcher& s_;
  std::string_view host_;
  int64_t from_, to_;
  const TreeLimits& limits_;
  NodeMap nodes_;
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
  TakeStartFields(ev, &n);
  n.entity_id = id;
  n.parent_entity_id = V(ev, "process.parent.entity_id");
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

Status TreeBuilder::Activity() {
  std::vector<std::string> ids;
  for (const auto& [id, n] : nodes_) ids.push_back(id);
  std::string where = std::string("NOT ") + std::string(kStarts) + " NOT " + std::string(kEnds);
  return ForIds(where, "process.entity_id", ids, 20'000, [this](Event&& ev) {
    auto it = nodes_.find(std::string(V(ev, "process.entity_id")));
    if (it != nodes_.end()) AddActivity(&it->second, KindOf(V(ev, "event.dataset")), std::move(ev), limits_);
  });
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
  if (Status st = PowerShellActivity(s_, &nodes_, from_, to_, limits_); !st.ok()) return st;
  if (Status st = LinkLogons(s_, &nodes_, from_, to_); !st.ok()) return st;
  FinishTree(&nodes_, focus, truncated_, limits_.max_depth, out);
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
  out->append(",\"logon\":");
  if (n.logon) AppendSessionJson(*n.logon, out);
  else out->append("null");
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

Status BuildProcessTree(const Searcher& searcher, std::string_view host, std::string_view entity_id, int64_t from_ns,
                        int64_t to_ns, const TreeLimits& limits, ProcessTree* out) {
  if (IsPidEntityId(entity_id)) return BuildSecurityProcessTree(searcher, entity_id, from_ns, to_ns, limits, out);
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
