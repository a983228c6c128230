#pragma once

// strata's errors: one exception hierarchy whose kinds map to the CLI's exit codes, and the
// runbook a dirty database comes with. Standard library only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "strata/direction.hpp"

namespace strata {

// What strata knows about a dirty database, from the history row its last step left: the facts
// behind the operator's runbook message, carried as data so that JSON can show them as fields.
struct Runbook {
  enum class Cause {
    failed,       // a statement failed (`error` says why)
    interrupted,  // stopped by a signal between statements (`signal`)
    unfinished,   // the process died or lost its connection while statements ran
    unknown,      // no failing statement recorded (killed before it could, or another tool)
    running,      // not a failure: the step is under way now, its process holds the migration lock
  };
  Cause cause = Cause::unknown;
  std::optional<int64_t> dirty_version;  // the version row
  std::optional<int64_t> migration;      // the migration that left it dirty (unknown: dirty_version)
  Direction direction = Direction::up;
  std::string file;
  int line = 0;                  // where the statement (or range) starts
  int through_line = 0;          // unfinished: the last line of the range under way
  int64_t statement = 0;         // 1-based: the failing one, the next one (interrupted), the first under way
  int64_t through = 0;           // unfinished: the last statement under way
  int64_t statements = 0;        // how many the step has (0: unknown)
  std::string sql;               // the first line of that statement
  std::string error;             // failed: the database's message
  std::string signal;            // interrupted: "SIGINT" or "SIGTERM"
  int64_t rolled_back_from = 0;  // failed/interrupted: a transaction of the file's own, open since
                                 // this statement, was rolled back (0: none)
  std::string own_transaction;   // unfinished inside a transaction: "file" or "strata" opened it
  std::string holder;            // running: who holds the migration lock (Driver::LockHolder)
  std::string since;             // running: when the step started (UTC), from its history row
  // The repair: `strata force <if_applied>` when the migration's changes are all in place,
  // `strata force <if_not_applied>` when none are, then `strata <retry>`.
  std::optional<int64_t> if_applied;
  std::optional<int64_t> if_not_applied;
  Direction retry = Direction::up;  // the command to run again
};

std::string_view cause_name(Runbook::Cause cause);

// Process exit codes of SPEC §4; each means one thing.
enum class ExitCode : int {
  ok = 0,
  runtime = 1,       // connection failure, SQL error
  usage = 2,         // bad flag, URL, setting
  dirty = 3,         // database is dirty, or this run left it dirty
  source = 4,        // invalid migration source, checksum mismatch
  lock_timeout = 5,  // migration lock not taken within --lock-timeout
  pending = 6,       // status --exit-code found pending migrations
};

// The one exception hierarchy, shared by the library and the CLI. Every error carries the exit
// code the CLI ends with when it reaches it; cli::run is the CLI's only place that catches it and
// prints "strata: error: <what()>". A library caller catches strata::Error (or one kind of it);
// what() is the same one-line message the CLI prints, passwords of URLs included as `***` where
// strata wrote the message (messages quoting the database library may need
// strata::redact_passwords()).
class Error : public std::runtime_error {
 public:
  Error(const std::string& message, ExitCode code) : std::runtime_error(message), m_code(code) {}
  ExitCode exit_code() const noexcept { return m_code; }

 private:
  ExitCode m_code;
};

class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, ExitCode::usage) {}
};

// An error in a migration file. what() is "file:line: message" ("file: message" when line is 0),
// the way a compiler points at its input.
class SourceError : public Error {
 public:
  SourceError(std::string file, int line, const std::string& message)
      : Error(line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message, ExitCode::source),
        m_file(std::move(file)),
        m_line(line) {}
  // A source-level problem that is not tied to one file (e.g. checksum drift over several files).
  explicit SourceError(const std::string& message) : Error(message, ExitCode::source), m_line(0) {}
  const std::string& file() const noexcept { return m_file; }
  int line() const noexcept { return m_line; }

 private:
  std::string m_file;
  int m_line;
};

class DirtyError : public Error {
 public:
  explicit DirtyError(const std::string& message, std::optional<Runbook> runbook = std::nullopt)
      : Error(message, ExitCode::dirty), m_runbook(std::move(runbook)) {}
  // The facts behind the message, for JSON; nullopt when the error is not about a recorded state.
  const std::optional<Runbook>& runbook() const noexcept { return m_runbook; }

 private:
  std::optional<Runbook> m_runbook;
};

// The migration lock was not taken within the lock timeout (another run holds it).
class LockTimeout : public Error {
 public:
  explicit LockTimeout(const std::string& message) : Error(message, ExitCode::lock_timeout) {}
};

// A failure reported by the database or its client library (connection, SQL error).
class DriverError : public Error {
 public:
  explicit DriverError(const std::string& message, std::string sqlstate = {},
                       std::optional<size_t> position = std::nullopt)
      : Error(message, ExitCode::runtime), m_sqlstate(std::move(sqlstate)), m_position(position) {}
  const std::string& sqlstate() const noexcept { return m_sqlstate; }
  // Where in the statement the server located the error: a 1-based byte offset into the SQL
  // text that was sent (PostgreSQL's error position); nullopt when the server did not say.
  std::optional<size_t> position() const noexcept { return m_position; }

 private:
  std::string m_sqlstate;
  std::optional<size_t> m_position;
};

// A statement of a batch failed (Driver::execute_batch): `index` is its 0-based place in the
// batch; the message, SQLSTATE and position are the database's, the position relative to that
// statement's own text. The statements before it ran; none after it did.
class StatementFailed : public DriverError {
 public:
  StatementFailed(size_t index, const DriverError& error)
      : DriverError(error.what(), error.sqlstate(), error.position()), m_index(index) {}
  size_t index() const noexcept { return m_index; }

 private:
  size_t m_index;
};

// A stop request ended the run (SIGINT/SIGTERM in the CLI, Migrator::request_stop() in the
// library) at a safe point: before any migration ran, between two migrations, or by rolling
// back the transactional migration under way. what() says where the database stands. (A stop
// that leaves a migration outside a transaction half-done is a DirtyError instead.)
class Interrupted : public Error {
 public:
  explicit Interrupted(const std::string& message) : Error(message, ExitCode::runtime) {}
};

}  // namespace strata
