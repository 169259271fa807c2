// server/reload_hooks.h
//! Components that can take new settings on SIGHUP (TLS certificates, ...) register a hook here;
//! ops::Reload (ops/ops.cc) calls every hook with the new configuration after it validated it.
//! A hook returns an error to say its part was not applied (logged; the old settings stay).
//! Register before the server starts (not thread-safe against a concurrent reload).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace kamatama::server {

struct Config;
using ReloadHook = std::function<Status(const Config& next)>;

inline std::vector<std::pair<std::string, ReloadHook>>& ReloadHooks() {
  static std::vector<std::pair<std::string, ReloadHook>> hooks;
  return hooks;
}
//! `what` names the part in the log ("tls certificates").
inline void AddReloadHook(std::string what, ReloadHook hook) { ReloadHooks().emplace_back(std::move(what), std::move(hook)); }

}  // namespace kamatama::server
