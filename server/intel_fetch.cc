// server/intel_fetch.cc
//! Fetches of intel.feeds, through the server's HTTP client (net/http_client.h).
#include "server/intel_fetch.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/metrics.h"
#include "net/http_client.h"

namespace kamatama::server {

using net::HttpAnswer;
using net::HttpCall;
using net::HttpSend;
using net::HttpUrl;
using net::IsInternalAddress;
using net::SplitHttpUrl;

namespace {

//! A whole fetch (resolve excepted) may take this long.
constexpr auto kFetchTimeout = std::chrono::seconds(60);

//! Resolves, checks every address, connects to the checked ones and GETs the URL.
HttpAnswer Fetch(const std::string& url, const IntelOptions& opt) {
  HttpCall call;
  call.url = url;
  call.body_limit = opt.max_list_bytes;
  call.timeout = kFetchTimeout;
  call.user_agent = "kamatama-intel";
  call.ca_file = opt.ca_file;  // intel.ca_file: a private CA of an internal feed server
  call.check_address = [&opt](const std::string& host, const std::string& a) {
    if (opt.allow_internal || !IsInternalAddress(a)) return std::string();
    return fmt::format("{} resolves to the internal address {} (intel.allow_internal is off)", host, a);
  };
  return HttpSend(call);
}

const char* ContentTypeOf(const std::string& format) {
  if (format == "csv") return "text/csv";
  if (format == "stix") return "application/stix+json";
  if (format == "misp") return "application/vnd.misp+json";
  return "text/plain";
}

}  // namespace

std::string CheckFeedUrl(const std::string& url, const std::vector<std::string>& allowed) {
  HttpUrl u;
  if (!SplitHttpUrl(url, &u)) return "'" + url + "' is not an http:// or https:// URL with a host (and no user:password@)";
  std::string list;
  for (const std::string& a : allowed) {
    list += (list.empty() ? "" : ", ") + a;
    if (a.empty() || url.rfind(a, 0) != 0) continue;
    // The prefix must end at a boundary: https://feeds.example must not allow https://feeds.example.evil/.
    const char next = url.size() > a.size() ? url[a.size()] : '/';
    if (a.back() == '/' || next == '/' || next == '?' || next == '#') return "";
  }
  return fmt::format("{} is not under intel.allowed_urls ({})", url, list.empty() ? "none" : list);
}

Response IntelFetcher::FetchNow(const IntelOptions::Feed& feed) {
  if (std::string why = CheckFeedUrl(feed.url, opt_.allowed_urls); !why.empty()) return JsonError(403, why);
  HttpAnswer f = Fetch(feed.url, opt_);
  if (!f.error.empty()) return JsonError(502, "fetching " + feed.url + ": " + f.error);
  if (f.status != 200) return JsonError(502, fmt::format("{} answered HTTP {}", feed.url, f.status));
  return routes_->PutList(feed.name, ContentTypeOf(feed.format), f.body, false, "fetch of " + feed.url, opt_.hunt_on_import);
}

void IntelFetcher::Start() {
  if (opt_.feeds.empty()) return;
  thread_ = std::thread([this] { Run(); });
}

void IntelFetcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IntelFetcher::Run() {
  static Counter& ok = GetCounter("kamatama_intel_fetches_total", "result=\"ok\"", "Feed fetches, by result");
  static Counter& failed = GetCounter("kamatama_intel_fetches_total", "result=\"failed\"", "Feed fetches, by result");
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> due(opt_.feeds.size(), Clock::now());
  std::unique_lock lock(mu_);
  while (!stop_) {
    for (size_t i = 0; i < opt_.feeds.size() && !stop_; ++i) {
      if (due[i] > Clock::now()) continue;
      const IntelOptions::Feed& feed = opt_.feeds[i];
      lock.unlock();
      const auto t0 = Clock::now();
      Response r = FetchNow(feed);
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      (r.status == 200 ? ok : failed).Add();
      log_(fmt::format("intel: feed {} from {}: status {} after {:.1f} s: {}", feed.name, feed.url, r.status,
                       secs, r.body.substr(0, 300)));
      lock.lock();
      due[i] = Clock::now() + std::chrono::nanoseconds(feed.interval_ns);
    }
    cv_.wait_until(lock, *std::min_element(due.begin(), due.end()), [this] { return stop_; });
  }
}

}  // namespace kamatama::server
