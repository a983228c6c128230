#include "runner/runner.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/sql_words.hpp"
#include "drivers/driver.hpp"
#include "runner/import.hpp"
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
  // Runs the statements in the transaction and commits it (Driver::commit_with).
  void commit_with(const std::vector<std::string>& statements) {
    m_driver.commit_with(statements);
    m_committed = true;
  }

 private:
  drivers::Driver& m_driver;
  bool m_committed = false;
};

tracker::HistoryEntry history_entry(const PreparedStep& prepared, const std::string& checksum, double duration_ms) {
  tracker::HistoryEntry entry;
  entry.version = prepared.step.version;
  entry.name = prepared.migration->name;
  entry.direction = std::string(planner::direction_name(prepared.step.direction));
  entry.checksum = checksum;
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
  view.foreign = tracker.find_foreign();
  if (view.foreign) {
    check_foreign_parts(*view.foreign, source);
    view.state.version = view.foreign->highest();
    view.history.push_back(tracker::imported_entry(*view.foreign));
  } else {
    view.state = tracker.read_state();
    view.history = tracker.read_history();
  }
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
  // The checksum each version was last applied (or accepted) with, replayed in history order.
  std::map<int64_t, std::string> applied_with;
  for (const tracker::HistoryEntry& entry : view.history) {
    if ((entry.outcome == Outcome::applied || entry.outcome == Outcome::accepted) && !entry.checksum.empty())
      applied_with[entry.version] = entry.checksum;
  }
  std::vector<Drift> drift;
  for (const auto& [version, checksum] : applied_with) {
    if (!view.applied.contains(version)) continue;
    const source::Migration* migration = source.find(version);
    if (!migration) continue;  // missing: reported by status, not drift
    std::string current = source.checksum(*migration);
    // Rows written by strata 0.1 hold the checksum of the raw bytes (of one file: versions of
    // several files are newer): read again only on a mismatch.
    if (current != checksum && (!migration->parts.empty() || source::raw_file_checksum(*migration->up) != checksum)) {
      std::vector<std::string> files;
      for (const source::MigrationFile* file : source::script_files(*migration, true)) files.push_back(file->name);
      drift.push_back(Drift{version, fmt::format("{}", fmt::join(files, ", ")), checksum, current, files.size()});
    }
  }
  return drift;
}

std::string drift_message(const Drift& drift) {
  if (drift.files > 1) {
    return fmt::format(
        "version {} ({}) changed after it was applied: a part was edited, added or removed (stored checksum {}, "
        "current {}); restore the files, or add a new migration for the change",
        drift.version, drift.file, drift.stored_checksum.substr(0, 12), drift.current_checksum.substr(0, 12));
  }
  return fmt::format(
      "{} was edited after it was applied (stored checksum {}, current {}); restore the file, add a new "
      "migration for the change, or run `strata accept {}` to record the file as it is now",
      drift.file, drift.stored_checksum.substr(0, 12), drift.current_checksum.substr(0, 12), drift.version);
}

Runbook dirty_runbook(const DatabaseView& view, const source::Source& source) {
  Runbook book;
  book.dirty_version = view.state.version;
  if (!view.history.empty() &&
      (view.history.back().outcome == Outcome::failed || view.history.back().outcome == Outcome::running)) {
    const tracker::HistoryEntry& failed = view.history.back();
    json detail = json::parse(failed.detail, nullptr, false);
    if (!detail.is_discarded() && detail.is_object()) {
      book.migration = failed.version;
      book.direction = detail.value("direction", failed.direction);
      book.if_applied = json_version(detail.value("after", json()));
      book.if_not_applied = json_version(detail.value("before", json()));
      book.retry = book.direction == "down" ? "down" : "up";
      book.file = detail.value("file", std::string("?"));
      book.line = detail.value("line", 0);
      book.statements = detail.value("statements", int64_t{0});
      book.sql = detail.value("sql", std::string());
      book.rolled_back_from = detail.value("rolled_back_from", int64_t{0});
      if (failed.outcome == Outcome::running) {
        // Left behind by a process that died (or lost its connection) while sending statements,
        // unless that process still holds the lock (see running_now()).
        book.cause = Runbook::Cause::unfinished;
        book.since = failed.applied_at;
        book.statement = detail.value("statement", int64_t{1});
        book.through = detail.value("through", book.statement);
        book.through_line = detail.value("through_line", 0);
        book.own_transaction = detail.value("own_transaction", std::string());
      } else if (detail.contains("interrupted")) {
        book.cause = Runbook::Cause::interrupted;
        book.signal = detail.value("interrupted", std::string("a signal"));
        book.statement = detail.value("statement", int64_t{1});
      } else {
        book.cause = Runbook::Cause::failed;
        book.statement = detail.value("statement", int64_t{0});
        book.error = detail.value("error", std::string());
      }
      return book;
    }
  }
  // No failure recorded: the process was killed, or another tool left it dirty.
  book.migration = book.dirty_version;
  book.if_applied = book.dirty_version;
  if (book.dirty_version) {
    for (const source::Migration& migration : source.migrations()) {
      if (migration.version < *book.dirty_version) book.if_not_applied = migration.version;
    }
  }
  return book;
}

