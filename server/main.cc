// server/main.cc
//! The kamatama command: `serve` runs the server, `parse` prints parsed events as NDJSON.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdlib>
#include <malloc.h>
#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"
#include "detect/rules_cli.h"
#include "server/alert_store.h"
#include "server/detection.h"
#include "ingest/gelf_server.h"
#include "ingest/pipeline.h"
#include "ingest/relp_server.h"
#include "ingest/syslog_server.h"
#include "ops/ops.h"
#include "parsers/declarative/cli.h"
#include "parsers/declarative/parser_set.h"
#include "parsers/parse.h"
#include "parsers/registry.h"
#include "server/api.h"
#include "server/auth_cli.h"
#include "server/config.h"
#include "server/clickhouse_spool.h"
#include "server/http_server.h"
#include "server/intel_fetch.h"
#include "server/intel_live.h"
#include "server/intel_routes.h"
#include "server/library_kinds.h"
#include "server/owned_store.h"
#include "server/notifier.h"
#include "server/scheduler.h"
#include "server/reload_hooks.h"
#include "server/parser_loading.h"
#include "server/selfmon.h"
#include "store/store.h"

namespace {
using namespace kamatama;

void Log(const std::string& msg) {
  fmt::print(stderr, "{} kamatama: {}\n", FormatRfc3339(NowNanos()), msg);
  std::fflush(stderr);
}

// Thousands of syslog connections need more descriptors than the usual soft limit of 1024.
void RaiseFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Issue 8: a SIGHUP reload is a setting change, audited as one kamatama.audit event
// (config.reload, by "system"): what it applied, what waits for a restart, and what failed.
void AuditReload(server::Api& api, const ops::ReloadResult& r) {
  api.AuditLocal("config.reload", r.errors.empty() ? "success" : "failure", "signal",
                 {{"kamatama.changes", fmt::format("{}", fmt::join(r.applied, ", "))},
                  {"kamatama.restart_needed", fmt::format("{}", fmt::join(r.restart, ", "))},
                  {"error.message", fmt::format("{}", fmt::join(r.errors, "; "))}});
}

//! Loads the detection rules; logs the counts and every rule that did not load. False if a rule
//! directory cannot be read (at start: do not run without the rules asked for).
bool LoadRules(server::LiveDetection* detection, server::AlertStore* alerts, const server::DetectionOptions& opt) {
  detect::LoadSummary summary;
  Status s = detection->Load(opt, &summary);
  // Issue 21: the correlation rules of the same directories, over the rules just loaded.
  auto correlations = std::make_shared<detect::CorrelationSet>();
  if (auto rules = detection->Rules(); rules && s.ok()) (void)correlations->Load(opt.rules, *rules, &summary);
  alerts->SetCorrelations(std::move(correlations));
  alerts->SetLoadSummary(summary);
  for (const detect::LoadReport& r : summary.reports) {
    if (r.status != detect::RuleStatus::kLoaded)
      Log(fmt::format("rule {}: {}: {}", detect::RuleStatusName(r.status), r.path, r.reason));
  }
  if (!opt.rules.empty())
    Log(fmt::format("detection: {} rules loaded, {} unsupported, {} invalid; {} live", summary.loaded,
                    summary.unsupported, summary.invalid, detection->RuleCount()));
  if (!s.ok()) Log("error: detection rules: " + s.ToString());
  return s.ok();
}

//! Loads the declarative parsers `cfg` names (server/parser_loading.h) into `holder` (issue 23);
//! logs the counts and every definition that did not load. False, with the running set kept, if
//! a directory cannot be read.
bool LoadUserParsers(const server::Config& cfg, declarative::UserParsers* holder) {
  declarative::LoadSummary summary;
  Status s = server::LoadServerParsers(cfg, holder, &summary);
  for (const declarative::Problem& p : summary.invalid) Log("parser invalid: " + p.ToString());
  for (const std::string& n : summary.overridden) Log("parser " + n + ": the user's definition replaces the shipped one");
  if (!s.ok()) {
    Log("error: parsers: " + s.ToString());
    return false;
  }
  if (!cfg.storage.dir.empty() || !cfg.parsers.dirs.empty() || !summary.invalid.empty())  // `parse` stays quiet
    Log(fmt::format("parsers: {} loaded ({} shipped), {} invalid, {} disabled", summary.loaded.size(), summary.shipped,
                  summary.invalid.size(), summary.disabled.size()));
  return true;
}

int Serve(server::Config cfg, const std::function<Status(server::Config*)>& reload_config) {
  RaiseFileLimit();
  // Issue 19: a data directory kamatama creates is its own alone (0700); an existing one keeps
  // the mode its administrator gave it.
  if (std::error_code ec; !std::filesystem::exists(cfg.storage.dir, ec)) {
    std::filesystem::create_directories(cfg.storage.dir, ec);
    if (!ec) std::filesystem::permissions(cfg.storage.dir, std::filesystem::perms::owner_all, ec);
  }
  // Declarative parsers (issue 23): one holder shared by every copy of cfg.parse, swapped on
  // SIGHUP (the hook below); before the store opens, so that recovery parses with them too.
  cfg.parse.user = std::make_shared<declarative::UserParsers>();
  if (!LoadUserParsers(cfg, cfg.parse.user.get())) return 1;
  // SIGHUP re-reads the definitions when there are files to re-read (parsers.dirs, or definitions
  // saved from the builder, which reloads by itself on a save); a server with neither takes a
  // change of parsers.* at a restart (reported so), and its reloads stay "nothing changed".
  if (std::error_code ec; !cfg.parsers.dirs.empty() || std::filesystem::is_directory(server::SavedParsersDir(cfg), ec)) {
    server::AddReloadHook("parsers", [holder = cfg.parse.user](const server::Config& next) {
      return LoadUserParsers(next, holder.get()) ? Status::OK() : Status::InvalidArgument("parsers kept");
    }, {"parsers.dirs", "parsers.shipped", "parsers.disable"});
  }
  Log(fmt::format("opening store in {}", cfg.storage.dir));
  std::unique_ptr<store::Store> store;
  cfg.storage.scan_threads = cfg.query.threads;
  // Issue 26: with the ClickHouse backend the local store is the durable spool (its outbox).
  const bool to_clickhouse = cfg.backend == "clickhouse";
  cfg.storage.outbox = to_clickhouse;
  cfg.storage.outbox_max_bytes = to_clickhouse ? cfg.clickhouse.spool_max_bytes : 0;
  ParseOptions parse = cfg.parse;
  Status s = store::Store::Open(cfg.storage, [parse](const RawRecord& r) { return ParseRecord(r, parse); }, &store);
  if (!s.ok()) {
    Log("error: " + s.ToString());
    return 1;
  }
  auto st = store->Stats();
  if (!store->FormatNote().empty()) Log("store: " + store->FormatNote());
  Log(fmt::format("store: {} partition(s), {} event(s) in blocks, {} recovered from the write-ahead log",
                  st.partitions, st.events_in_blocks, st.events_in_memory));
  ingest::Pipeline pipeline(store.get(), cfg.pipeline);
  // Live detection (issue 20): every event evaluated before it is queued; rules reload on SIGHUP.
  server::LiveDetection detection(cfg.parse);
  // Issue 21: alert state and rule tuning in the data directory; every match passes the gate.
  server::AlertStore alerts;
  if (Status as = alerts.Open(cfg.storage.dir, cfg.detection.alerts); !as.ok()) {
    Log("error: alerts: " + as.ToString());
    return 1;
  }
  detection.SetGate([&alerts](const detect::Rule& rule, const Event& ev, int64_t now) {
    server::AlertStore::Decision d = alerts.Observe(rule, ev, now);
    return server::AlertDecision{d.verdict == server::Verdict::kRaised, d.id, d.level, std::move(d.correlated)};
  });
  // Threat intelligence (issue 28): the lists in <data_dir>/intel, matched on every event beside
  // the rules (a hook of its own: the detection internals are not involved).
  std::unique_ptr<intel::ListStore> lists;
  if (Status ls = intel::ListStore::Open(cfg.storage.dir + "/intel", &lists); !ls.ok()) {
    Log("error: threat-intelligence lists: " + ls.ToString());
    return 1;
  }
  for (const std::string& e : lists->load_errors()) Log("warning: threat-intelligence list not loaded: " + e);
  Log(fmt::format("threat intelligence: {} list(s) loaded, {} feed(s)", lists->All().size(), cfg.intel.feeds.size()));
  // Rules may name lists (`field|list: NAME`): they follow the lists' updates.
  intel::FollowingLists rule_lists(lists.get());
  detection.SetLists(&rule_lists);
  if (!LoadRules(&detection, &alerts, cfg.detection)) return 1;
  server::LiveIntel live_intel(lists.get(), cfg.parse, cfg.intel.alert_dedup_ns);
  // Notifications (issue 21): the alerts both add to a batch are offered to the targets.
  server::Notifier notifier(cfg.notify, Log);
  if (Status ns = notifier.Open(cfg.storage.dir); !ns.ok()) {
    Log("error: notifications: " + ns.ToString());
    return 1;
  }
  pipeline.SetDetector([&detection, &live_intel, &notifier](ingest::Batch* b) {
    const size_t before = b->events.size();
    detection.Evaluate(b);
    live_intel.Evaluate(b);
    notifier.OfferAlerts(b->events, before);
  });
  // SIGHUP re-reads the rule files (edited in place or in new directories) when rules are on; a
  // server started without rules needs a restart to take its first directory.
  if (!cfg.detection.rules.empty()) {
    server::AddReloadHook("detection rules", [&detection, &alerts](const server::Config& next) {
      return LoadRules(&detection, &alerts, next.detection) ? Status::OK() : Status::InvalidArgument("rules kept");
    }, {"detection.rules", "detection.placeholders"});
  }
  server::Api api(cfg, store.get(), &pipeline);  // before Start: it observes the pipeline (live tail)
  // Issue 26: the spool sender, and searches answered by the cluster.
  std::unique_ptr<clickhouse::Client> ch_client;
  std::unique_ptr<server::SpoolSender> sender;
  if (to_clickhouse) {
    ch_client = std::make_unique<clickhouse::Client>(cfg.clickhouse);
    server::SpoolSenderOptions so;
    so.node = clickhouse::NodeName(cfg.clickhouse);
    so.batch_events = cfg.clickhouse.batch_events;
    sender = std::make_unique<server::SpoolSender>(store.get(), ch_client.get(), so, Log);
    api.SetClickHouse(ch_client.get(), [s = sender.get()] { return s->LastError(); });
    Log(fmt::format("store backend clickhouse: node {}, {} spooled event(s) to send, spool limit {} bytes", so.node,
                    store->OutboxEvents(), cfg.clickhouse.spool_max_bytes));
  }
  server::IntelRoutes intel_routes(cfg, store.get(), lists.get());
  api.SetIntel(&intel_routes);
  server::IntelFetcher fetcher(cfg.intel, &intel_routes, Log);  // intel.feeds on their schedule
  fetcher.Start();
  api.LoadLeases(Log);  // issue 22: before Start, so that no DHCP event is taken twice
  // Self-monitoring (issue 10): kamatama.internal events and the gauges operators alert on.
  server::MonitorOptions mon_opt = cfg.monitor;
  mon_opt.data_dir = cfg.storage.dir;
  server::SelfMonitor monitor(mon_opt, cfg.parse, store.get(), &pipeline);
  api.SetMonitor(&monitor);
  api.SetDetection(&detection);  // issue 20: /api/v1/hunt takes live rules by id
  api.SetAlerts(&alerts, &detection);
  api.SetNotifier(&notifier);
  investigate::CaseBook cases;  // issue 22: <data_dir>/cases.json
  if (Status cs = cases.Open(cfg.storage.dir); !cs.ok()) {
    Log("error: cases: " + cs.ToString());
    return 1;
  }
  api.SetCases(&cases);
  // Issue 25: saved searches and dashboards, one file each in the data directory.
  server::OwnedObjectStore saved_searches("saved_searches.json", server::kMaxSavedSearches);
  server::OwnedObjectStore dashboards("dashboards.json", server::kMaxDashboards);
  for (server::OwnedObjectStore* lib : {&saved_searches, &dashboards}) {
    if (Status ls = lib->Open(cfg.storage.dir); !ls.ok()) {
      Log("error: " + lib->file_name() + ": " + ls.ToString());
      return 1;
    }
  }
  std::vector<std::string> shipped_problems;  // a shipped dashboard the checks refuse: a build bug
  api.SetLibrary(&saved_searches, &dashboards, &shipped_problems);
  for (const std::string& p : shipped_problems) Log("error: shipped dashboard left out: " + p);
  // Issue 25: scheduled searches and reports (<data_dir>/schedules.json, schedule_ID.json).
  server::OwnedObjectStore schedules("schedules.json", server::kMaxSchedules);
  if (Status ls = schedules.Open(cfg.storage.dir); !ls.ok()) {
    Log("error: schedules.json: " + ls.ToString());
    return 1;
  }
  server::ScheduleRunContext run_ctx;
  run_ctx.search = [&api](const std::string& owner, const std::string& q, int64_t from, int64_t to, size_t limit,
                          const std::atomic<bool>* cancelled) { return api.SearchAs(owner, q, from, to, limit, cancelled); };
  run_ctx.saved_searches = &saved_searches;
  run_ctx.alerts = &alerts;
  run_ctx.pipeline = &pipeline;
  run_ctx.notifier = &notifier;
  run_ctx.parse = cfg.parse;
  run_ctx.max_limit = cfg.query.max_limit;
  run_ctx.audit = [&api](const server::ScheduleSpec& spec, const std::string& query, const server::ScheduleRun& run) {
    api.AuditLocal("schedule.search", run.outcome == "error" ? "failure" : "success", "schedule",
                   {{"kamatama.object.id", spec.id}, {"kamatama.schedule.owner", spec.owner},
                    {"kamatama.query", query.substr(0, server::Api::kMaxAuditedQuery)},
                    {"kamatama.results", std::to_string(run.rows)}, {"kamatama.schedule.outcome", run.outcome}});
  };
  server::Scheduler scheduler(cfg.schedules, &schedules, run_ctx, Log);
  if (Status ss = scheduler.Open(cfg.storage.dir); !ss.ok()) {
    Log("error: schedules: " + ss.ToString());
    return 1;
  }
  api.SetSchedules(&schedules, &scheduler);
  notifier.Start();
  pipeline.SetNotifier(monitor.PipelineNotifier());
  if (Status as = api.InitAuth(Log); !as.ok()) {  // issue 8: users, tokens, the first admin
    Log("error: " + as.ToString());
    return 1;
  }
  pipeline.Start();
  if (sender) sender->Start();  // issue 26
  monitor.Start();
  scheduler.Start();  // issue 25: after auth (runs search as their owners) and the pipeline
  api.DrainHostAudit();  // user and token changes made on the host while the server was stopped
  boost::asio::io_context io;
  ingest::SyslogServer syslog(io, &pipeline, cfg.parse, cfg.syslog);
  server::HttpServer http(cfg.http, &api);
  // SIGHUP re-reads the certificate, key and client CA files (renewed in place or at new paths):
  // connections accepted afterwards use them, established ones keep theirs.
  if (cfg.http.tls || !cfg.syslog.tls_listen.empty()) {
    server::AddReloadHook("tls certificates", [&http, &syslog](const server::Config& next) {
      Status hs = http.ReloadTls(next.http);
      Status ss = syslog.ReloadTls(next.syslog);
      return !hs.ok() ? hs : ss;
    }, {"tls.cert", "tls.key", "tls.client_ca"});
  }
  ingest::GelfServer gelf(io, &pipeline, cfg.parse, cfg.gelf);  // issue 7: GELF UDP/TCP
  ingest::RelpServer relp(io, &pipeline, cfg.parse, cfg.syslog);  // issue 27: RELP
  if (cfg.syslog.relp_tls) server::AddReloadHook("relp tls certificates", [&relp](const server::Config& next) {
    return relp.ReloadTls(next.syslog);
  }, {"tls.cert", "tls.key", "tls.client_ca"});
  int rc = 0;
  if (s = syslog.Start(); !s.ok()) {
    Log("error: " + s.ToString());
    rc = 1;
  } else if (s = relp.Start(); !s.ok()) {
    Log("error: " + s.ToString());
    rc = 1;
  } else if (s = gelf.Start(); !s.ok()) {
    Log("error: " + s.ToString());
    rc = 1;
  } else if (s = http.Start(); !s.ok()) {
    Log("error: " + s.ToString());
    rc = 1;
  }
  if (rc == 0) {
    // The handlers are registered before the first "listening" line: whoever waits for that line
    // (a test, a service manager) may send SIGHUP or SIGTERM at once, and a signal that arrives
    // before the async_wait below is queued by Asio instead of killing the process.
    boost::asio::signal_set hup(io, SIGHUP);
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    if (!cfg.syslog.udp_listen.empty()) Log("syslog udp listening on " + syslog.udp_address());
    if (!cfg.syslog.tcp_listen.empty()) Log("syslog tcp listening on " + syslog.tcp_address());
    if (!cfg.syslog.tls_listen.empty()) Log("syslog tls listening on " + syslog.tls_address());  // RFC 5425
    if (!cfg.syslog.relp_listen.empty()) Log("syslog relp listening on " + relp.address());  // issue 27
    if (!cfg.gelf.udp_listen.empty()) Log("gelf udp listening on " + gelf.udp_address());
    if (!cfg.gelf.tcp_listen.empty()) Log("gelf tcp listening on " + gelf.tcp_address());
    Log("http listening on " + http.address());
    api.SetReady(true);
    ops::NotifyReady(fmt::format("running; http on {}", http.address()));  // systemd Type=notify
    // SIGHUP: reload what can change live (issue 10, ops/reload.cc).
    std::function<void()> arm_hup = [&] {
      hup.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        Log("received SIGHUP, reloading the configuration");
        AuditReload(api, ops::Reload(reload_config, &cfg, store.get(), &pipeline, Log));  // issue 8
        arm_hup();
      });
    };
    arm_hup();
    // Issue 8: changes made with `kamatama user|token` reach the audit log within a second.
    boost::asio::steady_timer host_audit(io);
    std::function<void()> arm_host_audit = [&] {
      host_audit.expires_after(std::chrono::seconds(1));
      host_audit.async_wait([&](const boost::system::error_code& ec) {
        if (ec) return;
        api.DrainHostAudit();
        api.FlushAuthFailures();  // issue 19: failed credentials, one audit line per address a minute
        if (Status fs = alerts.Flush(); !fs.ok()) Log("error: alerts: " + fs.ToString());  // issue 21
        arm_host_audit();
      });
    };
    arm_host_audit();
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      Log(fmt::format("received signal {}, shutting down", sig));
      ops::NotifyStopping();
      hup.cancel();
      host_audit.cancel();
      api.SetReady(false);
      // Listeners are closed below, once no io thread runs: Asio objects are not thread-safe.
      io.stop();
    });
    std::vector<std::thread> threads;
    for (int i = 1; i < cfg.io_threads; ++i) threads.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();
    // The drain below must not be cut short by a second SIGTERM (a service manager or an admin
    // repeating it): it is ignored from here on. SIGINT (a second Ctrl-C) and SIGKILL still stop.
    std::signal(SIGTERM, SIG_IGN);
  }
  syslog.Stop();
  relp.Stop();  // answers what became durable: before pipeline.Stop()
  gelf.Stop();
  http.Stop();  // waits for running handlers: they may still use the pipeline and the store
  api.FlushAuthFailures(/*all=*/true);  // issue 19: the failures still counted reach the audit log
  fetcher.Stop();  // a fetch in progress imports and hunts: before the store goes
  scheduler.Stop();  // issue 25: runs in progress are cancelled; their alerts go through the pipeline
  monitor.Stop();  // queues its last events before the writer stops
  pipeline.Stop();
  if (sender) sender->Stop();  // issue 26: what it did not confirm stays in the spool
  api.StopLeaseFeed();  // issue 26: before the client it polls through goes
  if (Status fs = alerts.Flush(); !fs.ok()) Log("error: alerts: " + fs.ToString());
  st = store->Stats();
  store.reset();
  Log(fmt::format("stopped; {} event(s) stored", st.events_in_blocks + st.events_in_memory));
  return rc;
}

