// server/notifier.h
//! Alert notifications (issue 21): every alert raised live (Sigma rules, correlations, intel
//! hits) is offered to each enabled target whose minimum level and rule filter it passes; a
//! target's rate limit (rate_limit) lets that many messages through per minute and tells
//! the rest in one digest when the minute ends. Deliveries wait in one bounded queue
//! (notifications.queue_size: beyond it new ones are dropped, counted and logged) and are
//! attempted by one thread of their own; a failed attempt is retried after a delay that doubles
//! from notifications.retry_initial up to retry_max, at most notifications.max_attempts times
//! (a 4xx answer other than 408 and 429 is not retried); what is given up is counted and logged.
//! The queue is in memory: deliveries waiting at shutdown are logged as given up. Targets are
//! kept in <data_dir>/notifications.json (0600). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/event.h"
#include "core/safe_file.h"
#include "core/status.h"
#include "server/config.h"
#include "server/notify_message.h"
#include "server/notify_targets.h"

namespace kamatama::server {

//! What happened to a target's notifications since the server started.
struct NotifyStats {
  uint64_t sent = 0;       //!< delivered (alerts, digests and tests)
  uint64_t failed = 0;     //!< given up after their attempts (or refused for good)
  uint64_t dropped = 0;    //!< not queued: the queue was full
  uint64_t held_back = 0;  //!< alerts over the rate limit, told in a digest
  uint64_t retries = 0;    //!< attempts after a first failure
  uint64_t queued = 0;     //!< waiting now
  int64_t last_sent_ns = 0, last_error_ns = 0;
  std::string last_error;
};

class Notifier {
 public:
  Notifier(NotifyOptions opt, std::function<void(const std::string&)> log) : opt_(std::move(opt)), log_(std::move(log)) {}
  ~Notifier() { Stop(); }
  //! Reads the targets of `data_dir` (none yet: no file).
  Status Open(const std::string& data_dir);
  void Start();
  //! Stops the thread; what is still queued is logged as given up.
  void Stop();

  //! Offers the alert events among `events` (dataset kamatama.alert) to the targets. Never
  //! blocks on the network.
  void OfferAlerts(const std::vector<Event>& events, size_t from = 0);

  std::vector<NotifyTarget> Targets() const;
  //! Checks every target (ValidateTarget, against notifications.allowed_targets, resolving the
  //! hosts now), writes the file and replaces the targets. InvalidArgument with the reason.
  Status SetTargets(std::vector<NotifyTarget> targets);
  //! Sends a test notification to target `name` now, one attempt (no rate limit, level or rule
  //! filter); empty when delivered, else why not. *found false when there is no such target.
  std::string SendTest(const std::string& name, const std::string& user, bool* found);
  //! Sends `note` to target `name` now, one attempt on the caller's thread (no rate limit,
  //! level or rule filter: scheduled reports, issue 25, have their own); empty when delivered,
  //! else why not. Counted in the target's stats. *found false when there is no such target.
  std::string SendNow(const std::string& name, const Note& note, bool* found);
  //! Whether target `name` exists.
  bool HasTarget(const std::string& name) const;
  std::map<std::string, NotifyStats> Stats() const;
  const NotifyOptions& options() const { return opt_; }

 private:
  struct Delivery {
    std::string target, id;
    Note note;
    int attempts = 0;
  };
  //! A target's rate window: messages sent in it and what it held back.
  struct Window {
    int64_t start_ns = 0;  //!< steady clock; 0: no window open
    int sent = 0;
    DigestNote held;
  };
  //! One attempt; empty on success. *permanent: retrying cannot help.
  std::string Attempt(const NotifyTarget& t, const Note& n, const std::string& id, bool* permanent) const;
  void EnqueueLocked(const std::string& target, Note note);
  //! Ends `w` if its minute is over at `now`, queueing its digest.
  void CloseWindowLocked(const std::string& target, Window* w, int64_t now);
  void Run();
  //! Takes the result of an attempt on `d` (mu_ held).
  void SettleLocked(Delivery d, const std::string& error, bool permanent, int64_t now);
  int64_t BackoffNs(int attempts) const;

  NotifyOptions opt_;
  std::function<void(const std::string&)> log_;
  UniqueFd dir_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool started_ = false;
  std::thread thread_;
  std::vector<NotifyTarget> targets_;
  std::multimap<int64_t, Delivery> queue_;  //!< by due time (steady ns), first come first within
  std::map<std::string, Window> windows_;
  std::map<std::string, NotifyStats> stats_;
  int64_t dropped_logged_ns_ = 0;
  uint64_t dropped_unlogged_ = 0;
  uint64_t next_id_ = 0;
  uint64_t id_salt_ = 0;
};

}  // namespace kamatama::server
