// bench/parsers_bench.cc
//! Google Benchmark: lines/s per core of ParseRecord on the real samples of every corpus format
//! (../shared/corpus/<family>/<format>/*.log|*.txt), one benchmark per format; the peers' CEF
//! and LEEF samples in tests/data/generic (generic/<file>); and generated lines of the generic
//! formats (generated/cef, generated/leef, generated/kv: 1,000 varied lines each, about 300
//! bytes, 14-16 pairs, the shape of a firewall's traffic log).
//! Issue 23: declarative/kv and declarative/sshd run the definitions of bench/declarative on the
//! lines of generated/kv and generated/sshd (1,000 generated sshd password/publickey lines), so
//! each pair gives declarative against built-in on the same lines.
//! Run: build/bench/kmt_parsers_bench [--benchmark_filter=firewall]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/raw_record.h"
#include "parsers/declarative/parser_set.h"
#include "parsers/parse.h"

namespace {
namespace fs = std::filesystem;

std::map<std::string, std::vector<std::string>> LoadCorpus(const fs::path& root) {
  std::map<std::string, std::vector<std::string>> out;
  std::error_code ec;
  for (const auto& fam : fs::directory_iterator(root, ec)) {
    if (!fam.is_directory()) continue;
    for (const auto& fmt : fs::directory_iterator(fam.path(), ec)) {
      if (!fmt.is_directory()) continue;
      std::string name = fam.path().filename().string() + "/" + fmt.path().filename().string();
      for (const auto& f : fs::directory_iterator(fmt.path(), ec)) {
        auto ext = f.path().extension().string();
        if (ext != ".log" && ext != ".txt") continue;
        std::ifstream in(f.path(), std::ios::binary);
        for (std::string line; std::getline(in, line);) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (!line.empty()) out[name].push_back(line);
        }
      }
    }
  }
  return out;
}

void LoadGenericSamples(const fs::path& dir, std::map<std::string, std::vector<std::string>>* out) {
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    if (f.path().extension() != ".log") continue;
    std::ifstream in(f.path(), std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) (*out)["generic/" + f.path().stem().string()].push_back(line);
    }
  }
}

//! Deterministic firewall-traffic-like lines in CEF, LEEF 2.0 and plain key=value.
void Generate(std::map<std::string, std::vector<std::string>>* out) {
  const char* actions[] = {"accept", "deny", "drop", "close"};
  const char* users[] = {"alice", "bob", "carol smith", "svc-backup"};
  for (int i = 0; i < 1000; ++i) {
    std::string src = "10." + std::to_string(i % 7) + "." + std::to_string(i % 251) + "." + std::to_string(1 + i % 253);
    std::string dst = "198.51.100." + std::to_string(i % 254 + 1);
    std::string sport = std::to_string(1024 + (i * 37) % 60000), dport = std::to_string(i % 3 ? 443 : 53);
    std::string user = users[i % 4], act = actions[i % 4], n = std::to_string(i);
    (*out)["generated/cef"].push_back(
        "<134>Nov 26 12:00:00 fw01 CEF:0|Acme|NGFW|9.1|traffic-" + std::to_string(i % 40) + "|Traffic " + act +
        "|" + std::to_string(i % 11) + "|rt=1764158400" + n + " src=" + src + " spt=" + sport + " dst=" + dst +
        " dpt=" + dport + " proto=TCP act=" + act + " suser=" + user + " in=" + std::to_string(i * 13) +
        " out=" + std::to_string(i * 7) + " cs1Label=Rule Name cs1=allow-web-" + n + " deviceExternalId=FW-01 " +
        "request=https://www.example.com/path/" + n + "?q=a\\=b msg=session " + act + " by policy");
    (*out)["generated/leef"].push_back(
        "<134>Nov 26 12:00:00 fw01 LEEF:2.0|Acme|NGFW|9.1|traffic|^|devTime=Nov 26 2025 12:00:0" +
        std::to_string(i % 10) + "^src=" + src + "^srcPort=" + sport + "^dst=" + dst + "^dstPort=" + dport +
        "^proto=TCP^usrName=" + user + "^action=" + act + "^srcBytes=" + std::to_string(i * 13) +
        "^dstBytes=" + std::to_string(i * 7) + "^cat=traffic^sev=" + std::to_string(i % 10) + "^policy=allow-web-" +
        n + "^url=https://www.example.com/path/" + n + "^msg=session " + act + " by policy");
    (*out)["generated/kv"].push_back(
        "<134>Nov 26 12:00:00 gw01 acme-gw[311]: ts=2025-11-26T12:00:0" + std::to_string(i % 10) +
        "Z host=\"gw01\" event_id=\"00000130" + std::to_string(i % 10) + "\" kind=traffic srcip=" + src +
        " srcport=" + sport + " dstip=" + dst + " dstport=" + dport + " proto=6 action=" + act + " user=\"" +
        user + "\" policyid=" + std::to_string(i % 90) + " sentbyte=" + std::to_string(i * 13) +
        " rcvdbyte=" + std::to_string(i * 7) + " msg=\"session " + act + " by policy\"");
  }
}

