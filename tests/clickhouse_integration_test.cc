// tests/clickhouse_integration_test.cc: the ClickHouse backend (issue 26) against a real local
// cluster (2 shards x 2 replicas and ZooKeeper, started by tests/clickhouse/cluster.sh as the ctest
// fixture clickhouse_cluster; its directory is in KMT_CH_DIR): the schema made twice, batches
// sent twice without duplicates, both replicas of each shard holding their shard's rows, and
// the start of the differential test: the same events in a RocksDB store (store::Store, the
// oracle: the engine kamatama runs on one machine) and in the cluster, each query's set of
// matching events compared.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <sys/wait.h>
#include <variant>

#include <fmt/format.h>

#include "clickhouse/client.h"
#include "clickhouse/schema.h"
#include "clickhouse/search.h"
#include "clickhouse/sql.h"
#include "clickhouse/writer.h"
#include "core/time.h"
#include "query/pipes.h"
#include "query/query.h"
#include "store/store.h"

using namespace kamatama;

namespace {

constexpr int kEvents = 600;
// 2026-01-02T00:00:00Z; events every 53 s, so they span two days (two partitions).
constexpr int64_t kStart = 1'767'312'000'000'000'000;
constexpr int64_t kStep = 53'000'000'000 * 3;

const char* Pick(const std::vector<const char*>& v, int i) { return v[static_cast<size_t>(i) % v.size()]; }

//! Event i: every value is a function of i, chosen so that the queries below find some events
//! and not others (token boundaries, case, absent and empty fields, bad addresses).
Event EventOf(int i) {
  Event ev;
  ev.timestamp_ns = kStart + i * kStep + i % 1000;
  ev.ingested_ns = ev.timestamp_ns + 5;
  const char* host = Pick({"web1", "WEB2", "db-1", "mail.example.org", "web10"}, i);
  const char* user = Pick({"root", "Alice", "admin", "bob", "svc_backup", "alice"}, i / 3);
  const char* ip = Pick({"10.1.2.3", "10.1.2.30", "192.168.1.77", "203.0.113.9", "010.1.2.3", "172.16.0.1", "8.8.8.8"}, i / 2);
  const char* port = Pick({"22", "443", "8080", "abc", "65535", "1023", "3389"}, i / 5);
  const bool failed = i % 4 != 0;
  ev.original = fmt::format("<38>Jan  2 00:00:00 {} sshd[{}]: {} password for {} from {} port {} ssh2{}", host,
                            100 + i % 17, failed ? "Failed" : "Accepted", user, ip, port,
                            i % 9 == 0 ? " session=a.b.c-d" : (i % 11 == 0 ? " path /usr/bin/bash" : (i == 590 ? " trace=zz9" : "")));
  ev.Add("test.id", std::to_string(i));
  ev.Add("host.name", host);
  ev.Add("event.dataset", i % 3 ? "auth.sshd" : "syslog.generic");
  if (i % 7 != 0) ev.Add("user.name", user);
  if (i % 13 == 0) ev.Set("user.name", "");
  ev.Add("source.ip", ip);
  ev.Add("destination.port", port);
  ev.Add("event.action", failed ? "deny" : "allow");
  if (i % 5 == 0) ev.Add("custom.tag", i % 10 ? "Blue" : "red");
  if (i % 11 == 0) ev.Add("process.command_line", "/usr/bin/bash -c id");
  if (i % 6 == 0) ev.Set("process.command_line", "/bin/sh -c 'echo hi'");
  if (i % 8 == 0) ev.Add("custom.addr", ip);
  // Numbers as sum/avg/min/max read them, and values they do not count as numbers.
  if (i % 4 != 3) ev.Add("custom.bytes", Pick({"1.5", "-2", "1e3", "", "n/a", ".25", "7.", "+3", "12", "0x10", "-0.125"}, i / 4));
  return ev;
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

clickhouse::ClickHouseOptions ClusterOptions() {
  const char* dir = std::getenv("KMT_CH_DIR");
  clickhouse::ClickHouseOptions o;
  if (!dir) return o;
  std::istringstream ports(ReadText(std::string(dir) + "/http_ports"));
  for (std::string p; ports >> p;) o.urls.push_back("http://127.0.0.1:" + p);
  std::istringstream(ReadText(std::string(dir) + "/cluster")) >> o.cluster;
  o.database = fmt::format("kmt_it_{}", ::getpid());
  return o;
}

class ClickHouseCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    options_ = new clickhouse::ClickHouseOptions(ClusterOptions());
    ASSERT_FALSE(options_->urls.empty()) << "KMT_CH_DIR must name a cluster started by tests/clickhouse/cluster.sh";
    client_ = new clickhouse::Client(*options_);
    std::string report;
    ASSERT_TRUE(clickhouse::CheckServers(*client_, &report).ok()) << report;
    for (int round = 0; round < 2; ++round) {  // twice: every statement is idempotent
      report.clear();
      Status s = clickhouse::InitSchema(*client_, &report);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    events_ = new std::vector<Event>;
    for (int i = 0; i < kEvents; ++i) events_->push_back(EventOf(i));
    FillStore();
  }
  static void FillStore() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() / fmt::format("kmt_ch_it_{}", ::getpid()));
    std::filesystem::remove_all(*dir_);
    store::StoreOptions opt;
    opt.dir = dir_->string();
    opt.block_max_events = 128;
    ASSERT_TRUE(store::Store::Open(opt, [](const RawRecord& r) { return EventOf(std::stoi(r.data)); }, &store_).ok());
    std::vector<Event> evs = *events_;
    std::vector<RawRecord> raws;
    for (int i = 0; i < kEvents; ++i) {
      RawRecord r;
      r.received_ns = (*events_)[static_cast<size_t>(i)].ingested_ns;
      r.data = std::to_string(i);
      raws.push_back(std::move(r));
    }
    uint64_t expired = 0;
    ASSERT_TRUE(store_->Append(&evs, raws, &expired).ok());
    ASSERT_TRUE(store_->Commit(false).ok());
  }
  static void TearDownTestSuite() {
    if (client_) {
      std::string out;
      (void)client_->Execute(fmt::format("DROP DATABASE IF EXISTS {} ON CLUSTER {}", options_->database, options_->cluster), &out);
    }
    store_.reset();
    if (dir_) std::filesystem::remove_all(*dir_);
    delete dir_;
    delete events_;
    delete client_;
    delete options_;
  }
  //! Sends every event in batches of 100, each batch twice (a retry after a lost answer).
  static void InsertAllTwice() {
    if (inserted_) return;
    inserted_ = true;
    for (size_t first = 0; first < events_->size(); first += 100) {
      std::vector<Event> part(events_->begin() + static_cast<long>(first),
                              events_->begin() + static_cast<long>(std::min(events_->size(), first + 100)));
      clickhouse::Batch b{"node-a", first, &part};
      for (int attempt = 0; attempt < 2; ++attempt) {
        Status s = clickhouse::InsertBatch(*client_, b);
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    }
  }
  //! The seq (test.id) of each event of the cluster matching `where`.
  static std::set<int> Seqs(const std::string& where) {
    std::string out;
    Status s = client_->Execute(fmt::format("SELECT seq FROM {}.events WHERE {} FORMAT TSV", options_->database, where), &out);
    EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << where;
    std::set<int> ids;
    std::istringstream lines(out);
    for (int id; lines >> id;) ids.insert(id);
    return ids;
  }
  static std::string Scalar(const std::string& sql) {
    std::string v;
    Status s = client_->Scalar(sql, &v);
    EXPECT_TRUE(s.ok()) << sql << ": " << s.ToString();
    return v;
  }

  inline static clickhouse::ClickHouseOptions* options_ = nullptr;
  inline static clickhouse::Client* client_ = nullptr;
  inline static std::vector<Event>* events_ = nullptr;
  inline static std::filesystem::path* dir_ = nullptr;
  inline static std::unique_ptr<store::Store> store_;
  inline static bool inserted_ = false;
};

