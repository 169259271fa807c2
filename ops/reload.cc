// ops/reload.cc: configuration validation, SIGHUP reload, systemd notification.
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ops/ops.h"

#include "clickhouse/options.h"
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
               {"syslog.relp", &cfg.syslog.relp_listen, true},  // issue 27
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
  if (cfg.backend == "clickhouse") {  // issue 26
    if (Status s = clickhouse::Validate(cfg.clickhouse, where + ": clickhouse"); !s.ok()) return s;
  }
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
// One setting: what a reload compares, and what the log shows (secrets are compared, not shown).
struct Setting {
  std::string compare, shown;
};

// Every key of the configuration file (server/config.cc), to log what a reload changes and
// which changes wait for a restart. A key missing here would be ignored on reload without a word.
std::map<std::string, Setting> Describe(const server::Config& c) {
  std::map<std::string, Setting> m;
  auto n = [&](const char* k, auto v) {
    std::string s = fmt::format("{}", v);
    m[k] = Setting{s, s};
  };
  n("data_dir", c.storage.dir);
  n("io_threads", c.io_threads);
  n("syslog.udp", c.syslog.udp_listen);
  n("syslog.tcp", c.syslog.tcp_listen);
  n("syslog.max_frame", c.syslog.max_frame);
  n("syslog.idle_timeout", c.syslog.idle_timeout_ns);
  n("syslog.max_connections", c.syslog.max_connections);
  n("syslog.max_connections_per_ip", c.syslog.max_connections_per_ip);
  n("syslog.source", c.syslog.source);
  n("syslog.udp_receive_buffer", c.syslog.udp_receive_buffer);
  n("syslog.tls", c.syslog.tls_listen);
  n("syslog.client_certs", c.syslog.tls_client_certs);
  n("syslog.relp", c.syslog.relp_listen);  // issue 27
  n("syslog.relp_tls", c.syslog.relp_tls);
  n("http.listen", c.http.listen);
  n("http.max_body", c.http.max_body);
  n("http.max_header", c.http.max_header);
  n("http.read_timeout", c.http.read_timeout_ns);
  n("http.worker_threads", c.http.worker_threads);
  n("http.tls", c.http.tls);
  n("http.client_certs", c.http.client_certs);
  n("http.max_connections", c.http.max_connections);
  n("http.max_connections_per_ip", c.http.max_connections_per_ip);
  n("http.header_timeout", c.http.header_timeout_ns);
  n("http.bodies_in_flight", c.http.bodies_in_flight);
  n("tls.cert", c.http.tls_cert);
  n("tls.key", c.http.tls_key);
  n("tls.client_ca", c.http.tls_client_ca);
  n("storage.sync_interval", c.pipeline.sync_interval_ns);
  n("storage.block_events", c.storage.block_max_events);
  n("storage.block_bytes", c.storage.block_max_bytes);
  n("storage.cache", c.storage.cache_mb);
  n("storage.write_buffer", c.storage.write_buffer_mb);
  n("storage.queue", c.pipeline.max_queue_bytes);
  n("storage.min_free", c.pipeline.min_free_bytes);
  n("retention.max_age_days", c.storage.max_age_days);
  n("retention.check_interval", c.pipeline.retention_check_ns);
  n("retention.min_free", c.pipeline.retention_min_free_bytes);
  n("retention.max_size", c.pipeline.retention_max_bytes);
  n("parse.future_margin", c.parse.syslog.future_margin_ns);
  n("query.default_limit", c.query.default_limit);
  n("query.max_limit", c.query.max_limit);
  n("query.timeout", c.query.timeout_ns);
  n("query.max_groups", c.query.max_groups);
  n("query.max_memory", c.query.max_memory);
  n("query.export_timeout", c.query.export_timeout_ns);
  n("query.clock_skew", c.query.clock_skew_ns);
  n("query.max_tails", c.query.max_tails);
  n("query.max_tails_per_principal", c.query.max_tails_per_principal);
  n("query.tail_buffer", c.query.tail_buffer);
  n("query.threads", c.query.threads);
  n("ingest.max_inflated_bytes", c.shippers.max_inflated_bytes);
  n("ingest.max_line", c.shippers.max_line);
  // Tokens are secrets: a changed token is noticed, but only their number is logged.
  m["ingest.hec_tokens"] = Setting{fmt::format("{}", fmt::join(c.shippers.hec_tokens, "\n")),
                                   fmt::format("{} token(s)", c.shippers.hec_tokens.size())};
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
  // security (issue 8): read by the authenticator built at start-up
  n("auth.session_idle", c.auth.session_idle_ns);
  n("auth.session_max", c.auth.session_max_ns);
  n("auth.max_failures", c.auth.max_failures);
  n("auth.failure_window", c.auth.failure_window_ns);
  n("auth.lockout", c.auth.lockout_ns);
  n("auth.search_rate", c.auth.search_rate);
  n("auth.search_burst", c.auth.search_burst);
  n("auth.metrics_anonymous", c.auth.metrics_anonymous);
  n("auth.secure_cookies", c.auth.secure_cookies);
  n("auth.max_sessions_per_user", c.auth.max_sessions_per_user);
  n("auth.login_rate", c.auth.login_rate);
  n("auth.login_burst", c.auth.login_burst);
  n("auth.failure_audit_interval", c.auth.failure_audit_interval_ns);
  // issue 19
  n("backup.allowed_dirs", fmt::format("{}", fmt::join(c.backup.allowed_dirs, ",")));
  // Issue 28: threat intelligence (applied at a restart).
  n("intel.max_list_bytes", c.intel.max_list_bytes);
  n("intel.max_indicators", c.intel.max_indicators);
  n("intel.alert_dedup", c.intel.alert_dedup_ns);
  n("intel.hunt_on_import", c.intel.hunt_on_import);
  n("intel.allowed_urls", fmt::format("{}", fmt::join(c.intel.allowed_urls, ",")));
  n("intel.allow_internal", c.intel.allow_internal);
  n("intel.ca_file", c.intel.ca_file);
  {
    std::string feeds;
    for (const auto& f : c.intel.feeds) feeds += fmt::format("{} {} {} {};", f.name, f.url, f.format, f.interval_ns);
    n("intel.feeds", feeds);
  }
  n("query.max_query_bytes", c.query.max_query_bytes);
  // issue 20: the rule directories and the expand placeholders (a hook re-reads the rules)
  n("detection.rules", fmt::format("{}", fmt::join(c.detection.rules, ",")));
  {
    std::string ph;
    for (const auto& [k, v] : c.detection.placeholders) ph += fmt::format("{}={};", k, fmt::join(v, ","));
    n("detection.placeholders", ph);
  }
  // issue 23: the declarative parser directories (a hook re-reads the definitions)
  n("parsers.dirs", fmt::format("{}", fmt::join(c.parsers.dirs, ",")));
  n("parsers.shipped", c.parsers.shipped ? "true" : "false");
  n("parsers.disable", fmt::format("{}", fmt::join(c.parsers.disable, ",")));
  // issue 21: how matches become alerts (applied at a restart)
  n("detection.alerts", fmt::format("{} {} {}", c.detection.alerts.dedup_window_ns, c.detection.alerts.per_rule_cap,
                                    fmt::join(c.detection.alerts.dedup_fields, ",")));
  // issue 21: notifications (applied at a restart; the targets themselves are set over the API)
  n("notifications.allowed_targets", fmt::format("{}", fmt::join(c.notify.allowed_targets, ",")));
  n("notifications.queue_size", c.notify.queue_size);
  n("notifications.max_attempts", c.notify.max_attempts);
  n("notifications.retry_initial", c.notify.retry_initial_ns);
  n("notifications.retry_max", c.notify.retry_max_ns);
  n("notifications.timeout", c.notify.timeout_ns);
  n("notifications.ca_file", c.notify.ca_file);
  n("notifications.rate_window", c.notify.rate_window_ns);
  // issue 25: scheduled searches (applied at a restart)
  n("schedules.workers", c.schedules.workers);
  n("schedules.min_interval", c.schedules.min_interval_ns);
  n("schedules.lag", c.schedules.lag_ns);
  n("schedules.history", c.schedules.history);
  // issue 26: the store backend and the ClickHouse cluster (applied at a restart)
  n("store.backend", c.backend);
  n("clickhouse.urls", fmt::format("{}", fmt::join(c.clickhouse.urls, ",")));
  n("clickhouse.cluster", c.clickhouse.cluster);
  n("clickhouse.database", c.clickhouse.database);
  n("clickhouse.user", c.clickhouse.user);
  m["clickhouse.password"] = Setting{c.clickhouse.password, c.clickhouse.password.empty() ? "(none)" : "(set)"};
  n("clickhouse.tls", c.clickhouse.ca_file);
  n("clickhouse.node", c.clickhouse.node);
  n("clickhouse.spool_max", c.clickhouse.spool_max_bytes);
  n("clickhouse.batch_events", c.clickhouse.batch_events);
  n("clickhouse.lease_poll", c.clickhouse.lease_poll_ns);
  // self-monitoring (issue 10)
  n("monitor.interval", c.monitor.interval_ns);
  n("monitor.disk_low", fmt::format("{}/{}", c.monitor.disk_low_ratio, c.monitor.disk_low_bytes));
  n("monitor.repeat", c.monitor.repeat_ns);
  n("monitor.source_silence", c.monitor.source_silence_ns);
  n("monitor.login_burst", c.monitor.login_burst);
  return m;
}