std::string runbook_message(const Runbook& book) {
  const std::string head = fmt::format("database is dirty at version {}", version_text(book.dirty_version));
  const std::string advice = force_advice(book.if_applied, book.if_not_applied, book.retry);
  const std::string migration = version_text(book.migration);
  std::string rolled_back;  // a transaction of the file's own that was open when it stopped
  if (book.rolled_back_from > 0) {
    rolled_back = fmt::format(
        "; the transaction open since statement {} was rolled back, so only the statements before {} took effect",
        book.rolled_back_from, book.rolled_back_from);
  }
  switch (book.cause) {
    case Runbook::Cause::running: {
      const std::string where = book.through > book.statement
                                    ? fmt::format("statements {}–{} of {} ({}:{}–{})", book.statement, book.through,
                                                  book.statements, book.file, book.line, book.through_line)
                                    : fmt::format("statement {} of {} ({}:{}: {})", book.statement, book.statements,
                                                  book.file, book.line, book.sql);
      return fmt::format(
          "database is marked dirty at version {} because migration {} ({}) is running now, not because it failed: "
          "the migration lock is held by {}; it started at {} and is at {}; wait for it to finish (`strata up` waits "
          "up to --lock-timeout for the lock) and do not run `strata force` while it runs",
          version_text(book.dirty_version), migration, book.direction, book.holder,
          book.since.empty() ? std::string("an unknown time") : book.since, where);
    }
    case Runbook::Cause::unfinished: {
      const std::string of = book.statements > 0 ? fmt::format(" of {}", book.statements) : std::string();
      if (!book.own_transaction.empty()) {
        return fmt::format(
            "{}: migration {} ({}) did not finish: its process ended or lost its connection inside the "
            "transaction that {} (file {}:{}); the server rolls back an unfinished transaction, so the statements "
            "before {} had run and none from {} on took effect; {}",
            head, migration, book.direction,
            book.own_transaction == "strata" ? fmt::format("strata opened before statement 1 of {}", book.statements)
                                             : fmt::format("statement {} of {} opens", book.statement, book.statements),
            book.file, book.line, book.statement, book.statement, advice);
      }
      const std::string what =
          book.through > book.statement
              ? fmt::format(
                    "statements {}–{}{} ({}:{}–{}, from {}); those before {} had run and none after {} had started",
                    book.statement, book.through, of, book.file, book.line, book.through_line, book.sql, book.statement,
                    book.through)
              : fmt::format("statement {}{} ({}:{}: {}); those before it had run and none after it had started",
                            book.statement, of, book.file, book.line, book.sql);
      return fmt::format(
          "{}: migration {} ({}) did not finish: its process ended or lost its connection while running {}; {}", head,
          migration, book.direction, what, advice);
    }
    case Runbook::Cause::interrupted:
      return fmt::format(
          "{}: migration {} ({}) was interrupted by {} after statement {} of {}; the next statement was {}:{} "
          "({}){}; {}",
          head, migration, book.direction, book.signal, book.statement - 1, book.statements, book.file, book.line,
          book.sql, rolled_back, advice);
    case Runbook::Cause::failed:
      return fmt::format("{}: migration {} ({}) failed at {}:{}, statement {} of {} ({}): {}{}; {}", head, migration,
                         book.direction, book.file, book.line, book.statement, book.statements, book.sql, book.error,
                         rolled_back, advice);
    case Runbook::Cause::unknown: break;
  }
  return fmt::format("{}: migration {} was interrupted (no failing statement was recorded); {}", head, migration,
                     advice);
}

