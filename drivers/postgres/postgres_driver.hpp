#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"

namespace strata::drivers {
class LeaseLock;
}

namespace strata::drivers::postgres {

// The PostgreSQL driver (libpqxx and libpq underneath; their headers stay in the .cpp).
//
// PostgreSQL specifics of the Driver contract:
// - The connection string is url.conninfo (a libpq URI). application_name=strata is added unless
//   the URL sets application_name, and connect_timeout (options.busy_timeout in whole seconds,
//   rounded up, at least 2) unless the URL sets connect_timeout. options.create_if_missing does
//   not apply: the database must exist.
// - libpqxx owns the connection; statements, BEGIN/COMMIT/ROLLBACK included, go through libpq
//   on that connection, because libpqxx 6 does not expose a failed statement's error fields.
// - The connection never reconnects: once it is lost (server restart, backend terminated) the
//   failing call and every later one throw DriverError "lost the connection to <url> (and the
//   migration lock with it)…", because a new session would have silently dropped the lock.
// - execute() sends its string as one simple-protocol query, inside the transaction begin()
//   opened, if any, else in autocommit: a string of several statements runs as one implicit
//   transaction, and CREATE INDEX CONCURRENTLY works when sent alone outside begin()/commit().
//   COPY from stdin / to stdout is refused. Server notices (NOTICE, WARNING) are discarded.
// - execute_batch() inside a transaction joins the statements with ";\n" into one
//   simple-protocol query and reads one result per statement, so the failing statement is
//   known exactly and its error position is made relative to it. Outside a transaction it runs
//   them one at a time (a multi-statement string would be one implicit transaction).
//   commit_with() sends BEGIN (unless begin() opened the transaction), the statements and COMMIT
//   as one such query.
// - DriverError from execute() and query() carries the server's SQLSTATE and, when the server
//   located the error, position(): a 1-based byte offset into the caller's SQL (the server
//   counts characters; the driver converts with the client encoding, and for query() maps $n
//   back to its `?`). The message is the server's primary message, followed by " (detail: …)"
//   and " (hint: …)" when present, on one line.
// - query() replaces each `?` outside '…' and "…" with $1, $2, … in order, so PostgreSQL's
//   jsonb `?` operators cannot be used through it, and E'…' strings with \' escapes or
//   dollar-quoted strings holding `?` confuse it. Parameters are sent as untyped text and
//   columns come back as text (booleans as "t"/"f").
// - commit() after a statement of the transaction failed rolls back and throws DriverError
//   with SQLSTATE 25P02 (PostgreSQL itself would answer COMMIT with a silent ROLLBACK).
// - table_exists() looks for an ordinary or partitioned table of exactly that name (case
//   matters) in table.schema, or in current_schema() when the name is unqualified.
// - lock() takes a session-level advisory lock keyed by the first 8 bytes of SHA-256 over the
//   database, the schema (current_schema() when unqualified) and the table name, so version
//   tables in other schemas or databases do not conflict. It survives ROLLBACK and is released
//   by unlock() or when the session ends. lock() while holding the lock returns at once. The
//   timeout message names the holding server backend: its pid, application_name, user, client
//   address and connection time (pg_stat_activity.backend_start: for strata, about when it
//   took the lock), as far as this user may see them. unlock() inside a failed transaction
//   rolls it back first (it could only be rolled back anyway).
// - Behind a connection pooler (PgBouncer, detected by the first lock() or lock_holder():
//   pg_backend_pid() is not the backend pid libpq got at connect) a session advisory lock would
//   stay on a pooled server connection and the backend pid changes between transactions: the
//   migration lock is then a LeaseLock (drivers/lease_lock.hpp; its length url.lock_lease,
//   x-lock-lease=SECONDS), and no pid is checked. topology_note() says so, and whether
//   transaction pooling was seen (a transaction on a second connection got the server connection
//   the first had just used); when it cannot tell, it behaves as for transaction pooling, which is
//   safe in both modes. begin() and commit_with() throw DriverError when the lease was lost.
//   Runs through the pooler and runs connected directly exclude each other: a lease is given
//   back while a direct run holds the advisory lock, and the advisory lock while a live lease row
//   exists (checked only when the lock table exists); lock_holder() names either.
// - read_only_reason() refuses a standby (pg_is_in_recovery()) and a session whose
//   default_transaction_read_only or transaction_read_only is on, naming the host and port libpq
//   connected to (with several hosts in the URL, the one it chose). It refuses pgpool-II when
//   pgpool sends strata's reads to another server session than its writes (load balancing to
//   a standby): the version could be read from a standby that lags, and the migration lock is
//   not held where strata checks it. That shows as two server sessions: the pg_backend_pid()
//   of a query pgpool must send to the primary (it calls a volatile function), of a plain one
//   it may load-balance, and the pid the connection reported are not all the same. Only then is
//   `SHOW pool_version` sent (simple protocol: pgpool answers it only there), so a direct
//   connection never sends it. The message names the primary pgpool lists and the URL to use
//   instead. A pgpool session whose reads stay on the primary (load balancing off, or the
//   primary chosen for the session) is one server session, as a direct one.
class PostgresDriver final : public Driver {
 public:
  // Throws DriverError with libpq's message (passwords redacted) and the redacted URL when the
  // server cannot be reached or refuses the login.
  PostgresDriver(const DatabaseUrl& url, const OpenOptions& options);
  ~PostgresDriver() override;

