#pragma once

// strata as a library: an application migrates its own database (at start-up, or on demand)
// with the same engine, lock, dirty protocol and checksums as the `strata` CLI. docs/library.md
// has a complete example.
//
// Thread safety: a Migrator is used by one thread at a time (one Migrator per thread; several
// Migrators, in threads or processes, may work on the same database: the migration lock makes
// them take turns). The one exception is request_stop(), which any thread (or a signal-handling
// thread) may call while another thread runs a command. Events are delivered on the thread that
// runs the command, before the call returns.
//
// On PostgreSQL and MySQL every command opens its own connection and closes it before returning.
// On SQLite a Migrator keeps the connection of its last command that succeeded open until the next
// command or its destruction (a new connection parses the database's schema again), and opens a
// new one when the file was removed or replaced meanwhile. Errors are thrown as strata::Error (include/strata/error.hpp), whose
// kind says what went wrong and which exit code the CLI would end with.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/direction.hpp"
#include "strata/embedded.hpp"
#include "strata/error.hpp"

namespace strata {

// Where the migrations come from: a directory read at each command (as the CLI reads --path), or
// a set compiled into the program (strata_add_migrations in CMake). Copyable; an embedded set
// is referred to, not copied (it lives in the program's read-only data).
class MigrationSource {
 public:
  static MigrationSource directory(std::string path);
  static MigrationSource embedded(const EmbeddedMigrations& migrations);

  // The directory, or the embedded set's directory name (for messages).
  const std::string& name() const { return m_name; }
  // The embedded set; nullptr for a directory.
  const EmbeddedMigrations* embedded_set() const { return m_embedded; }

 private:
  std::string m_name;
  const EmbeddedMigrations* m_embedded = nullptr;
};

// What a command reports while it runs, through Options::on_event. `message` is the line the
// CLI prints for it (on stderr) where it prints one; the other fields carry the facts.
struct Event {
  enum class Kind {
    lock_waiting,        // the lock is held by another run: waiting up to the lock timeout (holder)
    lock_acquired,       // the lock is taken (after waiting or not)
    imported,            // another tool's table (goose, sql-migrate, dbmate) was imported under the lock
    reading_foreign,     // a read-only command reads another tool's table (nothing written)
    warning,             // a file that is not read, a migration that runs outside a transaction, …
    notice,              // any other progress line (e.g. redo of an edited file)
    migration_started,   // version, name, direction, index, total
    migration_finished,  // … and duration_ms, statements (the step committed)
    migration_failed,    // … and message (the error that ends the command is thrown next)
    batch_started,       // statements file:line are sent to the database (one batch)
    retrying,            // version, name, direction, message: the migration waited longer than
                         // Options::statement_lock_timeout for a lock, was rolled back, and runs
                         // again after a delay (Options::retries)
  };
  Kind kind = Kind::notice;
  std::string message;
  std::string holder;  // lock_waiting: who holds the lock, where the database can tell ("pid 42", …)
  int64_t version = 0;
  std::string name;
  Direction direction = Direction::up;
  size_t index = 0;  // 1-based place of the migration in this run
  size_t total = 0;  // how many migrations this run has
  double duration_ms = 0;
  size_t statements = 0;  // migration_finished: how many ran; batch_started: how many are sent
  std::string file;       // batch_started: the file of its first statement
  int line = 0;           // batch_started: the line of its first statement
};
using EventCallback = std::function<void(const Event&)>;

struct Options {
  // The version table ("schema.name" on PostgreSQL); empty: x-migrations-table of the URL, else
  // schema_migrations. Its history table is "<name>_history".
  std::string table;
  // How long a command waits for another run's migration lock before throwing LockTimeout.
  std::chrono::milliseconds lock_timeout{15000};
  // up and goto_version also apply pending versions below the current one (else SourceError).
  bool allow_out_of_order = false;
  // How long each migration statement may wait for a lock on a table or row that another session
  // holds (the CLI's --statement-lock-timeout; docs/operations.md#lock-queues); nullopt: the
  // database's own setting.
  std::optional<std::chrono::milliseconds> statement_lock_timeout;
  // How often a migration in a transaction that gave up waiting on that timeout is rolled back
  // and run again, after a growing delay (Event::Kind::retrying); the CLI's --retries.
  int retries = 0;
  EventCallback on_event;
};

// One migration a run applied or reverted.
struct StepResult {
  int64_t version = 0;
  std::string name;
  Direction direction = Direction::up;
  double duration_ms = 0;
  size_t statements = 0;          // how many statements ran
  bool reverted_nothing = false;  // a down without a down migration: only the version moved
};

// The outcome of up/down/goto_version/redo. Nothing to do is a result with no steps.
struct RunResult {
  std::optional<int64_t> from;  // the version before (nullopt: nothing applied)
  std::optional<int64_t> to;    // the version after
  std::vector<StepResult> steps;
  double duration_ms = 0;  // of the steps, in all
};

struct VersionInfo {
  std::optional<int64_t> version;  // nullopt: nothing applied
  bool dirty = false;
};

enum class MigrationState { applied, pending, modified, missing, out_of_order, dirty };
// "applied", "pending", "modified", "missing", "out-of-order", "dirty" (the CLI's words).
const char* state_name(MigrationState state);

struct MigrationStatus {
  int64_t version = 0;
  std::string name;
  MigrationState state = MigrationState::pending;
  std::optional<std::string> applied_at;  // UTC, "2026-01-01T10:00:00Z"
  std::optional<double> duration_ms;
  std::optional<std::string> applied_by;  // user@host
  bool has_down = true;
};

struct Status {
  std::optional<int64_t> version;
  bool dirty = false;
  // Dirty: what the history says happened, and the repair (Runbook::Cause::running: a migration
  // is under way in another process right now, which holds the lock: not a failure).
  std::optional<Runbook> runbook;
  size_t pending = 0;  // pending and out-of-order migrations
  std::vector<MigrationStatus> migrations;
};

// What a command would do (the CLI's --dry-run).
struct PlannedStatement {
  std::string file;
  int line = 0;
  std::string sql;
};
struct PlannedStep {
  int64_t version = 0;
  std::string name;
  Direction direction = Direction::up;
  bool transaction = true;  // runs in one transaction with its version-table writes
  std::vector<PlannedStatement> statements;
};
struct Plan {
  std::optional<int64_t> from;
  std::optional<int64_t> to;
  std::vector<PlannedStep> steps;
};

struct Validation {
  size_t migrations = 0;
  std::vector<int64_t> without_down;  // versions that have no down migration
};

// A command of the migrating kind, for plan() and run().
struct Request {
  enum class Kind { up, down, goto_version, redo };
  Kind kind = Kind::up;
  std::optional<int64_t> count;  // up: the next N (nullopt: all); down: N (nullopt: all)
  int64_t target = 0;            // goto_version

