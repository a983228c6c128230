#include <fmt/format.h>

#include <filesystem>

#include "core/error.hpp"
#include "runner/batcher.hpp"
#include "runner/runner.hpp"

namespace strata::runner {

using detail::opens_transaction;
using detail::transaction_control;

namespace {

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
    PreparedStep entry;
    entry.step = step;
    entry.migration = migration;
    entry.dialect = source.dialect();
    const source::MigrationFile* file = source::script_file(*migration, step.direction);
    ControlScan control;

    std::error_code ec;
    uintmax_t size = 0;
    for (const source::MigrationFile* part : source::script_files(*migration, step.direction)) {
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
      entry.script =
          source::stream_script(*migration, step.direction, source.dialect(), [&](source::Statement&& statement) {
            ++count;
            control.see(statement);
          });
      entry.streamed = !entry.script.file.empty();
      entry.statement_count = count;
    } else {
      entry.script = source::parse_script(*migration, step.direction, source.dialect());
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

}  // namespace strata::runner
