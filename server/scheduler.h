// server/scheduler.h
//! Scheduled searches and reports (issue 25): runs each enabled schedule (server/library_kinds.h
//! ScheduleKind, kept in an OwnedObjectStore) once per window, schedules.lag after the window
//! ends (late logs), on a pool of schedules.workers threads fed by one timing thread: a slow run
//! holds one worker, never the others, and never ingest (runs are searches within the search
//! API's limits; their alerts are submitted like a hunt's). A schedule never runs twice at once.
//! Each window is taken once: the state (server/schedule_state.h) records it before the run, so
//! a crash loses a run rather than repeating it, and after a restart only the latest missed
//! window runs ("catch-up"), not every one missed. A disabled schedule skips its windows.
//! What one run does: server/schedule_run.h. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/config.h"
#include "server/schedule_run.h"

namespace kamatama::server {

class Scheduler {
 public:
  Scheduler(ScheduleOptions opt, OwnedObjectStore* schedules, ScheduleRunContext ctx,
            std::function<void(const std::string&)> log)
      : opt_(opt), schedules_(schedules), ctx_(std::move(ctx)), log_(std::move(log)), state_(opt.history) {}
  ~Scheduler() { Stop(); }
  //! Reads the schedules' state from `data_dir`.
  Status Open(const std::string& data_dir);
  void Start();
  //! Stops taking windows, cancels running searches and waits for the workers.
  void Stop();

  //! Runs a schedule now over the window that ends now (trigger "manual"); the window it took
  //! is not one of its scheduled windows. FailedPrecondition when it is running already.
  Status RunNow(const std::string& id);
  //! A schedule's runs, newest first.
  std::vector<ScheduleRun> Runs(const std::string& id) const;
  //! Whether the schedule is running now, and the end of the next window it will take (0: none).
  bool Running(const std::string& id) const;
  int64_t NextSlot(const ScheduleSpec& spec) const;
  const ScheduleOptions& options() const { return opt_; }

 private:
  struct Job {
    ScheduleSpec spec;
    int64_t from_ns = 0, to_ns = 0;
    std::string trigger;
  };
  void Tick();
  void Timing();
  void Work();
  //! Queues a job for `spec` unless it is running (mu_ held); false when it is.
  bool QueueLocked(Job job);

  const ScheduleOptions opt_;
  OwnedObjectStore* schedules_;
  ScheduleRunContext ctx_;
  std::function<void(const std::string&)> log_;
  ScheduleStateStore state_;
  std::atomic<bool> cancel_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_, work_cv_;
  bool stop_ = false, started_ = false;
  std::set<std::string> running_;  //!< queued or running
  std::deque<Job> jobs_;
  std::thread timing_;
  std::vector<std::thread> workers_;
};

}  // namespace kamatama::server
