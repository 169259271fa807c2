// server/api.h
//! The REST API, independent of the HTTP library: a request in, a response out.
//! Handlers block (a search, waiting for ingest durability), so the HTTP layer runs them on
//! worker threads. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <variant>
#include <string>

#include "core/json.h"
#include "ingest/pipeline.h"
#include "investigate/case.h"
#include "investigate/lease_index.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/http_types.h"
#include "server/lease_feed.h"
#include "server/owned_store.h"
#include "server/tail.h"
#include "query/pipes.h"
#include "query/query.h"
#include "store/store.h"

namespace kamatama::clickhouse {
class Client;
}  // namespace kamatama::clickhouse

namespace kamatama::server {

class SelfMonitor;  // server/selfmon.h (issue 10)
class AlertStore;     // server/alert_store.h (issue 21)
class IntelRoutes;    // server/intel_routes.h (issue 28)
class Notifier;       // server/notifier.h (issue 21)
class LiveDetection;  // server/detection.h (issue 20)
class OwnedObjectStore;  // server/owned_store.h (issue 25)
class Scheduler;         // server/scheduler.h (issue 25)
struct SeenSource;    // server/coverage.h

using ::kamatama::AppendEventJson;  // core/json.h

class Api {
 public:
  Api(const Config& cfg, store::Store* store, ingest::Pipeline* pipeline);
  //! Reads the users/tokens file (<data_dir>/auth.db); with no users, creates "admin" (its
  //! password is logged once through `log`, unless KAMATAMA_ADMIN_PASSWORD gave it).
  Status InitAuth(const std::function<void(const std::string&)>& log);
  //! Authenticates and authorises the request with the route table (auth.h) and dispatches it.
  //! Sets req.principal.
  Response Handle(Request& req);
  //! The header phase (issue 19): route, authenticate and authorise a request from its header
  //! alone, before any of its body is read. A refusal (answered with Connection: close, the body
  //! never read), or nullopt with *body_limit set to the most body this route takes: http.max_body
  //! for ingest routes, kSmallBody for the rest. Sets req.principal and req.admitted.
  std::optional<Response> Admit(Request& req, size_t* body_limit);
  //! Bytes of body a route other than ingest takes (login, users, tokens, backup, ...).
  static constexpr size_t kSmallBody = 64u << 10;
  //! Bytes of a query kept in its audit event (a POSTed one may be much longer).
  static constexpr size_t kMaxAuditedQuery = 8u << 10;
  //! For an open live tail: whether the credentials that opened it still hold (the tail
  //! permission, re-authenticated). Runs a password check for Basic credentials: call it from a
  //! worker thread. Issue 19.
  bool StillAuthorized(const Request& req);
  //! Moves whenever a session ends or a credential changes: tails re-check theirs when it does.
  uint64_t AuthEpoch() const { return auth_ ? auth_->epoch() : 0; }
  //! Writes one audit event per address for the failures of the minute past (issue 19: a flood
  //! of bad credentials is one line a minute, with a count). Called every second by `serve`.
  void FlushAuthFailures(bool all = false);
  //! Ready once start-up finished (the listeners are bound).
  void SetReady(bool ready) { ready_ = ready; }
  //! store.backend: clickhouse (issue 26): /api/v1/search and its `stats` pipes are answered by
  //! the cluster (server/clickhouse_search.cc); `sender_problem` (may be empty) says for /readyz
  //! why the spool sender does not reach it ("" when it does). Set before the server starts.
  void SetClickHouse(const clickhouse::Client* client, std::function<std::string()> sender_problem) {
    clickhouse_ = client;
    clickhouse_problem_ = std::move(sender_problem);
  }
  //! Self-monitoring (issue 10): gets every stored batch (source silence) and login lock-outs.
  //! Set before the pipeline starts.
  void SetMonitor(SelfMonitor* monitor) { monitor_ = monitor; }
  //! Threat intelligence (issue 28): /api/v1/lists and the lists `field:@name` names. Set
  //! before the server starts.
  void SetIntel(IntelRoutes* intel) { intel_ = intel; }
  //! Live detection (issue 20): POST /api/v1/hunt takes rules of its set by id. Optional.
  void SetDetection(const LiveDetection* detection) { detection_ = detection; }
  //! Alerts and rules (issue 21): /api/v1/alerts*, /api/v1/rules*. Set before serving.
  void SetAlerts(AlertStore* alerts, const LiveDetection* detection) {
    alerts_ = alerts;
    detection_ = detection;
  }
  //! Notification targets (issue 21): /api/v1/notifications*. Set before serving.
  void SetNotifier(Notifier* notifier) { notifier_ = notifier; }
  //! Cases (issue 22): /api/v1/cases*. Set before serving.
  void SetCases(investigate::CaseBook* cases) { cases_ = cases; }
  //! Saved searches and dashboards (issue 25): /api/v1/saved-searches*, /api/v1/dashboards*.
  //! Set before serving.
  //! The shipped dashboards (server/shipped_dashboards.h) are loaded here, checked with this
  //! Api's query check; those left out are described in *shipped_problems.
  void SetLibrary(OwnedObjectStore* saved_searches, OwnedObjectStore* dashboards,
                  std::vector<std::string>* shipped_problems = nullptr);

