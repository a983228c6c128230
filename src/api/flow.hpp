#pragma once

// The commands' flow, shared by the library (strata::Migrator) and the CLI: lock with holder
// lookup, import of another tool's table, read view, dirty gate, drift check, plan, prepare,
// execute, force, status. Callers say what to print through an Observer; nothing here prints.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/database_url.hpp"
#include "core/dialect.hpp"
#include "drivers/driver.hpp"
#include "planner/planner.hpp"
#include "runner/interrupt.hpp"
#include "runner/runner.hpp"
#include "runner/status.hpp"
#include "source/loader.hpp"
#include "tracker/tracker.hpp"

namespace strata {
struct EmbeddedMigrations;
}

namespace strata::api {

// A SQLite connection a caller keeps between commands (the library): opening one makes SQLite
// parse the database's schema again, most of a no-op `up` over many migrations. It holds at most
// one idle connection, opened for writing, to a file that still is the one it was opened on;
// one user at a time (a Migrator is used by one thread at a time).
class ConnectionCache {
 public:
  ConnectionCache();
  ~ConnectionCache();
  ConnectionCache(const ConnectionCache&) = delete;
  ConnectionCache& operator=(const ConnectionCache&) = delete;

  // The idle connection to the SQLite file `path`, if there is one and the file at `path` is still
  // the one it was opened on (not removed or replaced); nullptr otherwise.
  std::unique_ptr<drivers::Driver> take(const std::string& path);
  // Keeps `driver` (connected to the SQLite file `path`, no transaction open, no lock held) for the
  // next command; drops it when `path` is not a file (":memory:").
  void put(std::unique_ptr<drivers::Driver> driver, const std::string& path);

 private:
  std::unique_ptr<drivers::Driver> m_idle;
  unsigned long long m_device = 0;
  unsigned long long m_inode = 0;
};

// What one command needs to know about the database and the run.
struct Settings {
  std::optional<DatabaseUrl> database;  // nullopt: an offline dry run, as if the database were empty
  Dialect dialect = Dialect::sqlite;    // the database's, or --dialect for an offline dry run
  TableName table;
  std::chrono::milliseconds lock_timeout{15000};
  bool allow_out_of_order = false;
  // How long a migration statement may wait for a lock on a table or row (--statement-lock-timeout;
  // nullopt: the database's own setting), and how often a transactional migration that gave up
  // waiting is rolled back and run again (--retries); runner::ExecuteOptions.
  std::optional<std::chrono::milliseconds> statement_lock_timeout;
  int retries = 0;
  // How messages name those two settings (runner::ExecuteOptions): the CLI's flags by default.
  std::string statement_lock_timeout_name = "--statement-lock-timeout";
  std::string retries_name = "--retries";
  // SQLite: where a command that succeeded leaves its connection for the next one (nullptr: every
  // command opens its own and closes it, as the CLI's one command does).
  ConnectionCache* connections = nullptr;
  // Read the applied files' checksums on a second thread while the database is opened
  // (source::ChecksumPrefetch): the CLI, whose one command reads every file once. A Migrator
  // keeps a memo of them instead (source::ChecksumMemo).
  bool prefetch_checksums = false;
};

// Where the migrations are: a directory, or a compiled-in set.
struct SourceSpec {
  std::string directory;
  const EmbeddedMigrations* embedded = nullptr;
};

// What a command tells its caller while it runs (on the thread that runs it). Lines are the ones
// the CLI prints; the defaults ignore them.
class Observer {
 public:
  virtual ~Observer() = default;
  // "strata: warning: <line>" in the CLI.
  virtual void warning(const std::string& line);
  // A progress line (stderr in the CLI).
  virtual void notice(const std::string& line);
  // Another tool's table was read (read-only) or imported (under the lock); notice() by default.
  virtual void reading_foreign(const std::string& line);
  virtual void imported(const std::string& line);
  // The lock was not free at once: `holder` when the database can tell who holds it (then
  // `line` names it), before waiting up to the lock timeout.
  virtual void lock_waiting(const std::optional<std::string>& holder, const std::string& line);
  // The lock is taken; `waited` after lock_waiting().
  virtual void lock_acquired(bool waited);
  // Right before the steps run: the progress callbacks for them.
  virtual runner::Progress progress(const std::vector<runner::PreparedStep>& steps);
  // A transactional migration gave up waiting for a lock (the statement lock timeout), was rolled
  // back and runs again after retry.delay; `line` says so (retry_line). Called unless progress()
  // set Progress::retrying itself; notice(line) by default.
  virtual void retrying(const runner::PreparedStep& step, const runner::Retry& retry, const std::string& line);
};

// The progress line for a retry: "      0002_x.up.sql:3 waited more than 2 s for a lock (…): rolled back;
// attempt 2 of 4 in 1.0 s".
std::string retry_line(const runner::Retry& retry, std::optional<std::chrono::milliseconds> statement_lock_timeout);

// Stop requests for a run: signals (the CLI's InterruptWatcher writes control() itself) or
// Migrator::request_stop(). Thread-safe.
class StopControl {
 public:
  // `before_migrating`: a request made before the first migration starts ends the command with
  // Interrupted at the next safe point (the library). The CLI ends the process itself then.
  explicit StopControl(bool before_migrating) : m_before_migrating(before_migrating) {}

