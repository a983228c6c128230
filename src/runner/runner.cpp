#include "runner/runner.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "drivers/driver.hpp"
#include "runner/pause_point.hpp"

namespace strata::runner {

using json = nlohmann::json;
using planner::Direction;
using tracker::Outcome;

namespace {

std::vector<int64_t> versions_of(const source::Source& source) {
  std::vector<int64_t> versions;
  versions.reserve(source.migrations().size());
  for (const source::Migration& migration : source.migrations()) versions.push_back(migration.version);
  return versions;
}

std::string first_line(std::string_view sql, size_t limit = 60) {
  std::string_view line = sql.substr(0, sql.find('\n'));
  if (line.size() > limit) return std::string(line.substr(0, limit)) + "…";
  return std::string(line);
}

json optional_version(std::optional<int64_t> version) {
  return version ? json(*version) : json(nullptr);
}

std::optional<int64_t> json_version(const json& value) {
  return value.is_number_integer() ? std::optional<int64_t>(value.get<int64_t>()) : std::nullopt;
}

std::string force_advice(std::optional<int64_t> done, std::optional<int64_t> undone, std::string_view rerun) {
  return fmt::format(
      "repair the database by hand, then run `strata force {}` if the migration's changes are all in place, or "
      "`strata force {}` if none of them are and then `strata {}` to retry it",
      version_text(done), version_text(undone), rerun);
}

// Rolls back unless committed; the destructor never throws.
class Transaction {
 public:
  explicit Transaction(drivers::Driver& driver) : m_driver(driver) { m_driver.begin(); }
  ~Transaction() {
    if (!m_committed) m_driver.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    m_driver.commit();
    m_committed = true;
  }

 private:
  drivers::Driver& m_driver;
  bool m_committed = false;
};

tracker::HistoryEntry history_entry(const PreparedStep& prepared, double duration_ms) {
  tracker::HistoryEntry entry;
  entry.version = prepared.step.version;
  entry.name = prepared.migration->name;
  entry.direction = std::string(planner::direction_name(prepared.step.direction));
  entry.checksum = prepared.script.checksum;
  entry.duration_ms = duration_ms;
  entry.outcome = prepared.step.direction == Direction::up ? Outcome::applied : Outcome::reverted;
  return entry;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

// The file line of a failing statement: where it starts, moved down to the line of the
// server's error position when the server gave one.
int error_line(const source::Statement& statement, const DriverError& error) {
  int line = statement.line;
  if (std::optional<size_t> position = error.position()) {
    size_t end = std::min(*position > 0 ? *position - 1 : 0, statement.sql.size());
    line += static_cast<int>(std::count(statement.sql.begin(), statement.sql.begin() + static_cast<long>(end), '\n'));
  }
  return line;
}

}  // namespace

std::string version_text(std::optional<int64_t> version) {
  return version ? std::to_string(*version) : "none";
}

DatabaseView read_view(tracker::Tracker& tracker, const source::Source& source) {
  DatabaseView view;
  view.state = tracker.read_state();
  view.history = tracker.read_history();
  view.applied = planner::AppliedSet::from(view.state, view.history, versions_of(source));
  return view;
}

planner::Inputs plan_inputs(const source::Source& source, const DatabaseView& view, bool allow_out_of_order) {
  planner::Inputs inputs;
  inputs.source_versions = versions_of(source);
  inputs.current = view.state.version;
  inputs.applied = view.applied;
  inputs.allow_out_of_order = allow_out_of_order;
  return inputs;
}

std::vector<Drift> find_drift(const source::Source& source, const DatabaseView& view) {
  // The checksum each version was last applied with, replayed in history order.
  std::map<int64_t, std::string> applied_with;
  for (const tracker::HistoryEntry& entry : view.history) {
    if (entry.outcome == Outcome::applied && !entry.checksum.empty()) applied_with[entry.version] = entry.checksum;
  }
  std::vector<Drift> drift;
  for (const auto& [version, checksum] : applied_with) {
    if (!view.applied.contains(version)) continue;
    const source::Migration* migration = source.find(version);
    if (!migration) continue;  // missing: reported by status, not drift
    std::string current = sha256_hex(source::read_file(migration->up->path, migration->up->name));
    if (current != checksum) drift.push_back(Drift{version, migration->up->name, checksum, current});
  }
  return drift;
}

std::string drift_message(const Drift& drift) {
  return fmt::format(
      "{} was edited after it was applied (stored checksum {}, current {}); restore the file, or "
      "add a new migration for the change",
      drift.file, drift.stored_checksum.substr(0, 12), drift.current_checksum.substr(0, 12));
}

std::string dirty_message(const DatabaseView& view, const source::Source& source) {
  const auto dirty_version = view.state.version;
  std::string head = fmt::format("database is dirty at version {}", version_text(dirty_version));
  if (!view.history.empty() && view.history.back().outcome == Outcome::failed) {
    const tracker::HistoryEntry& failed = view.history.back();
    json detail = json::parse(failed.detail, nullptr, false);
    if (!detail.is_discarded() && detail.is_object()) {
      std::string direction = detail.value("direction", failed.direction);
      std::optional<int64_t> before = json_version(detail.value("before", json()));
      std::optional<int64_t> after = json_version(detail.value("after", json()));
      if (detail.contains("interrupted")) {
        return fmt::format(
            "{}: migration {} ({}) was interrupted by {} after statement {} of {}; the next statement was {}:{} "
            "({}); {}",
            head, failed.version, direction, detail.value("interrupted", std::string("a signal")),
            detail.value("statement", 1) - 1, detail.value("statements", 0), detail.value("file", std::string("?")),
            detail.value("line", 0), detail.value("sql", std::string()),
            force_advice(after, before, direction == "down" ? "down" : "up"));
      }
      return fmt::format("{}: migration {} ({}) failed at {}:{}, statement {} of {} ({}): {}; {}", head, failed.version,
                         direction, detail.value("file", std::string("?")), detail.value("line", 0),
                         detail.value("statement", 0), detail.value("statements", 0),
                         detail.value("sql", std::string()), detail.value("error", std::string()),
                         force_advice(after, before, direction == "down" ? "down" : "up"));
    }
  }
  // No failure recorded: the process was killed, or another tool left it dirty.
  std::optional<int64_t> previous;
  if (dirty_version) {
    for (const source::Migration& migration : source.migrations()) {
      if (migration.version < *dirty_version) previous = migration.version;
    }
  }
  return fmt::format("{}: migration {} was interrupted (no failing statement was recorded); {}", head,
                     version_text(dirty_version), force_advice(dirty_version, previous, "up"));
}

namespace {

// The statement's first `count` words, upper-cased.
std::string leading_words(std::string_view sql, int count) {
  std::string words;
  size_t i = 0;
  for (int n = 0; n < count; ++n) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    size_t start = i;
    while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) ++i;
    if (start == i) break;
    if (!words.empty()) words += ' ';
    for (size_t j = start; j < i; ++j) words += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[j])));
  }
  return words;
}

}  // namespace

