// execute(): runs prepared steps, each in strata's transaction (retried after a lock timeout)
// or outside one with golang-migrate's dirty protocol.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <variant>

#include "core/error.hpp"
#include "drivers/driver.hpp"
#include "runner/batcher.hpp"
#include "runner/pause_point.hpp"
#include "runner/runner.hpp"

namespace strata::runner {

using detail::first_line;
using detail::StatementBatcher;
using detail::StatementFailure;
using detail::StopRequested;
using tracker::Outcome;

namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

std::string seconds_text(std::chrono::milliseconds duration) {
  return fmt::format("{} s", static_cast<double>(duration.count()) / 1000.0);
}

// What every step of one execute() call shares.
struct Run {
  drivers::Driver& driver;
  tracker::Tracker& tracker;
  const std::vector<PreparedStep>& steps;
  const Progress& progress;
  std::vector<StepResult>& completed;
  RunControl* control;
  const ExecuteOptions& options;

  int stop_signal() const { return control != nullptr ? control->signal.load() : 0; }

  // "interrupted by SIGTERM after 1 of 3 migrations; database at version 1"
  Interrupted interrupted_between(int signal, std::optional<int64_t> version) const {
    const size_t total = steps.size();
    return Interrupted(fmt::format("interrupted by {} after {} of {} migration{}; database at version {}",
                                   signal_name(signal), completed.size(), total, total == 1 ? "" : "s",
                                   version_text(version)));
  }

  // What a lock-timeout message adds: the setting that ran out.
  std::string lock_timeout_note() const {
    return fmt::format("it waited longer than {} ({}) for a lock that another session holds",
                       options.statement_lock_timeout_name,
                       options.statement_lock_timeout ? seconds_text(*options.statement_lock_timeout)
                                                      : std::string("the database's own lock timeout"));
  }
};

// How one step is named in messages, and the history rows it writes.
struct StepFacts {
  const PreparedStep& prepared;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  const planner::Step& step() const { return prepared.step; }
  std::string label() const { return prepared.migration->label(); }
  std::string_view direction() const { return direction_name(prepared.step.direction); }
  // "migration 2_b (up)"
  std::string migration() const { return fmt::format("migration {} ({})", label(), direction()); }
  std::string still_at() const {
    return fmt::format("database still at version {}", version_text(prepared.step.version_before));
  }
  Interrupted rolled_back(int signal) const {
    return Interrupted(
        fmt::format("interrupted by {}: {} rolled back, {}", signal_name(signal), migration(), still_at()));
  }
  DriverError not_started(const DriverError& error) const {
    return DriverError(fmt::format("{} could not start: {}; {}", migration(), error.what(), still_at()),
                       error.sqlstate());
  }
  tracker::HistoryEntry entry(Outcome outcome, const std::string& checksum) const {
    tracker::HistoryEntry entry;
    entry.version = prepared.step.version;
    entry.name = prepared.migration->name;
    entry.direction = prepared.step.direction;
    entry.checksum = checksum;
    entry.duration_ms = elapsed_ms(started);
    entry.outcome = outcome;
    return entry;
  }
  Outcome done_outcome() const {
    return prepared.step.direction == Direction::up ? Outcome::applied : Outcome::reverted;
  }
};

// ------------------------------------------------------------------ in strata's transaction

// Why an attempt of a transactional step ended without committing (its transaction is rolled
// back by then).
struct Abort {
  enum class Kind { not_started, statement, bookkeeping } kind;
  DriverError error;
  std::string where;  // "file:line" of a failing statement
};

// One attempt: BEGIN, the statements, the version row, the history row and the COMMIT. Returns
// the number of statements that ran, or why it did not commit. Throws StopRequested and SourceError.
std::variant<size_t, Abort> attempt_in_transaction(Run& run, const StepFacts& facts) {
  const PreparedStep& prepared = facts.prepared;
  std::optional<drivers::Transaction> transaction;
  try {
    transaction.emplace(run.driver);
  } catch (const DriverError& error) {
    return Abort{Abort::Kind::not_started, error, {}};
  }
  StatementBatcher batcher(run.driver, prepared, run.progress, run.control, true,
                           [&](size_t, const std::vector<const source::Statement*>&) {
                             if (run.stop_signal() != 0) throw StopRequested{};
                           });
  std::function<void(const source::Statement&)> check;
  if (prepared.streamed && prepared.script.checksum.empty()) {
    // Read once: checked as it streams by (prepare() did not see it).
    check = [&](const source::Statement& statement) {
      if (std::optional<std::string> word = detail::transaction_control(statement))
        detail::refuse_transaction_control(prepared.script.file_of(statement), statement.line, *word);
    };
  }
  try {
    const std::string checksum = detail::feed_statements(prepared, batcher, check);
    if (run.stop_signal() != 0) throw StopRequested{};
    pause_point("record", facts.step().version);
    run.tracker.commit_step(*transaction, facts.step().version_after, facts.entry(facts.done_outcome(), checksum));
  } catch (const StatementFailure& failure) {
    return Abort{Abort::Kind::statement, failure.error, fmt::format("{}:{}", failure.file, failure.line)};
  } catch (const DriverError& error) {
    return Abort{Abort::Kind::bookkeeping, error, {}};
  }
  return batcher.done();
}

// The error that ends a transactional step for good.
[[noreturn]] void fail_in_transaction(const Run& run, const StepFacts& facts, const Abort& abort, int attempts) {
  if (int signal = run.stop_signal()) throw facts.rolled_back(signal);  // cancelled because of the signal
  std::string why = abort.error.what();
  if (run.driver.is_lock_timeout(abort.error)) {
    why += fmt::format(": {} ({} attempt{}, {} {})", run.lock_timeout_note(), attempts, attempts == 1 ? "" : "s",
                       run.options.retries_name, run.options.retries);
  }
  switch (abort.kind) {
    case Abort::Kind::not_started:
      throw DriverError(fmt::format("{} could not start: {}; {}", facts.migration(), why, facts.still_at()),
                        abort.error.sqlstate());
    case Abort::Kind::statement:
      throw DriverError(
          fmt::format("{} failed at {}: {}; rolled back, {}", facts.migration(), abort.where, why, facts.still_at()),
          abort.error.sqlstate());
    case Abort::Kind::bookkeeping: break;
  }
  throw DriverError(fmt::format("{} failed at the version-table update: {}; rolled back, {}", facts.migration(), why,
                                facts.still_at()),
                    abort.error.sqlstate());
}

// Waits before the next attempt; false when a stop request came meanwhile.
bool wait_before_retry(const Run& run, std::chrono::milliseconds delay) {
  if (run.options.sleep) {
    run.options.sleep(delay);
    return run.stop_signal() == 0;
  }
  const auto until = std::chrono::steady_clock::now() + delay;
  while (run.stop_signal() == 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50), until - now));
  }
  return false;
}