  //! Scheduled searches and reports (issue 25): /api/v1/schedules*. Set before serving.
  void SetSchedules(OwnedObjectStore* schedules, Scheduler* scheduler) {
    schedules_ = schedules;
    scheduler_ = scheduler;
  }
  //! Issue 25 (server/scheduler.h): runs `q` over [from_ns, to_ns) as user `owner` would, with
  //! that user's role now (visibility: RestrictFilter) and the search API's limits (timeout,
  //! memory, query.max_limit); the search API's answer (events, or columns and rows). 403 when
  //! the owner is no longer a user who may search.
  Response SearchAs(const std::string& owner, const std::string& q, int64_t from_ns, int64_t to_ns, size_t limit,
                    const std::atomic<bool>* cancelled);

  //! A live tail for GET /api/v1/tail (WebSocket): a subscriber, or why not (a JSON message
  //! `{"type":"error",...}` to send before closing).
  struct TailStart {
    std::shared_ptr<TailSubscriber> subscriber;
    std::string error_json;
    //! Refused before the WebSocket handshake (401/403/429): answer this as plain HTTP.
    std::optional<Response> refused;
  };
  TailStart OpenTail(Request& req);

  //! Issue 22: fills the DHCP lease index from the stored DHCP events of the retention window
  //! (later events reach it through the pipeline observer). Logs what it read. Call before serving.
  //! Issue 26: on a cluster, every node's DHCP events, then those other nodes receive later,
  //! read every clickhouse.lease_poll (server/lease_feed.h) until StopLeaseFeed.
  void LoadLeases(const std::function<void(const std::string&)>& log);
  void StopLeaseFeed() {
    if (lease_feed_) lease_feed_->Stop();
  }

  //! Writes an audit event (dataset kamatama.audit) through the pipeline; false when it could not
  //! be queued (issue 19: an audited read is then refused with 503).
  bool Audit(const Request& req, const Principal& who, std::string_view action, std::string_view outcome,
             const std::vector<std::pair<std::string, std::string>>& extra = {});
  //! An audit event for a change made on the host rather than over HTTP (a SIGHUP reload, the
  //! `kamatama user|token` commands): user.name "system", kamatama.auth.method `method`
  //! ("signal", "cli"), source.address "local". `at_ns` 0 means now.
  bool AuditLocal(std::string_view action, std::string_view outcome, std::string_view method,
                  const std::vector<std::pair<std::string, std::string>>& extra, int64_t at_ns = 0);
  //! Moves the records that `kamatama user|token` left in <data_dir>/audit.pending (whether the
  //! server was running or not; server/auth_cli.h) into kamatama.audit. Returns how many.
  size_t DrainHostAudit();

