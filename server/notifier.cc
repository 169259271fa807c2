// server/notifier.cc
#include "server/notifier.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/format.h>

#include "core/metrics.h"
#include "core/time.h"
#include "net/http_client.h"
#include "server/notify_mail.h"

namespace kamatama::server {

using net::HttpAnswer;
using net::HttpCall;
using net::HttpSend;

namespace {

constexpr const char* kTargetsFile = "notifications.json";
//! Bytes of a webhook's answer read (the body is only logged when the status is not 2xx).
constexpr size_t kAnswerBytes = 64u << 10;
//! At most one "dropped" log line per this long (the count says how many).
constexpr int64_t kDropLogNs = 10LL * 1'000'000'000;

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Counter& Outcome(const char* result) {
  return GetCounter("kamatama_notifications_total", fmt::format("result=\"{}\"", result),
                    "Notifications by outcome: sent, failed (given up), dropped (queue full), held_back (rate "
                    "limit, told in a digest), retried (attempts after a failure)");
}

bool PassesFilter(const NotifyTarget& t, const AlertNote& a) {
  if (!t.enabled || LevelRank(a.level) < LevelRank(t.min_level)) return false;
  if (t.rules.empty()) return true;
  return std::any_of(t.rules.begin(), t.rules.end(), [&](const std::string& r) { return r == a.rule_id || r == a.rule_name; });
}

std::string TargetsJson(const std::vector<NotifyTarget>& targets) {
  std::string j = "{\"targets\":[";
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i) j.push_back(',');
    AppendTargetJson(targets[i], true, &j);
  }
  return j + "]}\n";
}

}  // namespace

Status Notifier::Open(const std::string& data_dir) {
  id_salt_ = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  if (Status s = OpenDir(data_dir, &dir_); !s.ok()) return s;
  std::string text;
  Status s = ReadFileInDir(dir_.get(), kTargetsFile, &text);
  if (s.code() == Status::Code::kNotFound) return Status::OK();
  if (!s.ok()) return s;
  std::vector<NotifyTarget> targets;
  if (Status p = ParseTargets(text, {}, &targets); !p.ok())
    return Status::InvalidArgument(std::string(kTargetsFile) + ": " + p.ToString());
  // The allow-list may have shrunk since they were saved: a target it no longer covers stays in
  // the file (an admin sees it) but is checked again at each connection, where it is refused.
  for (const NotifyTarget& t : targets) {
    if (Status v = ValidateTarget(t, opt_.allowed_targets, false); !v.ok()) log_("warning: notifications: " + v.ToString());
  }
  std::lock_guard lock(mu_);
  targets_ = std::move(targets);
  return Status::OK();
}

void Notifier::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void Notifier::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  std::map<std::string, uint64_t> waiting;
  for (auto& [due, d] : queue_) ++waiting[d.target];
  for (const auto& [target, n] : waiting) {
    log_(fmt::format("notifications: {} notification(s) to {} given up at shutdown (the queue is in memory)", n, target));
    stats_[target].failed += n;
    Outcome("failed").Add(n);
  }
  queue_.clear();
}

std::vector<NotifyTarget> Notifier::Targets() const {
  std::lock_guard lock(mu_);
  return targets_;
}

std::map<std::string, NotifyStats> Notifier::Stats() const {
  std::lock_guard lock(mu_);
  std::map<std::string, NotifyStats> out = stats_;
  for (auto& [n, s] : out) s.queued = 0;
  for (const auto& [due, d] : queue_) ++out[d.target].queued;
  return out;
}

Status Notifier::SetTargets(std::vector<NotifyTarget> targets) {
  for (const NotifyTarget& t : targets) {
    if (Status s = ValidateTarget(t, opt_.allowed_targets); !s.ok()) return s;
  }
  if (!dir_.ok()) return Status::IoError("notifications: no data directory");
  if (Status s = WriteFileAtomic(dir_.get(), kTargetsFile, TargetsJson(targets), 0600); !s.ok()) return s;
  std::lock_guard lock(mu_);
  targets_ = std::move(targets);
  return Status::OK();
}