double jitter() {
  static thread_local std::mt19937 random{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.5, 1.5)(random);
}

// A transactional step: attempts until one commits, retrying (rolled back, after a growing
// delay) those that fail on the statement lock timeout, up to options.retries times.
StepResult run_in_transaction(Run& run, const PreparedStep& prepared) {
  StepFacts facts{prepared};
  const int attempts = run.options.retries + 1;
  for (int attempt = 1;; ++attempt) {
    std::variant<size_t, Abort> outcome;
    try {
      outcome = attempt_in_transaction(run, facts);
    } catch (const StopRequested&) {
      throw facts.rolled_back(run.stop_signal());
    } catch (const SourceError& error) {
      throw SourceError(fmt::format("{}; {} rolled back, {}", error.what(), facts.migration(), facts.still_at()));
    }
    if (const size_t* ran = std::get_if<size_t>(&outcome)) {
      return StepResult{prepared.step.version,
                        prepared.migration->name,
                        prepared.step.direction,
                        elapsed_ms(facts.started),
                        *ran,
                        prepared.script.file.empty(),
                        attempt};
    }
    const Abort& abort = std::get<Abort>(outcome);
    if (attempt >= attempts || run.stop_signal() != 0 || !run.driver.is_lock_timeout(abort.error))
      fail_in_transaction(run, facts, abort, attempt);
    Retry retry;
    retry.attempt = attempt;
    retry.attempts = attempts;
    retry.where = abort.kind == Abort::Kind::statement ? abort.where
                  : abort.kind == Abort::Kind::not_started
                      ? fmt::format("{} (BEGIN)", prepared.script.file)
                      : fmt::format("{} (the version-table update)", prepared.script.file);
    retry.error = abort.error.what();
    retry.delay = retry_delay(run.options, attempt, jitter());
    if (run.progress.retrying) run.progress.retrying(prepared, retry);
    if (!wait_before_retry(run, retry.delay)) throw facts.rolled_back(run.stop_signal());
  }
}

// ------------------------------------------------------------------ outside a transaction

// A step outside strata's transaction, with golang-migrate's protocol: the target version is
// marked dirty while statements run, and a `running` history row says which statements are
// being sent (so that a killed process leaves that behind).
class OutsideTransaction {
 public:
  OutsideTransaction(Run& run, const PreparedStep& prepared)
      : m_run(run),
        m_facts{prepared},
        m_dirty_version(prepared.step.direction == Direction::up ? std::optional<int64_t>(prepared.step.version)
                                                                 : prepared.step.version_after) {}

