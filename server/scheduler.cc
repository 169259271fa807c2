// server/scheduler.cc
#include "server/scheduler.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include <fmt/format.h>

#include "core/metrics.h"
#include "core/time.h"

namespace kamatama::server {

namespace {

//! The timing thread looks at the schedules at least this often (and when one is changed).
constexpr auto kTick = std::chrono::milliseconds(250);

Counter& RunCounter(const std::string& outcome) {
  return GetCounter("kamatama_schedule_runs_total", fmt::format("outcome=\"{}\"", outcome),
                    "Scheduled search runs by outcome (ok, alert, report, baseline, rate_limited, error)");
}

}  // namespace

Status Scheduler::Open(const std::string& data_dir) { return state_.Open(data_dir); }

void Scheduler::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  ctx_.cancelled = &cancel_;
  timing_ = std::thread([this] { Timing(); });
  for (int i = 0; i < opt_.workers; ++i) workers_.emplace_back([this] { Work(); });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  work_cv_.notify_all();
  if (timing_.joinable()) timing_.join();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  workers_.clear();
}

int64_t Scheduler::NextSlot(const ScheduleSpec& spec) const {
  if (!spec.enabled) return 0;
  const int64_t last = state_.Get(spec.id).last_slot_ns;
  const int64_t due = spec.SlotAtOrBefore(NowNanos() - opt_.lag_ns);
  return std::max(last, due) + spec.PeriodNs();
}

bool Scheduler::Running(const std::string& id) const {
  std::lock_guard lock(mu_);
  return running_.count(id) > 0;
}

std::vector<ScheduleRun> Scheduler::Runs(const std::string& id) const {
  ScheduleState st = state_.Get(id);
  return std::vector<ScheduleRun>(st.runs.rbegin(), st.runs.rend());
}

bool Scheduler::QueueLocked(Job job) {
  if (!running_.insert(job.spec.id).second) return false;
  jobs_.push_back(std::move(job));
  work_cv_.notify_one();
  return true;
}

Status Scheduler::RunNow(const std::string& id) {
  auto o = schedules_->Get(id);
  auto spec = o ? ParseScheduleSpec(*o) : std::nullopt;
  if (!spec) return Status::NotFound(id);
  const int64_t now = NowNanos();
  std::lock_guard lock(mu_);
  if (!QueueLocked(Job{*spec, now - spec->PeriodNs(), now, "manual"}))
    return Status::Busy("the schedule is running now");
  return Status::OK();
}

void Scheduler::Tick() {
  const int64_t now = NowNanos();
  std::unordered_set<std::string> ids;
  for (const OwnedObject& o : schedules_->List()) {
    ids.insert(o.id);
    auto spec = ParseScheduleSpec(o);
    if (!spec) continue;
    const int64_t slot = spec->SlotAtOrBefore(now - opt_.lag_ns);
    ScheduleState st = state_.Get(o.id);
    if (slot <= st.last_slot_ns) continue;
    {
      std::lock_guard lock(mu_);
      if (running_.count(o.id)) continue;  // taken when it is done
    }
    const int64_t missed = st.last_slot_ns == 0 ? 0 : (slot - st.last_slot_ns) / spec->PeriodNs() - 1;
    // A new schedule starts with the next window; a disabled one lets its windows pass.
    const bool run = st.last_slot_ns != 0 && spec->enabled;
    st.last_slot_ns = slot;
    // Recorded before the run: a crash during it loses this window rather than running it twice.
    if (Status s = state_.Put(o.id, st); !s.ok()) {
      log_(fmt::format("error: schedule {}: its state cannot be written: {}", o.id, s.ToString()));
      continue;
    }
    if (!run) continue;
    std::lock_guard lock(mu_);
    QueueLocked(Job{*spec, slot - spec->PeriodNs(), slot, missed > 0 ? "catch-up" : "schedule"});
  }
  state_.Retain(ids);
}

void Scheduler::Timing() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    Tick();
    lock.lock();
    cv_.wait_for(lock, kTick, [this] { return stop_; });
  }
}

void Scheduler::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    ScheduleState st = state_.Get(job.spec.id);
    ScheduleRun run = RunSchedule(job.spec, job.from_ns, job.to_ns, job.trigger, ctx_, &st);
    RunCounter(run.outcome).Add();
    if (run.outcome == "error")
      log_(fmt::format("schedule {} ({}): run failed: {}", job.spec.id, EscapeControl(job.spec.name), EscapeControl(run.detail)));
    // The state as it is now (the timing thread may have moved last_slot_ns) with this run's changes.
    ScheduleState now = state_.Get(job.spec.id);
    st.last_slot_ns = std::max(st.last_slot_ns, now.last_slot_ns);
    st.runs.push_back(std::move(run));
    if (schedules_->Get(job.spec.id)) {
      if (Status s = state_.Put(job.spec.id, std::move(st)); !s.ok())
        log_(fmt::format("error: schedule {}: its state cannot be written: {}", job.spec.id, s.ToString()));
    }
    lock.lock();
    running_.erase(job.spec.id);
  }
}

}  // namespace kamatama::server
