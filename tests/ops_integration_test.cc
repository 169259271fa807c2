// tests/ops_integration_test.cc: operating kamatama (issue 10): check-config, SIGHUP reload,
// sd_notify, backup during ingest + restore, the on-disk format version (an old-format fixture
// and a refused newer store), import of a .tar.gz of rotated/compressed logs (twice), and the
// Debian package with its systemd unit.
#include <rocksdb/db.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <map>
#include <mutex>
#include <regex>
#include <set>

#include "core/time.h"
#include "harness.h"

using namespace kmt_test;

namespace {
std::string Bin() { return KMT_BINARY; }
std::string BuildDir() { return std::filesystem::path(KMT_BINARY).parent_path().string(); }

void WriteFile(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

// The bytes of every file under dir.
uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

// The unsigned number after "key": in a JSON answer, or 0.
uint64_t JsonNumber(const std::string& json, const std::string& key) {
  size_t p = json.find("\"" + key + "\":");
  return p == std::string::npos ? 0 : std::strtoull(json.c_str() + p + key.size() + 3, nullptr, 10);
}

// The shared table files (shared_checksum/...) that RocksDB's backup meta file lists for backup id.
std::set<std::string> SharedTableFiles(const std::string& backups, int id) {
  std::set<std::string> files;
  std::istringstream in(ReadFile(backups + "/meta/" + std::to_string(id)));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("shared_checksum/", 0) == 0) files.insert(line.substr(0, line.find(' ')));
  }
  return files;
}

// The number of the log lines matching `needle` at or after `from` in the server log.
bool LogHas(const Server& s, const std::string& needle) { return s.log().find(needle) != std::string::npos; }
}  // namespace

