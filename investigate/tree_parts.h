// investigate/tree_parts.h
//! The parts both process trees share (process_tree.cc from Sysmon ProcessGuids,
//! security_tree.cc from Security 4688/4689 pids): field access, activity items, PowerShell
//! logging matched by pid and lifetime, the logon session behind each node, and the finished
//! tree (root found, nodes sorted). Internal to investigate/.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "core/event.h"
#include "core/status.h"
#include "investigate/process_tree.h"
#include "investigate/searcher.h"

namespace kamatama::investigate {

using NodeMap = std::unordered_map<std::string, ProcessNode>;

//! A field's value, "" when absent.
std::string_view V(const Event& ev, std::string_view name);
//! "DOMAIN\user" or "user"; "" without a user.
std::string UserOf(const Event& ev);
bool EqualNoCase(std::string_view a, std::string_view b);

//! Fills a node from its process start event (Sysmon 1 or Security 4688): seen_start, start,
//! host, pid, executable, name, command lines, user and logon id.
void TakeStartFields(const Event& ev, ProcessNode* n);

//! Counts the event under `kind` and keeps it when the node has fewer than the limit.
void AddActivity(ProcessNode* node, const std::string& kind, Event&& ev, const TreeLimits& limits);

//! PowerShell 4103/4104 name no process id of their own: they are the powershell.exe or pwsh.exe
//! node whose pid logged them (winlog.process.pid) on its host while it ran.
Status PowerShellActivity(const Searcher& s, NodeMap* nodes, int64_t from, int64_t to, const TreeLimits& limits);

//! Sets each node's logon from its logon id (logons.h SessionsByLogonId), per host.
Status LinkLogons(const Searcher& s, NodeMap* nodes, int64_t from, int64_t to);

//! Moves the nodes into `out`: the root is the oldest ancestor of `focus` that is a node; the
//! root first, then by start time.
void FinishTree(NodeMap* nodes, const std::string& focus, bool truncated, size_t max_depth, ProcessTree* out);

}  // namespace kamatama::investigate
