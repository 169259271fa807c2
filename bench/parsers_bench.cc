// bench/parsers_bench.cc
//! Google Benchmark: lines/s per core of ParseRecord on the real samples of every corpus format
//! (../shared/corpus/<family>/<format>/*.log|*.txt), one benchmark per format, plus a generated
//! mix. Run: build/bench/kmt_parsers_bench [--benchmark_filter=firewall]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/raw_record.h"
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

void BM_Parse(benchmark::State& state, const std::vector<std::string>* lines) {
  kamatama::RawRecord rec;
  rec.received_ns = 1'764'158'400'000'000'000;
  kamatama::ParseOptions opt;
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
  for (const auto& [name, lines] : corpus) {
    benchmark::RegisterBenchmark(name.c_str(), BM_Parse, &lines);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
