// core/event.cc
#include "core/event.h"

#include <algorithm>
#include <array>

namespace kamatama {

namespace {
struct TypedName {
  std::string_view name;
  FieldType type;
};
// Sorted by name, for binary search.
constexpr std::array kTypedFields = std::to_array<TypedName>({
    {"@timestamp", FieldType::kTime},
    {"client.ip", FieldType::kIp},
    {"client.port", FieldType::kInt},
    {"destination.bytes", FieldType::kInt},
    {"destination.ip", FieldType::kIp},
    {"destination.nat.ip", FieldType::kIp},
    {"destination.nat.port", FieldType::kInt},
    {"destination.port", FieldType::kInt},
    {"event.code", FieldType::kString},
    {"event.duration", FieldType::kInt},
    {"event.ingested", FieldType::kTime},
    {"host.ip", FieldType::kIp},
    {"http.response.body.bytes", FieldType::kInt},
    {"http.response.bytes", FieldType::kInt},
    {"http.response.status_code", FieldType::kInt},
    {"log.syslog.facility.code", FieldType::kInt},
    {"log.syslog.priority", FieldType::kInt},
    {"log.syslog.severity.code", FieldType::kInt},
    {"network.bytes", FieldType::kInt},
    {"network.packets", FieldType::kInt},
    {"observer.ip", FieldType::kIp},
    {"process.parent.pid", FieldType::kInt},
    {"process.pid", FieldType::kInt},
    {"server.ip", FieldType::kIp},
    {"server.port", FieldType::kInt},
    {"source.bytes", FieldType::kInt},
    {"source.ip", FieldType::kIp},
    {"source.nat.ip", FieldType::kIp},
    {"source.nat.port", FieldType::kInt},
    {"source.port", FieldType::kInt},
});
static_assert(std::is_sorted(kTypedFields.begin(), kTypedFields.end(),
                             [](const TypedName& a, const TypedName& b) { return a.name < b.name; }));
}  // namespace

FieldType TypeOfField(std::string_view name) {
  auto it = std::lower_bound(kTypedFields.begin(), kTypedFields.end(), name,
                             [](const TypedName& a, std::string_view n) { return a.name < n; });
  if (it != kTypedFields.end() && it->name == name) return it->type;
  return FieldType::kString;
}

void Event::Set(std::string_view name, std::string_view value) {
  for (auto& [n, v] : fields) {
    if (n == name) {
      v.assign(value);
      return;
    }
  }
  fields.emplace_back(name, value);
}

const std::string* Event::Get(std::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (n == name) return &v;
  }
  return nullptr;
}

bool Event::Remove(std::string_view name) {
  auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; });
  if (it == fields.end()) return false;
  fields.erase(it);
  return true;
}

void Event::AddTag(std::string_view tag) {
  for (auto& [n, v] : fields) {
    if (n == field::kTags) {
      // tags are stored comma separated; tag names never contain commas.
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t end = v.find(',', pos);
        if (end == std::string::npos) end = v.size();
        if (std::string_view(v).substr(pos, end - pos) == tag) return;
        pos = end + 1;
      }
      v.push_back(',');
      v.append(tag);
      return;
    }
  }
  fields.emplace_back(field::kTags, tag);
}

}  // namespace kamatama