TEST_F(ClickHouseCluster, SchemaExistsOnEveryServer) {
  for (const std::string& url : options_->urls) {
    std::string out;
    ASSERT_TRUE(client_->ExecuteAt(url, fmt::format("SELECT name FROM system.tables WHERE database = '{}' ORDER BY name "
                                                    "FORMAT TSV", options_->database), &out).ok());
    EXPECT_EQ(out, "events\nevents_local\ntokens\ntokens_local\n") << url;
  }
}

TEST_F(ClickHouseCluster, RetriedBatchesAreStoredOnceAndReplicated) {
  InsertAllTwice();
  const std::string db = options_->database;
  EXPECT_EQ(Scalar(fmt::format("SELECT count() FROM {}.events", db)), std::to_string(kEvents));
  EXPECT_EQ(Scalar(fmt::format("SELECT uniqExact(seq) FROM {}.events", db)), std::to_string(kEvents));
  EXPECT_EQ(Scalar(fmt::format("SELECT uniqExact(toYYYYMMDD(ts)) FROM {}.events", db)), "2");
  // Both shards got rows, and the second replica of each shard has the first one's rows.
  std::vector<std::string> counts;
  for (const std::string& url : options_->urls) {
    std::string out;
    ASSERT_TRUE(client_->ExecuteAt(url, fmt::format("SYSTEM SYNC REPLICA {}.events_local", db), &out).ok()) << url;
    ASSERT_TRUE(client_->ExecuteAt(url, fmt::format("SELECT count() FROM {}.events_local", db), &out).ok());
    counts.push_back(out.substr(0, out.find('\n')));
  }
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts[0], counts[1]);
  EXPECT_EQ(counts[2], counts[3]);
  EXPECT_NE(counts[0], "0");
  EXPECT_NE(counts[2], "0");
  EXPECT_EQ(std::stoi(counts[0]) + std::stoi(counts[2]), kEvents);
  // Fields come back as they went in: a column field, an array field, an empty value.
  EXPECT_EQ(Scalar(fmt::format("SELECT host_name FROM {}.events WHERE seq = 3", db)), "mail.example.org");
  EXPECT_EQ(Scalar(fmt::format("SELECT kv_values[indexOf(kv_keys, 'custom.tag')] FROM {}.events WHERE seq = 5", db)), "Blue");
  EXPECT_EQ(Scalar(fmt::format("SELECT has(kv_keys, 'user.name') FROM {}.events WHERE seq = 0", db)), "1");
  // The token table has each event's tokens once.
  EXPECT_EQ(Scalar(fmt::format("SELECT count() FROM {}.tokens WHERE tok = 'failed'", db)),
            std::to_string(kEvents - (kEvents + 3) / 4));
}