void Notifier::OfferAlerts(const std::vector<Event>& events, size_t from) {
  std::unique_lock lock(mu_, std::defer_lock);
  bool queued = false;
  for (size_t i = from; i < events.size(); ++i) {
    const std::string* ds = events[i].Get(field::kDataset);
    if (!ds || *ds != "kamatama.alert") continue;
    if (!lock.owns_lock()) lock.lock();
    if (targets_.empty()) return;
    Note note;
    note.alert = NoteOfAlertEvent(events[i]);
    const int64_t now = SteadyNs();
    for (const NotifyTarget& t : targets_) {
      if (!PassesFilter(t, note.alert)) continue;
      Window& w = windows_[t.name];
      CloseWindowLocked(t.name, &w, now);
      if (w.start_ns == 0) w.start_ns = now;
      if (t.rate_limit > 0 && w.sent >= t.rate_limit) {
        DigestNote& d = w.held;
        if (d.suppressed++ == 0) d.from_ns = note.alert.detected_ns;
        d.to_ns = note.alert.detected_ns;
        if (d.by_rule.size() < kMaxNotifyRules || d.by_rule.count(note.alert.rule_name)) ++d.by_rule[note.alert.rule_name];
        ++stats_[t.name].held_back;
        Outcome("held_back").Add();
        continue;
      }
      ++w.sent;
      EnqueueLocked(t.name, note);
      queued = true;
    }
  }
  if (lock.owns_lock()) lock.unlock();
  if (queued) cv_.notify_all();
}

void Notifier::CloseWindowLocked(const std::string& target, Window* w, int64_t now) {
  if (w->start_ns == 0 || now < w->start_ns + opt_.rate_window_ns) return;
  if (w->held.suppressed > 0) {
    Note digest;
    digest.kind = NoteKind::kDigest;
    digest.digest = std::move(w->held);
    EnqueueLocked(target, std::move(digest));
  }
  *w = Window{};
}

void Notifier::EnqueueLocked(const std::string& target, Note note) {
  if (queue_.size() >= opt_.queue_size) {
    ++stats_[target].dropped;
    Outcome("dropped").Add();
    ++dropped_unlogged_;
    const int64_t now = SteadyNs();
    if (now - dropped_logged_ns_ >= kDropLogNs) {
      log_(fmt::format("notifications: queue full ({} waiting): {} notification(s) dropped", queue_.size(), dropped_unlogged_));
      dropped_logged_ns_ = now;
      dropped_unlogged_ = 0;
    }
    return;
  }
  Delivery d;
  d.target = target;
  d.id = fmt::format("{:016x}", id_salt_ ^ (++next_id_ * 0x9E3779B97F4A7C15ull));
  d.note = std::move(note);
  queue_.emplace(SteadyNs(), std::move(d));
}

int64_t Notifier::BackoffNs(int attempts) const {
  int64_t wait = opt_.retry_initial_ns;
  for (int i = 1; i < attempts && wait < opt_.retry_max_ns; ++i) wait *= 2;
  return std::min(wait, opt_.retry_max_ns);
}

