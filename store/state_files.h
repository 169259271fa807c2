//! store/state_files.h: the server's state kept beside the store in its data directory.
//!
//! RocksDB's BackupEngine copies the store only. The rest of what a server knows lives in small
//! files it replaces atomically (core/safe_file): users and tokens (auth.db), alerts, rule tuning,
//! notification targets, cases, saved searches, dashboards, schedules (*.json) and the
//! threat-intelligence lists (intel/*.list). A backup takes a copy of them beside the store's,
//! under <backup dir>/state/<backup id>/, and a restore puts them back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kamatama::store {

//! Whether `name`, a file in the data directory (`sub` = "" ) or in one of its state
//! subdirectories (`sub` = "intel"), is server state that a backup must carry.
bool IsStateFile(std::string_view sub, std::string_view name);

struct StateCopy {
  size_t files = 0;
  uint64_t bytes = 0;
};

//! Copies the state files of `data_dir` into `to` (created; must not exist yet: it is written
//! under a temporary name and renamed when complete). Files are read and written through
//! core/safe_file: links are refused, modes are 0600.
Status CopyStateOut(const std::string& data_dir, const std::string& to, StateCopy* out);
//! Copies the state files kept in `from` back into `data_dir`. A backup made before state was
//! kept has no such directory: nothing is copied and *out stays zero.
Status CopyStateIn(const std::string& from, const std::string& data_dir, StateCopy* out);

}  // namespace kamatama::store
