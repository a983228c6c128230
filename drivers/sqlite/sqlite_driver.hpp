#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"

namespace strata::drivers::sqlite {

// The SQLite driver (SQLiteCpp underneath; its headers stay in the .cpp).
//
// SQLite specifics of the Driver contract:
// - The database is url.path, or an in-memory database for ":memory:". With
//   options.create_if_missing == false and no file at that path, nothing is created: the driver
//   runs on a private in-memory database (so the caller sees an empty database).
// - Each statement of execute_batch() (and execute()) may hold several statements in one string
//   (a whole CREATE TRIGGER, say); statements before a failing one stay applied unless a
//   transaction is rolled back.
// - query() runs the first statement of its string only.
// - begin() is BEGIN IMMEDIATE: the write lock is taken up front, so a concurrent writer waits
//   up to options.busy_timeout instead of failing at COMMIT.
// - table_exists() looks in the main database's sqlite_master, ignoring ASCII case the way
//   SQLite resolves names. SQLite has no schemas: a TableName with a schema is a UsageError.
// - lock() takes an flock() on the database file itself, so it serialises processes (and
//   connections within one process). There is one lock per file: the table argument does not
//   matter. The timeout message names the holder's pid when /proc/locks shows it. On an
//   in-memory database lock() and unlock() do nothing. The lock lives on NFS only as far as
//   the NFS client supports flock().
// - read_only_reason() names the file when SQLite opened it read-only (this process may not write
//   it), or its directory when this process may not create files there (SQLite's journal) and the
//   journal mode needs it. An in-memory database, or one that does not exist yet, has none.
class SqliteDriver final : public Driver {
 public:
  // Throws DriverError naming the path when the file cannot be opened or is not a database,
  // UsageError when the URL has no path.
  SqliteDriver(const DatabaseUrl& url, const OpenOptions& options);
  ~SqliteDriver() override;

  SqliteDriver(const SqliteDriver&) = delete;
  SqliteDriver& operator=(const SqliteDriver&) = delete;

  Dialect dialect() const noexcept override;
  void execute_batch(const std::vector<std::string_view>& statements) override;
  std::vector<Row> query(std::string_view sql, const Params& params = {}) override;
  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  std::vector<Row> commit_with(const std::vector<std::string>& statements) override;
  void set_statement_lock_timeout(std::optional<std::chrono::milliseconds> timeout) override;
  bool is_lock_timeout(const DriverError& error) const noexcept override;
  bool table_exists(const TableName& table) override;
  std::string quote_identifier(std::string_view identifier) const override;
  std::string quote_literal(std::string_view text) const override;
  void lock(const TableName& table, std::chrono::milliseconds timeout) override;
  void unlock() noexcept override;
  std::optional<LockHolder> lock_holder(const TableName& table) override;
  std::optional<std::string> read_only_reason() override;
  void cancel() noexcept override;  // sqlite3_interrupt

 private:
  // sqlite3_exec of one string (which may hold several statements, such as a whole trigger).
  void run_one(std::string_view sql);
  // SQLite's own view: false in autocommit mode, also after it rolled back by itself.
  bool in_transaction() const noexcept;
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace strata::drivers::sqlite
