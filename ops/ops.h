// ops/ops.h
//! Running kamatama as infrastructure (issue 10): configuration checks and live reload, systemd
//! notification, and the administration commands `check-config`, `backup`, `restore`, `import`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/pipeline.h"
#include "server/config.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace kamatama::ops {

//! Loads `path` over *cfg (server::LoadConfigFile) and checks what parsing alone cannot
//! (listen addresses). Errors read `FILE: KEY: what is wrong`; `serve` and `check-config` print
//! the same message.
Status LoadConfig(const std::string& path, server::Config* cfg);
//! The checks of LoadConfig that do not need the file (also run on flags: `--http nonsense`).
Status ValidateConfig(const std::string& where, const server::Config& cfg);

//! Registers the subcommands check-config, backup, restore and import on `app`.
void AddCommands(CLI::App* app);
//! Runs the subcommand chosen, if it is one of ours; returns its exit status, or -1.
int RunCommand(const CLI::App& app);

//! sd_notify(3) (no-op outside systemd): READY=1 once the store is open and listeners are bound,
//! RELOADING=1 around a SIGHUP reload, STOPPING=1 at shutdown. `status` is shown by systemctl.
void NotifyReady(const std::string& status);
void NotifyReloading();
void NotifyStopping();

//! SIGHUP: reads the configuration again with `load` and applies what can change live (see
//! docs/operations.md) to *live, the store, the pipeline (storage.min_free, retention.min_free,
//! retention.max_size: checked at once) and the registered reload hooks (server/reload_hooks.h);
//! every change and every key that needs a restart is logged with `log`. A file that does not
//! load leaves everything as it was (logged). Returns what was done, for the audit log.
struct ReloadResult {
  std::vector<std::string> applied;  //!< "key old -> new" and "<hook> reloaded"
  std::vector<std::string> restart;  //!< keys that changed but apply after a restart
  std::vector<std::string> errors;   //!< a file that did not load, a hook that failed
};
ReloadResult Reload(const std::function<Status(server::Config*)>& load, server::Config* live, store::Store* store,
            ingest::Pipeline* pipeline, const std::function<void(const std::string&)>& log);

}  // namespace kamatama::ops
