// server/shipper_routes.h
//! HTTP endpoints in the dialects of log shippers, on the same listener as the REST API:
//! the Elasticsearch `_bulk` API and the probes Beats/Vector/Fluent Bit send before it, the Loki
//! push API, the Splunk HTTP Event Collector and GELF over HTTP. See docs/shippers.md.
//! Decoding is in ingest/dialects.h and ingest/gelf.h; this file maps requests and answers.
#pragma once

#include <optional>

#include "ingest/pipeline.h"
#include "server/http_types.h"
#include "server/config.h"

namespace kamatama::server {

struct ShipperContext {
  const Config& cfg;
  ingest::Pipeline* pipeline;
};

//! The response if the request is for a shipper endpoint, else nullopt (the caller goes on).
//! Thread-safe. Call it before the web UI: `GET /` from an Elasticsearch client (no `text/html`
//! in Accept, or an `x-elastic-client-meta` header) is answered with the Elasticsearch banner.
std::optional<Response> HandleShipperRoute(const Request& req, const ShipperContext& ctx);

enum class SubmitResult { kStored, kBusy, kFailed };
//! Queues the batch without blocking for long (up to ~0.5 s while the pipeline is full, then
//! kBusy) and waits until it is durable. *error is set on kFailed.
SubmitResult SubmitDurably(ingest::Pipeline* pipeline, ingest::Batch batch, Status* error);

}  // namespace kamatama::server