void check_transaction_control(const source::Script& script) {
  if (!script.section.transaction) return;
  for (const source::Statement& statement : script.section.statements) {
    std::string two = leading_words(statement.sql, 2);
    std::string first = two.substr(0, two.find(' '));
    bool control = first == "BEGIN" || first == "COMMIT" || first == "END" || first == "ABORT" ||
                   two == "START TRANSACTION" || (first == "ROLLBACK" && two != "ROLLBACK TO");
    if (control) {
      throw SourceError(script.file, statement.line,
                        fmt::format("{} would end the transaction strata runs this migration in; remove BEGIN/COMMIT "
                                    "(each migration already runs in one transaction), or add `-- +strata NO "
                                    "TRANSACTION` to manage transactions yourself",
                                    first == "START" ? two : first));
    }
  }
}

std::vector<PreparedStep> prepare(const planner::Plan& plan, const source::Source& source, bool transactional_ddl) {
  std::vector<PreparedStep> prepared;
  prepared.reserve(plan.steps.size());
  std::map<int64_t, source::ParsedMigration> parsed;
  for (const planner::Step& step : plan.steps) {
    const source::Migration* migration = source.find(step.version);
    if (!migration) throw SourceError(fmt::format("no migration file for version {}", step.version));
    auto it = parsed.find(step.version);
    if (it == parsed.end()) {
      it = parsed.emplace(step.version, source::parse_migration(*migration, source.dialect())).first;
    }
    PreparedStep entry;
    entry.step = step;
    entry.migration = migration;
    entry.script = step.direction == Direction::up ? it->second.up : it->second.down;
    entry.transaction = transactional_ddl && entry.script.section.transaction;
    if (entry.transaction) check_transaction_control(entry.script);
    prepared.push_back(std::move(entry));
  }
  return prepared;
}

namespace {

// Thrown inside a transaction to leave it (the Transaction guard rolls back) on a stop request.
struct StopRequested {};

std::string interrupted_between(int signal, size_t done, size_t total, std::optional<int64_t> version) {
  return fmt::format("interrupted by {} after {} of {} migration{}; database at version {}", signal_name(signal), done,
                     total, total == 1 ? "" : "s", version_text(version));
}

}  // namespace