//! Runs `cmd` with the shell; *status gets its exit status; returns stdout and stderr.
std::string RunCommand(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  for (size_t n; p && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int rc = p ? ::pclose(p) : -1;
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

//! The configuration files written, removed at the end of the test.
std::vector<std::string>& ConfigFiles() {
  static std::vector<std::string> files;
  return files;
}

std::string WriteConfig(const std::string& name, const std::vector<std::string>& urls, const std::string& cluster,
                        const std::string& database) {
  const std::string path = (std::filesystem::temp_directory_path() / fmt::format("kmt_ch_{}_{}.yaml", name, ::getpid())).string();
  std::ofstream f(path);
  f << "data_dir: " << std::filesystem::temp_directory_path().string() << "/kmt_ch_cli_data\n"
    << "store:\n  backend: clickhouse\nclickhouse:\n  urls:\n";
  for (const std::string& u : urls) f << "    - " << u << "\n";
  f << "  cluster: " << cluster << "\n  database: " << database << "\n";
  ConfigFiles().push_back(path);
  return path;
}

TEST_F(ClickHouseCluster, CheckConfigAndInitFromTheCommandLine) {
  const std::string db = options_->database + "_cli";
  const std::string good = WriteConfig("good", options_->urls, options_->cluster, db);
  int status = -1;
  std::string out = RunCommand(fmt::format("{} check-config {}", KMT_BINARY, good), &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("ClickHouse 18.16"), std::string::npos) << out;  // the version each server reports
  EXPECT_NE(out.find("cluster " + options_->cluster + ": 4 replica(s)"), std::string::npos) << out;
  // init twice: the second run finds everything there.
  for (int round = 0; round < 2; ++round) {
    out = RunCommand(fmt::format("{} clickhouse init --config {}", KMT_BINARY, good), &status);
    EXPECT_EQ(status, 0) << out;
  }
  for (const std::string& url : options_->urls) {
    std::string tables;
    ASSERT_TRUE(client_->ExecuteAt(url, fmt::format("SELECT count() FROM system.tables WHERE database = '{}'", db), &tables).ok());
    EXPECT_EQ(tables, "4\n") << url;
  }
  std::string ignored;
  EXPECT_TRUE(client_->Execute(fmt::format("DROP DATABASE IF EXISTS {} ON CLUSTER {}", db, options_->cluster), &ignored).ok());
  // A cluster the servers do not know, a server that does not answer, a name that is no identifier.
  out = RunCommand(fmt::format("{} check-config {}", KMT_BINARY, WriteConfig("nocluster", options_->urls, "nosuch", db)), &status);
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("knows no cluster 'nosuch'"), std::string::npos) << out;
  out = RunCommand(fmt::format("{} check-config {}", KMT_BINARY, WriteConfig("down", {"http://127.0.0.1:1"}, options_->cluster, db)), &status);
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("http://127.0.0.1:1"), std::string::npos) << out;
  out = RunCommand(fmt::format("{} clickhouse init --config {}", KMT_BINARY, WriteConfig("bad", options_->urls, "a-b", db)), &status);
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("clickhouse.cluster"), std::string::npos) << out;
  for (const std::string& f : ConfigFiles()) std::filesystem::remove(f);
}

