// server/config.h
//! The server configuration: defaults for everything, overridden by a YAML file
//! (deploy/kamatama.yaml documents every key), overridden by command-line flags.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/gelf_server.h"
#include "ingest/pipeline.h"
#include "ingest/syslog_server.h"
#include "parsers/parse.h"
#include "server/auth.h"
#include "server/selfmon.h"
#include "clickhouse/options.h"
#include "store/store.h"

namespace kamatama::server {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";
  size_t max_body = 64u << 20;        //!< bytes of one request body
  size_t max_header = 64u << 10;      //!< bytes of request headers
  int64_t read_timeout_ns = 60LL * 1'000'000'000;
  int worker_threads = 8;             //!< threads that run searches and wait for ingest durability
  // ---- security (issue 8) ----
  bool tls = false;                   //!< HTTPS on `listen` with tls.cert/tls.key
  std::string client_certs = "none";  //!< none | optional | require (verified against tls.client_ca)
  size_t max_connections = 1000;      //!< open connections on the listener
  size_t max_connections_per_ip = 64; //!< open connections from one address
  int64_t header_timeout_ns = 10LL * 1'000'000'000;  //!< the request header (and an idle keep-alive) must arrive within this
  std::string tls_cert, tls_key, tls_client_ca;       //!< copied from `tls:`
  //! Request bodies being read at once, in bytes (issue 19): a body is read only after its
  //! header passed authentication, and only while this budget has room (else 503).
  size_t bodies_in_flight = 256u << 20;
};

struct QueryOptions {
  size_t default_limit = 100;
  size_t max_limit = 10000;
  int64_t timeout_ns = 30LL * 1'000'000'000;
  size_t max_groups = 100000;  //!< groups one stats/top/timechart may hold (memory cap)
  size_t max_memory = 256u << 20;  //!< bytes of events one search may hold
  int64_t export_timeout_ns = 0;   //!< an export stops after this long (0 = never)
  //! How far apart two sources' clocks may be when one connection is matched across them
  //! (GET /api/v1/connection, issue 22); a request's `tolerance` overrides it.
  int64_t clock_skew_ns = 120LL * 1'000'000'000;
  size_t max_tails = 32;           //!< live tail sessions at once
  size_t max_tails_per_principal = 4;  //!< live tails one user or token may hold at once
  size_t tail_buffer = 4u << 20;   //!< bytes waiting for one slow tail client before drops
  unsigned threads = 0;            //!< threads evaluating one query (0 = cores, at most 8)
  //! Longest query text (issue 28): POST /api/v1/search takes queries up to this size (413
  //! beyond it); a GET's query is bounded by http.max_header first.
  size_t max_query_bytes = 1u << 20;
};

// ---- shipper dialects (issue 7) ----
//! Limits and settings of the shipper endpoints (server/shipper_routes.h): `ingest:` in YAML.
struct ShipperOptions {
  size_t max_inflated_bytes = 64u << 20;  //!< a decompressed request body may not exceed this (413)
  size_t max_line = 1u << 20;             //!< one NDJSON line / document / entry
  std::vector<std::string> hec_tokens;    //!< accepted Splunk HEC tokens; empty accepts any
  std::string es_version = "8.17.0";      //!< the Elasticsearch version announced on GET /
  int64_t id_max_age_ns = 7LL * 86400 * 1'000'000'000;  //!< _id dedupe window
};
// ---- end shipper dialects ----

//! `detection:` (issue 20): Sigma rule directories evaluated on every ingested event.
//! `detection.alerts:` (issue 21): how matches become alerts (server/alert_store.h).
struct AlertOptions {
  int64_t dedup_window_ns = 600'000'000'000;  //!< `dedup_window`: 10 minutes of event time
  size_t per_rule_cap = 100;                  //!< `per_rule_cap`: new alerts per rule per hour
  //! `dedup_fields`: fields that, with the rule, make an alert's key (absent ones count as empty).
  std::vector<std::string> dedup_fields = {"host.name", "user.name", "source.ip"};
};

struct DetectionOptions {
  std::vector<std::string> rules;  //!< directories (or files) of Sigma rules; `serve --rules` adds one
  //! Values of `expand` placeholders (%name% -> values), e.g. admins: [alice, bob].
  std::map<std::string, std::vector<std::string>> placeholders;
  AlertOptions alerts;  //!< issue 21
};

//! `parsers:` (issue 23): directories (or files) of declarative parser definitions
//! (docs/parsers.md); `serve --parsers` adds one. Reloaded on SIGHUP. The definitions shipped in
//! the binary (parsers/defs) run after the user's unless `shipped` is false; `disable` names
//! definitions (shipped or not) to leave out. Definitions saved from the Unparsed page's builder
//! live in <storage.dir>/parsers and load with the others.
struct ParsersOptions {
  std::vector<std::string> dirs;
  bool shipped = true;
  std::vector<std::string> disable;
};

//! `backup:` (issue 19): where POST /api/v1/admin/backup may write. Each entry is resolved
//! (realpath) at start; a target must lie inside one of them and never inside the data directory.
struct BackupOptions {
  std::vector<std::string> allowed_dirs = {"/var/backups/kamatama"};
};

