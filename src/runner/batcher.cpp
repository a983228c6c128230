#include "runner/batcher.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/sql_words.hpp"
#include "drivers/driver.hpp"
#include "runner/pause_point.hpp"

namespace strata::runner::detail {

namespace {

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

// Statements per batch of a step outside a transaction (see StatementBatcher).
constexpr size_t k_progress_batch = 1000;

}  // namespace

std::string first_line(std::string_view sql, size_t limit) {
  std::string_view line = sql.substr(0, sql.find('\n'));
  if (line.size() > limit) return std::string(line.substr(0, limit)) + "…";
  return std::string(line);
}

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

void refuse_transaction_control(const std::string& file, int line, const std::string& word) {
  throw SourceError(file, line,
                    fmt::format("{} in a file over 1 MiB that strata runs in one pass inside its transaction; add "
                                "`-- +strata NO TRANSACTION` on the file's first line to manage transactions yourself",
                                word));
}

StatementBatcher::StatementBatcher(drivers::Driver& driver, const PreparedStep& prepared, const Progress& progress,
                                   RunControl* control, bool cancellable, BeforeBatch before)
    : m_driver(driver),
      m_prepared(prepared),
      m_progress(progress),
      m_control(control),
      m_cancellable(cancellable),
      m_before(std::move(before)),
      // Outside a transaction a batch is also the unit of the `running` record and of stop
      // requests, even where the driver sends its statements one at a time.
      m_limit(cancellable ? std::max<size_t>(1, driver.batch_statements()) : k_progress_batch) {}

void StatementBatcher::add(const source::Statement& statement) {
  const bool alone = begin_statement(statement);
  m_batch.push_back(&statement);
  end_statement(statement, alone);
}

void StatementBatcher::add(source::Statement&& statement) {
  const bool alone = begin_statement(statement);
  m_owned.push_back(std::move(statement));
  m_batch.push_back(&m_owned.back());
  end_statement(m_owned.back(), alone);
}

void StatementBatcher::flush() {
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

void StatementBatcher::set_cancellable(bool value) {
  if (m_control != nullptr) m_control->cancellable.store(value);
}

void StatementBatcher::finished() {
  set_cancellable(false);
  if (m_progress.batch_finished) m_progress.batch_finished();
}

// Ends the batch before a statement that must go alone; returns whether it must.
bool StatementBatcher::begin_statement(const source::Statement& statement) {
  pause_before(m_done + m_batch.size() + 1);
  const bool alone = m_limit > 1 && !m_driver.batchable(statement.sql);
  if (alone) flush();
  return alone;
}

void StatementBatcher::end_statement(const source::Statement& statement, bool alone) {
  m_bytes += statement.sql.size();
  if (alone || m_batch.size() >= m_limit || m_bytes >= drivers::Driver::k_batch_bytes) flush();
}

// The crash tests pause before statement n: the batch ends there.
void StatementBatcher::pause_before(size_t number) {
  const auto version = static_cast<long long>(m_prepared.step.version);
  if (!pause_point_configured("statement", version, static_cast<long long>(number))) return;
  flush();
  pause_point("statement", version, static_cast<long long>(number));
}

StatementFailure StatementBatcher::failure(size_t index, const DriverError& error) const {
  const source::Statement& statement = *m_batch[index];
  return StatementFailure{m_done + index + 1,           m_prepared.script.file_of(statement),
                          error_line(statement, error), statement.line,
                          first_line(statement.sql),    error};
}

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
  const source::Script streamed = source::stream_script(
      *prepared.migration, prepared.step.direction, prepared.dialect, [&](source::Statement&& statement) {
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

}  // namespace strata::runner::detail