//! The ids of the events matching `text` in the RocksDB store.
std::set<int> StoreIds(store::Store& st, const query::Query& q) {
  query::QueryFilter f(q);
  store::ScanOptions so;
  so.from_ns = q.TimeBounds().from_ns;
  so.to_ns = q.TimeBounds().to_ns;
  so.limit = kEvents + 1;
  store::ScanResult res;
  Status s = st.Scan(f, so, &res);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::set<int> ids;
  for (const Event& ev : res.events) ids.insert(std::stoi(*ev.Get("test.id")));
  return ids;
}

TEST_F(ClickHouseCluster, QueriesAnswerAsTheRocksDbStore) {
  InsertAllTwice();
  const std::vector<std::string> queries = {
      "failed",
      "\"Failed password\"",
      "\"password for alice\"",
      "10.1.2.3",
      "10.1.2.30",
      "a.b",
      "a.b.c-d",
      "host.name:web1",
      "host.name:WEB*",
      "host.name:*.example.org",
      "host.name:web1*",
      "user.name:alice",
      "user.name:*",
      "NOT user.name:*",
      "source.ip:10.0.0.0/8",
      "source.ip:192.168.1.0/24",
      "custom.addr:10.1.2.0/28",
      "source.ip:[10.0.0.0 TO 10.255.255.255]",
      "destination.port:[1 TO 1023]",
      "destination.port:>=8000",
      "destination.port:{22 TO 3389]",
      "user.name:[a TO bob]",
      "event.action:deny AND NOT destination.port:22",
      "custom.tag:blue OR custom.tag:RED",
      "custom.tag:*",
      "sess*",
      "*ash",
      "/port [0-9]{4} /",
      "process.command_line:/.*\\/bin\\/(ba)?sh.*/",
      "process.command_line:/usr*",
      "event.dataset:auth.*",
      "host.name:web1 OR (user.name:root AND event.action:allow)",
      "@timestamp:[2026-01-02T01:00:00Z TO 2026-01-02T02:00:00Z} failed",
      "@timestamp:>=2026-01-03T00:00:00Z",
      "NOT failed",
      "-failed -\"alice\" host.name:*",
  };
  int nonempty = 0, prefiltered = 0;
  for (const std::string& text : queries) {
    auto parsed = query::Query::Parse(text);
    ASSERT_TRUE(std::holds_alternative<query::Query>(parsed)) << text;
    const query::Query& q = std::get<query::Query>(parsed);
    std::string where;
    Status s = clickhouse::WhereSql(q, &where);
    ASSERT_TRUE(s.ok()) << text << ": " << s.ToString();
    std::string out;
    s = client_->Execute(fmt::format("SELECT seq FROM {}.events WHERE {} FORMAT TSV", options_->database, where), &out);
    ASSERT_TRUE(s.ok()) << text << ": " << s.ToString() << "\n" << where;
    std::set<int> cluster;
    std::istringstream lines(out);
    for (int id; lines >> id;) cluster.insert(id);
    const std::set<int> expected = StoreIds(*store_, q);
    EXPECT_EQ(cluster, expected) << text << "\n" << where;
    if (!expected.empty() && expected.size() < static_cast<size_t>(kEvents)) ++nonempty;
    // Narrowed by the token table: the same events.
    std::string cond;
    s = clickhouse::TokenPrefilter(*client_, q, "1", {}, &cond);
    ASSERT_TRUE(s.ok()) << text << ": " << s.ToString();
    if (cond.empty()) continue;
    ++prefiltered;
    EXPECT_EQ(Seqs(fmt::format("({}) AND ({})", cond, where)), expected) << text << "\n" << cond;
  }
  // Every query with free text at its root or ANDed there, and no other, is narrowed.
  EXPECT_EQ(prefiltered, 8);
  // Guard against passing on nothing: every answer but that of a.b (no such token: a.b.c-d is
  // one) is neither empty nor everything.
  EXPECT_EQ(nonempty, static_cast<int>(queries.size()) - 1);
}

}  // namespace

