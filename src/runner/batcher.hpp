#pragma once

// The runner's own parts, shared by prepare.cpp, step.cpp and runbook.cpp: not part of the
// runner's interface (runner.hpp).

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "runner/runner.hpp"

namespace strata::runner::detail {

// The transaction-control word a statement starts with ("COMMIT", "START TRANSACTION", …), or
// nullopt.
std::optional<std::string> transaction_control(const source::Statement& statement);
bool opens_transaction(std::string_view word);
// A large file read in one pass inside strata's transaction (see prepare()) met one.
[[noreturn]] void refuse_transaction_control(const std::string& file, int line, const std::string& word);

// The first line of a statement, at most `limit` characters (then "…").
std::string first_line(std::string_view sql, size_t limit = 60);

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

// Collects a step's statements into batches (Driver::execute_batch) and runs them. Throws
// StatementFailure when a batch fails, StopRequested when a stop request comes in a
// cancellable (transactional) step.
class StatementBatcher {
 public:
  // Called before each batch is sent: `first` is the 0-based number of its first statement.
  using BeforeBatch = std::function<void(size_t first, const std::vector<const source::Statement*>& batch)>;

  StatementBatcher(drivers::Driver& driver, const PreparedStep& prepared, const Progress& progress, RunControl* control,
                   bool cancellable, BeforeBatch before);

  // A statement that outlives the batcher (the step's own).
  void add(const source::Statement& statement);
  // A statement read while streaming: held until its batch has run.
  void add(source::Statement&& statement);
  void flush();

  size_t done() const { return m_done; }
  int stop_signal() const { return m_control != nullptr ? m_control->signal.load() : 0; }

 private:
  void set_cancellable(bool value);
  void finished();
  bool begin_statement(const source::Statement& statement);
  void end_statement(const source::Statement& statement, bool alone);
  void pause_before(size_t number);
  StatementFailure failure(size_t index, const DriverError& error) const;

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
                            const std::function<void(const source::Statement&)>& check);

}  // namespace strata::runner::detail
