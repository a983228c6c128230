#include <fmt/format.h>

#include "drivers/driver.hpp"
#include "runner/runner.hpp"

namespace strata::runner {

using tracker::Outcome;

namespace {

std::string force_advice(std::optional<int64_t> done, std::optional<int64_t> undone, std::string_view rerun) {
  return fmt::format(
      "repair the database by hand, then run `strata force {}` if the migration's changes are all in place, or "
      "`strata force {}` if none of them are and then `strata {}` to retry it",
      version_text(done), version_text(undone), rerun);
}

}  // namespace

Runbook dirty_runbook(const DatabaseView& view, const source::Source& source) {
  Runbook book;
  book.dirty_version = view.state.version;
  const tracker::HistoryEntry* last = view.history.empty() ? nullptr : &view.history.back();
  const tracker::StepDetail* detail = last ? last->detail_as<tracker::StepDetail>() : nullptr;
  if (detail && (last->outcome == Outcome::failed || last->outcome == Outcome::running)) {
    book.migration = last->version;
    book.direction = detail->direction;
    book.if_applied = detail->after;
    book.if_not_applied = detail->before;
    book.retry = detail->direction;
    book.file = detail->file;
    book.line = detail->line;
    book.statements = detail->statements;
    book.sql = detail->sql;
    book.rolled_back_from = detail->rolled_back_from;
    book.statement = detail->statement;
    if (last->outcome == Outcome::running) {
      // Left behind by a process that died (or lost its connection) while sending statements,
      // unless that process still holds the lock (see mark_running()).
      book.cause = Runbook::Cause::unfinished;
      book.since = last->applied_at;
      book.through = detail->through;
      book.through_line = detail->through_line;
      book.own_transaction = detail->own_transaction;
    } else if (!detail->interrupted.empty()) {
      book.cause = Runbook::Cause::interrupted;
      book.signal = detail->interrupted;
    } else {
      book.cause = Runbook::Cause::failed;
      book.error = detail->error;
    }
    return book;
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
  const std::string advice = force_advice(book.if_applied, book.if_not_applied, direction_name(book.retry));
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
          version_text(book.dirty_version), migration, direction_name(book.direction), book.holder,
          book.since.empty() ? std::string("an unknown time") : book.since, where);
    }
    case Runbook::Cause::unfinished: {
      const std::string of = book.statements > 0 ? fmt::format(" of {}", book.statements) : std::string();
      if (!book.own_transaction.empty()) {
        return fmt::format(
            "{}: migration {} ({}) did not finish: its process ended or lost its connection inside the "
            "transaction that {} (file {}:{}); the server rolls back an unfinished transaction, so the statements "
            "before {} had run and none from {} on took effect; {}",
            head, migration, direction_name(book.direction),
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
          migration, direction_name(book.direction), what, advice);
    }
    case Runbook::Cause::interrupted:
      return fmt::format(
          "{}: migration {} ({}) was interrupted by {} after statement {} of {}; the next statement was {}:{} "
          "({}){}; {}",
          head, migration, direction_name(book.direction), book.signal, book.statement - 1, book.statements, book.file,
          book.line, book.sql, rolled_back, advice);
    case Runbook::Cause::failed:
      return fmt::format("{}: migration {} ({}) failed at {}:{}, statement {} of {} ({}): {}{}; {}", head, migration,
                         direction_name(book.direction), book.file, book.line, book.statement, book.statements,
                         book.sql, book.error, rolled_back, advice);
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

}  // namespace strata::runner
