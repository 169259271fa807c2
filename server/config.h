// server/config.h
//! The server configuration: defaults for everything, overridden by a YAML file
//! (deploy/kamatama.yaml documents every key), overridden by command-line flags.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "ingest/pipeline.h"
#include "ingest/syslog_server.h"
#include "parsers/parse.h"
#include "store/store.h"

namespace kamatama::server {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";
  size_t max_body = 64u << 20;        //!< bytes of one request body
  size_t max_header = 64u << 10;      //!< bytes of request headers
  int64_t read_timeout_ns = 60LL * 1'000'000'000;
  int worker_threads = 8;             //!< threads that run searches and wait for ingest durability
};

struct QueryOptions {
  size_t default_limit = 100;
  size_t max_limit = 10000;
  int64_t timeout_ns = 30LL * 1'000'000'000;
  size_t max_groups = 100000;  //!< groups one stats/top/timechart may hold (memory cap)
};

struct Config {
  store::StoreOptions storage;
  ingest::PipelineOptions pipeline;
  ingest::SyslogOptions syslog;
  ParseOptions parse;
  HttpOptions http;
  QueryOptions query;
  int io_threads = 2;
};

//! Loads `path` over the defaults in *cfg. Unknown keys are an error (a typo must not pass).
Status LoadConfigFile(const std::string& path, Config* cfg);

//! Parses sizes like "64KiB", "8MiB", "1GiB", "65536".
bool ParseSize(const std::string& text, size_t* out);

}  // namespace kamatama::server