  StepResult run() {
    const PreparedStep& prepared = m_facts.prepared;
    StatementBatcher batcher(
        m_run.driver, prepared, m_run.progress, m_run.control, false,
        [&](size_t first, const std::vector<const source::Statement*>& batch) { before_batch(first, batch); });
    try {
      detail::feed_statements(prepared, batcher, {});
      apply_control_effect();
      if (m_own_open) commit_left_open(batcher.done());
    } catch (const StatementFailure& failure) {
      tracker::StepDetail at = at_statement(failure.number, failure.file, failure.line, failure.sql);
      at.error = failure.error.what();
      if (m_run.driver.is_lock_timeout(failure.error))
        at.error += fmt::format(" ({}; a migration outside a transaction is not retried)", m_run.lock_timeout_note());
      leave_dirty(std::move(at));
    } catch (const SourceError& error) {
      if (!m_running_id) throw;  // nothing ran
      tracker::StepDetail at = at_statement(batcher.done() + 1, prepared.script.file, 0, "");
      at.error = error.what();
      leave_dirty(std::move(at));
    }
    pause_point("record", prepared.step.version);
    finish();
    return StepResult{prepared.step.version,
                      prepared.migration->name,
                      prepared.step.direction,
                      elapsed_ms(m_facts.started),
                      batcher.done(),
                      prepared.script.file.empty(),
                      1};
  }

 private:
  // The step's detail at statement `number` (1-based).
  tracker::StepDetail at_statement(size_t number, const std::string& file, int line, std::string sql) const {
    const PreparedStep& prepared = m_facts.prepared;
    tracker::StepDetail detail;
    detail.direction = prepared.step.direction;
    detail.file = file;
    detail.statements = static_cast<int64_t>(prepared.statement_count);
    detail.before = prepared.step.version_before;
    detail.after = prepared.step.version_after;
    detail.statement = static_cast<int64_t>(number);
    detail.line = line;
    detail.sql = std::move(sql);
    return detail;
  }

  // Before each batch: a stop request is honoured, the `running` row says what is sent next.
  void before_batch(size_t first, const std::vector<const source::Statement*>& batch) {
    apply_control_effect();
    const PreparedStep& prepared = m_facts.prepared;
    tracker::StepDetail next = at_statement(first + 1, prepared.script.file_of(*batch.front()), batch.front()->line,
                                            first_line(batch.front()->sql));
    stop_if_requested(next);
    tracker::StepDetail running = next;
    running.through = static_cast<int64_t>(first + batch.size());
    running.through_line = batch.back()->line;
    // A transaction opened here: if the process dies inside it, the server rolls it back
    // together with every later `running` update, and this row is what remains.
    std::optional<std::string> own_word;
    if (prepared.own_transactions == OwnTransactions::managed && batch.size() == 1)
      own_word = detail::transaction_control(*batch.front());
    if (own_word && detail::opens_transaction(*own_word))
      running.own_transaction = "file";
    else if (!m_running_id && prepared.open_first)
      running.own_transaction = "strata";
    tracker::HistoryEntry entry = m_facts.entry(Outcome::running, prepared.script.checksum);
    entry.detail = running;
    if (m_running_id) {
      try {
        m_run.tracker.update_running(*m_running_id, entry);
      } catch (const DriverError& error) {  // e.g. the connection is gone: this batch never started
        next.error = error.what();
        leave_dirty(std::move(next));
      }
    } else {
      start(entry, next);
    }
    if (own_word) m_control_effect.emplace(detail::opens_transaction(*own_word), first + 1);
  }

  // Only between batches: statements outside a transaction are never cut short. Once the step
  // has started, only a second request stops it: the first lets it end.
  void stop_if_requested(const tracker::StepDetail& next) {
    RunControl* control = m_run.control;
    const bool stop_now = control != nullptr && (!m_running_id || control->presses.load() >= 2);
    const int signal = stop_now ? m_run.stop_signal() : 0;
    if (signal == 0) return;
    if (m_running_id) {
      tracker::StepDetail interrupted = next;
      interrupted.interrupted = signal_name(signal);
      leave_dirty(std::move(interrupted));
    }
    throw m_run.interrupted_between(signal, m_facts.step().version_before);
  }

  // The dirty mark and the first `running` row; then the transaction strata opens for a file
  // whose first transaction statement ends one (open_first).
  void start(const tracker::HistoryEntry& running, tracker::StepDetail next) {
    try {
      m_running_id = m_run.tracker.start_running(m_dirty_version, running);
    } catch (const DriverError& error) {
      throw m_facts.not_started(error);
    }
    // From here a first stop request lets the step finish (InterruptWatcher).
    if (m_run.control != nullptr) m_run.control->outside_transaction.store(true);
    if (!m_facts.prepared.open_first) return;
    try {
      m_run.driver.execute("BEGIN");
    } catch (const DriverError& error) {
      next.error = error.what();
      leave_dirty(std::move(next));
    }
    m_own_open = true;
    m_own_from = 1;
  }

