// server/config.cc
#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>

#include <charconv>
#include <set>

#include <fmt/format.h>

#include "core/time.h"
#include "server/notify_targets.h"

namespace kamatama::server {

bool ParseSize(const std::string& text, size_t* out) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr == text.data()) return false;
  std::string unit(ptr, text.data() + text.size());
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  uint64_t mult = 1;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KiB" || unit == "K" || unit == "KB") mult = 1024;
  else if (unit == "MiB" || unit == "M" || unit == "MB") mult = 1024 * 1024;
  else if (unit == "GiB" || unit == "G" || unit == "GB") mult = 1024ull * 1024 * 1024;
  else return false;
  *out = static_cast<size_t>(v * mult);
  return true;
}

namespace {
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}
  Status status;

  // Checks that `node` only has the listed keys.
  void Keys(const YAML::Node& node, const std::string& where, std::set<std::string> allowed) {
    if (!node || !status.ok()) return;
    if (!node.IsMap()) {
      Fail(where, "must be a mapping");
      return;
    }
    for (const auto& kv : node) {
      auto k = kv.first.as<std::string>();
      if (!allowed.count(k)) Fail(where.empty() ? k : where + "." + k, "unknown key");
    }
  }
  void Str(const YAML::Node& n, const std::string& where, std::string* out) {
    if (!n || !status.ok()) return;
    if (n.IsNull()) {
      out->clear();
      return;
    }
    if (!n.IsScalar()) return Fail(where, "must be a string");
    *out = n.as<std::string>();
  }
  void Size(const YAML::Node& n, const std::string& where, size_t* out) {
    if (!n || !status.ok()) return;
    if (!n.IsScalar() || !ParseSize(n.as<std::string>(), out)) Fail(where, "must be a size like 64KiB");
  }
  void Int(const YAML::Node& n, const std::string& where, int64_t lo, int64_t hi, int* out) {
    if (!n || !status.ok()) return;
    int64_t v = 0;
    auto s = n.IsScalar() ? n.as<std::string>() : std::string();
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < lo || v > hi)
      return Fail(where, fmt::format("must be an integer from {} to {}", lo, hi));
    *out = static_cast<int>(v);
  }
  void Count(const YAML::Node& n, const std::string& where, size_t* out) {
    int v = 0;
    Int(n, where, 1, 1'000'000'000, &v);
    if (n && status.ok()) *out = static_cast<size_t>(v);
  }
  void Duration(const YAML::Node& n, const std::string& where, int64_t* out, bool zero_ok = false) {
    if (!n || !status.ok()) return;
    auto d = n.IsScalar() ? ParseDuration(n.as<std::string>()) : std::nullopt;
    if (!d || (*d == 0 && !zero_ok))
      return Fail(where, zero_ok ? "must be a duration like 0s, 30m, 2h" : "must be a duration like 500ms, 1s, 10m, 1d");
    *out = *d;
  }
  void Bool(const YAML::Node& n, const std::string& where, bool* out) {
    if (!n || !status.ok()) return;
    auto v = n.IsScalar() ? n.as<std::string>() : std::string();
    if (v == "true" || v == "yes" || v == "on") *out = true;
    else if (v == "false" || v == "no" || v == "off") *out = false;
    else Fail(where, "must be true or false");
  }
  void Number(const YAML::Node& n, const std::string& where, double* out) {
    if (!n || !status.ok()) return;
    try {
      double v = n.as<double>();
      if (v < 0) return Fail(where, "must be a number >= 0");
      *out = v;
    } catch (const YAML::Exception&) {
      Fail(where, "must be a number");
    }
  }
  void OneOf(const YAML::Node& n, const std::string& where, std::set<std::string> allowed, std::string* out) {
    if (!n || !status.ok()) return;
    auto v = n.IsScalar() ? n.as<std::string>() : std::string();
    if (!allowed.count(v)) return Fail(where, "must be one of none, optional, require");
    *out = v;
  }
  // syslog.tls (issue 8): true (127.0.0.1, like every default listener), an IP address alone, or
  // IP:PORT; the port defaults to 6514 (RFC 5425). false, "" or null: off.
  void SyslogTls(const YAML::Node& n, std::string* out) {
    if (!n || !status.ok()) return;
    const std::string v = n.IsScalar() ? n.as<std::string>() : std::string();
    auto bad = [&] {
      Fail("syslog.tls", fmt::format("must be true, false, an IP address (port {0}) or IP:PORT with a port from 0 "
                                     "to 65535 (got '{1}')", kSyslogTlsPort, n.IsScalar() ? v : std::string("not a string")));
    };
    if (!n.IsNull() && !n.IsScalar()) return bad();
    if (n.IsNull() || v.empty() || v == "false" || v == "no" || v == "off") {
      out->clear();
      return;
    }
    if (v == "true" || v == "yes" || v == "on") {
      *out = fmt::format("127.0.0.1:{}", kSyslogTlsPort);
      return;
    }
    auto ip = [](std::string h, bool* v6) {
      *v6 = h.size() >= 2 && h.front() == '[' && h.back() == ']';
      if (*v6) h = h.substr(1, h.size() - 2);
      unsigned char b[16];
      if (!*v6 && ::inet_pton(AF_INET, h.c_str(), b) == 1) return true;
      return ::inet_pton(AF_INET6, h.c_str(), b) == 1 && (*v6 = true);
    };
    bool v6 = false;
    if (ip(v, &v6)) {  // an address without a port ("0.0.0.0", "::", "[::1]")
      *out = v6 && v.front() != '[' ? fmt::format("[{}]:{}", v, kSyslogTlsPort) : fmt::format("{}:{}", v, kSyslogTlsPort);
      return;
    }
    size_t colon = v.rfind(':');
    if (colon == std::string::npos || colon == 0) return bad();
    std::string host = v.substr(0, colon), port = v.substr(colon + 1);
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    // A bare IPv6 address with a port needs brackets ("[::1]:6514"), as in a URL.
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p > 65535 || !ip(host, &v6) ||
        (v6 && host.front() != '['))
      return bad();
    *out = v;
  }
  void Fail(const std::string& where, const std::string& what) {
    if (status.ok()) status = Status::InvalidArgument(fmt::format("{}: {}: {}", path_, where, what));
  }

 private:
  std::string path_;
};