void execute(drivers::Driver& driver, tracker::Tracker& tracker, const std::vector<PreparedStep>& steps,
             const Progress& progress, std::vector<StepResult>& completed, RunControl* control) {
  auto stop_signal = [control] { return control != nullptr ? control->signal.load() : 0; };
  auto set_cancellable = [control](bool value) {
    if (control != nullptr) control->cancellable.store(value);
  };
  for (const PreparedStep& prepared : steps) {
    const planner::Step& step = prepared.step;
    const auto& statements = prepared.script.section.statements;
    if (int signal = stop_signal()) {
      throw Error(interrupted_between(signal, completed.size(), steps.size(), step.version_before), ExitCode::runtime);
    }
    if (progress.started) progress.started(prepared);
    pause_point("start", step.version);
    auto started = std::chrono::steady_clock::now();
    size_t index = 0;
    auto run_statement = [&](bool cancellable) {
      pause_point("statement", step.version, static_cast<long long>(index + 1));
      if (progress.statement_started) progress.statement_started(prepared, index);
      set_cancellable(cancellable);
      // A signal that came after the last check but before `cancellable` was set found nothing
      // to cancel: stop here instead of running the statement to its end.
      if (cancellable && stop_signal()) {
        set_cancellable(false);
        if (progress.statement_finished) progress.statement_finished();
        throw StopRequested{};
      }
      try {
        driver.execute(statements[index].sql);
      } catch (...) {
        set_cancellable(false);
        if (progress.statement_finished) progress.statement_finished();
        throw;
      }
      set_cancellable(false);
      if (progress.statement_finished) progress.statement_finished();
    };

    if (prepared.transaction) {
      try {
        Transaction transaction(driver);
        for (; index < statements.size(); ++index) {
          if (stop_signal()) throw StopRequested{};
          run_statement(true);
        }
        if (stop_signal()) throw StopRequested{};
        pause_point("record", step.version);
        tracker.set_version(step.version_after, false);
        tracker.record(history_entry(prepared, elapsed_ms(started)));
        transaction.commit();
      } catch (const StopRequested&) {
        throw Error(fmt::format("interrupted by {}: migration {} ({}) rolled back, database still at version {}",
                                signal_name(stop_signal()), prepared.migration->label(),
                                planner::direction_name(step.direction), version_text(step.version_before)),
                    ExitCode::runtime);
      } catch (const DriverError& error) {
        if (int signal = stop_signal()) {  // the statement was cancelled because of the signal
          throw Error(fmt::format("interrupted by {}: migration {} ({}) rolled back, database still at version {}",
                                  signal_name(signal), prepared.migration->label(),
                                  planner::direction_name(step.direction), version_text(step.version_before)),
                      ExitCode::runtime);
        }
        std::string where = index < statements.size()
                                ? fmt::format("{}:{}", prepared.script.file, error_line(statements[index], error))
                                : std::string("the version-table update");
        throw DriverError(fmt::format("migration {} ({}) failed at {}: {}; rolled back, database still at version {}",
                                      prepared.migration->label(), planner::direction_name(step.direction), where,
                                      error.what(), version_text(step.version_before)),
                          error.sqlstate());
      }
    } else {
      // golang-migrate's protocol: the target version is marked dirty while statements run.
      std::optional<int64_t> dirty_version =
          step.direction == Direction::up ? std::optional<int64_t>(step.version) : step.version_after;
      {
        Transaction transaction(driver);  // DELETE + INSERT: never a moment with no row at all
        tracker.set_version(dirty_version, true);
        transaction.commit();
      }
      // Records where the step stopped and throws the runbook (DirtyError).
      auto leave_dirty = [&](json detail) {
        const auto& statement = statements[index];
        detail.update({
            {"direction", planner::direction_name(step.direction)},
            {"file", prepared.script.file},
            {"statement", index + 1},
            {"statements", statements.size()},
            {"sql", first_line(statement.sql)},
            {"before", optional_version(step.version_before)},
            {"after", optional_version(step.version_after)},
        });
        if (!detail.contains("line")) detail["line"] = statement.line;
        tracker::HistoryEntry failed = history_entry(prepared, elapsed_ms(started));
        failed.outcome = Outcome::failed;
        failed.detail = detail.dump();
        DatabaseView view;
        view.state = tracker::VersionState{dirty_version, true};
        view.history.push_back(failed);
        try {
          tracker.record(failed);
        } catch (const DriverError&) {
          // The failure itself is what the operator needs; the message below carries it.
        }
        source::Source no_source({}, driver.dialect(), {});
        throw DirtyError(dirty_message(view, no_source));
      };
      for (; index < statements.size(); ++index) {
        // Only between statements: a statement outside a transaction is never cut short.
        if (int signal = stop_signal()) {
          if (index > 0) leave_dirty({{"interrupted", signal_name(signal)}});
          Transaction transaction(driver);  // nothing ran yet: back to clean
          tracker.set_version(step.version_before, false);
          transaction.commit();
          throw Error(interrupted_between(signal, completed.size(), steps.size(), step.version_before),
                      ExitCode::runtime);
        }
        try {
          run_statement(false);
        } catch (const DriverError& error) {
          leave_dirty({{"error", error.what()}, {"line", error_line(statements[index], error)}});
        }
      }
      pause_point("record", step.version);
      Transaction transaction(driver);
      tracker.set_version(step.version_after, false);
      tracker.record(history_entry(prepared, elapsed_ms(started)));
      transaction.commit();
    }
    double duration = elapsed_ms(started);
    completed.push_back(StepResult{step.version, prepared.migration->name, step.direction, duration});
    if (progress.finished) progress.finished(prepared, duration);
  }
}

LockGuard::LockGuard(drivers::Driver& driver, const TableName& table, std::chrono::milliseconds timeout)
    : m_driver(driver) {
  m_driver.lock(table, timeout);
}

LockGuard::~LockGuard() {
  m_driver.unlock();
}

}  // namespace strata::runner