void mark_running(Runbook& runbook, drivers::Driver& driver, const TableName& table) {
  if (runbook.cause != Runbook::Cause::unfinished) return;
  std::optional<drivers::Driver::LockHolder> holder;
  try {
    holder = driver.lock_holder(table);
  } catch (const DriverError&) {
    return;  // cannot tell: the runbook stays as the history says
  }
  if (!holder) return;
  runbook.cause = Runbook::Cause::running;
  runbook.holder = holder->description;
}

std::string dirty_message(const DatabaseView& view, const source::Source& source) {
  return runbook_message(dirty_runbook(view, source));
}

DirtyError dirty_error(const DatabaseView& view, const source::Source& source) {
  Runbook book = dirty_runbook(view, source);
  std::string message = runbook_message(book);
  return DirtyError(message, std::move(book));
}

namespace {

// The transaction-control word a statement starts with ("COMMIT", "START TRANSACTION", …), or
// nullopt.
std::optional<std::string> transaction_control(const source::Statement& statement) {
  std::string two = leading_words(statement.sql, 2);
  std::string first = two.substr(0, two.find(' '));
  bool control = first == "BEGIN" || first == "COMMIT" || first == "END" || first == "ABORT" ||
                 two == "START TRANSACTION" || (first == "ROLLBACK" && two != "ROLLBACK TO");
  if (!control) return std::nullopt;
  return first == "START" ? two : first;
}

bool opens_transaction(std::string_view word) {
  return word == "BEGIN" || word == "START TRANSACTION";
}

// A large file read in one pass inside strata's transaction (see prepare()) met one.
[[noreturn]] void refuse_transaction_control(const std::string& file, int line, const std::string& word) {
  throw SourceError(file, line,
                    fmt::format("{} in a file over 1 MiB that strata runs in one pass inside its transaction; add "
                                "`-- +strata NO TRANSACTION` on the file's first line to manage transactions yourself",
                                word));
}

// The transaction statements of one script, seen one statement at a time.
class ControlScan {
 public:
  void see(const source::Statement& statement) {
    if (std::optional<std::string> word = transaction_control(statement)) {
      Found found{m_statements, statement.line, std::move(*word)};
      if (!m_first) m_first = found;
      m_last = std::move(found);
      ++m_count;
    }
    ++m_statements;
  }
  // Sets the step's own_transactions, open_first, commit_last, own_line and own_word. Only a
  // step that would otherwise run in strata's transaction can have a wrapper taken out.
  void decide(PreparedStep& step) const {
    if (!m_first) return;
    step.own_line = m_first->line;
    step.own_word = m_first->word;
    const bool wrapper = m_count == 2 && m_first->index == 0 && opens_transaction(m_first->word) &&
                         m_last->index + 1 == m_statements && (m_last->word == "COMMIT" || m_last->word == "END");
    if (wrapper && step.transaction) {
      step.own_transactions = OwnTransactions::wrapper;
      return;
    }
    step.own_transactions = OwnTransactions::managed;
    step.open_first = !opens_transaction(m_first->word);
    step.commit_last = opens_transaction(m_last->word);
  }

 private:
  struct Found {
    size_t index = 0;
    int line = 0;
    std::string word;
  };
  std::optional<Found> m_first, m_last;
  size_t m_count = 0;
  size_t m_statements = 0;
};

// Files up to this size keep their statements from prepare() to execute(), up to this total.
constexpr uintmax_t k_keep_file_bytes = 1024 * 1024;
constexpr uintmax_t k_keep_total_bytes = 1024 * 1024;

}  // namespace