//! A string or a list of strings.
bool StringList(const YAML::Node& n, std::vector<std::string>* out) {
  out->clear();
  if (n.IsScalar()) {
    out->push_back(n.as<std::string>());
    return true;
  }
  if (!n.IsSequence()) return false;
  for (const auto& item : n) {
    if (!item.IsScalar()) return false;
    out->push_back(item.as<std::string>());
  }
  return true;
}

// `detection:` (issue 20): rules (directories) and placeholders (name: value or list).
void ReadDetection(Reader& r, const YAML::Node& det, DetectionOptions* out) {
  r.Keys(det, "detection", {"rules", "placeholders", "alerts"});
  if (!det || !r.status.ok()) return;
  if (auto rules = det["rules"]; rules && !rules.IsNull() && !StringList(rules, &out->rules))
    return r.Fail("detection.rules", "must be a list of directories");
  if (auto al = det["alerts"]; al && !al.IsNull()) {  // issue 21
    r.Keys(al, "detection.alerts", {"dedup_window", "per_rule_cap", "dedup_fields"});
    if (!r.status.ok()) return;
    if (auto w = al["dedup_window"]) {
      auto ns = ParseDuration(w.as<std::string>());
      if (!ns || *ns < 0) return r.Fail("detection.alerts.dedup_window", "must be a duration such as 10m");
      out->alerts.dedup_window_ns = *ns;
    }
    if (auto c = al["per_rule_cap"]) out->alerts.per_rule_cap = c.as<size_t>();
    if (auto f = al["dedup_fields"]) {
      out->alerts.dedup_fields.clear();
      if (!StringList(f, &out->alerts.dedup_fields)) return r.Fail("detection.alerts.dedup_fields", "must be a list of fields");
    }
  }
  auto ph = det["placeholders"];
  if (!ph || ph.IsNull()) return;
  if (!ph.IsMap()) return r.Fail("detection.placeholders", "must be a mapping of names to values");
  out->placeholders.clear();
  for (const auto& kv : ph) {
    const std::string name = kv.first.as<std::string>();
    if (!StringList(kv.second, &out->placeholders[name]))
      return r.Fail("detection.placeholders." + name, "must be a string or a list of strings");
  }
}

