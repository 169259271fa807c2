// core/metrics.cc
#include "core/metrics.h"

#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace kamatama {

namespace {
struct Family {
  std::string help;
  std::string type;
  std::map<std::string, std::unique_ptr<Counter>> counters;  // by labels
  std::map<std::string, std::unique_ptr<Histogram>> histograms;
  std::function<double()> gauge;
  std::function<std::vector<std::pair<std::string, double>>()> labeled_gauge;
};
struct Registry {
  std::mutex mu;
  std::map<std::string, Family, std::less<>> families;
};
Registry& Reg() {
  static Registry* r = new Registry();
  return *r;
}
}  // namespace

Counter& GetCounter(std::string_view name, std::string_view labels, std::string_view help) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  Family& f = r.families[std::string(name)];
  if (f.type.empty()) {
    f.type = "counter";
    f.help = help;
  }
  auto& slot = f.counters[std::string(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Histogram& GetHistogram(std::string_view name, std::string_view labels, std::string_view help) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  Family& f = r.families[std::string(name)];
  if (f.type.empty()) {
    f.type = "histogram";
    f.help = help;
  }
  auto& slot = f.histograms[std::string(labels)];
  if (!slot) slot = std::make_unique<Histogram>();
  return *slot;
}

void RegisterGauge(std::string_view name, std::string_view help, std::function<double()> fn) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  Family& f = r.families[std::string(name)];
  f.type = "gauge";
  f.help = help;
  f.gauge = std::move(fn);
}

void RegisterLabeledGauge(std::string_view name, std::string_view help,
                          std::function<std::vector<std::pair<std::string, double>>()> fn) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  Family& f = r.families[std::string(name)];
  f.type = "gauge";
  f.help = help;
  f.labeled_gauge = std::move(fn);
}

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kNumBounds && seconds > kBounds[i]) ++i;
  buckets[i].fetch_add(1, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
  sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string RenderMetrics() {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  std::string out;
  for (auto& [name, f] : r.families) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
    if (f.gauge) out += fmt::format("{} {}\n", name, f.gauge());
    if (f.labeled_gauge) {
      for (const auto& [labels, v] : f.labeled_gauge()) out += fmt::format("{}{{{}}} {}\n", name, labels, v);
    }
    for (auto& [labels, c] : f.counters) {
      if (labels.empty()) out += fmt::format("{} {}\n", name, c->Get());
      else out += fmt::format("{}{{{}}} {}\n", name, labels, c->Get());
    }
    for (auto& [labels, h] : f.histograms) {
      std::string sep = labels.empty() ? "" : labels + ",";
      uint64_t cum = 0;
      for (size_t i = 0; i <= Histogram::kNumBounds; ++i) {
        cum += h->buckets[i].load();
        std::string le = i < Histogram::kNumBounds ? fmt::format("{}", Histogram::kBounds[i]) : "+Inf";
        out += fmt::format("{}_bucket{{{}le=\"{}\"}} {}\n", name, sep, le, cum);
      }
      std::string lb = labels.empty() ? "" : "{" + labels + "}";
      out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, lb, h->sum_micros.load() / 1e6, name, lb,
                         h->count.load());
    }
  }
  return out;
}

}  // namespace kamatama