std::optional<std::string> transaction_reason(const source::Script& script) {
  const std::optional<source::TransactionBlocker>& blocker = script.section.blocker;
  if (!blocker) return std::nullopt;
  return fmt::format("{}:{}: {} cannot run in a transaction", script.file, blocker->line, blocker->statement);
}

std::optional<std::string> transaction_warning(const source::Script& script) {
  const std::optional<source::TransactionBlocker>& blocker = script.section.blocker;
  if (!blocker || !blocker->mixed) return std::nullopt;
  return fmt::format(
      "{}, so the whole migration runs without one: if one of its statements fails, those before it stay applied and "
      "the database is left dirty (move the {} to a migration of its own, or add `-- +strata NO TRANSACTION` to the "
      "file to silence this warning)",
      *transaction_reason(script), blocker->statement);
}

std::vector<PreparedStep> prepare(const planner::Plan& plan, const source::Source& source, bool transactional_ddl,
                                  bool keep_statements) {
  std::vector<PreparedStep> prepared;
  prepared.reserve(plan.steps.size());
  uintmax_t kept_bytes = 0;
  for (size_t index = 0; index < plan.steps.size(); ++index) {
    const planner::Step& step = plan.steps[index];
    const source::Migration* migration = source.find(step.version);
    if (!migration) throw SourceError(fmt::format("no migration file for version {}", step.version));
    const bool up = step.direction == Direction::up;
    PreparedStep entry;
    entry.step = step;
    entry.migration = migration;
    entry.dialect = source.dialect();
    const source::MigrationFile* file = source::script_file(*migration, up);
    ControlScan control;

    std::error_code ec;
    uintmax_t size = 0;
    for (const source::MigrationFile* part : source::script_files(*migration, up)) {
      if (!ec) size += source::file_size(*part, ec);
    }
    const bool small = ec || (size <= k_keep_file_bytes && kept_bytes + size <= k_keep_total_bytes);
    if (file && !keep_statements && !small && index == 0 && transactional_ddl && migration->parts.empty() &&
        !source::may_leave_transaction(*file, source.dialect())) {
      // Read once, while it runs: see prepare()'s comment.
      entry.script.file = file->name;
      entry.streamed = true;
    } else if (file && !keep_statements && !small) {
      // Validated now by streaming through it, holding nothing; streamed again when it runs.
      size_t count = 0;
      entry.script = source::stream_script(*migration, up, source.dialect(), [&](source::Statement&& statement) {
        ++count;
        control.see(statement);
      });
      entry.streamed = !entry.script.file.empty();
      entry.statement_count = count;
    } else {
      entry.script = source::parse_script(*migration, up, source.dialect());
      entry.statement_count = entry.script.section.statements.size();
      for (const source::Statement& statement : entry.script.section.statements) control.see(statement);
      if (!ec) kept_bytes += size;
    }
    entry.transaction = transactional_ddl && entry.script.section.transaction;
    // MySQL runs every migration outside a transaction and sends such statements as written.
    if (transactional_ddl) control.decide(entry);
    if (entry.own_transactions == OwnTransactions::wrapper) {
      entry.statement_count -= 2;
      if (!entry.streamed) {
        auto& statements = entry.script.section.statements;
        statements.pop_back();
        statements.erase(statements.begin());
      }
    } else if (entry.own_transactions == OwnTransactions::managed) {
      entry.transaction = false;
    }
    prepared.push_back(std::move(entry));
  }
  return prepared;
}

namespace {

// Thrown inside a transaction to leave it (the Transaction guard rolls back) on a stop request.
struct StopRequested {};

// A statement of a step failed: where, and the database's error.
struct StatementFailure {
  size_t number = 0;  // 1-based within the step
  std::string file;   // the statement's file (a part's, for a version of several files)
  int line = 0;       // the file line of the error (see error_line)
  int first_line = 0;
  std::string sql;  // the statement's first line
  DriverError error;
};

std::string interrupted_between(int signal, size_t done, size_t total, std::optional<int64_t> version) {
  return fmt::format("interrupted by {} after {} of {} migration{}; database at version {}", signal_name(signal), done,
                     total, total == 1 ? "" : "s", version_text(version));
}

// Statements per batch of a step outside a transaction (see StatementBatcher).
constexpr size_t k_progress_batch = 1000;

// Collects a step's statements into batches (Driver::execute_batch) and runs them.
class StatementBatcher {
 public:
  // Called before each batch is sent: `first` is the 0-based number of its first statement.
  using BeforeBatch = std::function<void(size_t first, const std::vector<const source::Statement*>& batch)>;

