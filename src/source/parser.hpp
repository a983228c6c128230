#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dialect.hpp"
#include "core/direction.hpp"

namespace strata::source {

// One statement as it will be sent to the database.
struct Statement {
  std::string sql;  // trimmed; without the terminating delimiter; leading comments dropped
  int line = 0;     // 1-based line in the file where the statement's first token starts
  // Which file of a version made of several files (Script::parts) the statement comes from.
  size_t part = 0;
};

// The first statement of a direction that the engine refuses to run inside a transaction
// (source::transaction_blocker), which takes the direction out of one without an annotation.
struct TransactionBlocker {
  int line = 0;           // where the statement starts
  std::string statement;  // what it is: "CREATE INDEX CONCURRENTLY"
  // The direction also has statements that could have run in a transaction; they run without
  // one too, so a failure can leave some of them applied (strata warns about this).
  bool mixed = false;
};

// The statements of one direction (up or down) of a migration, for one dialect.
struct Section {
  std::vector<Statement> statements;
  // false after NO TRANSACTION / notransaction / transaction:false / morph:nontransactional, or
  // because of `blocker`.
  bool transaction = true;
  // Set when a statement took the direction out of a transaction that no annotation had already
  // taken it out of.
  std::optional<TransactionBlocker> blocker;
};

// Splits a migration file into statements. A pair file (`V_name.up.sql`) is one direction;
// Up/Down annotations in it are an error. A single file (`V_name.sql`) has Up/Down annotations
// in strata, goose, sql-migrate or dbmate notation; no Up section, a Down before the Up or a
// statement before the first Up is an error. StatementBegin/End blocks (with optional dialect
// lists) and NO TRANSACTION are honoured in both. Text is fed in chunks of any size and each
// statement is handed to the sink as soon as it is complete, so a file of any size is split
// with memory bounded by its longest statement. Throws SourceError{file, line} (exit 4) on
// malformed input, from feed() as soon as the problem is seen or from finish() for
// unterminated constructs.
class MigrationSplitter {
 public:
  enum class Layout { pair_file, single_file };
  // In a pair file every statement is reported as `up`: the file has only its own direction.
  using Direction = strata::Direction;
  using Sink = std::function<void(Direction direction, Statement&& statement)>;

  MigrationSplitter(Layout layout, std::string file, Dialect dialect, Sink sink);
  ~MigrationSplitter();
  MigrationSplitter(MigrationSplitter&&) noexcept;
  MigrationSplitter& operator=(MigrationSplitter&&) noexcept;

  // Feeds the next bytes of the file; lines may be split across chunks.
  void feed(std::string_view chunk);
  // Ends the input (a last line without a newline is fine). Call exactly once.
  void finish();

  // Valid after finish(): a NO TRANSACTION line may come anywhere in the file. For a pair file
  // both directions give the file's own setting; the down direction of a single file without a
  // Down annotation has the up direction's annotations. False also when blocker() has a value.
  bool transaction(Direction direction) const noexcept;
  // Valid after finish(): the direction's first statement that cannot run in a transaction, when
  // no annotation already took the direction out of one.
  std::optional<TransactionBlocker> blocker(Direction direction) const;
  // A Down annotation was seen (single files).
  bool has_down() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace strata::source
