#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"

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
class PostgresDriver final : public Driver {
 public:
  // Throws DriverError with libpq's message (passwords redacted) and the redacted URL when the
  // server cannot be reached or refuses the login.
  PostgresDriver(const DatabaseUrl& url, const OpenOptions& options);
  ~PostgresDriver() override;

  PostgresDriver(const PostgresDriver&) = delete;
  PostgresDriver& operator=(const PostgresDriver&) = delete;

  Dialect dialect() const noexcept override;
  void execute(std::string_view sql) override;
  void execute_batch(const std::vector<std::string_view>& statements) override;
  void commit_after(const std::vector<std::string>& statements) override;
  size_t batch_statements() const noexcept override;
  bool batchable(std::string_view sql) const noexcept override;
  std::vector<Row> query(std::string_view sql, const Params& params = {}) override;
  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  void set_statement_lock_timeout(std::optional<std::chrono::milliseconds> timeout) override;
  bool is_lock_timeout(const DriverError& error) const noexcept override;
  bool transactional_ddl() const noexcept override;
  bool table_exists(const TableName& table) override;
  std::string quote_identifier(std::string_view identifier) const override;
  std::string quote_literal(std::string_view text) const override;
  void lock(const TableName& table, std::chrono::milliseconds timeout) override;
  void unlock() noexcept override;
  std::optional<LockHolder> lock_holder(const TableName& table) override;
  void cancel() noexcept override;  // PQcancel: the server cancels the running statement
  std::string describe() const override;

 private:
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

  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Opens a connection for a postgres URL (see docs/drivers.md). Throws DriverError when the server
// cannot be reached or refuses the login.
std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions& options);

}  // namespace strata::drivers::postgres