  runner::RunControl& control() { return m_control; }
  bool honours_before_migrating() const { return m_before_migrating; }
  bool requested() const { return m_control.signal.load() != 0; }
  // Counts a request, records the first (signal: runner::k_stop_request for the library), then
  // acts on it as requested_now() does.
  void request(int signal) noexcept;
  // After a request was counted in control(): the first cancels a statement running inside a
  // transaction (it is then rolled back).
  void requested_now(int presses) noexcept;
  void clear() noexcept;
  // The connection whose statement a request may cancel; nullptr when none. Waits for a cancel
  // under way, so the connection can be closed once this returned nullptr.
  void set_driver(drivers::Driver* driver) noexcept;
  // Throws Interrupted when a request is pending and this control honours it before migrating.
  void check_before_migrating(const std::string& where) const;

 private:
  runner::RunControl m_control;
  std::mutex m_driver_mutex;
  drivers::Driver* m_driver = nullptr;
  bool m_before_migrating;
};

// Lists the source for `dialect` (a directory, or the compiled-in set) and reports names that look
// like migrations but are not read as warnings.
source::Source load_source(const SourceSpec& spec, Dialect dialect, Observer& observer);

// --------------------------------------------------------------- up / down / goto / redo

// What the command does about applied files edited since they ran.
enum class DriftCheck {
  refuse,      // SourceError, exit 4 (up, goto)
  ignore,      // down: reverting uses the down files
  redo_latest  // redo: the migration it re-runs may have been edited (the edit loop); others refuse
};

struct MigrateCommand {
  std::function<planner::Plan(const planner::Inputs&)> make_plan;
  DriftCheck drift_check = DriftCheck::refuse;
  // Called with the plan before anything runs (not for dry runs); throws to stop the command.
  std::function<void(const planner::Plan&)> check_plan;
  bool dry_run = false;  // plan and prepare with every statement; take no lock, write nothing
};

struct MigrateResult {
  planner::Plan plan;
  std::vector<runner::PreparedStep> steps;    // as prepared (dry runs: with every statement)
  std::vector<runner::StepResult> completed;  // the steps that ran
  double duration_ms = 0;                     // of the steps, in all
};

// The flow of `up`, `down`, `goto` and `redo` (docs/architecture.md, "Data flow").
MigrateResult migrate(const Settings& settings, const source::Source& source, const MigrateCommand& command,
                      Observer& observer, StopControl* stop);

// --------------------------------------------------------------- force, version, status, validate

struct ForceResult {
  tracker::VersionState before;
  std::string unreadable;  // the error that reading the version table gave (force repairs that)
};
// Under the lock: records `target` (nullopt: nothing applied) as the clean version, with a
// `forced` history row. `directory` names the source in the refusal of an unknown version.
ForceResult force(const Settings& settings, const source::Source& source, std::optional<int64_t> target,
                  const std::string& directory, Observer& observer);

struct VersionResult {
  tracker::VersionState state;
  std::optional<Runbook> running;  // dirty because a migration runs right now (its runbook)
};
// The version row (or another tool's table), no lock, no writes. `load` gives the source, which is
// needed only to report another tool's table.
VersionResult version(const Settings& settings, const std::function<source::Source()>& load, Observer& observer);

// Every migration and its state; no lock, no writes.
runner::StatusReport status(const Settings& settings, const source::Source& source, Observer& observer);
// Whether a migration is pending: the status without reading any file; no lock, no writes.
bool has_pending(const Settings& settings, const source::Source& source, Observer& observer);

struct SourceCheck {
  size_t migrations = 0;
  std::vector<int64_t> without_down;
};
// Parses every file for `dialect`; warns about migrations that run outside a transaction because
// of a statement (`read_as`: appended to the warning when several dialects are checked). Throws
// SourceError.
SourceCheck check_source(const source::Source& source, Dialect dialect, Observer& observer, bool name_dialect);
// Compares the applied files' checksums with the database; throws SourceError on the first drift.
void check_applied_checksums(const Settings& settings, const source::Source& source, Observer& observer);

struct AcceptResult {
  std::vector<runner::Drift> accepted;  // the versions whose current file was recorded
  std::vector<int64_t> unchanged;       // as they were applied: nothing to accept
};
// Under the lock: records the current checksum of each edited applied version (`accepted` rows).
// `directory` names the source in refusals.
AcceptResult accept(const Settings& settings, const source::Source& source, const std::vector<int64_t>& versions,
                    const std::string& directory, Observer& observer);

// `wait`: returns once the database accepts connections (and answers a query), polling for up to
// `timeout`. Throws DriverError at once when the server answered but refused the connection
// (which waiting cannot fix), and when the timeout passed.
void wait_for_database(const DatabaseUrl& database, std::chrono::milliseconds timeout);

}  // namespace strata::api
