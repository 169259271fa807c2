// ops/commands.cc: the subcommands check-config, backup, restore and import.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "clickhouse/client.h"
#include "clickhouse/schema.h"
#include "core/time.h"
#include "detect/hunt.h"
#include "detect/ruleset.h"
#include "ops/importer.h"
#include "server/clickhouse_spool.h"
#include "server/detection.h"
#include "ops/ops.h"
#include "parsers/parse.h"

namespace kamatama::ops {

namespace {
struct Args {
  std::string check_file;
  std::string to, from, data_dir, server = "http://127.0.0.1:8080", config, source, user, token;
  uint32_t backup_id = 0;
  bool list = false, no_progress = false;
  std::vector<std::string> paths;
  std::vector<std::string> rules;  //!< import --rules
  CLI::App *check = nullptr, *backup = nullptr, *restore = nullptr, *import = nullptr;
  CLI::App *clickhouse = nullptr, *clickhouse_init = nullptr;  // issue 26
};
Args& A() {
  static Args a;
  return a;
}

std::string Abs(const std::string& p) {
  std::error_code ec;
  auto a = std::filesystem::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

// RocksDB reports a held LOCK as an IO error mentioning the lock file.
std::string ExplainOpenError(const Status& s, const std::string& dir) {
  std::string m = s.ToString();
  if (m.find("lock") != std::string::npos || m.find("LOCK") != std::string::npos)
    return fmt::format("the store in {} is in use by a running kamatama server (its LOCK file is held): {}", dir,
                       "stop the server first, or for a backup use --server URL");
  return m;
}

//! With `outbox`, the store keeps the events it gets for the cluster (store.backend: clickhouse).
Status OpenStore(const std::string& dir, const ParseOptions& parse, std::unique_ptr<store::Store>* out,
                 bool outbox = false) {
  store::StoreOptions so;
  so.dir = dir;
  so.outbox = outbox;
  if (!std::filesystem::exists(dir)) return Status::NotFound(fmt::format("{}: no such data directory", dir));
  Status s = store::Store::Open(so, [parse](const RawRecord& r) { return ParseRecord(r, parse); }, out);
  if (!s.ok()) return Status::IoError(ExplainOpenError(s, dir));
  if (!(*out)->FormatNote().empty()) fmt::print(stderr, "kamatama: {}\n", (*out)->FormatNote());
  return s;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') out.push_back(static_cast<char>(c));
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string Base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(t[(v >> k) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {t[(v >> 18) & 63], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {t[(v >> 18) & 63], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// POST to a running server (plain HTTP). Returns the status code, -1 on a connection error.
int HttpPost(const std::string& url, const std::string& target, std::string* body, std::string* error) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos) {
    *error = "only http:// server URLs are supported";
    return -1;
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  std::string port = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::user_agent, "kamatama-cli");
    std::string user = A().user, token = A().token;
    if (user.empty() && std::getenv("KAMATAMA_USER")) user = std::getenv("KAMATAMA_USER");
    if (token.empty() && std::getenv("KAMATAMA_TOKEN")) token = std::getenv("KAMATAMA_TOKEN");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    else if (!user.empty()) req.set(http::field::authorization, "Basic " + Base64(user));
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    *body = res.body();
    beast::error_code ec;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    return static_cast<int>(res.result_int());
  } catch (const std::exception& e) {
    *error = e.what();
    return -1;
  }
}

int CheckConfig() {
  server::Config cfg;
  Status s = LoadConfig(A().check_file, &cfg);
  if (!s.ok()) {
    fmt::print(stderr, "kamatama: {}\n", s.ToString());
    return 2;
  }
  if (cfg.backend == "clickhouse") {  // issue 26: reach every server, and find the cluster
    std::string report;
    s = clickhouse::CheckServers(clickhouse::Client(cfg.clickhouse), &report);
    fmt::print("{}", report);
    if (!s.ok()) {
      fmt::print(stderr, "kamatama: {}: clickhouse: {}\n", A().check_file, s.ToString());
      return 2;
    }
  }
  fmt::print("{}: OK\n", A().check_file);
  return 0;
}

// `kamatama clickhouse init --config F` (issue 26): the database and tables, idempotently.
int ClickHouseInit() {
  server::Config cfg;
  Status s = LoadConfig(A().config, &cfg);
  if (s.ok() && cfg.backend != "clickhouse")
    s = Status::InvalidArgument(A().config + ": store.backend: must be clickhouse for clickhouse init");
  std::string report;
  if (s.ok()) s = clickhouse::InitSchema(clickhouse::Client(cfg.clickhouse), &report);
  fmt::print("{}", report);
  if (!s.ok()) {
    fmt::print(stderr, "kamatama clickhouse init: {}\n", s.ToString());
    return 1;
  }
  return 0;
}

int Backup() {
  auto& a = A();
  std::string to = Abs(a.to);
  if (a.list) {
    std::vector<store::Store::BackupInfo> all;
    Status s = store::Store::ListBackups(to, &all);
    if (!s.ok()) {
      fmt::print(stderr, "kamatama backup: {}\n", s.ToString());
      return 1;
    }
    fmt::print("{:>6}  {:<24}  {:>14}  {:>6}\n", "id", "time", "bytes", "files");
    for (const auto& b : all)
      fmt::print("{:>6}  {:<24}  {:>14}  {:>6}\n", b.id, FormatRfc3339(b.timestamp * 1'000'000'000), b.bytes, b.files);
    return 0;
  }
  int64_t t0 = NowNanos();
  if (!a.data_dir.empty()) {  // offline: no server runs on this data directory
    std::unique_ptr<store::Store> st;
    Status s = OpenStore(a.data_dir, ParseOptions(), &st);
    store::Store::BackupInfo info;
    if (s.ok()) s = st->Backup(to, &info);
    if (!s.ok()) {
      fmt::print(stderr, "kamatama backup: {}\n", s.ToString());
      return 1;
    }
    fmt::print("backup {} written to {} ({} file(s), {} bytes, {} state file(s), {:.2f} s)\n", info.id, to, info.files,
               info.bytes, info.state_files,
               (NowNanos() - t0) / 1e9);
    return 0;
  }
  std::string body, error;
  int code = HttpPost(a.server, "/api/v1/admin/backup?to=" + UrlEncode(to), &body, &error);
  if (code < 0) {
    fmt::print(stderr, "kamatama backup: cannot reach the server at {}: {}\n", a.server, error);
    return 1;
  }
  if (code != 200) {
    fmt::print(stderr, "kamatama backup: the server answered {}: {}\n", code, body);
    return 1;
  }
  fmt::print("{}\n", body);
  return 0;
}

int Restore() {
  auto& a = A();
  Status s = store::Store::Restore(Abs(a.from), a.backup_id, a.data_dir);
  if (!s.ok()) {
    fmt::print(stderr, "kamatama restore: {}\n", s.ToString());
    return 1;
  }
  fmt::print("restored {} from {} into {}\n", a.backup_id ? fmt::format("backup {}", a.backup_id) : "the latest backup",
             Abs(a.from), a.data_dir);
  return 0;
}

//! Alerts for a chunk of imported events (issue 20): the rules that fire on each event give an
//! alert marked kamatama.alert.origin "imported", appended to the chunk.
size_t ImportAlerts(const detect::RuleSet& set, const ParseOptions& parse, std::vector<Event>* events,
                    std::vector<RawRecord>* raws) {
  std::vector<const detect::Rule*> fired;
  std::vector<RawRecord> alert_raws;
  const int64_t now = NowNanos();
  for (const Event& ev : *events) {
    const std::string* ds = ev.Get(field::kDataset);
    if (ds && detect::IsOwnDataset(*ds)) continue;
    fired.clear();
    set.Match(ev, &fired);
    for (const detect::Rule* rule : fired) {
      RawRecord raw;
      raw.received_ns = now;
      raw.data = server::AddAlertFields(server::AlertJson(*rule, ev, now), {{"kamatama.alert.origin", "imported"},
                                                                            {"kamatama.alert.key", server::AlertKey(*rule, ev)}});
      raw.flags = kRawJson | kRawInternal;
      alert_raws.push_back(std::move(raw));
    }
  }
  for (RawRecord& raw : alert_raws) {
    events->push_back(ParseRecord(raw, parse));
    raws->push_back(std::move(raw));
  }
  return alert_raws.size();
}

//! Loads the rules of detection.rules and --rules for an import; false if a directory cannot be
//! read (the import does not start).
bool LoadImportRules(const server::Config& cfg, const std::vector<std::string>& extra, detect::RuleSet* set) {
  std::vector<std::string> dirs = cfg.detection.rules;
  dirs.insert(dirs.end(), extra.begin(), extra.end());
  if (dirs.empty()) return true;
  detect::CompileOptions co;
  co.placeholders = cfg.detection.placeholders;
  detect::LoadSummary summary;
  Status s = set->Load(dirs, co, &summary);
  fmt::print(stderr, "kamatama import: detection: {} rules loaded, {} unsupported, {} invalid\n", summary.loaded,
             summary.unsupported, summary.invalid);
  if (!s.ok()) fmt::print(stderr, "kamatama import: {}\n", s.ToString());
  return s.ok();
}

//! Sends the spool of `st` (the imported events, and whatever `kamatama serve` left unsent) to
//! the cluster and waits until the cluster has confirmed every event. Gives up once the cluster
//! has refused or not answered for clickhouse.timeout_seconds without progress: the events stay
//! in the spool (nothing is lost) and the next `kamatama serve` or import sends them; exit 1.
int SendSpool(const server::Config& cfg, store::Store* st) {
  clickhouse::Client client(cfg.clickhouse);
  server::SpoolSenderOptions so;
  so.node = clickhouse::NodeName(cfg.clickhouse);
  so.batch_events = cfg.clickhouse.batch_events;
  so.idle_wait_ns = 20'000'000;
  std::string last_log;
  server::SpoolSender sender(st, &client, so, [&last_log](const std::string& m) { last_log = m; });
  const int64_t t0 = NowNanos();
  sender.Start();
  uint64_t sent = 0;
  int64_t progress_ns = t0;
  const int64_t patience_ns = std::max(1, cfg.clickhouse.timeout_seconds) * int64_t{1'000'000'000};
  while (st->OutboxEvents() > 0) {
    ::usleep(20'000);
    if (sender.SentEvents() != sent) {
      sent = sender.SentEvents();
      progress_ns = NowNanos();
    }
    if (!sender.Reachable() && NowNanos() - progress_ns > patience_ns) break;
  }
  sender.Stop();
  const uint64_t left = st->OutboxEvents();
  fmt::print(stderr, "kamatama import: {} event(s) sent to the ClickHouse cluster as node {} in {:.2f} s\n",
             sender.SentEvents(), so.node, (NowNanos() - t0) / 1e9);
  if (left == 0) return 0;
  fmt::print(stderr,
             "kamatama import: the cluster did not take them ({}): {} event(s) stay in the spool of {}, sent by the "
             "next kamatama serve or import on it\n",
             sender.LastError().empty() ? last_log : sender.LastError(), left, cfg.storage.dir);
  return 1;
}

int Import() {
  auto& a = A();
  server::Config cfg;
  if (!a.config.empty()) {
    Status s = LoadConfig(a.config, &cfg);
    if (!s.ok()) {
      fmt::print(stderr, "kamatama: {}\n", s.ToString());
      return 2;
    }
  }
  if (!a.data_dir.empty()) cfg.storage.dir = a.data_dir;
  std::unique_ptr<store::Store> st;
  std::error_code ec;
  std::filesystem::create_directories(cfg.storage.dir, ec);
  // Issue 26: into a cluster, the events go through the data directory's spool (its outbox), as
  // `kamatama serve` sends them: under the same node name and sequence numbers, exactly once.
  const bool to_cluster = cfg.backend == "clickhouse";
  Status s = OpenStore(cfg.storage.dir, cfg.parse, &st, to_cluster);
  if (!s.ok()) {
    fmt::print(stderr, "kamatama import: {}\n", s.ToString());
    return 1;
  }
  std::unique_ptr<ingest::IdRegistry> ids;
  // Chunks are remembered for ever (INT64_MAX/2 ns is ~146 years).
  s = ingest::IdRegistry::Open(cfg.storage.dir + "/import_ids", INT64_MAX / 2, &ids);
  if (!s.ok()) {
    fmt::print(stderr, "kamatama import: {}\n", s.ToString());
    return 1;
  }
  ImportOptions opt;
  opt.source = a.source;
  opt.parse = cfg.parse;
  opt.max_line = cfg.syslog.max_frame;
  opt.progress = !a.no_progress && ::isatty(2);
  detect::RuleSet rules;
  if (!LoadImportRules(cfg, a.rules, &rules)) return 1;
  if (!rules.rules().empty()) {
    opt.detect = [&rules, &cfg](std::vector<Event>* evs, std::vector<RawRecord>* raws) {
      return ImportAlerts(rules, cfg.parse, evs, raws);
    };
  }
  ImportStats stats;
  s = Import(a.paths, st.get(), ids.get(), opt, &stats);
  fmt::print(stderr,
             "kamatama import: {} file(s) ({} skipped as binary), {} line(s), {:.1f} MiB in {:.2f} s ({:.0f} lines/s): "
             "{} event(s) stored, {} line(s) already imported, {} dropped by retention\n",
             stats.files, stats.files_binary, stats.lines, stats.bytes / 1048576.0, stats.seconds,
             stats.lines / std::max(1e-3, stats.seconds), stats.stored, stats.duplicate_lines, stats.expired);
  if (stats.evtx_files || stats.failed_files)
    fmt::print(stderr, "kamatama import: {} .evtx file(s) read, {} file(s) unreadable, {} record(s) unreadable\n",
               stats.evtx_files, stats.failed_files, stats.unreadable_records);
  if (!rules.rules().empty())
    fmt::print(stderr, "kamatama import: {} alert(s) raised by {} rules (kamatama.alert.origin:imported)\n", stats.alerts,
               rules.rules().size());
  if (!s.ok()) {
    fmt::print(stderr, "kamatama import: {}\n", s.ToString());
    return 1;
  }
  return to_cluster ? SendSpool(cfg, st.get()) : 0;
}
}  // namespace

void AddCommands(CLI::App* app) {
  auto& a = A();
  a.check = app->add_subcommand("check-config", "validate a configuration file (exit 0 if valid, 2 if not)");
  a.check->add_option("file", a.check_file, "YAML configuration file")->required();

  a.clickhouse = app->add_subcommand("clickhouse", "the ClickHouse backend (store.backend: clickhouse)");
  a.clickhouse_init = a.clickhouse->add_subcommand("init", "create the database and tables on the cluster (idempotent)");
  a.clickhouse_init->add_option("--config", a.config, "configuration file with the clickhouse section")->required();

  a.backup = app->add_subcommand("backup", "incremental, consistent backup of the store into a directory");
  a.backup->add_option("--to", a.to, "backup directory (created; later backups share unchanged files)")->required();
  a.backup->add_option("--server", a.server, "URL of the running server that makes the backup (default http://127.0.0.1:8080)");
  a.backup->add_option("--data-dir", a.data_dir, "back up this data directory directly (no server may run on it)");
  a.backup->add_option("--user", a.user, "USER:PASSWORD of an admin, sent as HTTP Basic (or set KAMATAMA_USER)");
  a.backup->add_option("--token", a.token, "an API token with the admin scope (or set KAMATAMA_TOKEN)");
  a.backup->add_flag("--list", a.list, "list the backups in --to instead of making one");

  a.restore = app->add_subcommand("restore", "restore a backup into a new data directory");
  a.restore->add_option("--from", a.from, "backup directory")->required();
  a.restore->add_option("--data-dir", a.data_dir, "new, empty data directory")->required();
  a.restore->add_option("--backup-id", a.backup_id, "backup to restore (default: the latest)");

  a.import = app->add_subcommand("import", "load log files, directories and tar archives into a stopped store");
  a.import->add_option("paths", a.paths,
                       "files (.gz, .zst, .xz, .bz2 too), Windows .evtx files, directories, .tar/.tar.gz/.tgz/.tar.zst")
      ->required();
  a.import->add_option("--data-dir", a.data_dir, "data directory (default: data_dir of --config, else ./data)");
  a.import->add_option("--config", a.config, "configuration file (data_dir, parse and syslog.max_frame settings)");
  a.import->add_option("--source", a.source, "force a source parser by dataset name");
  a.import->add_flag("--no-progress", a.no_progress, "no progress line, even on a terminal");
  a.import->add_option("--rules", a.rules,
                       "a directory of Sigma rules run on the imported events (adds to detection.rules of --config); "
                       "alerts are marked kamatama.alert.origin:imported");
}

int RunCommand(const CLI::App& app) {
  auto& a = A();
  if (a.check && a.check->parsed()) return CheckConfig();
  if (a.clickhouse_init && a.clickhouse_init->parsed()) return ClickHouseInit();
  if (a.backup && a.backup->parsed()) return Backup();
  if (a.restore && a.restore->parsed()) return Restore();
  if (a.import && a.import->parsed()) return Import();
  return -1;
}

}  // namespace kamatama::ops