// `parsers:` (issue 23): the directories of declarative parser definitions.
void ReadParsers(Reader& r, const YAML::Node& n, ParsersOptions* out) {
  r.Keys(n, "parsers", {"dirs", "shipped", "disable"});
  if (!n || !r.status.ok()) return;
  if (auto d = n["dirs"]; d && !d.IsNull() && !StringList(d, &out->dirs))
    r.Fail("parsers.dirs", "must be a list of directories");
  if (auto d = n["disable"]; d && !d.IsNull() && !StringList(d, &out->disable))
    r.Fail("parsers.disable", "must be a list of parser names");
  r.Bool(n["shipped"], "parsers.shipped", &out->shipped);
}

// `intel:` (issue 28): list limits, alert dedup, hunts on import, feeds and their allow-list.
void ReadIntel(Reader& r, const YAML::Node& in, IntelOptions* out) {
  r.Keys(in, "intel", {"max_list_bytes", "max_indicators", "alert_dedup", "hunt_on_import", "feeds", "allowed_urls",
                       "allow_internal", "ca_file"});
  if (!in || !r.status.ok()) return;
  r.Size(in["max_list_bytes"], "intel.max_list_bytes", &out->max_list_bytes);
  r.Count(in["max_indicators"], "intel.max_indicators", &out->max_indicators);
  r.Duration(in["alert_dedup"], "intel.alert_dedup", &out->alert_dedup_ns, true);
  r.Bool(in["hunt_on_import"], "intel.hunt_on_import", &out->hunt_on_import);
  r.Bool(in["allow_internal"], "intel.allow_internal", &out->allow_internal);
  r.Str(in["ca_file"], "intel.ca_file", &out->ca_file);
  if (auto urls = in["allowed_urls"]; urls && !urls.IsNull() && !StringList(urls, &out->allowed_urls))
    return r.Fail("intel.allowed_urls", "must be a list of URL prefixes");
  auto feeds = in["feeds"];
  if (!feeds || feeds.IsNull() || !r.status.ok()) return;
  if (!feeds.IsSequence()) return r.Fail("intel.feeds", "must be a list of {name, url, format, interval}");
  out->feeds.clear();
  for (size_t i = 0; i < feeds.size(); ++i) {
    const std::string where = fmt::format("intel.feeds[{}]", i);
    r.Keys(feeds[i], where, {"name", "url", "format", "interval"});
    IntelOptions::Feed f;
    r.Str(feeds[i]["name"], where + ".name", &f.name);
    r.Str(feeds[i]["url"], where + ".url", &f.url);
    r.Str(feeds[i]["format"], where + ".format", &f.format);
    r.Duration(feeds[i]["interval"], where + ".interval", &f.interval_ns);
    if (!r.status.ok()) return;
    if (f.name.empty() || f.url.empty()) return r.Fail(where, "needs a name and a url");
    if (f.format != "text" && f.format != "csv" && f.format != "stix" && f.format != "misp")
      return r.Fail(where + ".format", "must be text, csv, stix or misp");
    out->feeds.push_back(std::move(f));
  }
}

