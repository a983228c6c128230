#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "planner/planner.hpp"
#include "runner/interrupt.hpp"
#include "source/loader.hpp"
#include "tracker/tracker.hpp"

namespace strata::drivers {
class Driver;
}

namespace strata::source {
class ChecksumPrefetch;
}

namespace strata::runner {

// Everything the database says about migrations, read once per command.
struct DatabaseView {
  tracker::VersionState state;
  std::vector<tracker::HistoryEntry> history;
  planner::AppliedSet applied;
  // Set when strata's tables record nothing and another tool's table was read instead; the
  // state and history are then what importing it would record.
  std::optional<tracker::ForeignState> foreign;
};

// Reads the version row and history (creating nothing) and replays them over the source; when
// strata's tables record nothing, reads another tool's table instead (see import.hpp).
DatabaseView read_view(tracker::Tracker& tracker, const source::Source& source);

// The planner's inputs for this source and database.
planner::Inputs plan_inputs(const source::Source& source, const DatabaseView& view, bool allow_out_of_order);

// An applied migration whose file changed since it ran.
struct Drift {
  int64_t version = 0;
  std::string file;  // the file, or a version's parts as "1-a.sql, 1_b.sql"
  std::string stored_checksum;
  std::string current_checksum;
  size_t files = 1;  // how many files `file` names
};
// Compares the checksum recorded by the last `applied` row of each applied version with its
// file today. Throws SourceError when a file cannot be read.
// `prefetched`, when given, supplies the checksums (source/checksum_prefetch.hpp).
std::vector<Drift> find_drift(const source::Source& source, const DatabaseView& view,
                              source::ChecksumPrefetch* prefetched = nullptr);
// "0002_x.up.sql was edited after it was applied (stored checksum …, current …)"
std::string drift_message(const Drift& drift);

// The operator's runbook for a dirty database: which migration, which statement, the
// database's error, and the two `strata force` commands with when to use each. One line.
std::string dirty_message(const DatabaseView& view, const source::Source& source);
// The facts behind dirty_message(), and the message made from them.
Runbook dirty_runbook(const DatabaseView& view, const source::Source& source);
std::string runbook_message(const Runbook& runbook);
// A step the history shows under way whose process still holds the migration lock is running
// now, not interrupted: turns an `unfinished` runbook into `running`, naming the holder. For the
// commands that do not take the lock (status, version). Leaves it as it is when the engine
// cannot tell.
void mark_running(Runbook& runbook, drivers::Driver& driver, const TableName& table);
// DirtyError (exit 3) with dirty_message() and its runbook.
DirtyError dirty_error(const DatabaseView& view, const source::Source& source);

// What a migration does with transaction statements of its own (BEGIN, COMMIT, ROLLBACK, END,
// START TRANSACTION, ABORT; savepoints do not count) on an engine with transactional DDL.
enum class OwnTransactions {
  none,
  // One BEGIN as the first statement and one COMMIT as the last: those two are not sent, and the
  // migration runs in strata's transaction like any other (golang-migrate users write them, as
  // golang-migrate runs no transaction of its own).
  wrapper,
  // Any other use (sql-migrate's `COMMIT; CREATE INDEX CONCURRENTLY …; BEGIN;`, SQLite's
  // `PRAGMA foreign_keys=off; BEGIN; …; COMMIT;`): the file manages its transactions. It runs
  // outside strata's transaction with the dirty protocol, and its statements are sent as written.
  managed,
};

// Why a script runs outside a transaction although no annotation asked for that:
// "0005_idx.up.sql:3: CREATE INDEX CONCURRENTLY cannot run in a transaction"; nullopt when it
// runs in one, or outside one because of an annotation.
std::optional<std::string> transaction_reason(const source::Script& script);

// The warning for a script that runs outside a transaction because of one of its statements
// while others could have run in one (TransactionBlocker::mixed): it names the statement and
// what running without a transaction means when a statement fails. nullopt otherwise.
std::optional<std::string> transaction_warning(const source::Script& script);

// A plan step with its migration and the script it would run.
struct PreparedStep {
  planner::Step step;
  const source::Migration* migration = nullptr;
  Dialect dialect = Dialect::sqlite;
  source::Script script;    // its statements are empty when `streamed`
  bool transaction = true;  // runs in one transaction with its version writes
  // The file is large: its statements are not held in memory but read and split again, in
  // chunks, while they run (docs/performance.md).
  bool streamed = false;
  // How many statements the script has; 0 when only running it will tell (see prepare()).
  size_t statement_count = 0;
  OwnTransactions own_transactions = OwnTransactions::none;
  // managed: the file's first transaction statement ends a transaction it expects its runner to
  // have opened (sql-migrate runs every file in one), so strata opens one before the first
  // statement; a transaction the file leaves open is committed after the last one.
  bool open_first = false;
  bool commit_last = false;
  // wrapper and managed: where the file's first transaction statement is, for messages.
  int own_line = 0;
  std::string own_word;
};

// Reads and splits every file the plan needs before anything runs, so a malformed file stops
// the run with nothing changed, and decides how each runs (transaction, OwnTransactions). `transactional_ddl` is the
// driver's capability. Small files keep their statements; large ones (over 1 MiB, or once 1 MiB of files is held) are
// validated by streaming through them and are streamed again when they run, so memory stays bounded. The one exception:
// a large first step that will run in a transaction and has no transaction annotation is not read twice, since a
// problem found while it runs rolls back to exactly the state a refusal would have left. `keep_statements` holds every
// statement (dry runs print them).
std::vector<PreparedStep> prepare(const planner::Plan& plan, const source::Source& source, bool transactional_ddl,
                                  bool keep_statements = false);

struct StepResult {
  int64_t version = 0;
  std::string name;
  Direction direction = Direction::up;
  double duration_ms = 0;
  size_t statements = 0;  // how many statements ran
  bool no_file = false;   // a down without a down migration: nothing was reverted, only the version moved
  int attempts = 1;       // more than 1 when it was rolled back after a lock timeout and retried
};

// A transactional step that waited longer than the statement lock timeout for a lock, was
// rolled back and will run again after `delay` (Progress::retrying).
struct Retry {
  int attempt = 0;    // the attempt that timed out (1-based)
  int attempts = 0;   // how many are allowed in all (--retries + 1)
  std::string where;  // "0002_x.up.sql:3" (the statement that waited), or what strata was doing
  std::string error;  // the database's message
  std::chrono::milliseconds delay{0};
};

// Callbacks for progress reporting while steps run.
struct Progress {
  std::function<void(const PreparedStep&)> started;
  std::function<void(const PreparedStep&, double duration_ms)> finished;
  // Around each batch of statements sent to the database together (see Driver::execute_batch;
  // one statement at a time on SQLite), e.g. for -v and an elapsed-time display.
  std::function<void(const PreparedStep&, const std::vector<const source::Statement*>& batch)> batch_started;
  std::function<void()> batch_finished;
  // A transactional step was rolled back after a lock timeout and is about to be retried.
  std::function<void(const PreparedStep&, const Retry&)> retrying;
};

// How execute() protects the tables a migration locks (docs/operations.md#lock-queues).
struct ExecuteOptions {
  // How long a migration statement may wait for a lock (Driver::set_statement_lock_timeout,
  // applied before the first step); nullopt: the driver's setting is left as it is (as opened:
  // the database's own).
  std::optional<std::chrono::milliseconds> statement_lock_timeout;
  // How often a transactional step that failed on that timeout is rolled back and run again.
  int retries = 0;
  // How the error messages name these two settings: the CLI's flags, or the library's Options.
  std::string statement_lock_timeout_name = "--statement-lock-timeout";
  std::string retries_name = "--retries";
  // The first wait before a retry; each later one doubles, up to k_max_retry_delay, and each is
  // drawn at random between half and one and a half times that (jitter).
  std::chrono::milliseconds retry_delay{1000};
  // How execute() waits between attempts (tests inject one that records the delays); it
  // returns early, and execute() stops, on a stop request. Default: sleeps, polling `control`.
  std::function<void(std::chrono::milliseconds)> sleep;
};
constexpr std::chrono::milliseconds k_max_retry_delay{30000};

// The wait before retry number `retry` (1-based): retry_delay · 2^(retry-1), at most
// k_max_retry_delay, times `jitter` (in [0.5, 1.5]).
std::chrono::milliseconds retry_delay(const ExecuteOptions& options, int retry, double jitter);

// Runs prepared steps in order, sending consecutive statements in batches where the driver
// takes them. A transactional step runs with its version-row and history writes in one
// transaction; on failure it is rolled back and DriverError (exit 1) names file:line. A
// non-transactional step sets the version dirty first and keeps a `running` history row saying
// which statements are being sent (so a killed process leaves that behind); on failure it
// records the failing statement and throws DirtyError (exit 3) with the runbook message.
// `completed` receives each finished step (so a caller can report partial progress).
//
// With `control`, a stop request (Ctrl-C/SIGTERM) is honoured at safe points: a transactional
// step is rolled back (its running statement may be cancelled; control->cancellable says when),
// a non-transactional one stops after its current batch and is recorded as interrupted
// (DirtyError), and no further step starts. An interrupted run throws Interrupted (exit 1)
// saying where the database stands.
//
// With options.statement_lock_timeout, every statement waits at most that long for a lock; a
// transactional step that fails on it is rolled back and, up to options.retries times, run
// again after a growing delay (Progress::retrying); a step outside a transaction that fails on
// it is left dirty like any failure (its runbook names the setting).
void execute(drivers::Driver& driver, tracker::Tracker& tracker, const std::vector<PreparedStep>& steps,
             const Progress& progress, std::vector<StepResult>& completed, RunControl* control = nullptr,
             const ExecuteOptions& options = {});

// Holds the driver's migration lock for a scope; releases it on destruction, never throws.
class LockGuard {
 public:
  LockGuard(drivers::Driver& driver, const TableName& table, std::chrono::milliseconds timeout);
  ~LockGuard();
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  drivers::Driver& m_driver;
};

// "3" or "none".
std::string version_text(std::optional<int64_t> version);

}  // namespace strata::runner