std::string Notifier::Attempt(const NotifyTarget& t, const Note& n, const std::string& id, bool* permanent) const {
  *permanent = false;
  std::string host;
  int port = 0;
  if (!TargetEndpoint(t, &host, &port)) {
    *permanent = true;
    return "the target's URL is not usable";
  }
  // The allow-list again, on each address resolved for this connection (DNS rebinding).
  // A refusal is final: retrying would only ask again.
  auto check = [this, port, permanent](const std::string& h, const std::string& address) {
    std::string why = CheckTargetAddress(h, address, port, opt_.allowed_targets);
    if (!why.empty()) *permanent = true;
    return why;
  };
  if (std::string why = CheckTargetText(host, port, opt_.allowed_targets); !why.empty()) {
    *permanent = true;
    return why;
  }
  const int64_t now = NowNanos();
  if (t.type == "email") {
    MailCall call{&t, MailMessage(t, n, id, now), std::chrono::milliseconds(opt_.timeout_ns / 1'000'000), opt_.ca_file,
                  check};
    return SendMail(call);
  }
  HttpCall call;
  call.method = "POST";
  call.url = t.url;
  call.body = WebhookBody(n, t.name, id, now);
  const std::string ts = std::to_string(now / 1'000'000'000);
  call.headers = {{"Content-Type", "application/json"},
                  {"X-Kamatama-Event", NoteKindName(n.kind)},
                  {"X-Kamatama-Delivery", id},
                  {"X-Kamatama-Timestamp", ts},
                  {"X-Kamatama-Signature", WebhookSignature(t.secret, ts, call.body)}};
  call.body_limit = kAnswerBytes;
  call.timeout = std::chrono::seconds(std::max<int64_t>(1, opt_.timeout_ns / 1'000'000'000));
  call.ca_file = opt_.ca_file;
  call.user_agent = "kamatama-notify";
  call.check_address = check;
  HttpAnswer a = HttpSend(call);
  if (!a.error.empty()) return a.error;
  if (a.status >= 200 && a.status < 300) return "";
  *permanent = a.status >= 400 && a.status < 500 && a.status != 408 && a.status != 429;
  return fmt::format("HTTP {}", a.status);
}

std::string Notifier::SendTest(const std::string& name, const std::string& user, bool* found) {
  Note n;
  n.kind = NoteKind::kTest;
  n.requested_by = user;
  return SendNow(name, n, found);
}

bool Notifier::HasTarget(const std::string& name) const {
  std::lock_guard lock(mu_);
  return std::any_of(targets_.begin(), targets_.end(), [&](const NotifyTarget& t) { return t.name == name; });
}

std::string Notifier::SendNow(const std::string& name, const Note& n, bool* found) {
  NotifyTarget target;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(targets_.begin(), targets_.end(), [&](const NotifyTarget& t) { return t.name == name; });
    *found = it != targets_.end();
    if (!*found) return "no such target";
    target = *it;
    seq = ++next_id_;
  }
  bool permanent = false;
  const std::string id = fmt::format("{:016x}", id_salt_ ^ (seq * 0x9E3779B97F4A7C15ull));
  std::string error = Attempt(target, n, id, &permanent);
  std::lock_guard lock(mu_);
  NotifyStats& s = stats_[name];
  if (error.empty()) {
    ++s.sent;
    s.last_sent_ns = NowNanos();
    Outcome("sent").Add();
  } else {
    s.last_error = EscapeControl(error);
    s.last_error_ns = NowNanos();
  }
  return error;
}

void Notifier::SettleLocked(Delivery d, const std::string& error, bool permanent, int64_t now) {
  NotifyStats& s = stats_[d.target];
  if (error.empty()) {
    ++s.sent;
    s.last_sent_ns = NowNanos();
    Outcome("sent").Add();
    if (d.attempts > 1)
      log_(fmt::format("notifications: {} {} to {} delivered at attempt {}", NoteKindName(d.note.kind), d.id, d.target,
                       d.attempts));
    return;
  }
  s.last_error = EscapeControl(error);
  s.last_error_ns = NowNanos();
  if (permanent || d.attempts >= opt_.max_attempts || stop_) {
    ++s.failed;
    Outcome("failed").Add();
    log_(fmt::format("notifications: gave up on {} {} to {} after {} attempt(s): {}", NoteKindName(d.note.kind), d.id,
                     d.target, d.attempts, s.last_error));
    return;
  }
  const int64_t wait = BackoffNs(d.attempts);
  if (d.attempts == 1)
    log_(fmt::format("notifications: {} {} to {} failed ({}); retrying, first in {:.1f} s", NoteKindName(d.note.kind),
                     d.id, d.target, s.last_error, wait / 1e9));
  ++s.retries;
  Outcome("retried").Add();
  queue_.emplace(now + wait, std::move(d));
}

void Notifier::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    int64_t now = SteadyNs();
    int64_t next = now + opt_.rate_window_ns;
    for (auto& [name, w] : windows_) {
      CloseWindowLocked(name, &w, now);
      if (w.start_ns) next = std::min(next, w.start_ns + opt_.rate_window_ns);
    }
    if (queue_.empty() || queue_.begin()->first > now) {
      if (!queue_.empty()) next = std::min(next, queue_.begin()->first);
      cv_.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(next - now, 1'000'000)));
      continue;
    }
    Delivery d = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    auto it = std::find_if(targets_.begin(), targets_.end(), [&](const NotifyTarget& t) { return t.name == d.target; });
    if (it == targets_.end()) continue;  // the target was removed: nowhere to send it
    const NotifyTarget target = *it;
    ++d.attempts;
    lock.unlock();
    bool permanent = false;
    const std::string error = Attempt(target, d.note, d.id, &permanent);
    lock.lock();
    SettleLocked(std::move(d), error, permanent, SteadyNs());
  }
}

}  // namespace kamatama::server