 private:
  struct Prepared {
    store::ScanOptions so;
    query::Pipeline pipeline;
    std::optional<query::Query> query;
    int64_t t0 = 0;
  };
  //! Parses q, from, to and limit; a Response when they are invalid (400 with the position).
  std::variant<Prepared, Response> Prepare(const Request& req);
  Response Search(const Request& req);
  //! POST /api/v1/search (issue 28): q, from, to and limit from a JSON body into req.params;
  //! a Response when the body is not such an object.
  std::optional<Response> ReadSearchBody(Request& req);
  //! How queries are parsed: query.max_query_bytes, and the intel lists for `field:@name`.
  query::ParseSettings QuerySettings() const;
  Response Export(const Request& req);
  Response FieldNames();
  Response Sources(const Request& req);
  //! Warnings for fields the query names that no stored event has (they match nothing).
  std::vector<std::string> UnknownFieldWarnings(const query::Query& q, const query::Pipeline& p);
  static void AppendWarnings(const std::vector<std::string>& warnings, std::string* body);
  Response HistogramCounts(const Request& req);
  Response FieldsSummary(const Request& req);
  Response Ingest(const Request& req);
  Status ComputeTable(const query::Pipeline& pipeline, const query::Query& q, store::ScanOptions so,
                      query::Table* table, store::ScanResult* res, bool* groups_complete);
  Response RunPipeline(const query::Pipeline& pipeline, const query::Query& q, store::ScanOptions so, int64_t t0);
  // ---- issue 26: the ClickHouse backend (server/clickhouse_search.cc) ----
  //! The search of `q` in the cluster, within so's time range, limit, deadline and cancellation.
  Status RemoteScan(const query::Query& q, const store::ScanOptions& so, store::ScanResult* res);
  //! A pipeline whose first stage the SQL layer pushes down (`stats`/`timechart` ... by, `top`,
  //! `rare`), the later stages applied to its table here, or one that does not aggregate (on the
  //! newest query.max_limit events); InvalidArgument naming what is not pushed down otherwise.
  Status RemoteTable(const query::Pipeline& pipeline, const query::Query& q, const store::ScanOptions& so,
                     query::Table* table, store::ScanResult* res, bool* groups_complete);
  //! The histogram's counts per bucket of `width` ns from so.from_ns, counted in the cluster.
  Status RemoteHistogram(const query::Query& q, const store::ScanOptions& so, int64_t width, std::vector<uint64_t>* counts,
                         store::ScanResult* res);
  //! Every matching event (at most so.limit, 0 = all), newest first, to so.visit_event, read
  //! from the cluster a page at a time (export).
  Status RemoteVisit(const query::Query& q, const store::ScanOptions& so, store::ScanResult* res);
  //! q's WHERE clause narrowed to so's time range; InvalidArgument (saying `store.backend
  //! clickhouse:` and what) when the filter cannot be translated.
  static Status RemoteWhere(const query::Query& q, const store::ScanOptions& so, std::string* where);
  //! RemoteWhere narrowed by the token table (clickhouse::TokenPrefilter) for a rare term.
  Status RemoteFilter(const query::Query& q, const store::ScanOptions& so, std::string* where);
  //! The store's Scan, or RemoteScan on the cluster (searches that want the newest events).
  Status ScanEvents(const query::Query& q, const store::ScanOptions& so, store::ScanResult* res);
  const clickhouse::Client* clickhouse_ = nullptr;
  std::function<std::string()> clickhouse_problem_;
  // ---- end issue 26 ----
  Response Metrics();
  //! POST /api/v1/hunt (issue 20, server/hunt_routes.*).
  Response Hunt(const Request& req);
  // ---- security (issue 8) ----
  //! Authentication, permission, CSRF and rate checks for a request: a refusal, or nullopt.
  std::optional<Response> Authorize(Request& req, const RouteRule* rule);
  Response Dispatch(Request& req);
  Response Login(const Request& req);
  Response Logout(const Request& req);
  Response Me(const Request& req);
  Response Users(const Request& req);
  Response Tokens(const Request& req);
  //! POST /api/v1/password {"current","new"}: a user changes their own password (issue 19).
  Response ChangeOwnPassword(const Request& req);
  //! The user's filter, restricted so that it never matches kamatama.audit or kamatama.internal
  //! events, except those datasets an admin names in it. Empty when the query does not parse.
  std::string RestrictFilter(const Principal& who, const std::string& filter) const;
  //! Self-monitoring (issue 10): reports a failure that started a lock-out.
  void ReportLockout(const Authenticator::Result& r, const std::string& client);
  //! Counts a failed authentication toward its address's audit line (FlushAuthFailures); the first
  //! failure of an address's minute is audited and logged at once.
  void NoteAuthFailure(const Request& req, const std::string& what, const Authenticator::Result& res);
  //! Queues one kamatama.audit event with these fields (empty values left out); false if it
  //! could not be queued.
  bool WriteAudit(int64_t at_ns, std::string_view action, std::string_view outcome,
                  const std::vector<std::pair<std::string, std::string>>& fields, const std::string& msg);
  std::mutex host_audit_mu_;  // one DrainHostAudit at a time
  struct FailureCount {
    int64_t since_ns = 0;     //!< start of the address's minute
    uint64_t unreported = 0;  //!< failures since the last audit line
    std::string user, reason, what;
  };
  std::mutex failures_mu_;
  std::unordered_map<std::string, FailureCount> failure_counts_;  // by address
  std::unique_ptr<AuthStore> auth_store_;
  std::unique_ptr<Authenticator> auth_;

  const Config& cfg_;
  store::Store* store_;
  ingest::Pipeline* pipeline_;
  std::atomic<bool> ready_{false};
  SelfMonitor* monitor_ = nullptr;  // issue 10
  IntelRoutes* intel_ = nullptr;    // issue 28
  const LiveDetection* detection_ = nullptr;  // issue 20
  AlertStore* alerts_ = nullptr;    // issue 21
  Notifier* notifier_ = nullptr;    // issue 21: notifications
  investigate::CaseBook* cases_ = nullptr;  // issue 22: cases
  OwnedObjectStore* saved_searches_ = nullptr;  // issue 25
  OwnedObjectStore* dashboards_ = nullptr;      // issue 25
  OwnedObjectStore* schedules_ = nullptr;       // issue 25
  Scheduler* scheduler_ = nullptr;              // issue 25
  std::vector<OwnedObject> shipped_dashboards_;  // issue 25: read-only, from web/dashboards/
  //! Whether a query parses as a search would take it (issue 25: saved queries and panels); ""
  //! or the error with its position. `filter_only`: pipes refused.
  std::string CheckQuery(const std::string& q, bool filter_only) const;
  //! Dataset, channel, provider and event code combinations stored since `since_ns` (coverage).
  std::vector<SeenSource> SeenSources(int64_t since_ns, const std::atomic<bool>* cancelled);
  TailHub tails_;
  investigate::LeaseIndex leases_;  // issue 22: DHCP leases by address and time
  std::unique_ptr<ClusterLeaseFeed> lease_feed_;  // issue 26: other nodes' DHCP events
  std::mutex sources_mu_;
  int64_t sources_at_ = 0;  // steady time of the cached /api/v1/sources answer
  std::string sources_cache_;
};

}  // namespace kamatama::server
