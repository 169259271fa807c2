// server/intel_fetch.h
//! Scheduled list fetches (issue 28): each of intel.feeds is fetched at start and then every
//! `interval` with an HTTP GET (https:// verified against the system's CAs), and its body
//! replaces the list (IntelRoutes::PutList: strict import, then a hunt when hunt_on_import).
//! Feeds are set in the configuration file only (an admin's). Every fetch is checked first: the
//! URL must start with one of intel.allowed_urls, use http or https, have no credentials, and
//! every address its host resolves to must be public (not loopback, private, link-local,
//! carrier-grade NAT, multicast or unspecified) unless intel.allow_internal; the connection goes
//! to the checked address (no second resolution). Redirects are not followed; the body is
//! limited to intel.max_list_bytes and the fetch to 60 seconds. Outcomes are logged.
//! One thread of its own; thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "server/config.h"
#include "server/intel_routes.h"

namespace kamatama::server {

//! Why `url` may not be fetched by a feed (empty: it may, as far as its text tells): http or
//! https, no user:password@, a host, and a prefix in `allowed`.
std::string CheckFeedUrl(const std::string& url, const std::vector<std::string>& allowed);

class IntelFetcher {
 public:
  IntelFetcher(const IntelOptions& opt, IntelRoutes* routes, std::function<void(const std::string&)> log)
      : opt_(opt), routes_(routes), log_(std::move(log)) {}
  ~IntelFetcher() { Stop(); }
  //! Starts the schedule (nothing when there are no feeds).
  void Start();
  void Stop();
  //! Fetches one feed now and imports it; the import's answer, or an error (status, message).
  Response FetchNow(const IntelOptions::Feed& feed);

 private:
  void Run();

  IntelOptions opt_;
  IntelRoutes* routes_;
  std::function<void(const std::string&)> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kamatama::server
