#include "tracker/state.hpp"

#include <utility>

#include <nlohmann/json.hpp>

namespace strata::tracker {

namespace {

constexpr std::pair<Outcome, std::string_view> k_outcomes[] = {
    {Outcome::applied, "applied"},   {Outcome::reverted, "reverted"}, {Outcome::failed, "failed"},
    {Outcome::forced, "forced"},     {Outcome::baseline, "baseline"}, {Outcome::running, "running"},
    {Outcome::accepted, "accepted"}, {Outcome::imported, "imported"},
};

}  // namespace

std::string_view outcome_name(Outcome outcome) {
  for (const auto& [value, name] : k_outcomes) {
    if (value == outcome) return name;
  }
  return "applied";
}

std::optional<Outcome> parse_outcome(std::string_view text) {
  for (const auto& [value, name] : k_outcomes) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view tool_name(ForeignTool tool) {
  switch (tool) {
    case ForeignTool::goose: return "goose";
    case ForeignTool::sql_migrate: return "sql-migrate";
    case ForeignTool::dbmate: return "dbmate";
  }
  return "goose";
}

TableName moved_aside_name(const TableName& table) {
  return TableName{table.schema, table.name + "_dbmate"};
}

HistoryEntry imported_entry(const ForeignState& foreign) {
  HistoryEntry entry;
  entry.version = foreign.highest().value_or(-1);
  entry.outcome = Outcome::imported;
  nlohmann::json detail = {
      {"tool", tool_name(foreign.tool)}, {"table", foreign.table.display()}, {"versions", foreign.versions}};
  if (foreign.occupies_version_table) detail["moved_to"] = moved_aside_name(foreign.table).display();
  if (!foreign.unmapped.empty()) detail["unmapped"] = foreign.unmapped;
  entry.detail = detail.dump();
  return entry;
}

std::vector<int64_t> imported_versions(const HistoryEntry& entry) {
  std::vector<int64_t> versions;
  if (entry.outcome != Outcome::imported) return versions;
  nlohmann::json detail = nlohmann::json::parse(entry.detail, nullptr, false);
  if (!detail.is_object() || !detail.contains("versions") || !detail["versions"].is_array()) return versions;
  for (const nlohmann::json& version : detail["versions"]) {
    if (version.is_number_integer()) versions.push_back(version.get<int64_t>());
  }
  return versions;
}

}  // namespace strata::tracker
