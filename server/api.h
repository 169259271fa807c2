// server/api.h
//! The REST API, independent of the HTTP library: a request in, a response out.
//! Handlers block (a search, waiting for ingest durability), so the HTTP layer runs them on
//! worker threads. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <variant>
#include <string>

#include "ingest/pipeline.h"
#include "server/config.h"
#include "query/pipes.h"
#include "query/query.h"
#include "store/store.h"

namespace kamatama::server {

struct Request {
  std::string method;
  std::string path;                           //!< decoded path without the query string
  std::multimap<std::string, std::string> params;  //!< decoded query parameters
  std::string body;
  std::string client;                         //!< peer address
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

//! Splits a request target into the decoded path and parameters; false on bad escapes.
bool ParseTarget(std::string_view target, std::string* path, std::multimap<std::string, std::string>* params);
//! Percent-decoding ('+' as space when `plus_is_space`); false on a bad escape.
bool UrlDecode(std::string_view in, bool plus_is_space, std::string* out);

//! Appends an event as a JSON object with flat dotted keys (integers as numbers).
void AppendEventJson(const Event& ev, std::string* out);

class Api {
 public:
  Api(const Config& cfg, store::Store* store, ingest::Pipeline* pipeline);
  Response Handle(const Request& req);
  //! Ready once start-up finished (the listeners are bound).
  void SetReady(bool ready) { ready_ = ready; }

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
  Response HistogramCounts(const Request& req);
  Response FieldsSummary(const Request& req);
  Response Ingest(const Request& req);
  Response RunPipeline(const query::Pipeline& pipeline, const query::Query& q, store::ScanOptions so, int64_t t0);
  Response Metrics();

  const Config& cfg_;
  store::Store* store_;
  ingest::Pipeline* pipeline_;
  std::atomic<bool> ready_{false};
};

}  // namespace kamatama::server