// `notifications:` (issue 21): the targets' allow-list and the delivery settings.
void ReadNotify(Reader& r, const YAML::Node& in, NotifyOptions* out) {
  r.Keys(in, "notifications", {"allowed_targets", "queue_size", "max_attempts", "retry_initial", "retry_max", "timeout",
                               "ca_file", "rate_window"});
  if (!in || !r.status.ok()) return;
  if (auto a = in["allowed_targets"]; a && !a.IsNull() && !StringList(a, &out->allowed_targets))
    return r.Fail("notifications.allowed_targets", "must be a list of hosts, addresses or networks (with :port)");
  for (const std::string& e : out->allowed_targets) {
    if (std::string why = CheckAllowEntry(e); !why.empty()) return r.Fail("notifications.allowed_targets", why);
  }
  r.Count(in["queue_size"], "notifications.queue_size", &out->queue_size);
  r.Int(in["max_attempts"], "notifications.max_attempts", 1, 100, &out->max_attempts);
  r.Duration(in["retry_initial"], "notifications.retry_initial", &out->retry_initial_ns);
  r.Duration(in["retry_max"], "notifications.retry_max", &out->retry_max_ns);
  r.Duration(in["timeout"], "notifications.timeout", &out->timeout_ns);
  r.Str(in["ca_file"], "notifications.ca_file", &out->ca_file);
  r.Duration(in["rate_window"], "notifications.rate_window", &out->rate_window_ns);
}

// `schedules:` (issue 25): scheduled searches and reports.
void ReadSchedules(Reader& r, const YAML::Node& in, ScheduleOptions* out) {
  r.Keys(in, "schedules", {"workers", "min_interval", "lag", "history"});
  if (!in || !r.status.ok()) return;
  r.Int(in["workers"], "schedules.workers", 1, 16, &out->workers);
  r.Duration(in["min_interval"], "schedules.min_interval", &out->min_interval_ns);
  r.Duration(in["lag"], "schedules.lag", &out->lag_ns, true);
  r.Count(in["history"], "schedules.history", &out->history);
  if (r.status.ok() && (out->history < 1 || out->history > 10000)) r.Fail("schedules.history", "must be 1 to 10000");
}
}  // namespace

namespace {
// `store: {backend}` and `clickhouse: {urls, cluster, database, user, password, tls: {ca_file},
// node, spool_max, batch_events, lease_poll}`
// (issue 26); clickhouse::Validate checks the values once loaded (ops::ValidateConfig).
void ReadClickHouse(Reader& r, const YAML::Node& store, const YAML::Node& ch, Config* cfg) {
  r.Keys(store, "store", {"backend"});
  if (store && store["backend"] && r.status.ok()) {
    const std::string v = store["backend"].IsScalar() ? store["backend"].as<std::string>() : "";
    if (v != "rocksdb" && v != "clickhouse") return r.Fail("store.backend", "must be rocksdb or clickhouse");
    cfg->backend = v;
  }
  r.Keys(ch, "clickhouse", {"urls", "cluster", "database", "user", "password", "tls", "node", "spool_max", "batch_events",
                                    "lease_poll"});
  if (!ch || !r.status.ok()) return;
  clickhouse::ClickHouseOptions& o = cfg->clickhouse;
  if (auto urls = ch["urls"]) {
    if (!urls.IsSequence()) return r.Fail("clickhouse.urls", "must be a list of http:// or https:// URLs");
    o.urls.clear();
    for (const auto& u : urls) o.urls.push_back(u.IsScalar() ? u.as<std::string>() : "");
  }
  r.Str(ch["cluster"], "clickhouse.cluster", &o.cluster);
  r.Str(ch["database"], "clickhouse.database", &o.database);
  r.Str(ch["user"], "clickhouse.user", &o.user);
  r.Str(ch["password"], "clickhouse.password", &o.password);
  r.Keys(ch["tls"], "clickhouse.tls", {"ca_file"});
  if (ch["tls"]) r.Str(ch["tls"]["ca_file"], "clickhouse.tls.ca_file", &o.ca_file);
  r.Str(ch["node"], "clickhouse.node", &o.node);
  r.Size(ch["spool_max"], "clickhouse.spool_max", &o.spool_max_bytes);
  r.Count(ch["batch_events"], "clickhouse.batch_events", &o.batch_events);
  r.Duration(ch["lease_poll"], "clickhouse.lease_poll", &o.lease_poll_ns, /*zero_ok=*/true);
}
}  // namespace

