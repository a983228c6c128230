#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/runbook.hpp"

namespace strata {

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

// The one exception hierarchy. Every error carries its exit code; cli::run is the only
// place that catches it and prints "strata: error: <what()>".
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

// A run ended by a stop request (SIGINT/SIGTERM, or a library caller's cancellation) that left
// the database clean: the message says where it stands. One that left it dirty is a DirtyError.
class Interrupted : public Error {
 public:
  explicit Interrupted(const std::string& message) : Error(message, ExitCode::runtime) {}
};

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

}  // namespace strata
