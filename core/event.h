// core/event.h
//! The event: one log record, its normalised fields and its original line.
//! An Event is a plain value; it is not thread-safe, copy or move it between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kamatama {

//! Names of the fields every event may carry (Elastic Common Schema).
namespace field {
inline constexpr std::string_view kTimestamp = "@timestamp";
inline constexpr std::string_view kIngested = "event.ingested";
inline constexpr std::string_view kOriginal = "event.original";
inline constexpr std::string_view kMessage = "message";
inline constexpr std::string_view kDataset = "event.dataset";
inline constexpr std::string_view kHostName = "host.name";
inline constexpr std::string_view kObserverIp = "observer.ip";
inline constexpr std::string_view kErrorMessage = "error.message";
inline constexpr std::string_view kTags = "tags";
}  // namespace field

//! How a field's values compare and print.
enum class FieldType : uint8_t { kString, kInt, kIp, kTime };

//! Type of a field by its ECS name (unknown names are strings).
FieldType TypeOfField(std::string_view name);

struct Event {
  //! @timestamp, nanoseconds since the Unix epoch, UTC.
  int64_t timestamp_ns = 0;
  //! When kamatama received it (event.ingested), nanoseconds since the epoch.
  int64_t ingested_ns = 0;
  //! The original line exactly as received (event.original), minus framing.
  std::string original;
  //! Every other field, by dotted ECS name, in insertion order. Names are unique.
  std::vector<std::pair<std::string, std::string>> fields;

  //! Sets a field, replacing an existing value of the same name.
  void Set(std::string_view name, std::string_view value);
  //! Adds a field without checking for duplicates (the caller knows it is new).
  void Add(std::string_view name, std::string_view value) { fields.emplace_back(name, value); }
  //! The value of a field, or nullptr. Does not cover @timestamp/event.ingested/event.original.
  const std::string* Get(std::string_view name) const;
  //! Removes a field; returns whether it was present.
  bool Remove(std::string_view name);
  //! Adds a tag to the comma-free `tags` list (space separated is avoided: tags are a list).
  void AddTag(std::string_view tag);
  //! Approximate heap bytes held by the event (for memory caps).
  size_t ApproxBytes() const {
    size_t n = sizeof(Event) + original.capacity() + fields.capacity() * sizeof(fields[0]);
    for (const auto& [k, v] : fields) {
      if (k.capacity() > 15) n += k.capacity();
      if (v.capacity() > 15) n += v.capacity();
    }
    return n;
  }
};

}  // namespace kamatama
