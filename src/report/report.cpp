#include "report/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace strata::report {

using json = nlohmann::json;

namespace {

json nullable(std::optional<int64_t> version) { return version ? json(*version) : json(nullptr); }

double round_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

std::string_view state_colour(std::string_view state) {
  if (state == "applied") return "\033[32m";
  if (state == "pending") return "\033[33m";
  return "\033[31m";  // modified, missing, out-of-order, dirty
}

}  // namespace

void Output::result(std::string_view line) const {
  if (m_json) return;
  std::cout << line << '\n';
}

void Output::progress(std::string_view line) const {
  if (m_quiet) return;
  std::cerr << line << '\n';
}

void Output::detail(std::string_view line) const {
  if (!m_verbose) return;
  std::cerr << line << '\n';
}

void Output::document(const json& document) const {
  if (!m_json) return;
  // error_handler replace: bytes that are not UTF-8 (from files or the database) must not
  // turn a report into an exception.
  std::cout << document.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

std::string status_text(const runner::StatusReport& status, bool color) {
  size_t version_width = 7;
  size_t name_width = 4;
  size_t state_width = 5;
  for (const auto& row : status.rows) {
    version_width = std::max(version_width, std::to_string(row.version).size());
    name_width = std::max(name_width, row.name.size());
    state_width = std::max(state_width, row.state.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", "version", version_width, "name", name_width, "state",
                                state_width, "applied_at");
  size_t without_down = 0;
  for (const auto& row : status.rows) {
    std::string state = fmt::format("{:<{}}", row.state, state_width);
    if (color) state = fmt::format("{}{}\033[0m", state_colour(row.state), state);
    out += fmt::format("{:<{}}  {:<{}}  {}  {}", row.version, version_width, row.name, name_width, state,
                       row.applied_at.value_or("-"));
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
    if (!row.has_down) ++without_down;
  }
  out += fmt::format("version {}{}, {} pending", status.version ? std::to_string(*status.version) : "none",
                     status.dirty ? " (dirty)" : "", status.pending);
  if (without_down > 0) {
    out += fmt::format(", {} without a down migration", without_down);
  }
  return out;
}

json status_json(const runner::StatusReport& status) {
  json migrations = json::array();
  for (const auto& row : status.rows) {
    json item = {{"version", row.version},
                 {"name", row.name},
                 {"state", row.state},
                 {"applied_at", row.applied_at ? json(*row.applied_at) : json(nullptr)}};
    if (row.duration_ms) item["duration_ms"] = round_ms(*row.duration_ms);
    if (row.applied_by) item["applied_by"] = *row.applied_by;
    item["has_down"] = row.has_down;
    migrations.push_back(std::move(item));
  }
  return {{"version", nullable(status.version)},
          {"dirty", status.dirty},
          {"pending", status.pending},
          {"migrations", std::move(migrations)}};
}

json version_json(const tracker::VersionState& state) {
  return {{"version", nullable(state.version)}, {"dirty", state.dirty}};
}

std::string version_line(const tracker::VersionState& state) {
  if (!state.version) return state.dirty ? "none (dirty)" : "none";
  return state.dirty ? fmt::format("{} (dirty)", *state.version) : std::to_string(*state.version);
}

json run_json(std::optional<int64_t> from, std::optional<int64_t> to, const std::vector<runner::StepResult>& steps) {
  json migrations = json::array();
  for (const auto& step : steps) {
    migrations.push_back({{"version", step.version},
                          {"name", step.name},
                          {"direction", planner::direction_name(step.direction)},
                          {"duration_ms", round_ms(step.duration_ms)}});
  }
  return {{"from", nullable(from)}, {"to", nullable(to)}, {"migrations", std::move(migrations)}};
}

std::string plan_text(const std::vector<runner::PreparedStep>& steps, std::optional<int64_t> from,
                      std::optional<int64_t> to, std::string_view dialect, std::string_view table) {
  auto text = [](std::optional<int64_t> v) { return v ? std::to_string(*v) : std::string("none"); };
  std::string out = fmt::format("-- strata dry run ({}): {} migration{} from version {} to {}\n", dialect,
                                steps.size(), steps.size() == 1 ? "" : "s", text(from), text(to));
  for (const auto& prepared : steps) {
    const auto& step = prepared.step;
    out += fmt::format("\n-- {} {} ({}, {})\n", planner::direction_name(step.direction), prepared.migration->label(),
                       prepared.script.file.empty() ? "no file" : prepared.script.file,
                       prepared.transaction ? "in a transaction" : "no transaction");
    if (prepared.transaction) out += "BEGIN;\n";
    if (!prepared.transaction) {
      out += fmt::format("-- {}: version {} marked dirty\n", table, text(step.direction == planner::Direction::up
                                                                            ? std::optional<int64_t>(step.version)
                                                                            : step.version_after));
    }
    for (const auto& statement : prepared.script.section.statements) {
      out += fmt::format("-- {}:{}\n{};\n", prepared.script.file, statement.line, statement.sql);
    }
    out += fmt::format("-- {}: version {}, clean; history: {} {}\n", table, text(step.version_after),
                       step.direction == planner::Direction::up ? "applied" : "reverted", step.version);
    if (prepared.transaction) out += "COMMIT;\n";
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

json plan_json(const std::vector<runner::PreparedStep>& steps) {
  json plan = json::array();
  for (const auto& prepared : steps) {
    json statements = json::array();
    for (const auto& statement : prepared.script.section.statements) {
      statements.push_back({{"file", prepared.script.file}, {"line", statement.line}, {"sql", statement.sql}});
    }
    plan.push_back({{"version", prepared.step.version},
                    {"name", prepared.migration->name},
                    {"direction", planner::direction_name(prepared.step.direction)},
                    {"transaction", prepared.transaction},
                    {"statements", std::move(statements)}});
  }
  return {{"plan", std::move(plan)}};
}

json error_json(int exit_code, std::string_view message) {
  return {{"error", {{"exit_code", exit_code}, {"message", message}}}};
}

}  // namespace strata::report
