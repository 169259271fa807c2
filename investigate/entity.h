// investigate/entity.h
//! Entity pages (issue 22): a host, user, IP address, process (process.entity_id), file hash or
//! domain over a time range: first and last seen, datasets with counts, related entities (top
//! users of a host, hosts of a user, domains resolved to an address, ...), a timeline of the
//! newest events naming it as readable sentences with each raw event, and for hosts and users the
//! logon sessions (Windows 4624/4634 by logon id, sshd sessions). Counts come from one columnar
//! pass over the matching rows; the timeline from one limited search. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "investigate/logons.h"
#include "investigate/searcher.h"

namespace kamatama::investigate {

enum class EntityType { kHost, kUser, kIp, kProcess, kHash, kDomain };

std::optional<EntityType> ParseEntityType(std::string_view name);
std::string_view EntityTypeName(EntityType t);
//! The fields that name an entity of this type (what the timeline searches).
const std::vector<std::string>& EntityFields(EntityType t);
//! The type of entity a field's value is (for links in the UI); nullopt for other fields.
std::optional<EntityType> EntityTypeOfField(std::string_view field);

struct EntityLimits {
  size_t timeline = 200;       //!< newest events in the timeline
  size_t related_top = 10;     //!< values per relation
  size_t sessions = 100;
};

struct RelatedValue {
  std::string value;
  uint64_t count = 0;
};

struct Relation {
  std::string name;    //!< "users", "hosts", "domains resolved to it", ...
  std::string type;    //!< entity type of the values ("user", "host", ...)
  std::vector<RelatedValue> top;
};

struct TimelineItem {
  std::string sentence, event_json;
};

struct EntityAnswer {
  EntityType type = EntityType::kHost;
  std::string value;
  int64_t from_ns = 0, to_ns = 0;
  uint64_t total = 0;
  int64_t first_ns = 0, last_ns = 0;  //!< 0 when total is 0
  std::map<std::string, uint64_t> datasets;
  std::vector<Relation> related;
  std::vector<LogonSession> sessions;  //!< oldest first
  std::vector<TimelineItem> timeline;  //!< newest first
};

Status DescribeEntity(const Searcher& searcher, EntityType type, std::string_view value, int64_t from_ns, int64_t to_ns,
                      const EntityLimits& limits, EntityAnswer* out);

//! {"type","value","from","to","total","first_seen","last_seen","datasets":{...},
//! "related":[{"name","type","top":[{"value","count"}]}],"sessions":[...],"timeline":[{"sentence","event"}]}
std::string EntityJson(const EntityAnswer& a);

}  // namespace kamatama::investigate