Status LoadConfigFile(const std::string& path, Config* cfg) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}: {}", path, e.what()));
  }
  if (root.IsNull()) return Status::OK();  // an empty file keeps every default
  Reader r(path);
  bool secure_cookies = false;
  try {
    r.Keys(root, "", {"data_dir", "syslog", "http", "storage", "retention", "parse", "query", "io_threads",
                     "ingest", "gelf", "auth", "tls", "monitor", "detection", "backup", "intel", "notifications",
                     "parsers", "store", "clickhouse", "schedules"});
    r.Str(root["data_dir"], "data_dir", &cfg->storage.dir);
    r.Int(root["io_threads"], "io_threads", 1, 64, &cfg->io_threads);
    auto sys = root["syslog"];
    r.Keys(sys, "syslog", {"udp", "tcp", "max_frame", "idle_timeout", "max_connections", "max_connections_per_ip", "source", "udp_receive_buffer",
                           "tls", "client_certs", "relp", "relp_tls"});
    if (sys) {
      r.SyslogTls(sys["tls"], &cfg->syslog.tls_listen);
      r.OneOf(sys["client_certs"], "syslog.client_certs", {"none", "optional", "require"}, &cfg->syslog.tls_client_certs);
      r.Str(sys["udp"], "syslog.udp", &cfg->syslog.udp_listen);
      r.Str(sys["tcp"], "syslog.tcp", &cfg->syslog.tcp_listen);
      r.Size(sys["max_frame"], "syslog.max_frame", &cfg->syslog.max_frame);
      r.Duration(sys["idle_timeout"], "syslog.idle_timeout", &cfg->syslog.idle_timeout_ns);
      r.Count(sys["max_connections"], "syslog.max_connections", &cfg->syslog.max_connections);
      r.Count(sys["max_connections_per_ip"], "syslog.max_connections_per_ip", &cfg->syslog.max_connections_per_ip);
      r.Str(sys["source"], "syslog.source", &cfg->syslog.source);
      r.Size(sys["udp_receive_buffer"], "syslog.udp_receive_buffer", &cfg->syslog.udp_receive_buffer);
      r.Str(sys["relp"], "syslog.relp", &cfg->syslog.relp_listen);  // issue 27 (ingest/relp_server.h)
      r.Bool(sys["relp_tls"], "syslog.relp_tls", &cfg->syslog.relp_tls);
    }
    auto http = root["http"];
    r.Keys(http, "http", {"listen", "max_body", "max_header", "read_timeout", "worker_threads", "tls", "client_certs",
                          "max_connections", "max_connections_per_ip", "header_timeout", "bodies_in_flight"});
    if (http) {
      r.Bool(http["tls"], "http.tls", &cfg->http.tls);
      r.OneOf(http["client_certs"], "http.client_certs", {"none", "optional", "require"}, &cfg->http.client_certs);
      r.Count(http["max_connections"], "http.max_connections", &cfg->http.max_connections);
      r.Count(http["max_connections_per_ip"], "http.max_connections_per_ip", &cfg->http.max_connections_per_ip);
      r.Duration(http["header_timeout"], "http.header_timeout", &cfg->http.header_timeout_ns);
      r.Str(http["listen"], "http.listen", &cfg->http.listen);
      r.Size(http["max_body"], "http.max_body", &cfg->http.max_body);
      r.Size(http["max_header"], "http.max_header", &cfg->http.max_header);
      r.Duration(http["read_timeout"], "http.read_timeout", &cfg->http.read_timeout_ns);
      r.Int(http["worker_threads"], "http.worker_threads", 1, 256, &cfg->http.worker_threads);
      r.Size(http["bodies_in_flight"], "http.bodies_in_flight", &cfg->http.bodies_in_flight);
    }
    auto st = root["storage"];
    r.Keys(st, "storage", {"sync_interval", "block_events", "block_bytes", "cache", "write_buffer", "queue",
                          "min_free"});  // min_free: reliability (issue 9)
    if (st) {
      r.Duration(st["sync_interval"], "storage.sync_interval", &cfg->pipeline.sync_interval_ns);
      r.Count(st["block_events"], "storage.block_events", &cfg->storage.block_max_events);
      r.Size(st["block_bytes"], "storage.block_bytes", &cfg->storage.block_max_bytes);
      size_t mb = 0;
      r.Size(st["cache"], "storage.cache", &mb);
      if (mb) cfg->storage.cache_mb = std::max<size_t>(1, mb >> 20);
      mb = 0;
      r.Size(st["write_buffer"], "storage.write_buffer", &mb);
      if (mb) cfg->storage.write_buffer_mb = std::max<size_t>(1, mb >> 20);
      r.Size(st["queue"], "storage.queue", &cfg->pipeline.max_queue_bytes);
      size_t min_free = cfg->pipeline.min_free_bytes;  // reliability (issue 9)
      r.Size(st["min_free"], "storage.min_free", &min_free);
      cfg->pipeline.min_free_bytes = min_free;
    }
    auto ret = root["retention"];
    r.Keys(ret, "retention", {"max_age_days", "check_interval", "min_free", "max_size"});
    if (ret) {
      r.Int(ret["max_age_days"], "retention.max_age_days", 0, 100000, &cfg->storage.max_age_days);
      r.Duration(ret["check_interval"], "retention.check_interval", &cfg->pipeline.retention_check_ns);
      size_t v = cfg->pipeline.retention_min_free_bytes;  // reliability (issue 9)
      r.Size(ret["min_free"], "retention.min_free", &v);
      cfg->pipeline.retention_min_free_bytes = v;
      v = cfg->pipeline.retention_max_bytes;
      r.Size(ret["max_size"], "retention.max_size", &v);
      cfg->pipeline.retention_max_bytes = v;
    }
    auto parse = root["parse"];
    r.Keys(parse, "parse", {"future_margin"});
    if (parse) r.Duration(parse["future_margin"], "parse.future_margin", &cfg->parse.syslog.future_margin_ns);
    auto q = root["query"];
    r.Keys(q, "query", {"default_limit", "max_limit", "timeout", "max_groups", "max_memory", "export_timeout",
                        "max_tails", "tail_buffer", "threads", "max_tails_per_principal", "max_query_bytes",
                        "clock_skew"});
    if (q) {
      r.Count(q["default_limit"], "query.default_limit", &cfg->query.default_limit);
      r.Count(q["max_limit"], "query.max_limit", &cfg->query.max_limit);
      r.Duration(q["timeout"], "query.timeout", &cfg->query.timeout_ns);
      r.Count(q["max_groups"], "query.max_groups", &cfg->query.max_groups);
      r.Size(q["max_memory"], "query.max_memory", &cfg->query.max_memory);
      r.Duration(q["export_timeout"], "query.export_timeout", &cfg->query.export_timeout_ns, true);
      r.Duration(q["clock_skew"], "query.clock_skew", &cfg->query.clock_skew_ns, true);  // issue 22
      r.Count(q["max_tails"], "query.max_tails", &cfg->query.max_tails);
      r.Count(q["max_tails_per_principal"], "query.max_tails_per_principal", &cfg->query.max_tails_per_principal);
      r.Size(q["tail_buffer"], "query.tail_buffer", &cfg->query.tail_buffer);
      r.Size(q["max_query_bytes"], "query.max_query_bytes", &cfg->query.max_query_bytes);  // issue 28
      int threads = static_cast<int>(cfg->query.threads);
      r.Int(q["threads"], "query.threads", 0, 64, &threads);
      cfg->query.threads = static_cast<unsigned>(threads);
    }
    // ---- shipper dialects (issue 7) ----
    auto ing = root["ingest"];
    r.Keys(ing, "ingest", {"max_inflated_bytes", "max_line", "hec_tokens", "es_version", "id_max_age"});
    if (ing) {
      r.Size(ing["max_inflated_bytes"], "ingest.max_inflated_bytes", &cfg->shippers.max_inflated_bytes);
      r.Size(ing["max_line"], "ingest.max_line", &cfg->shippers.max_line);
      if (auto t = ing["hec_tokens"]; t && r.status.ok()) {
        if (!t.IsSequence()) {
          r.Fail("ingest.hec_tokens", "must be a list of strings");
        } else {
          cfg->shippers.hec_tokens.clear();
          for (const auto& tok : t) cfg->shippers.hec_tokens.push_back(tok.as<std::string>());
        }
      }
      r.Str(ing["es_version"], "ingest.es_version", &cfg->shippers.es_version);
      r.Duration(ing["id_max_age"], "ingest.id_max_age", &cfg->shippers.id_max_age_ns);
    }
    auto gelf = root["gelf"];
    r.Keys(gelf, "gelf", {"udp", "tcp", "max_message", "max_pending_messages", "max_pending_bytes", "chunk_timeout",
                          "idle_timeout", "max_connections"});
    if (gelf) {
      r.Str(gelf["udp"], "gelf.udp", &cfg->gelf.udp_listen);
      r.Str(gelf["tcp"], "gelf.tcp", &cfg->gelf.tcp_listen);
      r.Size(gelf["max_message"], "gelf.max_message", &cfg->gelf.max_message);
      r.Count(gelf["max_pending_messages"], "gelf.max_pending_messages", &cfg->gelf.chunks.max_pending_messages);
      r.Size(gelf["max_pending_bytes"], "gelf.max_pending_bytes", &cfg->gelf.chunks.max_pending_bytes);
      r.Duration(gelf["chunk_timeout"], "gelf.chunk_timeout", &cfg->gelf.chunks.timeout_ns);
      r.Duration(gelf["idle_timeout"], "gelf.idle_timeout", &cfg->gelf.idle_timeout_ns);
      r.Count(gelf["max_connections"], "gelf.max_connections", &cfg->gelf.max_connections);
    }
    // ---- end shipper dialects ----
    // ---- security (issue 8) ----
    auto tls = root["tls"];
    r.Keys(tls, "tls", {"cert", "key", "client_ca"});
    if (tls) {
      r.Str(tls["cert"], "tls.cert", &cfg->http.tls_cert);
      r.Str(tls["key"], "tls.key", &cfg->http.tls_key);
      r.Str(tls["client_ca"], "tls.client_ca", &cfg->http.tls_client_ca);
    }
    auto auth = root["auth"];
    r.Keys(auth, "auth", {"session_idle", "session_max", "max_failures", "failure_window", "lockout", "search_rate",
                          "search_burst", "metrics_anonymous", "secure_cookies", "max_sessions_per_user", "login_rate",
                          "login_burst", "failure_audit_interval"});
    if (auth) {
      r.Duration(auth["session_idle"], "auth.session_idle", &cfg->auth.session_idle_ns);
      r.Duration(auth["session_max"], "auth.session_max", &cfg->auth.session_max_ns);
      r.Int(auth["max_failures"], "auth.max_failures", 0, 1000000, &cfg->auth.max_failures);
      r.Duration(auth["failure_window"], "auth.failure_window", &cfg->auth.failure_window_ns);
      r.Duration(auth["lockout"], "auth.lockout", &cfg->auth.lockout_ns);
      r.Number(auth["search_rate"], "auth.search_rate", &cfg->auth.search_rate);
      r.Number(auth["search_burst"], "auth.search_burst", &cfg->auth.search_burst);
      r.Bool(auth["metrics_anonymous"], "auth.metrics_anonymous", &cfg->auth.metrics_anonymous);
      r.Bool(auth["secure_cookies"], "auth.secure_cookies", &secure_cookies);
      r.Int(auth["max_sessions_per_user"], "auth.max_sessions_per_user", 0, 100000, &cfg->auth.max_sessions_per_user);
      r.Number(auth["login_rate"], "auth.login_rate", &cfg->auth.login_rate);
      r.Number(auth["login_burst"], "auth.login_burst", &cfg->auth.login_burst);
      r.Duration(auth["failure_audit_interval"], "auth.failure_audit_interval", &cfg->auth.failure_audit_interval_ns);
    }
    // ---- end security ----
    // ---- self-monitoring (issue 10) ----
    auto mon = root["monitor"];
    r.Keys(mon, "monitor", {"interval", "disk_low", "repeat", "source_silence", "login_burst"});
    if (mon) {
      r.Duration(mon["interval"], "monitor.interval", &cfg->monitor.interval_ns);
      if (auto d = mon["disk_low"]; d && r.status.ok()) {
        std::string v = d.IsScalar() ? d.as<std::string>() : std::string();
        size_t bytes = 0;
        double pct = -1;
        if (!v.empty() && v.back() == '%') {
          try {
            size_t used = 0;
            pct = std::stod(v.substr(0, v.size() - 1), &used);
            if (used != v.size() - 1) pct = -1;
          } catch (const std::exception&) {
            pct = -1;
          }
          if (pct < 0 || pct > 100) r.Fail("monitor.disk_low", "must be a share like 10% (0% to 100%) or a size like 5GiB");
          else {
            cfg->monitor.disk_low_ratio = pct / 100;
            cfg->monitor.disk_low_bytes = 0;
          }
        } else if (ParseSize(v, &bytes)) {
          cfg->monitor.disk_low_bytes = bytes;
          cfg->monitor.disk_low_ratio = 0;  // a size of 0 turns the check off
        } else {
          r.Fail("monitor.disk_low", "must be a share like 10% (0% to 100%) or a size like 5GiB");
        }
      }
      r.Duration(mon["repeat"], "monitor.repeat", &cfg->monitor.repeat_ns, true);
      r.Duration(mon["source_silence"], "monitor.source_silence", &cfg->monitor.source_silence_ns);
      r.Int(mon["login_burst"], "monitor.login_burst", 0, 1000000, &cfg->monitor.login_burst);
    }
    // ---- end self-monitoring ----
    ReadDetection(r, root["detection"], &cfg->detection);  // issue 20
    ReadIntel(r, root["intel"], &cfg->intel);              // issue 28
    ReadNotify(r, root["notifications"], &cfg->notify);    // issue 21
    ReadParsers(r, root["parsers"], &cfg->parsers);        // issue 23
    ReadSchedules(r, root["schedules"], &cfg->schedules);  // issue 25
    ReadClickHouse(r, root["store"], root["clickhouse"], cfg);  // issue 26
    auto backup = root["backup"];
    r.Keys(backup, "backup", {"allowed_dirs"});
    if (backup && backup["allowed_dirs"] && r.status.ok()) {
      auto d = backup["allowed_dirs"];
      if (!d.IsSequence()) {
        r.Fail("backup.allowed_dirs", "must be a list of absolute directories");
      } else {
        cfg->backup.allowed_dirs.clear();
        for (const auto& e : d) {
          std::string v = e.IsScalar() ? e.as<std::string>() : "";
          if (v.empty() || v[0] != '/') r.Fail("backup.allowed_dirs", "must be a list of absolute directories");
          else cfg->backup.allowed_dirs.push_back(v);
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}: {}", path, e.what()));
  }
  // TLS settings shared by HTTPS and syslog over TLS (issue 8).
  cfg->syslog.tls_cert = cfg->http.tls_cert;
  cfg->syslog.tls_key = cfg->http.tls_key;
  cfg->syslog.tls_client_ca = cfg->http.tls_client_ca;
  // Secure cookies under HTTPS, or behind a TLS-terminating proxy (auth.secure_cookies).
  cfg->auth.secure_cookies = cfg->http.tls || secure_cookies;
  if (r.status.ok() && (cfg->http.tls || !cfg->syslog.tls_listen.empty()) &&
      (cfg->http.tls_cert.empty() || cfg->http.tls_key.empty()))
    return Status::InvalidArgument(path + ": http.tls and syslog.tls need tls.cert and tls.key");
  if (r.status.ok() && cfg->syslog.relp_tls && (cfg->syslog.relp_listen.empty() || cfg->http.tls_cert.empty() ||
                                                 cfg->http.tls_key.empty()))
    return Status::InvalidArgument(path + ": syslog.relp_tls needs syslog.relp, tls.cert and tls.key");  // issue 27
  if (r.status.ok() && (cfg->http.client_certs != "none" || cfg->syslog.tls_client_certs != "none") &&
      cfg->http.tls_client_ca.empty())
    return Status::InvalidArgument(path + ": client_certs needs tls.client_ca");
  return r.status;
}

}  // namespace kamatama::server