//! sshd lines in the shape the built-in parser and bench/declarative/sshd.yaml both read.
void GenerateSshd(std::map<std::string, std::vector<std::string>>* out) {
  const char* users[] = {"root", "alice", "invalid user admin", "svc-backup"};
  for (int i = 0; i < 1000; ++i) {
    const bool ok = i % 5 == 0;
    (*out)["generated/sshd"].push_back("<38>Nov 26 12:00:0" + std::to_string(i % 10) + " host" + std::to_string(i % 30) +
                                       " sshd[" + std::to_string(1000 + i) + "]: " + (ok ? "Accepted publickey" : "Failed password") +
                                       " for " + users[i % 4] + " from 10." + std::to_string(i % 200) + ".0." +
                                       std::to_string(1 + i % 250) + " port " + std::to_string(1024 + i * 7) + " ssh2");
  }
}

//! The options with the declarative parsers of `file` (bench/declarative/).
kamatama::ParseOptions Declarative(const std::string& file) {
  kamatama::ParseOptions opt;
  std::shared_ptr<const kamatama::declarative::ParserSet> set;
  kamatama::declarative::LoadSummary summary;
  if (!kamatama::declarative::LoadParserSet({file}, &set, &summary).ok() || !summary.invalid.empty() ||
      set->definitions().empty()) {
    std::fprintf(stderr, "kmt_parsers_bench: %s did not load: %s", file.c_str(), summary.Text().c_str());
    std::exit(1);
  }
  opt.user = std::make_shared<kamatama::declarative::UserParsers>();
  opt.user->Swap(set);
  return opt;
}

void BM_Parse(benchmark::State& state, const std::vector<std::string>* lines, const kamatama::ParseOptions* options) {
  kamatama::RawRecord rec;
  rec.received_ns = 1'764'158'400'000'000'000;
  const kamatama::ParseOptions& opt = *options;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    rec.data = (*lines)[i];
    bytes += rec.data.size();
    benchmark::DoNotOptimize(kamatama::ParseRecord(rec, opt));
    if (++i == lines->size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
}  // namespace

int main(int argc, char** argv) {
  static auto corpus = LoadCorpus(fs::path(KMT_SOURCE_DIR) / ".." / "shared" / "corpus");
  LoadGenericSamples(fs::path(KMT_SOURCE_DIR) / "tests" / "data" / "generic", &corpus);
  Generate(&corpus);
  GenerateSshd(&corpus);
  static const kamatama::ParseOptions builtin;
  for (const auto& [name, lines] : corpus) {
    benchmark::RegisterBenchmark(name.c_str(), BM_Parse, &lines, &builtin);
  }
  const std::string defs = std::string(KMT_SOURCE_DIR) + "/bench/declarative/";
  static const kamatama::ParseOptions kv = Declarative(defs + "kv_firewall.yaml");
  static const kamatama::ParseOptions sshd = Declarative(defs + "sshd.yaml");
  benchmark::RegisterBenchmark("declarative/kv", BM_Parse, &corpus["generated/kv"], &kv);
  benchmark::RegisterBenchmark("declarative/sshd", BM_Parse, &corpus["generated/sshd"], &sshd);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