  StatementBatcher(drivers::Driver& driver, const PreparedStep& prepared, const Progress& progress, RunControl* control,
                   bool cancellable, BeforeBatch before)
      : m_driver(driver),
        m_prepared(prepared),
        m_progress(progress),
        m_control(control),
        m_cancellable(cancellable),
        m_before(std::move(before)),
        // Outside a transaction a batch is also the unit of the `running` record and of stop
        // requests, even where the driver sends its statements one at a time.
        m_limit(cancellable ? std::max<size_t>(1, driver.batch_statements()) : k_progress_batch) {}

  // A statement that outlives the batcher (the step's own).
  void add(const source::Statement& statement) {
    const bool alone = begin_statement(statement);
    m_batch.push_back(&statement);
    end_statement(statement, alone);
  }
  // A statement read while streaming: held until its batch has run.
  void add(source::Statement&& statement) {
    const bool alone = begin_statement(statement);
    m_owned.push_back(std::move(statement));
    m_batch.push_back(&m_owned.back());
    end_statement(m_owned.back(), alone);
  }

  void flush() {
    if (m_batch.empty()) return;
    if (m_before) m_before(m_done, m_batch);
    if (m_progress.batch_started) m_progress.batch_started(m_prepared, m_batch);
    set_cancellable(m_cancellable);
    // A signal that came after the last check but before `cancellable` was set found nothing
    // to cancel: stop here instead of running the batch to its end.
    if (m_cancellable && stop_signal() != 0) {
      finished();
      throw StopRequested{};
    }
    m_sql.clear();
    for (const source::Statement* statement : m_batch) m_sql.emplace_back(statement->sql);
    try {
      m_driver.execute_batch(m_sql);
    } catch (const StatementFailed& error) {
      finished();
      throw failure(std::min(error.index(), m_batch.size() - 1), error);
    } catch (const DriverError& error) {
      finished();
      throw failure(0, error);
    }
    finished();
    m_done += m_batch.size();
    m_batch.clear();
    m_owned.clear();
    m_bytes = 0;
  }

  size_t done() const { return m_done; }
  int stop_signal() const { return m_control != nullptr ? m_control->signal.load() : 0; }

 private:
  void set_cancellable(bool value) {
    if (m_control != nullptr) m_control->cancellable.store(value);
  }
  void finished() {
    set_cancellable(false);
    if (m_progress.batch_finished) m_progress.batch_finished();
  }
  // Ends the batch before a statement that must go alone; returns whether it must.
  bool begin_statement(const source::Statement& statement) {
    pause_before(m_done + m_batch.size() + 1);
    const bool alone = m_limit > 1 && !m_driver.batchable(statement.sql);
    if (alone) flush();
    return alone;
  }
  void end_statement(const source::Statement& statement, bool alone) {
    m_bytes += statement.sql.size();
    if (alone || m_batch.size() >= m_limit || m_bytes >= drivers::Driver::k_batch_bytes) flush();
  }
  // The crash tests pause before statement n: the batch ends there.
  void pause_before(size_t number) {
    const auto version = static_cast<long long>(m_prepared.step.version);
    if (!pause_point_configured("statement", version, static_cast<long long>(number))) return;
    flush();
    pause_point("statement", version, static_cast<long long>(number));
  }
  StatementFailure failure(size_t index, const DriverError& error) const {
    const source::Statement& statement = *m_batch[index];
    return StatementFailure{m_done + index + 1,           m_prepared.script.file_of(statement),
                            error_line(statement, error), statement.line,
                            first_line(statement.sql),    error};
  }