namespace {

//! Each row of a table as one tab-separated line, sorted (groups come in any order).
std::multiset<std::string> RowsOf(const query::Table& t) {
  std::multiset<std::string> out;
  for (const auto& row : t.rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) line += (i ? "\t" : "") + row[i];
    out.insert(line);
  }
  return out;
}

TEST_F(ClickHouseCluster, StatsPushedDownAnswerAsTheRocksDbStore) {
  InsertAllTwice();
  // Each pipeline with the number of rows it gives (checked on the RocksDB store: the comparison
  // means something).
  const std::vector<std::pair<std::string, size_t>> pipelines = {
      {"failed | stats count() by host.name", 5},
      {"* | stats count(), dc(source.ip) by event.action", 2},
      {"NOT failed | stats dc(user.name), count(user.name) by host.name, event.dataset", 10},
      {"source.ip:10.0.0.0/8 | stats count() by destination.port", 7},
      {"* | stats count(custom.tag) by custom.tag", 3},
      // sum/avg/min/max: numbers as std::from_chars reads them, the rest left out of sums and
      // compared as strings by min/max when no number is there; avg divides by every value.
      {"* | stats sum(destination.port), avg(destination.port), min(destination.port), max(destination.port) by host.name", 5},
      {"* | stats count(), sum(custom.bytes), avg(custom.bytes), min(custom.bytes), max(custom.bytes) by event.action", 2},
      {"* | stats min(user.name), max(user.name), min(custom.bytes) by event.dataset, custom.tag", 6},
      {"custom.bytes:n* OR custom.bytes:0x* | stats min(custom.bytes), max(custom.bytes), avg(custom.bytes) by host.name", 5},
      {"* | stats sum(test.id) as total, avg(test.id), min(test.id), max(test.id) by custom.tag", 3},
      // Without `by`: one row, none when nothing matched.
      {"* | stats count(), sum(test.id), avg(custom.bytes), min(custom.bytes), max(user.name), dc(host.name)", 1},
      {"failed AND NOT custom.bytes:n* | stats count() as n, max(custom.bytes)", 1},
      {"nosuchtoken | stats count(), sum(test.id)", 0},
      {"* | timechart span=6h sum(destination.port), max(custom.bytes) by event.action", 10},
      {"* | timechart span=1d avg(test.id)", 2},
      {"* | top 3 host.name", 3},
      {"* | rare 2 custom.bytes", 2},
  };
  for (const auto& [text, rows] : pipelines) {
    auto parsed = query::ParsePipeline(text);
    ASSERT_TRUE(std::holds_alternative<query::Pipeline>(parsed)) << text;
    const query::Pipeline& p = std::get<query::Pipeline>(parsed);
    auto qp = query::Query::Parse(p.filter);
    ASSERT_TRUE(std::holds_alternative<query::Query>(qp)) << text;
    const query::Query& q = std::get<query::Query>(qp);
    // The RocksDB store: every matching row through query::Aggregator, as the server does.
    query::Aggregator agg(p.stages[0], 100000);
    query::QueryFilter f(q);
    store::ScanOptions so;
    so.limit = 0;
    so.visit_fields = p.AggregateFields();
    so.visit = [&](const FieldAccessor& row, int64_t ts) { agg.Add(row, ts); };
    store::ScanResult res;
    ASSERT_TRUE(store_->Scan(f, so, &res).ok()) << text;
    const query::Table expected = agg.Finish();
    // The cluster: one GROUP BY, read back as the node reads it.
    std::string where;
    ASSERT_TRUE(clickhouse::WhereSql(q, &where).ok()) << text;
    query::Table cluster;
    bool complete = false;
    Status s = clickhouse::StatsTable(*client_, p.stages[0], where, 1000, {}, &cluster, &complete);
    ASSERT_TRUE(s.ok()) << text << ": " << s.ToString();
    EXPECT_TRUE(complete) << text;
    EXPECT_EQ(cluster.columns, expected.columns) << text;
    EXPECT_EQ(RowsOf(cluster), RowsOf(expected)) << text;
    EXPECT_EQ(expected.rows.size(), rows) << text;
  }
}

