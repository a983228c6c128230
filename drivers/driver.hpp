#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/database_url.hpp"
#include "core/dialect.hpp"
#include "core/error.hpp"

namespace strata::drivers {

using Value = std::optional<std::string>;  // every value travels as text; nullopt is NULL
using Row = std::vector<Value>;
using Params = std::vector<Value>;

// The one small interface every database sits behind. The tracker and the runner use only
// this; nothing under src/ includes a database library's header.
//
// Every method throws DriverError (exit 1) with the database's message when the database
// reports an error or the connection fails, unless its comment says otherwise; after an SQL
// error the connection stays usable. tests/conformance/driver_conformance.hpp tests each
// sentence of these contracts on every engine.
class Driver {
 public:
  virtual ~Driver() = default;

  virtual Dialect dialect() const noexcept = 0;

  // Runs one statement of a migration (or tracker DDL) and discards any result: execute_batch()
  // of that one statement, so a failure is a StatementFailed with index 0.
  void execute(std::string_view sql) { execute_batch({sql}); }

  // Runs consecutive statements of a migration in order, in as few round trips as the engine
  // allows, discarding results; stops at the first failure and throws StatementFailed naming
  // it by its place in the batch: the statements before it ran, none after it did. A syntax
  // error anywhere is named like any failure, and its position() (where the engine gives one)
  // counts from the failing statement's first byte. A statement may be a piece that holds
  // several (a StatementBegin … StatementEnd block): it runs whole, and a failure inside it
  // names the piece. Outside a transaction each statement still stands on its own: those
  // before a failure stay applied.
  virtual void execute_batch(const std::vector<std::string_view>& statements) = 0;
  // How many statements (and bytes of SQL) execute_batch() takes at most in one call; the
  // runner cuts its batches at these limits. 1 when batching brings nothing (SQLite).
  virtual size_t batch_statements() const noexcept { return 1; }
  // Whether the statement may share a batch with others; false makes it go alone. Outside a
  // transaction only data changes are grouped (is_data_change), so a stop request or a crash
  // finds every other statement (DDL, CREATE INDEX CONCURRENTLY, SELECT SLEEP, …) either done or
  // not started, and recorded as such.
  virtual bool batchable(std::string_view sql) const noexcept { return is_data_change(sql); }
  // INSERT, UPDATE, DELETE or REPLACE (by its first word, any case).
  static bool is_data_change(std::string_view sql) noexcept;
  static constexpr size_t k_batch_bytes = 512 * 1024;

  // Runs one statement with `?` placeholders bound in order to params (text; nullopt binds
  // NULL) and returns every row, each column as text (nullopt for NULL). Empty when the
  // statement returns no rows. A bound value is data, never SQL. Throws DriverError when the
  // number of params differs from the number of placeholders.
  virtual std::vector<Row> query(std::string_view sql, const Params& params = {}) = 0;

  // Explicit transactions, opened by begin() and ended by commit(), commit_with() or rollback().
  // What they commit is visible to other connections, and stays; what rollback() undoes is gone
  // for every connection (DDL too where the dialect has_transactional_ddl). Transactions on
  // other connections wait for each other rather than fail.
  // begin() while a transaction is open throws DriverError and leaves that transaction open.
  virtual void begin() = 0;
  // Throws DriverError when no transaction is open; nothing is sent then.
  virtual void commit() = 0;
  // Never throws; a no-op when no transaction is open. The migration lock survives it.
  virtual void rollback() noexcept = 0;

  // Runs the statements and commits them, all or nothing, and returns the rows of the last one
  // (the tracker's bookkeeping: the version row and the history row around a migration). In a
  // transaction begin() opened, they run in it and its COMMIT ends it; otherwise they run in a
  // transaction of their own. On failure throws StatementFailed naming the failing statement (an
  // index past the last one names the COMMIT), and no transaction is left open: what the
  // transaction did is rolled back. One round trip on PostgreSQL and MySQL (docs/performance.md).
  virtual std::vector<Row> commit_with(const std::vector<std::string>& statements) = 0;

  // How long each later statement may wait for a lock that another session holds (on a table, a
  // row, a database file; not the migration lock) before it fails with an error for which
  // is_lock_timeout() is true. nullopt: the engine's own setting, as when the driver was opened.
  // Not while a transaction is open. PostgreSQL: `SET LOCAL lock_timeout` in every transaction
  // begin() opens (in its round trip), so no session state outlives a transaction behind a
  // pooler, and `SET lock_timeout` … `RESET lock_timeout` around each statement sent outside
  // one; MySQL: the session's lock_wait_timeout and innodb_lock_wait_timeout, in whole seconds,
  // at least 1, set at once; SQLite: the busy timeout.
  virtual void set_statement_lock_timeout(std::optional<std::chrono::milliseconds> timeout) = 0;
  // Whether `error`, thrown by this driver, says that a statement gave up waiting for a lock
  // (PostgreSQL 55P03 lock_not_available, MySQL 1205 ER_LOCK_WAIT_TIMEOUT, SQLite SQLITE_BUSY).
  // Nothing of the failed statement took effect; its transaction, if any, is still to be rolled back.
  virtual bool is_lock_timeout(const DriverError& error) const noexcept = 0;

  // Whether the table exists. Never creates anything.
  virtual bool table_exists(const TableName& table) = 0;

  // The identifier quoted for this dialect ("x" or `x`), embedded quotes doubled.
  virtual std::string quote_identifier(std::string_view identifier) const = 0;
  // `text` as a string literal for this connection ('it''s', E'a\\b', …), safe to embed in SQL.
  virtual std::string quote_literal(std::string_view text) const = 0;