  drivers::Driver& m_driver;
  const PreparedStep& m_prepared;
  const Progress& m_progress;
  RunControl* m_control;
  bool m_cancellable;
  BeforeBatch m_before;
  size_t m_limit;
  std::vector<const source::Statement*> m_batch;
  std::deque<source::Statement> m_owned;
  std::vector<std::string_view> m_sql;
  size_t m_bytes = 0;
  size_t m_done = 0;
};

// Feeds the step's statements to the batcher, from memory or by streaming the file again, and
// returns the checksum of what ran. `check` sees each statement first. Throws SourceError
// when a streamed file turns out malformed or different from when it was prepared.
std::string feed_statements(const PreparedStep& prepared, StatementBatcher& batcher,
                            const std::function<void(const source::Statement&)>& check) {
  if (!prepared.streamed) {
    for (const source::Statement& statement : prepared.script.section.statements) {
      if (check) check(statement);
      batcher.add(statement);
    }
    batcher.flush();
    return prepared.script.checksum;
  }
  // A wrapper's BEGIN and COMMIT (the first and the last statement) are not sent.
  const bool wrapper = prepared.own_transactions == OwnTransactions::wrapper;
  size_t index = 0;
  const source::Script streamed =
      source::stream_script(*prepared.migration, prepared.step.direction == Direction::up, prepared.dialect,
                            [&](source::Statement&& statement) {
                              const size_t number = index++;
                              if (wrapper && (number == 0 || number == prepared.statement_count + 1)) return;
                              if (check) check(statement);
                              batcher.add(std::move(statement));
                            });
  batcher.flush();
  if (!prepared.script.checksum.empty() && streamed.checksum != prepared.script.checksum) {
    throw SourceError(prepared.script.file, 0, "changed while strata was running it");
  }
  if (prepared.transaction && !streamed.section.transaction) {
    // A file read once (see prepare()) whose annotation the byte scan missed: the scan looks for
    // "transaction" in any case, which every annotation contains, so this is a safety net.
    throw SourceError(prepared.script.file, 0,
                      "asks for NO TRANSACTION after its statements had started in a transaction; put the "
                      "annotation on the file's first line");
  }
  return streamed.checksum;
}

}  // namespace