//! `intel:` (issue 28): threat-intelligence lists (server/intel_routes.h, intel/).
struct IntelOptions {
  size_t max_list_bytes = 64u << 20;     //!< the body of one PUT /api/v1/lists/NAME (413 beyond)
  size_t max_indicators = 2'000'000;     //!< indicators in one list
  int64_t alert_dedup_ns = 60LL * 1'000'000'000;  //!< one alert per (list, indicator, host) per this long (0: every hit)
  bool hunt_on_import = true;            //!< search the stored history for a list as it is imported
  //! Lists fetched from URLs on a schedule (set by an admin in the file only; server/intel_fetch.h).
  struct Feed {
    std::string name;                   //!< the list each fetch replaces
    std::string url;                    //!< http:// or https://
    std::string format = "text";        //!< text, csv, stix, misp
    int64_t interval_ns = 3600LL * 1'000'000'000;
  };
  std::vector<Feed> feeds;
  //! URL prefixes feeds may fetch from (none: nothing is fetched); e.g. "https://feeds.example/".
  std::vector<std::string> allowed_urls;
  //! Let feeds reach loopback, private, link-local and other internal addresses (off: refused).
  bool allow_internal = false;
  //! A PEM file of CA certificates trusted for https feeds beside the system's (a private CA of
  //! an internal feed server); empty: the system's only.
  std::string ca_file;
};

//! `notifications:` (issue 21): where alert notifications may go and how they are retried
//! (server/notifier.h). The targets themselves are set by admins over the API.
struct NotifyOptions {
  //! Hosts, addresses and networks targets may reach, each with an optional port:
  //! "hooks.example.org:443", "192.0.2.10", "10.1.0.0/16:8443", "[2001:db8::1]:25". Empty: none.
  //! Loopback, private and link-local addresses are reached only when an address or network
  //! entry covers them (a host name entry never does: DNS rebinding).
  std::vector<std::string> allowed_targets;
  size_t queue_size = 1000;     //!< deliveries waiting (new alerts beyond it are dropped and counted)
  int max_attempts = 8;         //!< attempts per delivery before it is given up (counted, logged)
  int64_t retry_initial_ns = 2LL * 1'000'000'000;  //!< wait after the first failure (doubles each time)
  int64_t retry_max_ns = 300LL * 1'000'000'000;    //!< longest wait between two attempts
  int64_t timeout_ns = 10LL * 1'000'000'000;       //!< one attempt (connect, TLS, send, answer)
  std::string ca_file;          //!< PEM CAs trusted beside the system's, for https and SMTP TLS
  int64_t rate_window_ns = 60LL * 1'000'000'000;  //!< a target's rate_limit counts messages per this long
};

//! `schedules:` (issue 25): scheduled searches and reports (server/scheduler.h).
struct ScheduleOptions {
  int workers = 2;              //!< runs at once (a slow run holds one; the others go on)
  //! Shortest `every` a schedule may have. 1m in production; tests set seconds (documented as
  //! a test knob in docs/dashboards.md).
  int64_t min_interval_ns = 60LL * 1'000'000'000;
  //! How long after a window ends it is searched, so that late logs are in it.
  int64_t lag_ns = 30LL * 1'000'000'000;
  size_t history = 100;         //!< runs kept per schedule (the oldest go first)
};

struct Config {
  store::StoreOptions storage;
  ingest::PipelineOptions pipeline;
  ingest::SyslogOptions syslog;
  ParseOptions parse;
  HttpOptions http;
  QueryOptions query;
  ShipperOptions shippers;    // `ingest:` (issue 7)
  ingest::GelfOptions gelf;   // `gelf:` (issue 7)
  AuthOptions auth;           // `auth:` (issue 8)
  MonitorOptions monitor;     // `monitor:` (issue 10, self-monitoring)
  DetectionOptions detection; // `detection:` (issue 20)
  BackupOptions backup;       // `backup:` (issue 19)
  IntelOptions intel;         // `intel:` (issue 28)
  NotifyOptions notify;       // `notifications:` (issue 21)
  ParsersOptions parsers;     // `parsers:` (issue 23)
  ScheduleOptions schedules;  // `schedules:` (issue 25)
  //! `store.backend` (issue 26): "rocksdb" (this machine) or "clickhouse" (the `clickhouse:` cluster).
  std::string backend = "rocksdb";
  clickhouse::ClickHouseOptions clickhouse;  // `clickhouse:` (issue 26)
  int io_threads = 2;
};

//! Syslog over TLS (RFC 5425) listens on this port when `syslog.tls` names no port.
inline constexpr int kSyslogTlsPort = 6514;

//! Loads `path` over the defaults in *cfg. Unknown keys are an error (a typo must not pass).
Status LoadConfigFile(const std::string& path, Config* cfg);

//! Parses sizes like "64KiB", "8MiB", "1GiB", "65536".
bool ParseSize(const std::string& text, size_t* out);

}  // namespace kamatama::server