  // Takes the migration lock for this database and version table, waiting up to `timeout`.
  // Exclusive across connections and processes; other tables do not conflict where the engine
  // allows. Taking it again while holding it returns at once. Throws LockTimeout (exit 5) naming
  // the holder when the database can tell. The lock survives rollback() and goes with the
  // connection (when the driver is destroyed or its process ends).
  virtual void lock(const TableName& table, std::chrono::milliseconds timeout) = 0;
  // Releases the lock if held (once, however often lock() was called); never throws.
  virtual void unlock() noexcept = 0;

  // Who holds that migration lock right now, other than this connection: a description for
  // messages and how to end the holder if it is dead or stuck; nullopt when the lock is free or
  // the engine cannot tell. Never takes the lock. Throws like query().
  struct LockHolder {
    std::string description;  // "pid 4242 (application_name strata, user app, since … UTC)"
    std::string end_it;       // "SELECT pg_terminate_backend(4242)", "KILL 17", "kill 4242"
  };
  virtual std::optional<LockHolder> lock_holder(const TableName& table) = 0;

  // One line for the user when the driver found a topology that changes how the migration lock
  // works (a Galera cluster, a connection pooler): what it found and what it does about it.
  // nullopt on a single server, and before the first lock().
  virtual std::optional<std::string> topology_note() const { return std::nullopt; }

  // Asks the database to abandon the statement execute() is running on this connection right
  // now, which then throws DriverError. Callable from another thread; a no-op when nothing is
  // running (or the engine cannot tell); never throws. Used to stop a transactional migration
  // on Ctrl-C/SIGTERM so it can be rolled back at once.
  virtual void cancel() noexcept = 0;

  // Why migrations must not run through this connection: the target accepts no writes (a
  // PostgreSQL standby or default_transaction_read_only / transaction_read_only on; a MySQL or
  // MariaDB server with read_only, super_read_only or innodb_read_only on, which strata refuses
  // even for a user privileged enough to write there anyway; a SQLite file, or its directory,
  // that this process may not write), or it is reached through a router that may send strata's
  // statements to another server than its lock (pgpool-II). One line that names the server
  // (host:port and database, or the file), the state or setting, and what to point --database at
  // instead; nullopt when the target accepts writes. Commands that write ask before anything
  // else; read-only ones (status, version, validate, dry runs) do not. Never writes; throws
  // like query().
  virtual std::optional<std::string> read_only_reason() = 0;

 protected:
  // `sql` with each placeholder (see placeholder_offsets) replaced by the literal of the next
  // value (NULL for nullopt), for a driver that sends values inside the statement.
  std::string bind_literals(std::string_view sql, const Params& params) const;
};

// An explicit transaction for a scope (SQLiteCpp's Transaction is the model): begin() on
// construction, commit() or commit_with() to keep it, rollback() in the destructor otherwise.
// The destructor never throws. Not copyable; one guard per open transaction.
class Transaction {
 public:
  // Throws what Driver::begin() throws; then no transaction is open.
  explicit Transaction(Driver& driver);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Commits (Driver::commit). After a failure the transaction is rolled back by the destructor.
  void commit();
  // Runs the statements in the transaction, then commits it, in as few round trips as the
  // engine allows, and returns the rows of the last one (Driver::commit_with). After a failure
  // no transaction is open.
  std::vector<Row> commit_with(const std::vector<std::string>& statements);
  // Rolls back now (the destructor then does nothing); never throws.
  void rollback() noexcept;
  bool open() const noexcept { return m_open; }

 private:
  Driver& m_driver;
  bool m_open = false;
};

// The byte offsets of the `?` placeholders in `sql`: every `?` outside '…' and "…". Throws
// DriverError when there are not `expected` of them (the parameters query() was given).
std::vector<size_t> placeholder_offsets(std::string_view sql, size_t expected);

struct OpenOptions {
  // Upper bound for connecting and for waiting on a busy database.
  std::chrono::milliseconds busy_timeout{15000};
  // False for read-only commands (status, version, dry runs): a file-based database that does
  // not exist yet is not created; the driver behaves as an empty database and leaves no file.
  bool create_if_missing = true;
};

// Opens a connection for the URL's dialect from the scheme → factory table (drivers/factory.cpp,
// in strata_drivers: only what links every driver can open one). Throws
// DriverError (exit 1) when the database cannot be reached, UsageError (exit 2) when the URL
// names a driver that is not built in.
std::unique_ptr<Driver> open_driver(const DatabaseUrl& url, const OpenOptions& options);

// `identifier` between two `quote` characters, each embedded `quote` doubled: the SQL quoting
// rule for identifiers ("x" on SQLite and PostgreSQL, `x` on MySQL).
std::string quote_with(std::string_view identifier, char quote);

// Whether a connection failure from open_driver() is one that waiting cannot fix: the server
// answered and refused the login (a wrong password, an unknown user or database, no pg_hba.conf
// entry) or rejected the URL. False for refused connections, time-outs, name look-ups and a
// server that is starting or shutting down. Reads the server's and the client library's
// messages (English, as the test servers and most installations send them).
bool is_permanent_connect_error(const DriverError& error);

// The schemes whose drivers this binary has, for `strata --version`: built in, or (the strata
// binary's PostgreSQL and MySQL drivers) installed as modules.
std::vector<std::string> built_in_drivers();

}  // namespace strata::drivers