// The token table: a rare term reads the granules of its events only; a term in more events
// than the limit, or none, is not narrowed; a term in no event narrows to nothing.
TEST_F(ClickHouseCluster, TokenTableNarrowsRareTermsOnly) {
  InsertAllTwice();
  auto rows_read = [](const std::string& where) {
    std::string out;
    Status s = client_->Execute(fmt::format("SELECT count() FROM {}.events WHERE {} FORMAT JSON", options_->database, where), &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    const size_t at = out.find("\"rows_read\": ");
    return at == std::string::npos ? -1 : std::stol(out.substr(at + 13));
  };
  auto prefilter = [](const std::string& text, size_t max_events, std::string* where) {
    const query::Query q = std::get<query::Query>(query::Query::Parse(text));
    std::string cond;
    EXPECT_TRUE(clickhouse::WhereSql(q, where).ok());
    EXPECT_TRUE(clickhouse::TokenPrefilter(*client_, q, "1", {}, &cond, max_events).ok()) << text;
    return cond;
  };
  std::string where;
  // zz9: in one event of the second day (57 events there, 543 on the first).
  const std::string cond = prefilter("zz9 AND failed", 100, &where);
  ASSERT_FALSE(cond.empty());
  const std::string narrowed = fmt::format("({}) AND ({})", cond, where);
  EXPECT_EQ(Seqs(narrowed), std::set<int>{590});
  EXPECT_EQ(rows_read(where), kEvents);
  EXPECT_LE(rows_read(narrowed), 57) << narrowed;
  EXPECT_EQ(prefilter("failed", 100, &where), "");  // 450 events: a scan
  EXPECT_EQ(prefilter("failed AND nosuchtoken", 100, &where), "0");
  EXPECT_EQ(prefilter("host.name:web1 OR failed", 100, &where), "");  // no free text ANDed at the root
  EXPECT_EQ(prefilter("NOT failed", 100, &where), "");
}

// What the cluster does not translate yet is refused naming it (the server answers 400 with it).
TEST_F(ClickHouseCluster, UntranslatedConstructsAreRefusedNamingThem) {
  auto parsed = query::Query::Parse("event.ingested:>=2026-01-02T00:00:00Z");
  ASSERT_TRUE(std::holds_alternative<query::Query>(parsed));
  std::string where;
  Status s = clickhouse::WhereSql(std::get<query::Query>(parsed), &where);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "time ranges on event.ingested are not translated to ClickHouse SQL yet");
  query::Stage sort;
  sort.kind = query::StageKind::kSort;
  std::string sql;
  s = clickhouse::StatsSql(sort, "1", "t", &sql);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "only `stats`, `timechart`, `top` and `rare` are pushed down to ClickHouse");
}

}  // namespace
