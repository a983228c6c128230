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

namespace strata::drivers::mysql {

// The MySQL/MariaDB driver (mysqlcppconn 1.1 underneath; its headers stay in the .cpp).
//
// MySQL specifics of the Driver contract:
// - One connection to url.host:url.port (127.0.0.1:3306 when absent) over TCP, or to the Unix
//   socket url.mysql.socket, database url.database. The connect timeout is the URL's timeout=, or
//   options.busy_timeout, in whole seconds (at least 2 for the latter). Automatic reconnection is
//   off: a lost connection fails every later call with DriverError instead of continuing on a new
//   session that no longer holds the migration lock. Multi-statements are on (for execute_batch()
//   and for pieces that hold several statements).
// - The URL's settings (url.mysql, checked by parse_database_url; docs/drivers.md lists them):
//   SET NAMES charset [COLLATE collation]; read/write timeouts, compression and the cleartext
//   plugin as client options; TLS as tls= asks (with tls=true and tls=skip-verify the session is
//   checked to be encrypted after connecting: the client library falls back to plain TCP when the
//   server offers no TLS, which is a DriverError); then one SET SESSION per session variable, in
//   URL order, the name quoted, the value a string literal (or a number or keyword). A variable
//   the server does not know, or refuses to set to that value, is a UsageError naming it.
// - SQL errors read "<server message> (MySQL error <code>, SQLSTATE <state>)" on one line;
//   DriverError::sqlstate() carries the SQLSTATE, and for syntax errors (1064) position()
//   points at the text the server quotes after "near".
// - A piece that goes alone (execute(), a CALL or a piece of several statements in a batch) is
//   sent as-is (conditional comments `/*!40101 … */` included) and drains
//   every result, so a SELECT or a CALL in a migration leaves the connection usable. The text may
//   hold several statements (a StatementBegin … StatementEnd block): the server runs them in
//   order and stops at the first error; those before it stay applied. An error in statement k > 1
//   says "in statement k of n of this block (<its text>); statement(s) … before it had run", with
//   position() at that statement, so the runner reports its line; where the statements cannot be
//   told apart by their semicolons (see PieceLayout) it says "in a later statement of this block".
// - execute_batch() sends runs of statements as one multi-statement string (a CALL and a piece
//   of several statements go alone, since they answer with several results; batchable() is false
//   for such a piece) and counts the results read, so the failing
//   statement is known exactly; the server runs nothing after it. Only INSERT, UPDATE, DELETE
//   and REPLACE are batchable(): DDL commits implicitly and SELECT SLEEP(…) may be long, so they
//   go one at a time, and a stop request or crash finds each of them done or not started.
//   Outside a transaction a batch runs in START TRANSACTION … COMMIT sent with it (one commit per
//   batch, not per INSERT); on a failure the statements before the failing one are committed.
//   Not after the migration's own BEGIN / START TRANSACTION / SET autocommit: its transaction
//   is left to it (until its COMMIT or ROLLBACK).
// - query() runs over the text protocol; parameters are bound as string literals escaped by the
//   connector for the session (NO_BACKSLASH_ESCAPES included), or NULL: a server-side prepared
//   statement would cost two round trips. commit_with() sends START TRANSACTION (unless begin()
//   opened a transaction), the statements and COMMIT as one multi-statement string.
// - begin() is START TRANSACTION. DDL commits the open transaction implicitly, so rollback()
//   after a CREATE TABLE undoes neither the CREATE nor what came before it: MySQL has no
//   transactional DDL (has_transactional_ddl) and the runner uses the dirty protocol for every
//   migration.
// - table_exists() looks in information_schema.tables of DATABASE() (base tables only), with
//   the server's case rule (lower_case_table_names). MySQL has no schemas inside a database:
//   a TableName with a schema is a UsageError.
// - lock() is GET_LOCK on a server-wide name made of the database and the table
//   ("strata:<database>.<table>", or "strata:" + 40 hex digits of its SHA-256 when that exceeds
//   MySQL's 64 characters), so other tables and other databases do not conflict. Whole seconds
//   of the timeout are waited out inside GET_LOCK; the sub-second rest is polled every 50 ms, so
//   the timeout is honoured to the millisecond. The LockTimeout message names the holder's
//   connection id and, when information_schema.PROCESSLIST shows it, its user, host, database and
//   what it has been doing for how long. The lock lives as long as the session: it survives
//   ROLLBACK and is released by the server when the connection ends.
// - On a Galera (wsrep) cluster, detected at the first lock() or lock_holder() (wsrep_cluster_size
//   reported and wsrep_on), GET_LOCK would hold one node only: the migration lock is then a
//   LeaseLock (drivers/lease_lock.hpp; its length url.lock_lease, x-lock-lease=SECONDS) and,
//   once it is held, the session reads causally (wsrep_sync_wait = 1). topology_note() says so.
//   begin() and commit_with() throw DriverError when the lease was lost.
// - read_only_reason() refuses a server with read_only, super_read_only (MySQL) or
//   innodb_read_only on, and a session with transaction_read_only (tx_read_only) on, whatever
//   the user's privileges: a user with SUPER or READ_ONLY ADMIN could still write to a read_only
//   server (a replica, most often), and strata must not. It names host:port (or the socket) and
//   the database.
class MysqlDriver final : public Driver {
 public:
  // Throws DriverError with the server's or client library's message and the redacted URL when
  // the server cannot be reached, refuses the login or the TLS handshake fails, UsageError when
  // the server refuses a setting of the URL (charset, collation, a session variable).
  MysqlDriver(const DatabaseUrl& url, const OpenOptions& options);
  ~MysqlDriver() override;

  MysqlDriver(const MysqlDriver&) = delete;
  MysqlDriver& operator=(const MysqlDriver&) = delete;

  Dialect dialect() const noexcept override;
  void execute_batch(const std::vector<std::string_view>& statements) override;
  // Data changes, unless the piece holds several statements (a StatementBegin block).
  bool batchable(std::string_view sql) const noexcept override;
  std::vector<Row> commit_with(const std::vector<std::string>& statements) override;
  size_t batch_statements() const noexcept override;
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
  // KILL QUERY from a second connection. A killed SLEEP() returns normally (MySQL's rule);
  // other statements fail with 1317.
  void cancel() noexcept override;

 private:
  // Follows the migration's own transaction statements (see file_transaction).
  void note_transaction_control(std::string_view sql) noexcept;
  // Throws DriverError unless the session is encrypted (tls=true and tls=skip-verify).
  void require_tls(const DatabaseUrl& url);
  // SET SESSION from a URL parameter; UsageError when the server refuses the name or the value.
  void set_session_variable(const DatabaseUrl& url, const MysqlSessionVariable& variable);
  // Who holds the GET_LOCK `name`, for the lock timeout message; "" when the server does not say.
  std::optional<LockHolder> holder_of(const std::string& name);
  // The lease that is the migration lock on a Galera cluster; nullptr on a single server.
  // Detects the cluster on its first call.
  LeaseLock* cluster_lease();
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Opens a connection for a mysql URL (see docs/drivers.md). Throws DriverError when the server
// cannot be reached or refuses the login.
std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions& options);

}  // namespace strata::drivers::mysql