  PostgresDriver(const PostgresDriver&) = delete;
  PostgresDriver& operator=(const PostgresDriver&) = delete;

  Dialect dialect() const noexcept override;
  void execute_batch(const std::vector<std::string_view>& statements) override;
  std::vector<Row> commit_with(const std::vector<std::string>& statements) override;
  size_t batch_statements() const noexcept override;
  bool batchable(std::string_view sql) const noexcept override;
  std::vector<Row> query(std::string_view sql, const Params& params = {}) override;
  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  void set_statement_lock_timeout(std::optional<std::chrono::milliseconds> timeout) override;
  bool is_lock_timeout(const DriverError& error) const noexcept override;
  bool table_exists(const TableName& table) override;
  std::string quote_identifier(std::string_view identifier) const override;
  std::string quote_literal(std::string_view text) const override;
  void lock(const TableName& table, std::chrono::milliseconds timeout) override;
  void unlock() noexcept override;
  std::optional<LockHolder> lock_holder(const TableName& table) override;
  std::optional<std::string> topology_note() const override;
  std::optional<std::string> read_only_reason() override;
  void cancel() noexcept override;  // PQcancel: the server cancels the running statement

 private:
  // One statement (or piece) as one simple-protocol query; adds invalid_index_advice() to the
  // error of a failed CREATE INDEX CONCURRENTLY.
  void run_one(std::string_view sql);
  // Runs one statement, with the statement lock timeout around it when it runs outside a
  // transaction (see set_statement_lock_timeout).
  void run_with_lock_timeout(const std::string& sql);
  void reset_lock_timeout() noexcept;
  // After a failed CREATE INDEX CONCURRENTLY of `index` ("" when the server names it): what to
  // run when PostgreSQL left the index behind INVALID ("" when it did not).
  std::string invalid_index_advice(const std::string& index, bool already_exists);
  // The advisory-lock key of the migration lock for `table` in this database.
  int64_t migration_lock_key(const TableName& table);
  std::optional<LockHolder> holder_of(int64_t key);
  // The lease that is the migration lock behind a pooler; nullptr on a direct connection (or
  // before migration_lock_key() has looked).
  LeaseLock* pooler_lease();
  // The progress line for a pooled connection; probes the pooling mode on the lease's second
  // connection.
  std::string pooling_note(LeaseLock& lease);
  // Sends `text` (a simple query whose one row holds pg_backend_pid()) and returns that pid, or
  // nullopt when no answer came within `timeout` (the connection is then unusable).
  std::optional<std::string> backend_pid_within(const char* text, std::chrono::milliseconds timeout);
  // The refusal of read_only_reason() when the connection goes through pgpool-II.
  std::optional<std::string> pgpool_reason();

  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Opens a connection for a postgres URL (see docs/drivers.md). Throws DriverError when the server
// cannot be reached or refuses the login.
std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions& options);

}  // namespace strata::drivers::postgres
