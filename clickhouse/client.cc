// clickhouse/client.cc
#include "clickhouse/client.h"

#include <chrono>

#include <fmt/format.h>

#include "core/base64.h"
#include "net/http_client.h"

namespace kamatama::clickhouse {

namespace {

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

//! `base` (a configured URL) with the settings as its query string.
std::string WithSettings(std::string base, const Settings& settings) {
  if (base.find('/', base.find("//") + 2) == std::string::npos) base += '/';
  char sep = '?';
  for (const auto& [name, value] : settings) {
    base += sep + UrlEncode(name) + "=" + UrlEncode(value);
    sep = '&';
  }
  return base;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Status Client::ExecuteAt(const std::string& url, const std::string& sql, std::string* out, const Settings& settings,
                         const std::string& data) const {
  net::HttpCall call;
  call.method = "POST";
  call.url = WithSettings(url, settings);
  call.body = data.empty() ? sql : sql + "\n" + data;
  call.headers.emplace_back("Authorization", "Basic " + Base64Encode(options_.user + ":" + options_.password));
  call.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  call.timeout = std::chrono::seconds(options_.timeout_seconds);
  call.ca_file = options_.ca_file;
  call.body_limit = size_t{256} << 20;
  net::HttpAnswer a = net::HttpSend(call);
  if (a.status == 0) return Status::IoError(fmt::format("{}: {}", url, a.error.empty() ? "no answer" : a.error));
  if (a.status != 200) return Status::InvalidArgument(fmt::format("{}: HTTP {}: {}", url, a.status, Trim(a.body)));
  if (out) *out = std::move(a.body);
  return Status::OK();
}

Status Client::Execute(const std::string& sql, std::string* out, const Settings& settings,
                       const std::string& data) const {
  Status last = Status::IoError("no ClickHouse URL configured");
  for (const std::string& url : options_.urls) {
    last = ExecuteAt(url, sql, out, settings, data);
    // Only an unreachable server passes the call on: an error about the statement would be the
    // same on every server, and an INSERT must not be sent twice by us.
    if (last.ok() || last.code() != Status::Code::kIoError) return last;
  }
  return last;
}

Status Client::Scalar(const std::string& sql, std::string* value) const {
  std::string body;
  Status s = Execute(sql, &body);
  if (s.ok()) *value = Trim(body.substr(0, body.find('\n')));
  return s;
}

Status CheckServers(const Client& client, std::string* report) {
  const ClickHouseOptions& opt = client.options();
  for (const std::string& url : opt.urls) {
    std::string version, replicas;
    Status s = client.ExecuteAt(url, "SELECT version()", &version);
    if (s.ok()) {
      s = client.ExecuteAt(url, fmt::format("SELECT count() FROM system.clusters WHERE cluster = '{}'", opt.cluster),
                           &replicas);
    }
    if (!s.ok()) return s;
    version = Trim(version);
    replicas = Trim(replicas);
    if (replicas == "0")
      return Status::NotFound(fmt::format("{}: the server knows no cluster '{}' (see its remote_servers)", url, opt.cluster));
    *report += fmt::format("{}: ClickHouse {}, cluster {}: {} replica(s)\n", url, version, opt.cluster, replicas);
  }
  return Status::OK();
}

}  // namespace kamatama::clickhouse