// Datasets that mean "no source parser understood this line".
bool IsUnparsedDataset(std::string_view ds) { return ds.substr(0, 7) == "syslog."; }

int Parse(const std::vector<std::string>& files, const std::string& source, bool stats, const ParseOptions& opt) {
  std::map<std::string, uint64_t> per_dataset;
  uint64_t total = 0, with_errors = 0;
  std::vector<std::string> unparsed;
  auto run = [&](std::istream& in) {
    std::string line, out;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      RawRecord r;
      r.received_ns = NowNanos();
      r.data = line;
      r.source = source;
      Event ev = ParseRecord(r, opt);
      if (stats) {
        ++total;
        const std::string* ds = ev.Get(field::kDataset);
        std::string name = ds ? *ds : "";
        ++per_dataset[name];
        if (ev.Get(field::kErrorMessage)) ++with_errors;
        if (IsUnparsedDataset(name) && unparsed.size() < 20) unparsed.push_back(line.substr(0, 200));
        continue;
      }
      out.clear();
      server::AppendEventJson(ev, &out);
      out.push_back('\n');
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  };
  if (files.empty()) {
    run(std::cin);
  } else {
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        fmt::print(stderr, "kamatama parse: cannot open {}\n", f);
        return 1;
      }
      run(in);
    }
  }
  if (stats) {
    uint64_t not_understood = 0;
    fmt::print("{:<40} {:>10} {:>7}\n", "dataset", "lines", "share");
    for (const auto& [ds, n] : per_dataset) {
      bool generic = IsUnparsedDataset(ds);
      if (generic) not_understood += n;
      fmt::print("{:<40} {:>10} {:>6.1f}%\n", generic ? ds + " (no source parser)" : ds, n,
                 total ? 100.0 * n / total : 0.0);
    }
    fmt::print("{:<40} {:>10}\n", "total", total);
    fmt::print("{:<40} {:>10}\n", "with error.message (half understood)", with_errors);
    fmt::print("{:<40} {:>10}\n", "not understood by any source parser", not_understood);
    if (!unparsed.empty()) {
      fmt::print("\nfirst {} line(s) not understood:\n", unparsed.size());
      for (const auto& l : unparsed) fmt::print("  {}\n", SanitizeUtf8(l));
    }
  }
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  // Memory: glibc gives each new thread its own heap arena (up to 8 per core), and freed memory
  // stays in the arena that held it. Searches run on short-lived worker threads, so every large
  // query left its peak behind in another arena: RSS grew by ~200 MiB per `stats` over 10M
  // events, without bound. Two arenas keep it flat (measured in docs/reliability.md). An
  // explicit MALLOC_ARENA_MAX in the environment wins. This matters only where the server runs on
  // glibc's malloc (sanitizer builds, or a build without tcmalloc); tcmalloc ignores mallopt.
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
  // Issue 19: nothing kamatama writes (store files, backups, exports to disk, the users file)
  // is readable by other accounts, whatever umask the caller had.
  // At least 027: a stricter mask (the unit's UMask=0077) is kept.
  ::umask(::umask(0) | 027);
  CLI::App app{"kamatama: a small SIEM: syslog and HTTP log collection, storage and search"};
  app.require_subcommand(1);
  std::string config_path, data_dir, udp, tcp, http_addr;
  bool udp_set = false, tcp_set = false;
  auto* serve = app.add_subcommand("serve", "run the server");
  serve->add_option("--config", config_path, "YAML configuration file (see deploy/kamatama.yaml)");
  serve->add_option("--data-dir", data_dir, "data directory (default ./data)");
  auto* udp_opt = serve->add_option("--syslog-udp", udp, "syslog UDP listen address host:port ('' disables)");
  auto* tcp_opt = serve->add_option("--syslog-tcp", tcp, "syslog TCP listen address host:port ('' disables)");
  serve->add_option("--http", http_addr, "HTTP listen address host:port");
  std::vector<std::string> rule_dirs;
  serve->add_option("--rules", rule_dirs, "a directory of Sigma rules to run on every event (adds to detection.rules)");
  std::vector<std::string> parser_dirs;
  serve->add_option("--parsers", parser_dirs, "a directory of declarative parser definitions (adds to parsers.dirs)");
  std::vector<std::string> files;
  std::string source;
  auto* parse = app.add_subcommand("parse", "parse log lines (files or stdin) and print events as NDJSON");
  parse->add_option("files", files, "input files (stdin when none)");
  parse->add_option("--source", source, "force a source parser by dataset name");
  bool stats = false;
  std::vector<std::string> parse_parser_dirs;
  parse->add_option("--parsers", parse_parser_dirs, "a directory of declarative parser definitions to parse with (repeatable)")
      ->allow_extra_args(false);  // one directory per flag: the input files follow
  bool no_shipped = false;
  parse->add_flag("--no-shipped", no_shipped, "without the device definitions shipped in the binary (parsers/defs)");
  parse->add_flag("--stats", stats, "print per-dataset counts and the lines no parser understood, not the events");
  app.add_subcommand("version", "print the version");
  app.add_subcommand("datasets", "list the source parsers (datasets) built in");
  ops::AddCommands(&app);  // check-config, backup, restore, import (issue 10)
  server::AddSecurityCommands(&app);  // user, token, cert (issue 8)
  detect::AddRulesCommands(&app);  // rules check (issue 20)
  declarative::AddParsersCommands(&app);  // parsers check|test (issue 23)
  CLI11_PARSE(app, argc, argv);
  if (int rc = server::RunSecurityCommand(app); rc >= 0) return rc;
  if (int rc = ops::RunCommand(app); rc >= 0) return rc;
  if (int rc = detect::RunRulesCommand(app); rc >= 0) return rc;
  if (int rc = declarative::RunParsersCommand(app); rc >= 0) return rc;

  if (app.got_subcommand("version")) {
    fmt::print("kamatama 0.1.0\n");
    return 0;
  }
  if (app.got_subcommand("datasets")) {
    for (const auto& d : ParserRegistry::Global().Datasets()) fmt::print("{}\n", d);
    return 0;
  }
  server::Config cfg;
  if (app.got_subcommand("parse")) {
    cfg.parse.user = std::make_shared<declarative::UserParsers>();
    cfg.parsers.dirs = parse_parser_dirs;
    cfg.parsers.shipped = !no_shipped;
    cfg.storage.dir.clear();  // no saved definitions: `parse` reads no data directory
    if (!LoadUserParsers(cfg, cfg.parse.user.get())) return 1;
    return Parse(files, source, stats, cfg.parse);
  }

  udp_set = udp_opt->count() > 0;
  tcp_set = tcp_opt->count() > 0;
  // The file, then the flags; the same again on SIGHUP (issue 10).
  auto load = [&](server::Config* c) -> Status {
    if (!config_path.empty()) {
      Status s = ops::LoadConfig(config_path, c);
      if (!s.ok()) return s;
    }
    if (!data_dir.empty()) c->storage.dir = data_dir;
    if (udp_set) c->syslog.udp_listen = udp;
    if (tcp_set) c->syslog.tcp_listen = tcp;
    if (!http_addr.empty()) c->http.listen = http_addr;
    for (const std::string& d : rule_dirs) c->detection.rules.push_back(d);
    for (const std::string& d : parser_dirs) c->parsers.dirs.push_back(d);
    return ops::ValidateConfig(config_path.empty() ? "command line" : config_path, *c);
  };
  if (Status s = load(&cfg); !s.ok()) {
    fmt::print(stderr, "kamatama: {}\n", s.ToString());
    return 2;
  }
  return Serve(cfg, load);
}