  // OwnTransactions::managed: a control statement that ran changes whether a transaction of the
  // file's is open.
  void apply_control_effect() {
    if (!m_control_effect) return;
    m_own_open = m_control_effect->first;
    m_own_from = m_control_effect->second;
    m_control_effect.reset();
  }

  // The file leaves a transaction open (its last one has no COMMIT): strata commits it.
  void commit_left_open(size_t done) {
    try {
      m_run.driver.execute("COMMIT");
      m_own_open = false;
    } catch (const DriverError& error) {
      tracker::StepDetail at = at_statement(done, m_facts.prepared.script.file, 0,
                                            "COMMIT (strata's, of the transaction the file leaves open)");
      at.error = error.what();
      leave_dirty(std::move(at));
    }
  }

  // Records where the step stopped and throws the runbook (DirtyError).
  [[noreturn]] void leave_dirty(tracker::StepDetail at) {
    if (m_own_open) {
      // The server keeps nothing of an unfinished transaction; say so, and leave none open.
      try {
        m_run.driver.execute("ROLLBACK");
      } catch (const DriverError&) {
      }
      m_own_open = false;
      at.rolled_back_from = static_cast<int64_t>(m_own_from);
    }
    at.through = 0;
    at.through_line = 0;
    at.own_transaction.clear();
    tracker::HistoryEntry failed = m_facts.entry(Outcome::failed, m_facts.prepared.script.checksum);
    failed.detail = std::move(at);
    DatabaseView view;
    view.state = tracker::VersionState{m_dirty_version, true};
    view.history.push_back(failed);
    try {
      m_run.tracker.record_failure(m_running_id, failed);
    } catch (const DriverError&) {
      // The failure itself is what the operator needs; the message below carries it.
    }
    throw dirty_error(view, source::Source({}, m_run.driver.dialect(), {}));
  }

  // The version row (clean) and the history row in one transaction of their own.
  void finish() {
    const PreparedStep& prepared = m_facts.prepared;
    const tracker::HistoryEntry done = m_facts.entry(m_facts.done_outcome(), prepared.script.checksum);
    try {
      m_run.tracker.finish(m_running_id, prepared.step.version_after, done);
    } catch (const DriverError& error) {
      // Every statement ran; only the clean version is not on record, so the database stays dirty.
      throw DirtyError(fmt::format(
          "database is dirty at version {}: {} ran all its statements, but recording it failed: {}; its changes are "
          "all in place: run `strata force {}` once the database is reachable",
          version_text(m_dirty_version), m_facts.migration(), error.what(), version_text(prepared.step.version_after)));
    }
  }

  Run& m_run;
  StepFacts m_facts;
  std::optional<int64_t> m_dirty_version;
  std::optional<int64_t> m_running_id;
  // OwnTransactions::managed: whether a transaction the file (or strata, for open_first) opened
  // is open, since which statement, and what the control statement now being sent will change.
  bool m_own_open = false;
  size_t m_own_from = 0;
  std::optional<std::pair<bool, size_t>> m_control_effect;
};

}  // namespace

std::chrono::milliseconds retry_delay(const ExecuteOptions& options, int retry, double jitter) {
  const double base = static_cast<double>(options.retry_delay.count()) * std::pow(2.0, std::max(0, retry - 1));
  const double capped = std::min(base, static_cast<double>(k_max_retry_delay.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(capped * std::clamp(jitter, 0.5, 1.5))));
}

void execute(drivers::Driver& driver, tracker::Tracker& tracker, const std::vector<PreparedStep>& steps,
             const Progress& progress, std::vector<StepResult>& completed, RunControl* control,
             const ExecuteOptions& options) {
  Run run{driver, tracker, steps, progress, completed, control, options};
  if (options.statement_lock_timeout) driver.set_statement_lock_timeout(options.statement_lock_timeout);
  for (const PreparedStep& prepared : steps) {
    if (int signal = run.stop_signal()) throw run.interrupted_between(signal, prepared.step.version_before);
    if (control != nullptr) control->outside_transaction.store(false);  // set once its first statement goes
    if (progress.started) progress.started(prepared);
    pause_point("start", prepared.step.version);
    StepResult result =
        prepared.transaction ? run_in_transaction(run, prepared) : OutsideTransaction(run, prepared).run();
    completed.push_back(result);
    if (progress.finished) progress.finished(prepared, result.duration_ms);
  }
}

}  // namespace strata::runner
