// investigate/process_tree.h
//! The process tree around one process (issue 22): its ancestors up to the oldest known one and
//! its descendants, from Sysmon process creation/termination (1/5: process.entity_id, the
//! ProcessGuid, and process.parent.entity_id), each node with its own activity: connections (3),
//! DNS queries (22), files created and deleted (11, 23), registry changes (12-14), images loaded
//! (7), processes it opened (10), and PowerShell module and script-block logging (4103/4104,
//! matched by host, pid and lifetime). A parent known only from its child's event (explorer.exe
//! started before logging) is a node with `seen_start` false. The events are found through the
//! query engine, so the tree is the same whichever shipper brought them (event XML, Winlogbeat,
//! NXLog, Wazuh JSON: the parsers normalise all to these fields).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "investigate/logons.h"
#include "investigate/searcher.h"

namespace kamatama::investigate {

//! Bounds of one tree: nodes in all, activity items kept per kind and node, ancestors followed.
struct TreeLimits {
  size_t max_nodes = 500;
  size_t max_activity_per_kind = 25;
  size_t max_depth = 32;
};

struct ActivityItem {
  int64_t ts_ns = 0;
  std::string dataset;
  std::string sentence;
  std::string event_json;  //!< the whole event (core/json.h AppendEventJson)
};

struct ProcessNode {
  std::string entity_id, parent_entity_id, host, pid, executable, name, command_line, command_line_decoded, user,
      logon_id;
  std::optional<LogonSession> logon;  //!< the 4624 (or well-known account) behind logon_id
  int64_t start_ns = 0, end_ns = 0;  //!< 0: not seen
  bool seen_start = false;           //!< false: known only as a parent
  std::map<std::string, std::vector<ActivityItem>> activity;  //!< by kind: network, dns, file, ...
  std::map<std::string, uint64_t> activity_counts;             //!< all items, kept or not
};

struct ProcessTree {
  std::string root, focus;
  std::vector<ProcessNode> nodes;  //!< root first, then by start time
  bool truncated = false;          //!< a limit was reached
};

//! Builds the tree around `entity_id` (on `host`, if given: its host.name or the name before the
//! first dot) from events in [from_ns, to_ns). NotFound when no event names the process.
Status BuildProcessTree(const Searcher& searcher, std::string_view host, std::string_view entity_id, int64_t from_ns,
                        int64_t to_ns, const TreeLimits& limits, ProcessTree* out);

//! Security 4688/4689 only (security_tree.cc): a process is host, pid and the time of its 4688,
//! "pid:HOST:PID:START_NS" (START_NS 0: known from its children only). BuildProcessTree takes
//! these ids too.
std::string PidEntityId(std::string_view host, std::string_view pid, int64_t start_ns);
bool IsPidEntityId(std::string_view id);
Status BuildSecurityProcessTree(const Searcher& searcher, std::string_view entity_id, int64_t from_ns, int64_t to_ns,
                                const TreeLimits& limits, ProcessTree* out);
//! The id of the process with `pid` on `host` that started last at or before `at_ns` (a Sysmon
//! ProcessGuid when Sysmon logged it, else a pid id from its 4688). NotFound if none.
Status FindProcessStart(const Searcher& searcher, std::string_view host, std::string_view pid, int64_t at_ns,
                        std::string* entity_id);

//! {"root","focus","truncated","nodes":[{"entity_id","parent_entity_id","pid","executable","name",
//! "command_line","command_line_decoded","user","host","logon_id","logon":{logons.h session}|null,"start","end","seen_start",
//! "activity":{kind:[{"@timestamp","dataset","sentence","event"}]},"activity_counts":{kind:n}}]}
std::string ProcessTreeJson(const ProcessTree& tree);

//! Whether an event's host.name is `host` (case-insensitive), or `host` is its name before the
//! first dot. An empty `host` matches every event.
bool SameHost(std::string_view event_host, std::string_view host);

}  // namespace kamatama::investigate