  static Request up(std::optional<int64_t> count = std::nullopt) { return {Kind::up, count, 0}; }
  static Request down(std::optional<int64_t> count = 1) { return {Kind::down, count, 0}; }
  static Request down_all() { return {Kind::down, std::nullopt, 0}; }
  static Request goto_version(int64_t target) { return {Kind::goto_version, std::nullopt, target}; }
  static Request redo() { return {Kind::redo, std::nullopt, 0}; }
};

class Migrator {
 public:
  // Checks the URL (UsageError, exit 2) and the table name; connects only when a command runs.
  // URLs as the CLI takes them: sqlite:app.db, postgres://…, mysql://… (docs/cli.md).
  Migrator(const std::string& database_url, MigrationSource source, Options options = {});
  ~Migrator();
  Migrator(Migrator&&) noexcept;
  Migrator& operator=(Migrator&&) noexcept;
  Migrator(const Migrator&) = delete;
  Migrator& operator=(const Migrator&) = delete;

  // The migrating commands take the migration lock (waiting up to Options::lock_timeout, with a
  // lock_waiting event), import another tool's table if strata's record nothing, refuse a dirty
  // database (DirtyError) and applied files edited since (SourceError; not for down), plan, read
  // every file the plan needs, then run the steps. Throws what the CLI would exit with.
  RunResult up();
  RunResult up(int64_t count);  // the next `count` (> 0)
  RunResult down(int64_t count = 1);
  RunResult down_all();
  RunResult goto_version(int64_t version);
  RunResult redo();
  RunResult run(const Request& request);
  // What run(request) would do now, every statement with file:line; takes no lock, writes nothing.
  Plan plan(const Request& request);

  // Sets the version (nullopt: nothing applied) and clears the dirty flag without running SQL,
  // recorded in the history; the version must be in the source (UsageError otherwise). Takes the
  // lock. Returns the state it replaced.
  VersionInfo force(std::optional<int64_t> version);

  // Read-only and lock-free, for health probes: one connection, a few reads, no writes (the
  // tables are not created). version() reads the version row (and the history when dirty).
  // status() and has_pending() also read the history and list the source (again only when the
  // directory changed); status() checks the applied files' checksums to mark edited ones
  // `modified` (a file is read again only when it changed), has_pending() reads no file at all.
  VersionInfo version();
  Status status();
  bool has_pending();
  // Checks the source (names, pairs, every file parsed) and the applied files' checksums against
  // the database; throws SourceError (exit 4) on the first problem.
  Validation validate();

  // Asks the command running in another thread to stop at its next safe point, as the CLI does
  // for SIGINT/SIGTERM. The first request: before any migration ran, the command throws
  // Interrupted; a migration running in a transaction is rolled back (its statement cancelled)
  // and Interrupted is thrown; one running outside a transaction runs to its end, then the
  // command stops before the next one. A second request also stops a migration outside a
  // transaction after its current statement, leaving the database dirty with the stop recorded
  // (DirtyError). Safe from any thread; a request made while no command runs applies to the
  // next one. Cleared by clear_stop().
  void request_stop() noexcept;
  void clear_stop() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace strata
