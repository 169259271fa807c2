// ingest/gelf.cc
#include "ingest/gelf.h"

#include <simdjson.h>

#include "core/json.h"
#include "parsers/json_event.h"

namespace kamatama::ingest {

namespace {
simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    if (p.allocate(64 * 1024, kMaxJsonDepth + 1) != simdjson::SUCCESS) return simdjson::dom::parser();
    return p;
  }();
  return parser;
}

const char* SeverityName(int64_t level) {
  static const char* kNames[] = {"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"};
  return level >= 0 && level <= 7 ? kNames[level] : nullptr;
}

std::string ValueText(simdjson::dom::element v) {
  std::string_view s;
  return v.get(s) ? simdjson::minify(v) : std::string(s);
}
}  // namespace

bool DecodeGelf(std::string_view json, int64_t now_ns, const std::string& observer, RawRecord* out, std::string* error) {
  simdjson::dom::element root;
  simdjson::dom::object obj;
  auto err = Parser().parse(json.data(), json.size(), true).get(root);
  if (err || root.get(obj)) {
    *error = err ? std::string("invalid JSON: ") + simdjson::error_message(err) : "GELF message is not a JSON object";
    return false;
  }
  std::string_view short_message;
  if (obj["short_message"].get(short_message) && obj["message"].get(short_message)) {
    *error = "GELF message without short_message";
    return false;
  }
  std::string o = "{";
  auto member = [&](std::string_view name) {
    if (o.size() > 1) o.push_back(',');
    AppendJsonString(&o, name);
    o.push_back(':');
  };
  simdjson::dom::element e;
  if (!obj["timestamp"].get(e) && (e.is_number() || e.is_string())) {
    member("@timestamp");
    AppendJsonString(&o, ValueText(e));
  }
  std::string_view host;
  if (!obj["host"].get(host)) {
    member("host");
    o += "{\"name\":";
    AppendJsonString(&o, host);
    o.push_back('}');
  }
  member("message");
  AppendJsonString(&o, short_message);
  int64_t level;
  if (!obj["level"].get(level)) {
    member("log");
    o += "{\"syslog\":{\"severity\":{\"code\":" + std::to_string(level) + "}}";
    if (const char* n = SeverityName(level)) {
      o += ",\"level\":";
      AppendJsonString(&o, n);
    }
    o.push_back('}');
  }
  std::string gelf;
  for (std::string_view k : {"full_message", "facility", "version", "line", "file"}) {
    if (!obj[k].get(e) && !e.is_null()) {
      if (!gelf.empty()) gelf.push_back(',');
      AppendJsonString(&gelf, k);
      gelf.push_back(':');
      AppendJsonString(&gelf, ValueText(e));
    }
  }
  if (!gelf.empty()) {
    member("gelf");
    o += "{" + gelf + "}";
  }
  static const std::pair<std::string_view, std::string_view> kDocker[] = {
      {"_container_name", "container.name"}, {"_container_id", "container.id"},
      {"_image_name", "container.image.name"}, {"_image_id", "container.image.id"},
      {"_command", "container.command"}, {"_created", "container.created"}, {"_tag", "container.tag"}};
  for (auto [k, v] : obj) {
    if (k.size() < 2 || k[0] != '_' || k == "_id") continue;  // _id is reserved by the spec
    std::string_view name = k.substr(1);
    for (const auto& [from, to] : kDocker) {
      if (k == from) name = to;
    }
    if (v.is_null()) continue;
    member(name);
    if (v.is_string()) AppendJsonString(&o, std::string_view(v));
    else o += simdjson::minify(v);
  }
  o.push_back('}');
  out->received_ns = now_ns;
  out->observer = observer;
  out->flags = kRawJson;
  out->data = std::move(o);
  return true;
}

GelfReassembler::Result GelfReassembler::Add(std::string_view d, std::string_view sender, int64_t now_ns,
                                             std::string* out, const char** reason) {
  if (!IsGelfChunk(d)) {
    out->assign(d);
    return Result::kComplete;
  }
  if (d.size() < 12) {
    *reason = "gelf_bad_chunk";
    return Result::kDropped;
  }
  const uint8_t seq = static_cast<uint8_t>(d[10]), count = static_cast<uint8_t>(d[11]);
  if (count == 0 || count > opt_.max_chunks || seq >= count) {
    *reason = "gelf_bad_chunk";
    return Result::kDropped;
  }
  std::string_view payload = d.substr(12);
  std::string key(sender);
  key.push_back('|');
  key.append(d.substr(2, 8));
  std::lock_guard lock(mu_);
  auto it = pending_.find(key);
  if (it != pending_.end() && now_ns - it->second.first_ns > opt_.timeout_ns) {
    bytes_ -= it->second.bytes;
    pending_.erase(it);
    it = pending_.end();
  }
  if (it == pending_.end()) {
    if (count == 1) {
      out->assign(payload);
      return Result::kComplete;
    }
    if (pending_.size() >= opt_.max_pending_messages || bytes_ + payload.size() > opt_.max_pending_bytes) {
      *reason = "gelf_pending_full";
      return Result::kDropped;
    }
    Pending p;
    p.first_ns = now_ns;
    p.count = count;
    p.parts.resize(count);
    p.have.assign(count, false);
    it = pending_.emplace(std::move(key), std::move(p)).first;
  }
  Pending& p = it->second;
  if (p.count != count) {  // inconsistent chunks: the whole message is unusable
    bytes_ -= p.bytes;
    pending_.erase(it);
    *reason = "gelf_bad_chunk";
    return Result::kDropped;
  }
  if (p.have[seq]) return Result::kPending;  // duplicate
  if (bytes_ + payload.size() > opt_.max_pending_bytes) {
    bytes_ -= p.bytes;
    pending_.erase(it);
    *reason = "gelf_pending_full";
    return Result::kDropped;
  }
  p.have[seq] = true;
  p.parts[seq].assign(payload);
  p.bytes += payload.size();
  bytes_ += payload.size();
  if (++p.received < p.count) return Result::kPending;
  out->clear();
  out->reserve(p.bytes);
  for (auto& part : p.parts) out->append(part);
  bytes_ -= p.bytes;
  pending_.erase(it);
  return Result::kComplete;
}

size_t GelfReassembler::Expire(int64_t now_ns) {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now_ns - it->second.first_ns > opt_.timeout_ns) {
      bytes_ -= it->second.bytes;
      it = pending_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

size_t GelfReassembler::pending_messages() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}
size_t GelfReassembler::pending_bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace kamatama::ingest
