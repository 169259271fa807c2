// server/shipped_dashboards.cc
#include "server/shipped_dashboards.h"

#include <simdjson.h>

#include "web/assets.h"

namespace kamatama::server {

std::vector<OwnedObject> LoadShippedDashboards(const QueryCheck& check, std::vector<std::string>* problems) {
  std::vector<OwnedObject> out;
  for (const web::Asset* a = web::ShippedDashboardsBegin(); a != web::ShippedDashboardsEnd(); ++a) {
    std::string_view name = a->path.substr(a->path.rfind('/') + 1);
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json") name.remove_suffix(5);
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    OwnedObject o;
    o.id = "shipped-" + std::string(name);
    if (parser.parse(simdjson::padded_string(a->data)).get(obj)) {
      if (problems) problems->push_back(std::string(a->path) + ": not a JSON object");
      continue;
    }
    if (std::string why = DashboardKind().check(obj, check, &o.body); !why.empty()) {
      if (problems) problems->push_back(std::string(a->path) + ": " + why);
      continue;
    }
    o.owner = kShippedOwner;
    o.updated_by = kShippedOwner;
    o.shared = true;
    o.builtin = true;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace kamatama::server