void execute(drivers::Driver& driver, tracker::Tracker& tracker, const std::vector<PreparedStep>& steps,
             const Progress& progress, std::vector<StepResult>& completed, RunControl* control) {
  auto stop_signal = [control] { return control != nullptr ? control->signal.load() : 0; };
  for (const PreparedStep& prepared : steps) {
    const planner::Step& step = prepared.step;
    if (int signal = stop_signal()) {
      throw Interrupted(interrupted_between(signal, completed.size(), steps.size(), step.version_before));
    }
    if (control != nullptr) control->outside_transaction.store(false);  // set once its first statement goes
    if (progress.started) progress.started(prepared);
    pause_point("start", step.version);
    auto started = std::chrono::steady_clock::now();
    const std::string label = prepared.migration->label();
    const auto direction = planner::direction_name(step.direction);
    auto rolled_back = [&](int signal) {
      return Interrupted(fmt::format("interrupted by {}: migration {} ({}) rolled back, database still at version {}",
                                     signal_name(signal), label, direction, version_text(step.version_before)));
    };

    auto not_started = [&](const DriverError& error) {
      return DriverError(fmt::format("migration {} ({}) could not start: {}; database still at version {}", label,
                                     direction, error.what(), version_text(step.version_before)),
                         error.sqlstate());
    };
    size_t ran = 0;  // statements sent
    if (prepared.transaction) {
      std::optional<Transaction> opened;
      try {
        opened.emplace(driver);
      } catch (const DriverError& error) {
        throw not_started(error);
      }
      try {
        Transaction& transaction = *opened;
        StatementBatcher batcher(driver, prepared, progress, control, true,
                                 [&](size_t, const std::vector<const source::Statement*>&) {
                                   if (stop_signal() != 0) throw StopRequested{};
                                 });
        std::function<void(const source::Statement&)> check;
        if (prepared.streamed && prepared.script.checksum.empty()) {
          // Read once: checked as it streams by (prepare() did not see it).
          check = [&](const source::Statement& statement) {
            if (std::optional<std::string> word = transaction_control(statement))
              refuse_transaction_control(prepared.script.file_of(statement), statement.line, *word);
          };
        }
        const std::string checksum = feed_statements(prepared, batcher, check);
        ran = batcher.done();
        if (stop_signal()) throw StopRequested{};
        pause_point("record", step.version);
        // The version row, the history row and the COMMIT: one round trip where the engine allows.
        transaction.commit_with(tracker.completion_statements(step.version_after, false,
                                                              history_entry(prepared, checksum, elapsed_ms(started))));
      } catch (const StopRequested&) {
        opened.reset();
        throw rolled_back(stop_signal());
      } catch (const StatementFailure& failure) {
        if (int signal = stop_signal()) throw rolled_back(signal);  // cancelled because of the signal
        throw DriverError(
            fmt::format("migration {} ({}) failed at {}:{}: {}; rolled back, database still at version {}", label,
                        direction, failure.file, failure.line, failure.error.what(), version_text(step.version_before)),
            failure.error.sqlstate());
      } catch (const SourceError& error) {
        throw SourceError(fmt::format("{}; migration {} ({}) rolled back, database still at version {}", error.what(),
                                      label, direction, version_text(step.version_before)));
      } catch (const DriverError& error) {
        if (int signal = stop_signal()) throw rolled_back(signal);
        throw DriverError(fmt::format("migration {} ({}) failed at the version-table update: {}; rolled back, "
                                      "database still at version {}",
                                      label, direction, error.what(), version_text(step.version_before)),
                          error.sqlstate());
      }
    } else {
      // golang-migrate's protocol: the target version is marked dirty while statements run,
      // and a `running` history row says which statements are being sent.
      std::optional<int64_t> dirty_version =
          step.direction == Direction::up ? std::optional<int64_t>(step.version) : step.version_after;
      std::optional<int64_t> running_id;
      // OwnTransactions::managed: whether a transaction the file (or strata, for open_first) opened
      // is open, since which statement, and what the control statement now being sent will change.
      bool own_open = false;
      size_t own_from = 0;
      std::optional<std::pair<bool, size_t>> control_effect;
      auto apply_control_effect = [&] {
        if (!control_effect) return;
        own_open = control_effect->first;
        own_from = control_effect->second;
        control_effect.reset();
      };
      auto base_detail = [&]() {
        return json{{"direction", direction},
                    {"file", prepared.script.file},
                    {"statements", prepared.statement_count},
                    {"before", optional_version(step.version_before)},
                    {"after", optional_version(step.version_after)}};
      };
      auto entry_with = [&](Outcome outcome, const json& detail) {
        tracker::HistoryEntry entry = history_entry(prepared, prepared.script.checksum, elapsed_ms(started));
        entry.outcome = outcome;
        entry.detail = detail.dump();
        return entry;
      };
      // Records where the step stopped and throws the runbook (DirtyError).
      auto leave_dirty = [&](json detail) {
        json full = base_detail();
        full.update(detail);
        if (own_open) {
          // The server keeps nothing of an unfinished transaction; say so, and leave none open.
          try {
            driver.execute("ROLLBACK");
          } catch (const DriverError&) {
          }
          own_open = false;
          full["rolled_back_from"] = own_from;
        }
        tracker::HistoryEntry failed = entry_with(Outcome::failed, full);
        DatabaseView view;
        view.state = tracker::VersionState{dirty_version, true};
        view.history.push_back(failed);
        try {
          if (running_id)
            tracker.update(*running_id, failed);
          else
            tracker.record(failed);
        } catch (const DriverError&) {
          // The failure itself is what the operator needs; the message below carries it.
        }
        throw dirty_error(view, source::Source({}, driver.dialect(), {}));
      };
      StatementBatcher batcher(
          driver, prepared, progress, control, false,
          [&](size_t first, const std::vector<const source::Statement*>& batch) {
            apply_control_effect();
            // Where the batch starts: the statement a stop or a failure before it is recorded at.
            const json next = {{"statement", first + 1},
                               {"file", prepared.script.file_of(*batch.front())},
                               {"line", batch.front()->line},
                               {"sql", first_line(batch.front()->sql)}};
            // Only between batches: statements outside a transaction are never cut short. Once
            // the step has started, only a second request stops it: the first lets it end.
            const bool stop_now = control != nullptr && (!running_id || control->presses.load() >= 2);
            if (int signal = stop_now ? stop_signal() : 0) {
              if (running_id) {
                json interrupted = {{"interrupted", signal_name(signal)}};
                interrupted.update(next);
                leave_dirty(interrupted);
              }
              throw Interrupted(interrupted_between(signal, completed.size(), steps.size(), step.version_before));
            }
            json detail = base_detail();
            detail.update(next);
            detail.update({{"through", first + batch.size()}, {"through_line", batch.back()->line}});
            // A transaction opened here: if the process dies inside it, the server rolls it back
            // together with every later `running` update, and this row is what remains.
            std::optional<std::string> own_word;
            if (prepared.own_transactions == OwnTransactions::managed && batch.size() == 1)
              own_word = transaction_control(*batch.front());
            if (own_word && opens_transaction(*own_word))
              detail["own_transaction"] = "file";
            else if (!running_id && prepared.open_first)
              detail["own_transaction"] = "strata";
            tracker::HistoryEntry running = entry_with(Outcome::running, detail);
            if (running_id) {
              try {
                tracker.update(*running_id, running);
              } catch (const DriverError& error) {  // e.g. the connection is gone: this batch never started
                json failed = {{"error", error.what()}};
                failed.update(next);
                leave_dirty(failed);
              }
            } else {
              try {
                running_id = tracker.start_running(dirty_version, running);
              } catch (const DriverError& error) {
                throw not_started(error);
              }
              // From here a first stop request lets the step finish (InterruptWatcher).
              if (control != nullptr) control->outside_transaction.store(true);
              if (prepared.open_first) {
                try {
                  driver.execute("BEGIN");
                } catch (const DriverError& error) {
                  json failed = {{"error", error.what()}};
                  failed.update(next);
                  leave_dirty(failed);
                }
                own_open = true;
                own_from = 1;
              }
            }
            if (own_word) control_effect.emplace(opens_transaction(*own_word), first + 1);
          });
      try {
        feed_statements(prepared, batcher, {});
        ran = batcher.done();
        apply_control_effect();
        if (own_open) {  // the file leaves a transaction open (its last one has no COMMIT)
          try {
            driver.execute("COMMIT");
            own_open = false;
          } catch (const DriverError& error) {
            leave_dirty({{"error", error.what()},
                         {"statement", batcher.done()},
                         {"line", 0},
                         {"sql", "COMMIT (strata's, of the transaction the file leaves open)"}});
          }
        }
      } catch (const StatementFailure& failure) {
        leave_dirty({{"error", failure.error.what()},
                     {"statement", failure.number},
                     {"file", failure.file},
                     {"line", failure.line},
                     {"sql", failure.sql}});
      } catch (const SourceError& error) {
        if (!running_id) throw;  // nothing ran
        leave_dirty({{"error", error.what()}, {"statement", batcher.done() + 1}, {"line", 0}, {"sql", ""}});
      }
      pause_point("record", step.version);
      // The version row and the history row in one transaction of their own (one round trip on
      // PostgreSQL and MySQL).
      try {
        driver.commit_with(tracker.completion_statements(
            step.version_after, false, history_entry(prepared, prepared.script.checksum, elapsed_ms(started)),
            running_id));
      } catch (const DriverError& error) {
        // Every statement ran; only the clean version is not on record, so the database stays dirty.
        throw DirtyError(fmt::format(
            "database is dirty at version {}: migration {} ({}) ran all its statements, but recording it failed: {}; "
            "its changes are all in place: run `strata force {}` once the database is reachable",
            version_text(dirty_version), label, direction, error.what(), version_text(step.version_after)));
      }
    }
    double duration = elapsed_ms(started);
    completed.push_back(StepResult{step.version, prepared.migration->name, step.direction, duration, ran,
                                   prepared.script.file.empty()});
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