TEST(Ops, CheckConfigNamesTheKeyAndServeRefusesWithTheSameMessage) {
  std::string dir = TempDir("ops_check");
  WriteFile(dir + "/typo.yaml", "retention:\n  max_age_dayz: 3\n");
  WriteFile(dir + "/addr.yaml", "syslog:\n  tcp: 0.0.0.0\n");
  WriteFile(dir + "/limits.yaml", "query:\n  default_limit: 500\n  max_limit: 100\n");
  struct Case {
    std::string file, message;
  } cases[] = {{"typo.yaml", "typo.yaml: retention.max_age_dayz: unknown key"},
               {"addr.yaml", "addr.yaml: syslog.tcp: must be HOST:PORT with a port from 0 to 65535, or \"\" to disable (got '0.0.0.0')"},
               {"limits.yaml", "limits.yaml: query.default_limit: must not exceed query.max_limit (500 > 100)"}};
  for (const auto& c : cases) {
    int st = 0;
    std::string out = Shell(Bin() + " check-config " + ShellQuote(dir + "/" + c.file) + " 2>&1", &st);
    EXPECT_EQ(st, 2) << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << out;
    std::string served = Shell(Bin() + " serve --data-dir " + ShellQuote(dir + "/data") + " --config " +
                                   ShellQuote(dir + "/" + c.file) + " 2>&1",
                               &st);
    EXPECT_EQ(st, 2) << served;
    EXPECT_EQ(served, out) << "serve must refuse with the check-config message";
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/data")) << "nothing opened on an invalid configuration";
  int st = 0;
  std::string out = Shell(Bin() + " check-config " + ShellQuote(std::string(KMT_SOURCE_DIR) + "/deploy/kamatama.yaml"), &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(out.find("kamatama.yaml: OK"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

TEST(Ops, SighupReloadsWhatCanChangeLiveAndKeepsTheOldConfigOnError) {
  std::string dir = TempDir("ops_reload");
  std::string cfg = dir + "/k.yaml";
  WriteFile(cfg, "retention:\n  max_age_days: 0\nquery:\n  max_limit: 10000\n");
  Server s(dir, {"--config", cfg});
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  // 200 events of a day two days ago: inside the 30 days set below, but over a store size limit.
  const int64_t now = kamatama::NowNanos();
  const int64_t old_ts = now - 2 * kamatama::kNanosPerDay;
  const std::string old_day = kamatama::FormatRfc3339(kamatama::DayOf(old_ts) * kamatama::kNanosPerDay).substr(0, 10);
  std::string old;
  for (int i = 0; i < 200; ++i)
    old += "{\"@timestamp\":\"" + kamatama::FormatRfc3339(old_ts + i * 1'000'000LL) + "\",\"message\":\"olddaymarker n" +
           std::to_string(i) + "\"}\n";
  WriteFile(dir + "/old.ndjson", old);
  int code = 0;
  s.Post("/api/v1/ingest", dir + "/old.ndjson", &code);
  ASSERT_EQ(code, 200);
  ASSERT_EQ(s.CountMatches("olddaymarker"), 200u);

  const std::string live_cfg =
      "retention:\n  max_age_days: 30\n  max_size: 1KiB\nquery:\n  default_limit: 20\n  max_limit: 50\n"
      "http:\n  max_body: 1MiB\nauth:\n  lockout: 10m\n";
  WriteFile(cfg, live_cfg);
  auto hup_at = std::chrono::steady_clock::now();
  ::kill(s.pid(), SIGHUP);
  ASSERT_TRUE(Eventually([&] { return LogHas(s, "configuration reloaded: "); }, 5000)) << s.log();
  EXPECT_TRUE(LogHas(s, "retention.max_age_days 0 -> 30")) << s.log();
  EXPECT_TRUE(LogHas(s, "query.max_limit 10000 -> 50")) << s.log();
  EXPECT_TRUE(LogHas(s, "retention.max_size 0 -> 1024")) << s.log();
  // Exactly the keys that wait for a restart, auth.* among them (read once by the authenticator).
  const std::string restart_tag = "changed but applied only after a restart: ";
  std::string log = s.log();
  size_t p = log.find(restart_tag);
  ASSERT_NE(p, std::string::npos) << log;
  p += restart_tag.size();
  EXPECT_EQ(log.substr(p, log.find('\n', p) - p), "auth.lockout, http.max_body") << log;
  // retention.max_size applies at once: the old day goes (never today), well before
  // retention.check_interval (1 h).
  ASSERT_TRUE(Eventually([&] { return LogHas(s, "retention (max_size): dropped day " + old_day + " (200 event(s)"); }, 5000))
      << s.log();
  ASSERT_TRUE(Eventually([&] { return s.CountMatches("olddaymarker") == 0; }, 5000));
  std::fprintf(stderr, "[ops] retention.max_size by SIGHUP: old day gone from search after %.2f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - hup_at).count());
  EXPECT_EQ(s.Metric("kamatama_retention_dropped_days_total{reason=\"max_size\"}"), 1);

  // The new max_limit is in force: 60 events of today, limit=1000 gives 50.
  std::string body;
  for (int i = 0; i < 60; ++i)
    body += "{\"@timestamp\":\"" + kamatama::FormatRfc3339(now + i) + "\",\"message\":\"reloadmarker " + std::to_string(i) + "\"}\n";
  WriteFile(dir + "/b.txt", body);
  s.Post("/api/v1/ingest", dir + "/b.txt", &code);
  ASSERT_EQ(code, 200);
  EXPECT_EQ(s.CountMatches("reloadmarker"), 50u);

  // storage.min_free applies live too: raised over the free space, ingest pauses (507); put
  // back, it resumes.
  WriteFile(cfg, live_cfg + "storage:\n  min_free: 1000000GiB\n");
  ::kill(s.pid(), SIGHUP);
  ASSERT_TRUE(Eventually([&] { return s.Metric("kamatama_ingest_paused") == 1; }, 5000)) << s.log();
  EXPECT_TRUE(LogHas(s, "storage.min_free 16777216 -> 1073741824000000")) << s.log();
  s.Post("/api/v1/ingest", dir + "/b.txt", &code);
  EXPECT_EQ(code, 507);
  WriteFile(cfg, live_cfg);
  ::kill(s.pid(), SIGHUP);
  ASSERT_TRUE(Eventually([&] { return s.Metric("kamatama_ingest_paused") == 0; }, 5000)) << s.log();
  EXPECT_TRUE(LogHas(s, "storage.min_free 1073741824000000 -> 16777216")) << s.log();
  s.Post("/api/v1/ingest", dir + "/b.txt", &code);
  EXPECT_EQ(code, 200);

  // An invalid file: logged with the exact key, nothing changes, the server keeps running.
  WriteFile(cfg, "query:\n  max_limt: 5\n");
  ::kill(s.pid(), SIGHUP);
  ASSERT_TRUE(Eventually([&] { return LogHas(s, "reload failed: "); }, 5000)) << s.log();
  EXPECT_TRUE(LogHas(s, "k.yaml: query.max_limt: unknown key; the running configuration is kept")) << s.log();
  EXPECT_TRUE(s.Alive());
  EXPECT_EQ(s.CountMatches("reloadmarker"), 50u);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// A key that ops/reload.cc does not describe is ignored by a reload without a word: every key
// server/config.cc accepts (its r.Keys lists) must be there, and nothing else.
TEST(Ops, ReloadDescribesEveryConfigKey) {
  const std::string config = ReadFile(std::string(KMT_SOURCE_DIR) + "/server/config.cc");
  const std::string reload = ReadFile(std::string(KMT_SOURCE_DIR) + "/ops/reload.cc");
  ASSERT_FALSE(config.empty());
  ASSERT_FALSE(reload.empty());
  std::set<std::string> sections, top, accepted, described;
  const std::regex keys_re(R"re(r\.Keys\(\s*\w+,\s*"([a-z_]*)",\s*\{([^}]*)\})re");
  const std::regex str_re(R"re("([a-z_]+)")re");
  for (auto it = std::sregex_iterator(config.begin(), config.end(), keys_re); it != std::sregex_iterator(); ++it) {
    const std::string section = (*it)[1], list = (*it)[2];
    if (!section.empty()) sections.insert(section);
    for (auto k = std::sregex_iterator(list.begin(), list.end(), str_re); k != std::sregex_iterator(); ++k)
      (section.empty() ? top : accepted).insert(section.empty() ? (*k)[1].str() : section + "." + (*k)[1].str());
  }
  for (const auto& k : top) {
    if (!sections.count(k)) accepted.insert(k);  // data_dir, io_threads
  }
  ASSERT_GT(accepted.size(), 60u) << "server/config.cc not understood";
  const std::regex desc_re(R"re((?:\bn\(|m\[)"([a-z_.]+)")re");
  for (auto it = std::sregex_iterator(reload.begin(), reload.end(), desc_re); it != std::sregex_iterator(); ++it)
    described.insert((*it)[1]);
  for (const auto& k : accepted) EXPECT_TRUE(described.count(k)) << k << " is not compared on reload (ops/reload.cc Describe)";
  for (const auto& k : described) EXPECT_TRUE(accepted.count(k)) << k << " is described but not a configuration key";
}

// tls.cert/tls.key/tls.client_ca: applied by the "tls certificates" reload hook while HTTPS (or
// syslog TLS) is on, so a move to new files is reported as applied; with TLS off they wait for a
// restart like any other key.
TEST(Ops, SighupTlsPathsAppliedWithTlsOnAndAfterARestartWithout) {
  std::string d = TempDir("ops_reload_tls");
  int st = 0;
  for (const char* name : {"a", "b"}) {
    Shell(Bin() + " cert self-signed --out " + ShellQuote(d + "/" + name) + " --host localhost", &st);
    ASSERT_EQ(st, 0);
  }
  auto tls_yaml = [&](const std::string& which, bool on) {
    return "tls:\n  cert: " + d + "/" + which + "/cert.pem\n  key: " + d + "/" + which + "/key.pem\nhttp:\n  tls: " +
           (on ? "true" : "false") + "\n";
  };
  {
    WriteFile(d + "/on.yaml", tls_yaml("a", true));
    Server s(d, {"--config", d + "/on.yaml"});
    s.Start();
    ASSERT_FALSE(HasFatalFailure());
    std::string url = "https://localhost:" + s.http_address().substr(s.http_address().rfind(':') + 1) + "/healthz";
    auto code_with = [&](const std::string& ca) {
      return Shell("curl -s -m 20 -o /dev/null -w '%{http_code}' --cacert " + ShellQuote(d + "/" + ca + "/cert.pem") + " " +
                   ShellQuote(url));
    };
    EXPECT_EQ(code_with("a"), "200");
    WriteFile(d + "/on.yaml", tls_yaml("b", true));  // new paths, not renewed in place
    ::kill(s.pid(), SIGHUP);
    ASSERT_TRUE(Eventually([&] { return LogHas(s, "configuration reloaded: "); }, 5000)) << s.log();
    EXPECT_TRUE(LogHas(s, "tls.cert " + d + "/a/cert.pem -> " + d + "/b/cert.pem")) << s.log();
    EXPECT_TRUE(LogHas(s, "tls.key " + d + "/a/key.pem -> " + d + "/b/key.pem")) << s.log();
    EXPECT_TRUE(LogHas(s, "tls certificates reloaded")) << s.log();
    EXPECT_FALSE(LogHas(s, "applied only after a restart")) << s.log();
    EXPECT_TRUE(Eventually([&] { return code_with("b") == "200"; }, 5000));
    EXPECT_NE(code_with("a"), "200");
    EXPECT_EQ(s.Stop(), 0);
  }
  {
    std::string d2 = d + "/off";
    std::filesystem::create_directories(d2);
    WriteFile(d2 + "/off.yaml", tls_yaml("a", false));
    Server s(d2, {"--config", d2 + "/off.yaml"});
    s.Start();
    ASSERT_FALSE(HasFatalFailure());
    WriteFile(d2 + "/off.yaml", tls_yaml("b", false));
    ::kill(s.pid(), SIGHUP);
    ASSERT_TRUE(Eventually([&] { return LogHas(s, "changed but applied only after a restart: "); }, 5000)) << s.log();
    EXPECT_TRUE(LogHas(s, "changed but applied only after a restart: tls.cert, tls.key\n")) << s.log();
    EXPECT_TRUE(LogHas(s, "configuration reloaded: nothing changed that applies live")) << s.log();
    EXPECT_EQ(s.Stop(), 0);
  }
  std::filesystem::remove_all(d);
}

TEST(Ops, SdNotifyReadyReloadingStopping) {
  std::string dir = TempDir("ops_notify");
  std::string sock = dir + "/notify.sock";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto next = [&] {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  ::setenv("NOTIFY_SOCKET", sock.c_str(), 1);
  Server s(dir);
  s.Start();
  ::unsetenv("NOTIFY_SOCKET");
  std::string m = next();
  EXPECT_NE(m.find("READY=1"), std::string::npos) << m;
  EXPECT_NE(m.find("STATUS=running; http on " + s.http_address()), std::string::npos) << m;
  ::kill(s.pid(), SIGHUP);
  m = next();
  EXPECT_NE(m.find("RELOADING=1"), std::string::npos) << m;
  m = next();
  EXPECT_NE(m.find("READY=1"), std::string::npos) << m;
  ::kill(s.pid(), SIGTERM);
  m = next();
  EXPECT_NE(m.find("STOPPING=1"), std::string::npos) << m;
  EXPECT_EQ(s.Stop(0), 0);  // already told to stop: only wait for it
  ::close(fd);
  std::filesystem::remove_all(dir);
}

TEST(Ops, BackupDuringIngestRestoresEveryEventAcknowledgedBeforeIt) {
  std::string dir = TempDir("ops_backup");
  std::string backups = dir + "/backups";
  // A 1 MiB memtable budget, so that the store holds table files (what backups share) and not
  // only a write-ahead log, as a store of any size does.
  WriteFile(dir + "/k.yaml", "storage:\n  write_buffer: 1MiB\nbackup:\n  allowed_dirs: [" + backups + "]\n");
  Server s(dir, {"--config", dir + "/k.yaml"});
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  // An older day, written once: its table files do not change afterwards.
  constexpr int kOld = 40000;
  {
    const int64_t old_ts = kamatama::NowNanos() - 3 * kamatama::kNanosPerDay;
    std::string body;
    for (int i = 0; i < kOld; ++i)
      body += "{\"@timestamp\":\"" + kamatama::FormatRfc3339(old_ts + i * 1'000'000LL) + "\",\"host\":{\"name\":\"old" +
              std::to_string(i % 7) + "\"},\"message\":\"older day bkold n" + std::to_string(i) + "\"}\n";
    WriteFile(dir + "/old.ndjson", body);
    int code = 0;
    s.Post("/api/v1/ingest", dir + "/old.ndjson", &code);
    ASSERT_EQ(code, 200);
  }
  // A restart seals the older day's last block and writes its token index (Close) into table
  // files; a search takes and releases a snapshot, after which RocksDB may rewrite a day's
  // bottommost files once to zero their sequence numbers (compaction reason "BottommostFiles").
  // When that rewrite happens is RocksDB's business (CI once saw it between the two backups), so
  // the sharing below is checked on the table files that existed before backup 1 and still exist
  // after backup 2: files are immutable and their numbers never reused, so those did not change.
  ASSERT_EQ(s.Stop(), 0);
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(s.CountMatches("bkold AND n7"), 1u);
  const auto table_files = [&] {
    std::map<std::string, uint64_t> files;  // "000016" -> size
    for (const auto& e : std::filesystem::directory_iterator(dir + "/data"))
      if (e.path().extension() == ".sst") files[e.path().stem().string()] = e.file_size();
    return files;
  };
  constexpr int kPerBatch = 500;
  std::atomic<bool> stop{false}, backup_began{false};
  std::mutex mu;
  std::vector<int> acked_before;  // batches answered 200 before the backup began
  int batches = 0;
  std::thread ingest([&] {
    for (int b = 0; !stop; ++b) {
      std::string body;
      for (int i = 0; i < kPerBatch; ++i)
        body += "<14>Nov 26 11:" + std::to_string(10 + b % 50) + ":00 web" + std::to_string(i % 5) +
                " app[1]: request done bkb" + std::to_string(b) + " n" + std::to_string(i) + "\n";
      std::string file = dir + "/batch" + std::to_string(b % 2) + ".txt";
      WriteFile(file, body);
      int code = 0;
      s.Post("/api/v1/ingest", file, &code);
      std::lock_guard lock(mu);
      ++batches;
      if (code == 200 && !backup_began) acked_before.push_back(b);
    }
  });
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return acked_before.size() >= 8;
  }, 60000));
  // Server state beside the store (store/state_files.h): a user, a dashboard, an intel list.
  const auto curl = [&](const std::string& args, const std::string& url) {
    return Shell("curl -s -m 60 -w ' %{http_code}' " + args + " " + ShellQuote(url));
  };
  ASSERT_NE(curl("-H 'Content-Type: application/json' -d '{\"name\":\"keeper\",\"role\":\"analyst\","
                 "\"password\":\"keeper-password-1\"}'",
                 s.Url("/api/v1/users"))
                .find(" 201"),
            std::string::npos);
  ASSERT_NE(curl("-H 'Content-Type: application/json' -d '{\"title\":\"bkdash\",\"shared\":true,\"panels\":"
                 "[{\"title\":\"p\",\"query\":\"bkb1\",\"type\":\"table\"}]}'",
                 s.Url("/api/v1/dashboards"))
                .find(" 201"),
            std::string::npos);
  ASSERT_NE(curl("-X PUT -H 'Content-Type: text/plain' --data-binary '198.51.100.77'",
                 s.Url("/api/v1/lists/bklist"))
                .find(" 20"),
            std::string::npos);
  const auto tables_before_1 = table_files();
  backup_began = true;  // from here on, acknowledged batches may or may not be in the backup
  auto t0 = std::chrono::steady_clock::now();
  int st = 0;
  std::string out = Shell(Bin() + " backup --to " + ShellQuote(backups) + " --server http://" + s.http_address() +
                              " --user " + kAdminUser + ":" + kAdminPassword + " 2>&1",
                          &st);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("\"backup_id\":1"), std::string::npos) << out;
  const uint64_t dir_after_1 = DirBytes(backups), bytes_1 = JsonNumber(out, "bytes");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  ingest.join();
  // A second backup is incremental: table files already backed up are shared, not copied.
  out = Shell(Bin() + " backup --to " + ShellQuote(backups) + " --server http://" + s.http_address() + " --user " +
                  kAdminUser + ":" + kAdminPassword + " 2>&1",
              &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("\"backup_id\":2"), std::string::npos) << out;
  // BackupEngine (store/store.cc) keeps table files under shared_checksum/ as NUMBER_CHECKSUM_SIZE.sst
  // and lists each backup's files in meta/ID. Every table file alive from before backup 1 until
  // after backup 2 is in both backups as one shared file; the directory grew only by the rest.
  {
    const auto tables_after_2 = table_files();
    const uint64_t dir_after_2 = DirBytes(backups), bytes_2 = JsonNumber(out, "bytes");
    auto shared_1 = SharedTableFiles(backups, 1), shared_2 = SharedTableFiles(backups, 2);
    ASSERT_FALSE(shared_1.empty()) << ReadFile(backups + "/meta/1");
    const auto number_of = [](const std::string& shared) {  // "shared_checksum/000016_..." -> "000016"
      return shared.substr(shared.find('/') + 1, shared.find('_', shared.find('/')) - shared.find('/') - 1);
    };
    std::map<std::string, std::string> by_number_1, by_number_2;
    for (const auto& f : shared_1) by_number_1[number_of(f)] = f;
    for (const auto& f : shared_2) by_number_2[number_of(f)] = f;
    uint64_t unchanged_bytes = 0, reused = 0;
    size_t unchanged = 0, reused_files = 0;
    for (const auto& [number, size] : tables_before_1) {
      if (!tables_after_2.count(number)) continue;
      ++unchanged, unchanged_bytes += size;
      ASSERT_TRUE(by_number_1.count(number)) << number << " was live during backup 1\n" << ReadFile(backups + "/meta/1");
      ASSERT_TRUE(by_number_2.count(number)) << number << " was live during backup 2\n" << ReadFile(backups + "/meta/2");
      EXPECT_EQ(by_number_1[number], by_number_2[number]) << "one shared copy of table file " << number;
    }
    for (const auto& f : shared_2)
      if (shared_1.count(f)) ++reused_files, reused += std::filesystem::file_size(backups + "/" + f);
    const uint64_t growth = dir_after_2 - dir_after_1;
    std::fprintf(stderr,
                 "[ops] backup 1: %lu bytes (%zu table files); backup 2: %lu bytes, %zu table files of backup 1 reused "
                 "(%lu bytes; %zu files, %lu bytes unchanged in the store across both), the directory grew by %lu bytes\n",
                 static_cast<unsigned long>(bytes_1), shared_1.size(), static_cast<unsigned long>(bytes_2), reused_files,
                 static_cast<unsigned long>(reused), unchanged, static_cast<unsigned long>(unchanged_bytes),
                 static_cast<unsigned long>(growth));
    // The store's default column family (the format marker) and the older day are written before
    // backup 1; at least the marker's file outlives both backups.
    EXPECT_GE(unchanged, 1u);
    EXPECT_GE(reused, unchanged_bytes);
    // Copied: backup 2's files minus the reused ones (plus its meta file), nothing more.
    EXPECT_LE(growth, bytes_2 - reused + (16u << 10));
    EXPECT_LT(growth, bytes_2);
  }
  // Without credentials the endpoint is refused.
  out = Shell(Bin() + " backup --to " + ShellQuote(backups) + " --server http://" + s.http_address() + " 2>&1", &st);
  EXPECT_NE(st, 0) << out;
  uint64_t events_at_stop = static_cast<uint64_t>(s.Metric("kamatama_events_stored_total"));
  EXPECT_EQ(s.Stop(), 0);
  std::fprintf(stderr, "[ops] backup 1 during ingest of %d x %d events took %.2f s (CLI round trip); %lu events stored at stop\n",
               batches, kPerBatch, secs, static_cast<unsigned long>(events_at_stop));
  std::fprintf(stderr, "[ops] %s", Shell(Bin() + " backup --list --to " + ShellQuote(backups)).c_str());
  std::fprintf(stderr, "[ops] backup dir: %s", Shell("du -sh " + ShellQuote(backups)).c_str());

  // Restore backup 1 into a new directory and find every batch acknowledged before it began.
  std::string dir2 = TempDir("ops_restore");
  out = Shell(Bin() + " restore --from " + ShellQuote(backups) + " --backup-id 1 --data-dir " +
                  ShellQuote(dir2 + "/data") + " 2>&1",
              &st);
  ASSERT_EQ(st, 0) << out;
  // Restoring over an existing store is refused.
  out = Shell(Bin() + " restore --from " + ShellQuote(backups) + " --data-dir " + ShellQuote(dir2 + "/data") + " 2>&1", &st);
  EXPECT_NE(st, 0);
  EXPECT_NE(out.find("not empty"), std::string::npos) << out;
  Server r(dir2);
  r.Start();
  ASSERT_GE(acked_before.size(), 8u);
  for (int b : acked_before) EXPECT_EQ(r.CountMatches("bkb" + std::to_string(b)), static_cast<size_t>(kPerBatch)) << "batch " << b;
  EXPECT_EQ(r.CountMatches("bkold AND (n0 OR n39999)"), 2u);
  EXPECT_EQ(r.CountMatches("bkold AND host.name:old3"), 5714u);  // i % 7 == 3 for i < 40000
  // The state came back with it: the user logs in with the password, the dashboard and the list are there.
  const std::string base = "http://" + r.http_address();
  EXPECT_NE(curl("-u keeper:keeper-password-1", base + "/api/v1/dashboards").find("bkdash"), std::string::npos);
  EXPECT_NE(curl("", r.Url("/api/v1/lists/bklist")).find("198.51.100.77"), std::string::npos);
  EXPECT_NE(curl("-u keeper:wrong-password", base + "/api/v1/dashboards").find(" 401"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(backups + "/state/1/auth.db"));
  EXPECT_TRUE(std::filesystem::exists(backups + "/state/1/dashboards.json"));
  EXPECT_TRUE(std::filesystem::exists(backups + "/state/1/intel/bklist.list"));
  EXPECT_EQ(r.Stop(), 0);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir2);
}

// A temporary directory holding tests/fixtures/NAME.tar.gz unpacked; "" (and a failure) if not.
static std::string UnpackFixture(const std::string& name) {
  const std::string dir = TempDir("ops_" + name);
  int st = 0;
  Shell("tar xzf " + ShellQuote(std::string(KMT_SOURCE_DIR) + "/tests/fixtures/" + name + ".tar.gz") + " -C " +
            ShellQuote(dir),
        &st);
  if (st != 0) ADD_FAILURE() << "could not unpack " << name;
  return st == 0 ? dir : "";
}

// The columns of a closed store's blocks stored as spans of event.original (store format 4: the
// kind byte, without the frame flag, is 3).
static size_t SpanColumns(const std::string& data_dir) {
  rocksdb::Options o;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(o, data_dir, &names).ok()) return 0;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(o, data_dir, descs, &handles, &db).ok()) return 0;
  size_t n = 0;
  for (auto* h : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice k = it->key(), v = it->value();
      if (h->GetName()[0] == 'd' && k.size() > 9 && k[8] == 3 && !v.empty() && (v[0] & 0x7f) == 3) ++n;
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  return n;
}

TEST(Ops, OpensAnOlderFormatStoreAndRefusesANewerOne) {
  std::string dir = TempDir("ops_format");
  int st = 0;
  // tests/fixtures/store-format0.tar.gz: written by kamatama before the format marker existed
  // (3000 sshd events of 2026-11-20, sealed block and pending rows still in the WAL).
  Shell("tar xzf " + ShellQuote(std::string(KMT_SOURCE_DIR) + "/tests/fixtures/store-format0.tar.gz") + " -C " +
            ShellQuote(dir),
        &st);
  ASSERT_EQ(st, 0);
  {
    Server s(dir);
    s.Start();
    EXPECT_TRUE(LogHas(s, "migrated store format version 0 -> 4")) << s.log();
    EXPECT_EQ(s.CountMatches("fixmarker"), 3000u);
    EXPECT_EQ(s.CountMatches("fixmarker AND host.name:fixhost3"), 429u);  // i % 7 == 3 for i < 3000
    EXPECT_EQ(s.CountMatches("n2999"), 1u);
    EXPECT_EQ(s.Stop(), 0);
  }
  {
    Server s(dir);  // second start: already the current version, nothing to migrate
    s.Start();
    EXPECT_EQ(s.log().find("migrated"), s.log().rfind("migrated")) << "migrated only once";
    EXPECT_EQ(s.CountMatches("fixmarker"), 3000u);
    EXPECT_EQ(s.Stop(), 0);
  }
  // tests/fixtures/store-format1.tar.gz: written by kamatama 0c2b929 (the last commit of format
  // 1, the one before 9caf73f) with storage.block_events 500: 2,100 sshd lines of 2026-11-21.
  // n0-n1399 were sealed and the server stopped (at the next start RocksDB flushed them into
  // table files); n1400-n2099 were acknowledged, then the server was killed with SIGKILL (one
  // sealed block and 200 pending rows in the write-ahead log). Its blocks keep their token
  // filters under the format-1 key; searches that prune by those filters must still find them.
  {
    const std::string dir1 = UnpackFixture("store-format1");
    ASSERT_FALSE(dir1.empty());
    for (int round = 0; round < 2; ++round) {
      Server s(dir1);
      s.Start();
      ASSERT_FALSE(HasFatalFailure());
      if (round == 0) EXPECT_TRUE(LogHas(s, "migrated store format version 1 -> 4")) << s.log();
      else EXPECT_EQ(s.log().find("migrated"), s.log().rfind("migrated")) << "migrated only once";
      EXPECT_EQ(s.CountMatches("fmt1marker"), 2100u);
      EXPECT_EQ(s.CountMatches("fmt1marker AND host.name:fmt1host3"), 300u);  // i % 7 == 3
      EXPECT_EQ(s.CountMatches("user.name:user2"), 420u);                    // i % 5 == 2
      // One event each from a flushed block, a block in the WAL and a pending row.
      for (int port : {40777, 41650, 42050}) EXPECT_EQ(s.CountMatches("source.port:" + std::to_string(port)), 1u) << port;
      EXPECT_EQ(s.CountMatches("user.name:user2 AND source.port:40777"), 1u);
      EXPECT_EQ(s.CountMatches("user.name:user3 AND source.port:40777"), 0u);
      EXPECT_EQ(s.CountMatches("host.name:nosuchhost"), 0u);
      // The 4 sealed blocks are pruned by their format-1 filters (a filter not found would make
      // its block read, never pruned): all 4 for an absent token, all but the one holding a port.
      // (Checked on the fixture as it is: the first stop seals the pending rows into format-2
      // blocks.)
      if (round == 0) {
        std::string r = s.Search("nosuchtoken", "&limit=1000");
        EXPECT_NE(r.find("\"blocks\":{\"total\":4,\"pruned\":4,\"read\":0}"), std::string::npos) << r;
        r = s.Search("source.port:40777", "&limit=1000");
        EXPECT_NE(r.find("\"blocks\":{\"total\":4,\"pruned\":3,\"read\":1}"), std::string::npos) << r;
      }
      EXPECT_EQ(s.Stop(), 0);
    }
    std::filesystem::remove_all(dir1);
  }
  // tests/fixtures/store-format2.tar.gz: written by kamatama 621e107 (the last commit of format 2)
  // with storage.block_events 500, the same way: 2,100 sshd lines of 2026-11-22 (fmt2marker,
  // host fmt2host<i % 7>, user<i % 5>, port 40000 + i); n0-n1399 sealed and the server stopped,
  // n1400-n2099 acknowledged, then SIGKILL (a sealed block and 200 pending rows in the WAL). Its
  // blocks have no frames (header version 1): they are read whole and pruned by their block
  // filters, beside the framed blocks this version seals from the pending rows.
  {
    const std::string dir2 = UnpackFixture("store-format2");
    ASSERT_FALSE(dir2.empty());
    for (int round = 0; round < 2; ++round) {
      Server s(dir2);
      s.Start();
      ASSERT_FALSE(HasFatalFailure());
      if (round == 0) EXPECT_TRUE(LogHas(s, "migrated store format version 2 -> 4")) << s.log();
      else EXPECT_EQ(s.log().find("migrated"), s.log().rfind("migrated")) << "migrated only once";
      EXPECT_EQ(s.CountMatches("fmt2marker"), 2100u);
      EXPECT_EQ(s.CountMatches("fmt2marker AND host.name:fmt2host3"), 300u);  // i % 7 == 3
      EXPECT_EQ(s.CountMatches("user.name:user2"), 420u);                    // i % 5 == 2
      for (int port : {40777, 41650, 42050}) EXPECT_EQ(s.CountMatches("source.port:" + std::to_string(port)), 1u) << port;
      EXPECT_EQ(s.CountMatches("user.name:user2 AND source.port:40777"), 1u);
      EXPECT_EQ(s.CountMatches("user.name:user3 AND source.port:40777"), 0u);
      if (round == 0) {
        // The 4 blocks format 2 sealed on that day (500, 500 and 400 events in table files, 500
        // in the WAL) are pruned by their filters: all 4 for an absent token, all but one for a port.
        const std::string day = "&from=2026-11-22T00:00:00Z&to=2026-11-23T00:00:00Z&limit=1000";
        std::string r = s.Search("nosuchtoken", day);
        EXPECT_NE(r.find("\"blocks\":{\"total\":4,\"pruned\":4,\"read\":0}"), std::string::npos) << r;
        r = s.Search("source.port:40777", day);
        EXPECT_NE(r.find("\"blocks\":{\"total\":4,\"pruned\":3,\"read\":1}"), std::string::npos) << r;
      }
      EXPECT_EQ(s.Stop(), 0);
    }
    std::filesystem::remove_all(dir2);
  }
  // tests/fixtures/store-format3.tar.gz: written by kamatama 4c382c5 (the last commit of format 3)
  // with storage.block_events 500, the same way: 2,100 sshd lines of 2026-11-23 (fmt3marker,
  // host fmt3host<i % 7>, user<i % 5>, from 198.51.100.<i % 200 + 1>, port 40000 + i); n0-n1399
  // sealed and the server stopped, n1400-n2099 acknowledged, then SIGKILL. Its blocks have no span
  // columns; its pending rows and 1,000 more lines are sealed at the first stop into a format-4
  // block with one (user.name), and the same searches give the same counts over both.
  {
    const std::string dir3 = UnpackFixture("store-format3");
    ASSERT_FALSE(dir3.empty());
    for (int round = 0; round < 2; ++round) {
      Server s(dir3);
      s.Start();
      ASSERT_FALSE(HasFatalFailure());
      if (round == 0) {
        EXPECT_TRUE(LogHas(s, "migrated store format version 3 -> 4")) << s.log();
        // 1,000 more of that day with a long user name (a field long enough for a span column),
        // sealed at the stop with the pending rows.
        for (int i = 0; i < 1000; ++i)
          SendUdp(s.udp(), "<38>Nov 23 01:00:00 fmt4host sshd[77]: Failed password for invalid user "
                           "fmt4-a-user-name-long-enough-for-a-span-" + std::to_string(1000 + i) +
                           " from 198.51.100.9 port 50000 ssh2");
        for (int t = 0; t < 300 && s.CountMatches("host.name:fmt4host") < 1000; ++t)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
      } else {
        EXPECT_EQ(s.log().find("migrated"), s.log().rfind("migrated")) << "migrated only once";
      }
      EXPECT_EQ(s.CountMatches("host.name:fmt4host"), 1000u);
      EXPECT_EQ(s.CountMatches("user.name:fmt4-a-user-name-long-enough-for-a-span-1777"), 1u);
      EXPECT_EQ(s.CountMatches("fmt3marker"), 2100u);
      EXPECT_EQ(s.CountMatches("fmt3marker AND host.name:fmt3host3"), 300u);  // i % 7 == 3
      EXPECT_EQ(s.CountMatches("user.name:user2"), 420u);                    // i % 5 == 2
      EXPECT_EQ(s.CountMatches("source.ip:198.51.100.78"), 11u);             // i % 200 == 77
      for (int port : {40777, 41650, 42050}) EXPECT_EQ(s.CountMatches("source.port:" + std::to_string(port)), 1u) << port;
      EXPECT_EQ(s.CountMatches("user.name:user2 AND source.port:40777"), 1u);
      EXPECT_EQ(s.CountMatches("user.name:user3 AND source.port:40777"), 0u);
      const std::string r = s.Search("source.port:42050", "&limit=10");
      EXPECT_NE(r.find("\"user.name\":\"user0\""), std::string::npos) << r;
      EXPECT_NE(r.find("\"source.ip\":\"198.51.100.51\""), std::string::npos) << r;
      EXPECT_EQ(s.Stop(), 0);
    }
    EXPECT_GT(SpanColumns(dir3 + "/data"), 0u) << "the block sealed by this version has a span column";
    std::filesystem::remove_all(dir3);
  }
  // Pretend a newer kamatama wrote format 99: this one must refuse it without touching it.
  {
    rocksdb::Options o;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(o, dir + "/data", &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir + "/data", descs, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "kamatama.format_version", "99").ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  std::string out = Shell(Bin() + " serve --data-dir " + ShellQuote(dir + "/data") +
                              " --syslog-udp '' --syslog-tcp '' --http 127.0.0.1:0 2>&1",
                          &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("has on-disk format version 99, but this kamatama only reads versions up to 4"), std::string::npos)
      << out;
  std::filesystem::remove_all(dir);
}

TEST(Ops, ImportTarGzOfRotatedAndCompressedLogsTwiceStoresOnce) {
  std::string dir = TempDir("ops_import");
  std::string logs = dir + "/srv/var/log";
  auto lines = [](const std::string& prog, int n, int day) {
    std::string s;
    for (int i = 0; i < n; ++i)
      s += "<38>Nov " + std::to_string(day) + " 0" + std::to_string(i % 10) + ":00:00 srv " + prog + "[7]: impmarker " +
           prog + " line " + std::to_string(i) + "\n";
    return s;
  };
  WriteFile(logs + "/syslog", lines("cron", 1000, 26));
  WriteFile(logs + "/syslog.1", lines("kernel", 500, 25));
  WriteFile(logs + "/syslog.2", lines("dhclient", 700, 24));
  WriteFile(logs + "/auth.log.3", lines("sshd", 300, 23));
  WriteFile(logs + "/wtmp", std::string("\0\0\0\x07binary", 10) + std::string(100, '\0'));
  WriteFile(logs + "/empty.log", "");
  int st = 0;
  Shell("gzip -9 " + ShellQuote(logs + "/syslog.2"), &st);
  ASSERT_EQ(st, 0);
  Shell("zstd -q --rm " + ShellQuote(logs + "/auth.log.3"), &st);
  ASSERT_EQ(st, 0);
  Shell("tar czf " + ShellQuote(dir + "/varlog.tar.gz") + " -C " + ShellQuote(dir + "/srv") + " var", &st);
  ASSERT_EQ(st, 0);
  std::string data = dir + "/data";
  std::string out = Shell(Bin() + " import --data-dir " + ShellQuote(data) + " " + ShellQuote(dir + "/varlog.tar.gz") + " 2>&1", &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("(1 skipped as binary), 2500 line(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("2500 event(s) stored, 0 line(s) already imported"), std::string::npos) << out;
  std::fprintf(stderr, "[ops] first import: %s", out.c_str());
  out = Shell(Bin() + " import --data-dir " + ShellQuote(data) + " " + ShellQuote(dir + "/varlog.tar.gz") + " 2>&1", &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("0 event(s) stored, 2500 line(s) already imported"), std::string::npos) << out;
  // The same content unpacked, as a directory: still nothing new.
  out = Shell(Bin() + " import --data-dir " + ShellQuote(data) + " " + ShellQuote(logs) + " 2>&1", &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("0 event(s) stored, 2500 line(s) already imported"), std::string::npos) << out;
  // A running server holds the store: import refuses with a clear message.
  Server s(dir);
  s.Start();
  out = Shell(Bin() + " import --data-dir " + ShellQuote(data) + " " + ShellQuote(logs + "/syslog") + " 2>&1", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("is in use by a running kamatama server"), std::string::npos) << out;
  EXPECT_EQ(s.CountMatches("impmarker"), 2500u);
  EXPECT_EQ(s.CountMatches("impmarker AND process.name:sshd"), 300u);
  EXPECT_EQ(s.CountMatches("impmarker AND process.name:dhclient"), 700u);
  // Year-less RFC 3164 timestamps take their year from the file's modification time.
  EXPECT_NE(s.Search("impmarker AND process.name:cron", "&limit=1").find("-11-26T0"), std::string::npos);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// The progress line of `kamatama import` is drawn only on a terminal: run it under a
// pseudo-terminal (util-linux `script`) and read what a person would see.
TEST(Ops, ImportShowsProgressOnATerminalOnly) {
  if (Shell("command -v script") == "") GTEST_SKIP() << "script (util-linux) missing";
  std::string dir = TempDir("ops_import_progress");
  const int kLines = 150000;
  std::string text;
  for (int i = 0; i < kLines; ++i)
    text += "<38>Nov 26 0" + std::to_string(i % 10) + ":00:00 srv cron[7]: progmarker line " + std::to_string(i) +
            " with some padding to look like a real log line\n";
  WriteFile(dir + "/big.log", text);
  size_t ten = 0;
  for (int i = 0; i < 10; ++i) ten = text.find('\n', ten) + 1;
  WriteFile(dir + "/small.log", text.substr(0, ten));  // the first 10 lines
  const double file_mib = text.size() / 1048576.0;
  auto import = [&](const std::string& data, const std::string& flags, const std::string& file) {
    return Bin() + " import " + flags + " --data-dir " + ShellQuote(dir + "/" + data) + " " + ShellQuote(dir + "/" + file);
  };
  int st = 0;
  std::string out = Shell("script -qec " + ShellQuote(import("data", "", "big.log")) + " /dev/null", &st);
  ASSERT_EQ(st, 0) << out;
  // Each redraw is "\r\033[K" + the line; the last one ends the line.
  std::vector<std::string> draws;
  for (size_t p = out.find("\r\033[K"); p != std::string::npos;) {
    size_t next = out.find('\r', p + 4);
    draws.push_back(out.substr(p + 4, (next == std::string::npos ? out.size() : next) - p - 4));
    p = next == std::string::npos ? next : out.find("\r\033[K", next);
  }
  ASSERT_FALSE(draws.empty()) << "no progress line on a terminal:\n" << out;
  const std::regex line_re(R"(^(\d+) lines, ([\d.]+) MiB, (\d+) lines/s, ([\d.]+) MiB/s, (\d+)% of input, ETA (\d+s|\?)$)");
  std::smatch m;
  const std::string& last = draws.back();
  ASSERT_TRUE(std::regex_match(last, m, line_re)) << "final progress line: '" << last << "'";
  EXPECT_EQ(std::stoi(m[1]), kLines) << last;                      // every line counted
  EXPECT_NEAR(std::stod(m[2]), file_mib, 0.15) << last;              // the bytes read
  EXPECT_GT(std::stoi(m[3]), 0) << last;                             // a rate
  EXPECT_GT(std::stod(m[4]), 0) << last;
  EXPECT_EQ(m[5], "100") << last;
  EXPECT_EQ(m[6], "0s") << last;
  // The summary after it: the same count, and the time it took.
  const std::regex summary_re(R"(kamatama import: 1 file\(s\) \(0 skipped as binary\), (\d+) line\(s\), [\d.]+ MiB in ([\d.]+) s)");
  ASSERT_TRUE(std::regex_search(out, m, summary_re)) << out;
  EXPECT_EQ(std::stoi(m[1]), kLines);
  const double seconds = std::stod(m[2]);
  // Redrawn at most every 200 ms: an import of more than half a second shows it move, with an
  // estimate of the time left while the input is not read yet.
  size_t moving = 0;
  long prev_lines = -1;
  for (size_t i = 0; i + 1 < draws.size(); ++i) {
    ASSERT_TRUE(std::regex_match(draws[i], m, line_re)) << "'" << draws[i] << "'";
    EXPECT_GE(std::stol(m[1]), prev_lines) << "lines go up";
    prev_lines = std::stol(m[1]);
    if (std::stoi(m[5]) < 100 && m[6] != "?") ++moving;
  }
  std::fprintf(stderr, "[ops] import of %d lines (%.1f MiB) under a pty: %.2f s, %zu progress redraws, last: %s\n", kLines,
               file_mib, seconds, draws.size(), last.c_str());
  if (seconds > 0.5) {
    EXPECT_GE(moving, 1u) << out;
  }
  // No terminal (a pipe), or --no-progress: no progress line at all, only the summary (the
  // final progress line is drawn on a terminal however short the import).
  out = Shell("script -qec " + ShellQuote(import("data2", "", "small.log")) + " /dev/null", &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("\033[K10 lines, "), std::string::npos) << out;
  out = Shell(import("data3", "", "small.log") + " 2>&1", &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_EQ(out.find("lines/s, "), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_NE(out.find(" 10 line(s)"), std::string::npos) << out;
  out = Shell("script -qec " + ShellQuote(import("data4", "--no-progress", "small.log")) + " /dev/null", &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_EQ(out.find("lines/s, "), std::string::npos) << out;
  EXPECT_NE(out.find(" 10 line(s)"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

TEST(Ops, DebianPackageInstallsUpgradesRemovesAndPurges) {
  std::string dir = TempDir("ops_package");
  int st = 0;
  if (Shell("for p in cpack dpkg-deb systemd-analyze; do command -v $p; done | wc -l") != "3\n") GTEST_SKIP() << "cpack/dpkg-deb/systemd-analyze missing";
  // Package the already-built binary (CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: nothing else is built).
  std::string out = Shell("cd " + ShellQuote(BuildDir()) + " && cpack -G DEB -B " + ShellQuote(dir) + " 2>&1", &st);
  ASSERT_EQ(st, 0) << out;
  std::string deb = Shell("ls " + ShellQuote(dir) + "/kamatama_*_amd64.deb 2>/dev/null | head -1");
  if (!deb.empty() && deb.back() == '\n') deb.pop_back();
  ASSERT_FALSE(deb.empty()) << Shell("ls -la " + ShellQuote(dir));
  std::string info = Shell("dpkg-deb -I " + ShellQuote(deb));
  for (const char* dep : {"adduser", "libsystemd0", "libarchive13", "libzstd1", "libyaml-cpp", "libre2", "libssl3"})
    EXPECT_NE(info.find(dep), std::string::npos) << "Depends lacks " << dep << ":\n" << info;
  EXPECT_NE(Shell("dpkg-deb --ctrl-tarfile " + ShellQuote(deb) + " | tar xOf - ./conffiles").find("/etc/kamatama/kamatama.yaml"),
            std::string::npos);
  std::string files = Shell("dpkg-deb -c " + ShellQuote(deb));
  for (const char* f : {"./usr/bin/kamatama", "./etc/kamatama/kamatama.yaml", "./lib/systemd/system/kamatama.service",
                        "./usr/share/doc/kamatama/operations.md", "./usr/share/doc/kamatama/FORMAT.md"})
    EXPECT_NE(files.find(f), std::string::npos) << f << " missing:\n" << files;
  // A throw-away root: the packaged configuration is valid and points at /var/lib/kamatama.
  std::string root = dir + "/root";
  Shell("dpkg-deb -x " + ShellQuote(deb) + " " + ShellQuote(root), &st);
  ASSERT_EQ(st, 0);
  out = Shell(ShellQuote(root + "/usr/bin/kamatama") + " check-config " + ShellQuote(root + "/etc/kamatama/kamatama.yaml") + " 2>&1", &st);
  EXPECT_EQ(st, 0) << out;
  std::string yaml = ReadFile(root + "/etc/kamatama/kamatama.yaml");
  EXPECT_NE(yaml.find("data_dir: /var/lib/kamatama"), std::string::npos);
  EXPECT_NE(yaml.find("udp: 0.0.0.0:514"), std::string::npos);
  // The unit passes `systemd-analyze verify` without a single warning (the binary path pointed
  // at the extracted one, since verify checks that ExecStart is executable).
  std::string unit = ReadFile(root + "/lib/systemd/system/kamatama.service");
  for (const char* k : {"Type=notify", "Restart=on-failure", "User=kamatama", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                        "ProtectSystem=strict", "StateDirectory=kamatama", "PrivateTmp=yes", "NoNewPrivileges=yes",
                        "RestrictAddressFamilies=", "SystemCallFilter=@system-service", "LimitNOFILE="})
    EXPECT_NE(unit.find(k), std::string::npos) << k;
  Shell("sed 's|/usr/bin/kamatama|" + root + "/usr/bin/kamatama|' " + ShellQuote(root + "/lib/systemd/system/kamatama.service") +
        " > " + ShellQuote(dir + "/kamatama.service"));
  out = Shell("systemd-analyze verify " + ShellQuote(dir + "/kamatama.service") + " 2>&1", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_EQ(out, "") << "systemd-analyze verify warned";

  // A real install on this machine (CI runs as root), then upgrade, remove and purge.
  if (::geteuid() != 0) GTEST_SKIP() << "not root: the package was checked in a throw-away root only";
  if (Shell("dpkg-query -W -f='${Status}' kamatama 2>/dev/null").find("installed") != std::string::npos ||
      std::filesystem::exists("/var/lib/kamatama"))
    GTEST_SKIP() << "kamatama is installed on this machine already; not touching it";
  out = Shell("dpkg -i " + ShellQuote(deb) + " 2>&1", &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_EQ(Shell("id -un kamatama 2>&1"), "kamatama\n");
  EXPECT_EQ(Shell("stat -c %U /var/lib/kamatama"), "kamatama\n");
  out = Shell("systemd-analyze verify /lib/systemd/system/kamatama.service 2>&1", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_EQ(out, "");
  EXPECT_EQ(Shell("/usr/bin/kamatama check-config /etc/kamatama/kamatama.yaml"), "/etc/kamatama/kamatama.yaml: OK\n");
  WriteFile("/var/lib/kamatama/precious", "events");
  out = Shell("dpkg -i " + ShellQuote(deb) + " 2>&1", &st);  // upgrade (same version) keeps data
  EXPECT_EQ(st, 0) << out;
  EXPECT_EQ(ReadFile("/var/lib/kamatama/precious"), "events");
  out = Shell("dpkg -r kamatama 2>&1", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_FALSE(std::filesystem::exists("/usr/bin/kamatama"));
  EXPECT_EQ(ReadFile("/var/lib/kamatama/precious"), "events") << "remove must keep the data";
  out = Shell("dpkg -P kamatama 2>&1 </dev/null", &st);  // purge asks nothing
  EXPECT_EQ(st, 0) << out;
  EXPECT_FALSE(std::filesystem::exists("/var/lib/kamatama")) << "purge removes the data";
  EXPECT_FALSE(std::filesystem::exists("/etc/kamatama/kamatama.yaml"));
  EXPECT_NE(Shell("id kamatama 2>&1").find("no such user"), std::string::npos);
  std::filesystem::remove_all(dir);
}
