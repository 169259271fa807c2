// investigate/searcher.cc
#include "investigate/searcher.h"

#include <optional>

#include "query/query.h"

namespace kamatama::investigate {

namespace {
// Parses (after the caller's restriction) or says why not.
Status ParseQuery(const SearchLimits& limits, const std::string& q, std::optional<query::Query>* out) {
  const std::string text = limits.restrict ? limits.restrict(q) : q;
  if (text.empty() && !q.empty()) return Status::InvalidArgument("the filter could not be restricted");
  auto parsed = query::Query::Parse(text);
  if (auto* e = std::get_if<query::ParseError>(&parsed)) return Status::InvalidArgument(e->message);
  out->emplace(std::get<query::Query>(std::move(parsed)));
  return Status::OK();
}
}  // namespace

store::ScanOptions Searcher::Options(int64_t from_ns, int64_t to_ns) const {
  store::ScanOptions so;
  so.from_ns = from_ns;
  so.to_ns = to_ns;
  so.deadline_ns = limits_.deadline_ns;
  so.cancelled = limits_.cancelled;
  so.max_memory_bytes = limits_.max_memory_bytes;
  return so;
}

Status Searcher::Find(const std::string& q, int64_t from_ns, int64_t to_ns, size_t limit, std::vector<Event>* out,
                      uint64_t* matched) const {
  std::optional<query::Query> parsed;
  if (Status s = ParseQuery(limits_, q, &parsed); !s.ok()) return s;
  if (limits_.source) {
    uint64_t n = 0;
    if (Status s = limits_.source->Find(*parsed, from_ns, to_ns, limit, out, &n); !s.ok()) return s;
    if (matched) *matched = n;
    return Status::OK();
  }
  store::ScanOptions so = Options(from_ns, to_ns);
  so.limit = limit;
  query::QueryFilter filter(*parsed);
  store::ScanResult res;
  if (Status s = store_.Scan(filter, so, &res); !s.ok()) return s;
  if (matched) *matched = res.matched;
  *out = std::move(res.events);
  return Status::OK();
}

Status Searcher::Visit(const std::string& q, int64_t from_ns, int64_t to_ns, std::vector<std::string> fields,
                       const std::function<void(unsigned, const FieldAccessor&, int64_t)>& visit) const {
  std::optional<query::Query> parsed;
  if (Status s = ParseQuery(limits_, q, &parsed); !s.ok()) return s;
  if (limits_.source) {
    return limits_.source->Each(*parsed, from_ns, to_ns, [&visit](Event&& ev) {
      visit(0, EventAccessor(ev), ev.timestamp_ns);
      return true;
    });
  }
  store::ScanOptions so = Options(from_ns, to_ns);
  so.visit_worker = visit;
  so.visit_fields = std::move(fields);
  query::QueryFilter filter(*parsed);
  store::ScanResult res;
  return store_.Scan(filter, so, &res);
}

Status Searcher::Each(const std::string& q, int64_t from_ns, int64_t to_ns,
                      const std::function<bool(Event&&)>& visit) const {
  std::optional<query::Query> parsed;
  if (Status s = ParseQuery(limits_, q, &parsed); !s.ok()) return s;
  if (limits_.source) return limits_.source->Each(*parsed, from_ns, to_ns, visit);
  store::ScanOptions so = Options(from_ns, to_ns);
  so.limit = 0;
  so.max_memory_bytes = 0;  // nothing is held
  so.visit_event = visit;
  query::QueryFilter filter(*parsed);
  store::ScanResult res;
  return store_.Scan(filter, so, &res);
}

std::string Quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string AnyField(const std::vector<std::string>& fields, std::string_view value) {
  std::string out = "(";
  const std::string quoted = Quote(value);
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += " OR ";
    out += fields[i] + ":" + quoted;
  }
  return out + ")";
}

std::string AnyValue(std::string_view field, const std::vector<std::string>& values) {
  if (values.empty()) return "";
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += " OR ";
    out += std::string(field) + ":" + Quote(values[i]);
  }
  return out + ")";
}

namespace {
bool IsPlainName(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  }
  return true;
}
}  // namespace

std::string HostNameFilter(std::string_view host) {
  const std::string exact = "host.name:" + Quote(host);
  if (!IsPlainName(host)) return exact;
  return "(" + exact + " OR host.name:" + std::string(host) + ".*)";
}

}  // namespace kamatama::investigate
