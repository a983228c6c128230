#include "tracker/state.hpp"

#include <utility>
#include <variant>

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
  ImportedVersions detail;
  detail.tool = std::string(tool_name(foreign.tool));
  detail.table = foreign.table.display();
  detail.versions = foreign.versions;
  if (foreign.occupies_version_table) detail.moved_to = moved_aside_name(foreign.table).display();
  detail.unmapped = foreign.unmapped;
  entry.detail = std::move(detail);
  return entry;
}

std::vector<int64_t> imported_versions(const HistoryEntry& entry) {
  if (entry.outcome != Outcome::imported) return {};
  const ImportedVersions* detail = entry.detail_as<ImportedVersions>();
  return detail ? detail->versions : std::vector<int64_t>{};
}

namespace {

using json = nlohmann::json;

json optional_version(std::optional<int64_t> version) {
  return version ? json(*version) : json(nullptr);
}

std::optional<int64_t> json_version(const json& value) {
  return value.is_number_integer() ? std::optional<int64_t>(value.get<int64_t>()) : std::nullopt;
}

struct DetailWriter {
  json operator()(const std::monostate&) const { return json(); }
  json operator()(const StepDetail& d) const {
    json out = {{"direction", direction_name(d.direction)},
                {"file", d.file},
                {"statements", d.statements},
                {"before", optional_version(d.before)},
                {"after", optional_version(d.after)},
                {"statement", d.statement},
                {"line", d.line},
                {"sql", d.sql}};
    if (d.through > 0) out.update({{"through", d.through}, {"through_line", d.through_line}});
    if (!d.own_transaction.empty()) out["own_transaction"] = d.own_transaction;
    if (!d.interrupted.empty())
      out["interrupted"] = d.interrupted;
    else if (d.through == 0)
      out["error"] = d.error;
    if (d.rolled_back_from > 0) out["rolled_back_from"] = d.rolled_back_from;
    return out;
  }
  json operator()(const ForceOrigin& d) const {
    json out = {{"from", optional_version(d.from)}, {"dirty", d.dirty}};
    if (!d.unreadable.empty()) out["unreadable"] = d.unreadable;
    return out;
  }
  json operator()(const BaselineDetail& d) const { return d.dirty ? json{{"dirty", true}} : json(); }
  json operator()(const ImportedVersions& d) const {
    json out = {{"tool", d.tool}, {"table", d.table}, {"versions", d.versions}};
    if (!d.moved_to.empty()) out["moved_to"] = d.moved_to;
    if (!d.unmapped.empty()) out["unmapped"] = d.unmapped;
    return out;
  }
  json operator()(const AcceptedChecksum& d) const { return json{{"file", d.file}, {"previous", d.previous}}; }
};

StepDetail read_step_detail(const json& in, Outcome outcome, std::optional<Direction> row_direction) {
  StepDetail d;
  d.direction = parse_direction(in.value("direction", std::string())).value_or(row_direction.value_or(Direction::up));
  d.file = in.value("file", std::string("?"));
  d.statements = in.value("statements", int64_t{0});
  d.before = json_version(in.value("before", json()));
  d.after = json_version(in.value("after", json()));
  d.line = in.value("line", 0);
  d.sql = in.value("sql", std::string());
  d.rolled_back_from = in.value("rolled_back_from", int64_t{0});
  if (outcome == Outcome::running) {
    d.statement = in.value("statement", int64_t{1});
    d.through = in.value("through", d.statement);
    d.through_line = in.value("through_line", 0);
    d.own_transaction = in.value("own_transaction", std::string());
  } else if (in.contains("interrupted")) {
    d.interrupted = in.value("interrupted", std::string("a signal"));
    d.statement = in.value("statement", int64_t{1});
  } else {
    d.statement = in.value("statement", int64_t{0});
    d.error = in.value("error", std::string());
  }
  return d;
}

}  // namespace

std::string detail_json(const Detail& detail) {
  const json out = std::visit(DetailWriter{}, detail);
  return out.is_null() ? std::string() : out.dump();
}

Detail parse_detail(Outcome outcome, std::string_view text, std::optional<Direction> row_direction) {
  if (text.empty()) return std::monostate{};
  const json in = json::parse(text, nullptr, false);
  if (in.is_discarded() || !in.is_object()) return std::monostate{};
  try {
    switch (outcome) {
      case Outcome::failed:
      case Outcome::running: return read_step_detail(in, outcome, row_direction);
      case Outcome::forced:
        return ForceOrigin{json_version(in.value("from", json())), in.value("dirty", false),
                           in.value("unreadable", std::string())};
      case Outcome::baseline: return BaselineDetail{in.value("dirty", false)};
      case Outcome::imported: {
        ImportedVersions d;
        d.tool = in.value("tool", std::string());
        d.table = in.value("table", std::string());
        if (in.contains("versions") && in["versions"].is_array()) {
          for (const json& version : in["versions"]) {
            if (version.is_number_integer()) d.versions.push_back(version.get<int64_t>());
          }
        }
        d.moved_to = in.value("moved_to", std::string());
        if (in.contains("unmapped") && in["unmapped"].is_array()) {
          for (const json& name : in["unmapped"]) {
            if (name.is_string()) d.unmapped.push_back(name.get<std::string>());
          }
        }
        return d;
      }
      case Outcome::accepted:
        return AcceptedChecksum{in.value("file", std::string()), in.value("previous", std::string())};
      case Outcome::applied:
      case Outcome::reverted: break;
    }
  } catch (const json::exception&) {
    // A field of an unexpected type: written by something else; read as no detail.
  }
  return std::monostate{};
}

}  // namespace strata::tracker
