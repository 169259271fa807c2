// server/reload_hooks.h
//! Components that can take new settings on SIGHUP (TLS certificates, ...) register a hook here;
//! ops::Reload (ops/reload.cc) calls every hook with the new configuration after it validated it.
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

struct ReloadHookEntry {
  std::string what;               //!< names the part in the log ("tls certificates")
  ReloadHook hook;
  //! The configuration keys the hook applies ("tls.cert"): a reload that changed one of them
  //! reports it as applied when the hook succeeds, and as needing a restart without a hook.
  std::vector<std::string> keys;
};

inline std::vector<ReloadHookEntry>& ReloadHooks() {
  static std::vector<ReloadHookEntry> hooks;
  return hooks;
}
inline void AddReloadHook(std::string what, ReloadHook hook, std::vector<std::string> keys = {}) {
  ReloadHooks().push_back(ReloadHookEntry{std::move(what), std::move(hook), std::move(keys)});
}

}  // namespace kamatama::server
