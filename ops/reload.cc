// ops/reload.cc: configuration validation, SIGHUP reload, systemd notification.
#include <systemd/sd-daemon.h>

#include <charconv>
#include <map>

#include <fmt/format.h>

#include "ops/ops.h"
#include "server/reload_hooks.h"

namespace kamatama::ops {

namespace {
// "host:port", "[v6]:port"; port 0..65535. Empty is allowed where a listener can be disabled.
bool ValidHostPort(const std::string& a) {
  size_t colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = a.substr(0, colon), port = a.substr(colon + 1);
  if (host.front() == '[' && host.back() != ']') return false;
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  return !port.empty() && ec == std::errc() && ptr == port.data() + port.size() && p <= 65535;
}
}  // namespace

Status ValidateConfig(const std::string& where, const server::Config& cfg) {
  struct Addr {
    const char* key;
    const std::string* value;
    bool may_be_empty;
  } addrs[] = {{"syslog.udp", &cfg.syslog.udp_listen, true},
               {"syslog.tcp", &cfg.syslog.tcp_listen, true},
               {"http.listen", &cfg.http.listen, false},
               {"gelf.udp", &cfg.gelf.udp_listen, true},
               {"gelf.tcp", &cfg.gelf.tcp_listen, true}};
  for (const auto& a : addrs) {
    if (a.value->empty() && a.may_be_empty) continue;
    if (!ValidHostPort(*a.value))
      return Status::InvalidArgument(fmt::format("{}: {}: must be HOST:PORT with a port from 0 to 65535{} (got '{}')",
                                                 where, a.key, a.may_be_empty ? ", or \"\" to disable" : "",
                                                 *a.value));
  }
  if (cfg.storage.dir.empty()) return Status::InvalidArgument(where + ": data_dir: must not be empty");
  if (cfg.query.default_limit > cfg.query.max_limit)
    return Status::InvalidArgument(fmt::format("{}: query.default_limit: must not exceed query.max_limit ({} > {})",
                                               where, cfg.query.default_limit, cfg.query.max_limit));
  return Status::OK();
}

Status LoadConfig(const std::string& path, server::Config* cfg) {
  Status s = server::LoadConfigFile(path, cfg);
  if (!s.ok()) return s;
  return ValidateConfig(path, *cfg);
}

void NotifyReady(const std::string& status) {
  sd_notify(0, fmt::format("READY=1\nSTATUS={}\nMAINPID={}", status, ::getpid()).c_str());
}
void NotifyReloading() { sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration"); }
void NotifyStopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

namespace {
// Every setting as key -> printable value, to log what a reload changes.
std::map<std::string, std::string> Describe(const server::Config& c) {
  std::map<std::string, std::string> m;
  auto n = [&](const char* k, auto v) { m[k] = fmt::format("{}", v); };
  n("data_dir", c.storage.dir);
  n("io_threads", c.io_threads);
  n("syslog.udp", c.syslog.udp_listen);
  n("syslog.tcp", c.syslog.tcp_listen);
  n("syslog.max_frame", c.syslog.max_frame);
  n("syslog.idle_timeout", c.syslog.idle_timeout_ns);
  n("syslog.max_connections", c.syslog.max_connections);
  n("syslog.source", c.syslog.source);
  n("syslog.udp_receive_buffer", c.syslog.udp_receive_buffer);
  n("http.listen", c.http.listen);
  n("http.max_body", c.http.max_body);
  n("http.max_header", c.http.max_header);
  n("http.read_timeout", c.http.read_timeout_ns);
  n("http.worker_threads", c.http.worker_threads);
  n("storage.sync_interval", c.pipeline.sync_interval_ns);
  n("storage.block_events", c.storage.block_max_events);
  n("storage.block_bytes", c.storage.block_max_bytes);
  n("storage.cache", c.storage.cache_mb);
  n("storage.write_buffer", c.storage.write_buffer_mb);
  n("storage.queue", c.pipeline.max_queue_bytes);
  n("retention.max_age_days", c.storage.max_age_days);
  n("retention.check_interval", c.pipeline.retention_check_ns);
  n("parse.future_margin", c.parse.syslog.future_margin_ns);
  n("query.default_limit", c.query.default_limit);
  n("query.max_limit", c.query.max_limit);
  n("query.timeout", c.query.timeout_ns);
  n("query.max_groups", c.query.max_groups);
  n("query.max_memory", c.query.max_memory);
  n("query.export_timeout", c.query.export_timeout_ns);
  n("query.max_tails", c.query.max_tails);
  n("query.tail_buffer", c.query.tail_buffer);
  n("query.threads", c.query.threads);
  n("ingest.max_inflated_bytes", c.shippers.max_inflated_bytes);
  n("ingest.max_line", c.shippers.max_line);
  n("ingest.hec_tokens", fmt::format("{} token(s)", c.shippers.hec_tokens.size()));
  n("ingest.es_version", c.shippers.es_version);
  n("ingest.id_max_age", c.shippers.id_max_age_ns);
  n("gelf.udp", c.gelf.udp_listen);
  n("gelf.tcp", c.gelf.tcp_listen);
  n("gelf.max_message", c.gelf.max_message);
  n("gelf.max_pending_messages", c.gelf.chunks.max_pending_messages);
  n("gelf.max_pending_bytes", c.gelf.chunks.max_pending_bytes);
  n("gelf.chunk_timeout", c.gelf.chunks.timeout_ns);
  n("gelf.idle_timeout", c.gelf.idle_timeout_ns);
  n("gelf.max_connections", c.gelf.max_connections);
  // self-monitoring (issue 10): applied after a restart
  n("monitor.interval", c.monitor.interval_ns);
  n("monitor.disk_low", fmt::format("{}/{}", c.monitor.disk_low_ratio, c.monitor.disk_low_bytes));
  n("monitor.repeat", c.monitor.repeat_ns);
  n("monitor.source_silence", c.monitor.source_silence_ns);
  n("monitor.login_burst", c.monitor.login_burst);
  return m;
}
}  // namespace

void Reload(const std::function<Status(server::Config*)>& load, server::Config* live, store::Store* store,
            const std::function<void(const std::string&)>& log) {
  NotifyReloading();
  server::Config next;
  Status s = load(&next);
  if (!s.ok()) {
    log("reload failed: " + s.ToString() + "; the running configuration is kept");
    NotifyReady("running (the last reload failed)");
    return;
  }
  auto before = Describe(*live), after = Describe(next);
  // What can change live. Scalars read by request handlers: a handler sees the old or the new value.
  std::vector<std::string> applied, restart;
  for (const auto& [key, value] : after) {
    if (before[key] == value) continue;
    std::string change = fmt::format("{} {} -> {}", key, before[key], value);
    if (key == "retention.max_age_days") {
      live->storage.max_age_days = next.storage.max_age_days;
      store->SetMaxAgeDays(next.storage.max_age_days);
    } else if (key == "query.default_limit") live->query.default_limit = next.query.default_limit;
    else if (key == "query.max_limit") live->query.max_limit = next.query.max_limit;
    else if (key == "query.timeout") live->query.timeout_ns = next.query.timeout_ns;
    else if (key == "query.max_groups") live->query.max_groups = next.query.max_groups;
    else if (key == "query.max_memory") live->query.max_memory = next.query.max_memory;
    else if (key == "query.export_timeout") live->query.export_timeout_ns = next.query.export_timeout_ns;
    else if (key == "ingest.max_inflated_bytes") live->shippers.max_inflated_bytes = next.shippers.max_inflated_bytes;
    else if (key == "ingest.max_line") live->shippers.max_line = next.shippers.max_line;
    else {
      restart.push_back(key);
      continue;
    }
    applied.push_back(change);
  }
  for (auto& [what, hook] : server::ReloadHooks()) {
    Status hs = hook(next);
    if (hs.ok()) applied.push_back(what + " reloaded");
    else log(fmt::format("reload: {} not applied: {}", what, hs.ToString()));
  }
  log(applied.empty() ? std::string("configuration reloaded: nothing changed that applies live")
                      : fmt::format("configuration reloaded: {}", fmt::join(applied, ", ")));
  if (!restart.empty())
    log(fmt::format("configuration reload: changed but applied only after a restart: {}", fmt::join(restart, ", ")));
  NotifyReady("running");
}

}  // namespace kamatama::ops
