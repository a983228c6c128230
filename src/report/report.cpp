#include "report/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <map>

namespace strata::report {

using json = nlohmann::json;

namespace {

json nullable(std::optional<int64_t> version) {
  return version ? json(*version) : json(nullptr);
}

double round_ms(double ms) {
  return std::round(ms * 1000.0) / 1000.0;
}

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

void Output::warning(std::string_view line) const {
  if (m_quiet) return;
  std::cerr << "strata: warning: " << line << '\n';
}

void Output::document(const json& document) const {
  if (!m_json) return;
  // error_handler replace: bytes that are not UTF-8 (from files or the database) must not
  // turn a report into an exception.
  std::cout << document.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

namespace {

std::string duration_text(std::optional<double> ms) {
  if (!ms) return "-";
  if (*ms < 1000) return fmt::format("{:.1f} ms", *ms);
  if (*ms < 60000) return fmt::format("{:.1f} s", *ms / 1000);
  return fmt::format("{}m{:02}s", static_cast<long>(*ms / 60000), static_cast<long>(*ms / 1000) % 60);
}

}  // namespace

std::string status_text(const runner::StatusReport& status, bool color) {
  struct Line {
    std::string version, name, state, applied_at, duration, applied_by;
  };
  std::vector<Line> lines = {{"version", "name", "state", "applied_at", "duration", "applied_by"}};
  std::map<std::string, size_t> counts;
  size_t without_down = 0;
  for (const auto& row : status.rows) {
    lines.push_back({std::to_string(row.version), row.name, row.state, row.applied_at.value_or("-"),
                     duration_text(row.duration_ms), row.applied_by.value_or("-")});
    ++counts[row.state];
    if (!row.has_down) ++without_down;
  }
  size_t widths[6] = {};
  for (const Line& line : lines) {
    const std::string* cells[] = {&line.version, &line.name, &line.state, &line.applied_at, &line.duration};
    for (size_t i = 0; i < 5; ++i) widths[i] = std::max(widths[i], cells[i]->size());
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    std::string state = fmt::format("{:<{}}", line.state, widths[2]);
    if (color && i > 0) state = fmt::format("{}{}\033[0m", state_colour(line.state), state);
    out += fmt::format("{:<{}}  {:<{}}  {}  {:<{}}  {:>{}}  {}", line.version, widths[0], line.name, widths[1], state,
                       line.applied_at, widths[3], line.duration, widths[4], line.applied_by);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  out += fmt::format("version {}{}, {} pending", status.version ? std::to_string(*status.version) : "none",
                     status.dirty ? " (dirty)" : "", status.pending);
  if (counts["out-of-order"] > 0) out += fmt::format(" ({} out of order)", counts["out-of-order"]);
  if (counts["modified"] > 0) out += fmt::format(", {} modified since applied", counts["modified"]);
  if (counts["missing"] > 0) out += fmt::format(", {} applied but missing", counts["missing"]);
  if (without_down > 0) out += fmt::format(", {} without a down migration", without_down);
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
    if (!row.parts.empty()) item["parts"] = row.parts;
    migrations.push_back(std::move(item));
  }
  return {{"version", nullable(status.version)},
          {"dirty", status.dirty},
          {"runbook", status.runbook ? runbook_json(*status.runbook) : json(nullptr)},
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
    json item = {{"version", step.version},
                 {"name", step.name},
                 {"direction", direction_name(step.direction)},
                 {"duration_ms", round_ms(step.duration_ms)},
                 {"statements", step.statements}};
    // Said plainly: a down without a down migration reverted nothing.
    if (step.no_file) item["reverted_nothing"] = true;
    // Retried after waiting too long for a lock (--retries): how many attempts it took.
    if (step.attempts > 1) item["attempts"] = step.attempts;
    migrations.push_back(std::move(item));
  }
  return {{"from", nullable(from)}, {"to", nullable(to)}, {"migrations", std::move(migrations)}};
}

std::string plan_text(const std::vector<runner::PreparedStep>& steps, std::optional<int64_t> from,
                      std::optional<int64_t> to, std::string_view dialect, std::string_view table) {
  auto text = [](std::optional<int64_t> v) { return v ? std::to_string(*v) : std::string("none"); };
  std::string out = fmt::format("-- strata dry run ({}): {} migration{} from version {} to {}\n", dialect, steps.size(),
                                steps.size() == 1 ? "" : "s", text(from), text(to));
  // Why a step runs without a transaction when a statement, not an annotation, decided it.
  auto because = [](const runner::PreparedStep& prepared) {
    const std::optional<std::string> reason = runner::transaction_reason(prepared.script);
    return reason && !prepared.transaction ? ": " + *reason : std::string();
  };
  for (const auto& prepared : steps) {
    out += fmt::format("--   {:<4} {}{}\n", direction_name(prepared.step.direction), prepared.migration->label(),
                       prepared.own_transactions == runner::OwnTransactions::managed
                           ? fmt::format(" (no transaction: the file manages its own, {} at line {})",
                                         prepared.own_word, prepared.own_line)
                       : prepared.transaction ? ""
                                              : " (no transaction" + because(prepared) + ")");
  }
  for (const auto& prepared : steps) {
    const auto& step = prepared.step;
    out += fmt::format("\n-- {} {} ({}, {}{})\n", direction_name(step.direction), prepared.migration->label(),
                       prepared.script.file.empty() ? "no file" : prepared.script.file,
                       prepared.transaction ? "in a transaction" : "no transaction", because(prepared));
    if (prepared.transaction) out += "BEGIN;\n";
    if (prepared.own_transactions == runner::OwnTransactions::wrapper) {
      out += fmt::format(
          "-- the file's own {} (line {}) and its last COMMIT are not sent: strata's transaction "
          "takes their place\n",
          prepared.own_word, prepared.own_line);
    }
    if (!prepared.transaction) {
      out += fmt::format(
          "-- {}: version {} marked dirty\n", table,
          text(step.direction == Direction::up ? std::optional<int64_t>(step.version) : step.version_after));
    }
    if (prepared.open_first) {
      out += fmt::format("-- strata opens the transaction that the file's {} at line {} ends\nBEGIN;\n",
                         prepared.own_word, prepared.own_line);
    }
    for (const auto& statement : prepared.script.section.statements) {
      out += fmt::format("-- {}:{}\n{};\n", prepared.script.file_of(statement), statement.line, statement.sql);
    }
    if (prepared.commit_last) out += "-- strata commits the transaction the file leaves open\nCOMMIT;\n";
    out += fmt::format("-- {}: version {}, clean; history: {} {}\n", table, text(step.version_after),
                       step.direction == Direction::up ? "applied" : "reverted", step.version);
    if (prepared.transaction) out += "COMMIT;\n";
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

namespace {
json own_transactions_name(runner::OwnTransactions own) {
  switch (own) {
    case runner::OwnTransactions::wrapper: return "wrapper";
    case runner::OwnTransactions::managed: return "managed";
    case runner::OwnTransactions::none: break;
  }
  return nullptr;
}
}  // namespace

json plan_json(const std::vector<runner::PreparedStep>& steps) {
  json plan = json::array();
  for (const auto& prepared : steps) {
    json statements = json::array();
    for (const auto& statement : prepared.script.section.statements) {
      statements.push_back(
          {{"file", prepared.script.file_of(statement)}, {"line", statement.line}, {"sql", statement.sql}});
    }
    json step = {{"version", prepared.step.version},
                 {"name", prepared.migration->name},
                 {"direction", direction_name(prepared.step.direction)},
                 {"transaction", prepared.transaction},
                 {"own_transactions", own_transactions_name(prepared.own_transactions)},
                 {"statements", std::move(statements)}};
    const std::optional<source::TransactionBlocker>& blocker = prepared.script.section.blocker;
    if (blocker && !prepared.transaction) {
      step["transaction_reason"] = {
          {"file", prepared.script.file}, {"line", blocker->line}, {"statement", blocker->statement}};
    }
    plan.push_back(std::move(step));
  }
  return {{"plan", std::move(plan)}};
}

json runbook_json(const Runbook& book) {
  json out = {{"cause", cause_name(book.cause)},
              {"version", nullable(book.dirty_version)},
              {"migration", nullable(book.migration)},
              {"direction", direction_name(book.direction)}};
  if (book.cause != Runbook::Cause::unknown) {
    out["file"] = book.file;
    out["line"] = book.line;
    out["statement"] = book.statement;
    out["statements"] = book.statements;
    out["sql"] = book.sql;
  }
  if (book.cause == Runbook::Cause::running) {
    out["through"] = book.through;
    out["through_line"] = book.through_line;
    out["holder"] = book.holder;
    out["since"] = book.since.empty() ? json(nullptr) : json(book.since);
    out["repair"] = nullptr;  // nothing to repair: wait for it
    return out;
  }
  if (book.cause == Runbook::Cause::unfinished) {
    out["through"] = book.through;
    out["through_line"] = book.through_line;
    out["own_transaction"] = book.own_transaction.empty() ? json(nullptr) : json(book.own_transaction);
  }
  if (book.cause == Runbook::Cause::failed) out["error"] = book.error;
  if (book.cause == Runbook::Cause::interrupted) out["signal"] = book.signal;
  if (book.rolled_back_from > 0) out["rolled_back_from"] = book.rolled_back_from;
  auto force = [](std::optional<int64_t> version) {
    return fmt::format("strata force {}", version ? std::to_string(*version) : std::string("none"));
  };
  out["repair"] = {{"if_applied", force(book.if_applied)},
                   {"if_not_applied", force(book.if_not_applied)},
                   {"then", fmt::format("strata {}", direction_name(book.retry))}};
  return out;
}

json error_json(int exit_code, std::string_view message) {
  return {{"error", {{"exit_code", exit_code}, {"message", message}}}};
}

}  // namespace strata::report
