// core/metrics.h
//! Process-wide counters and gauges, rendered in the Prometheus text format.
//! Registration takes a lock once; incrementing a Counter is one relaxed atomic add.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kamatama {

struct Counter {
  std::atomic<uint64_t> value{0};
  void Add(uint64_t n = 1) { value.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Get() const { return value.load(std::memory_order_relaxed); }
};

//! Returns the counter `name{labels}` (labels like `transport="tcp"`), creating it once.
//! The reference stays valid for the life of the process.
Counter& GetCounter(std::string_view name, std::string_view labels, std::string_view help);

//! A gauge computed when /metrics is read.
void RegisterGauge(std::string_view name, std::string_view help, std::function<double()> fn);
//! A gauge with one series per label set (labels like `family="dns"`), all computed when
//! /metrics is read. Like RegisterGauge's, `fn` runs under the registry's lock: it must not
//! register or look up metrics.
void RegisterLabeledGauge(std::string_view name, std::string_view help,
                          std::function<std::vector<std::pair<std::string, double>>()> fn);

//! Latency histogram in seconds with fixed buckets.
class Histogram {
 public:
  void Observe(double seconds);
  static constexpr double kBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  static constexpr size_t kNumBounds = sizeof(kBounds) / sizeof(kBounds[0]);
  std::atomic<uint64_t> buckets[kNumBounds + 1] = {};
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_micros{0};
};
Histogram& GetHistogram(std::string_view name, std::string_view labels, std::string_view help);

//! Every metric in the Prometheus text exposition format 0.0.4.
std::string RenderMetrics();

}  // namespace kamatama