// The running configuration takes a key a reload hook applied (only TLS files so far).
void TakeHookKey(const std::string& key, const server::Config& next, server::Config* live) {
  if (key == "tls.cert") live->http.tls_cert = live->syslog.tls_cert = next.http.tls_cert;
  else if (key == "tls.key") live->http.tls_key = live->syslog.tls_key = next.http.tls_key;
  else if (key == "tls.client_ca") live->http.tls_client_ca = live->syslog.tls_client_ca = next.http.tls_client_ca;
}
}  // namespace

ReloadResult Reload(const std::function<Status(server::Config*)>& load, server::Config* live, store::Store* store,
                    ingest::Pipeline* pipeline, const std::function<void(const std::string&)>& log) {
  ReloadResult result;
  NotifyReloading();
  server::Config next;
  Status s = load(&next);
  if (!s.ok()) {
    result.errors.push_back(s.ToString() + "; the running configuration is kept");
    log("reload failed: " + result.errors.back());
    NotifyReady("running (the last reload failed)");
    return result;
  }
  auto before = Describe(*live), after = Describe(next);
  // What can change live. Scalars read by request handlers: a handler sees the old or the new value.
  // Limits of the store writer go through the pipeline's atomics.
  std::vector<std::string>& applied = result.applied;
  std::vector<std::string>& restart = result.restart;
  auto& hooks = server::ReloadHooks();
  std::vector<std::vector<std::pair<std::string, std::string>>> hook_changes(hooks.size());  // key, change
  bool disk_limits = false;
  for (const auto& [key, value] : after) {
    const Setting& old = before[key];
    if (old.compare == value.compare) continue;
    std::string change = fmt::format("{} {} -> {}", key, old.shown, value.shown);
    if (key == "retention.max_age_days") {
      live->storage.max_age_days = next.storage.max_age_days;
      store->SetMaxAgeDays(next.storage.max_age_days);
      if (pipeline) pipeline->RequestRetentionCheck();  // now, not after retention.check_interval
    } else if (key == "storage.min_free" && pipeline) {
      live->pipeline.min_free_bytes = next.pipeline.min_free_bytes;
      disk_limits = true;
    } else if (key == "retention.min_free" && pipeline) {
      live->pipeline.retention_min_free_bytes = next.pipeline.retention_min_free_bytes;
      disk_limits = true;
    } else if (key == "retention.max_size" && pipeline) {
      live->pipeline.retention_max_bytes = next.pipeline.retention_max_bytes;
      disk_limits = true;
    } else if (key == "query.default_limit") live->query.default_limit = next.query.default_limit;
    else if (key == "query.max_limit") live->query.max_limit = next.query.max_limit;
    else if (key == "query.timeout") live->query.timeout_ns = next.query.timeout_ns;
    else if (key == "query.max_groups") live->query.max_groups = next.query.max_groups;
    else if (key == "query.max_memory") live->query.max_memory = next.query.max_memory;
    else if (key == "query.export_timeout") live->query.export_timeout_ns = next.query.export_timeout_ns;
    else if (key == "ingest.max_inflated_bytes") live->shippers.max_inflated_bytes = next.shippers.max_inflated_bytes;
    else if (key == "ingest.max_line") live->shippers.max_line = next.shippers.max_line;
    else {
      // A key a registered hook applies (tls.* while HTTPS or syslog TLS is on) is reported with
      // the hook's result below; anything else waits for a restart.
      size_t h = 0;
      while (h < hooks.size() && std::find(hooks[h].keys.begin(), hooks[h].keys.end(), key) == hooks[h].keys.end()) ++h;
      if (h < hooks.size()) hook_changes[h].emplace_back(key, change);
      else restart.push_back(key);
      continue;
    }
    applied.push_back(change);
  }
  // The writer checks free space and size-based retention at once with the new limits.
  if (disk_limits)
    pipeline->SetDiskLimits(live->pipeline.min_free_bytes, live->pipeline.retention_min_free_bytes,
                            live->pipeline.retention_max_bytes);
  for (size_t h = 0; h < hooks.size(); ++h) {
    Status hs = hooks[h].hook(next);
    if (hs.ok()) {
      for (const auto& [key, change] : hook_changes[h]) {
        applied.push_back(change);
        TakeHookKey(key, next, live);
      }
      applied.push_back(hooks[h].what + " reloaded");
    } else {
      std::vector<std::string> changes;
      for (const auto& kc : hook_changes[h]) changes.push_back(kc.second);
      result.errors.push_back(fmt::format("{} not applied{}: {}", hooks[h].what,
                                          changes.empty() ? std::string() : fmt::format(" ({})", fmt::join(changes, ", ")),
                                          hs.ToString()));
      log("reload: " + result.errors.back());
    }
  }
  log(applied.empty() ? std::string("configuration reloaded: nothing changed that applies live")
                      : fmt::format("configuration reloaded: {}", fmt::join(applied, ", ")));
  if (!restart.empty())
    log(fmt::format("configuration reload: changed but applied only after a restart: {}", fmt::join(restart, ", ")));
  NotifyReady("running");
  return result;
}

}  // namespace kamatama::ops
