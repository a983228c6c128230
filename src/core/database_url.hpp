#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dialect.hpp"

namespace strata {

// A version-table name: `[A-Za-z_][A-Za-z0-9_]*`, optionally `schema.` in front (PostgreSQL).
struct TableName {
  std::string schema;  // empty when unqualified
  std::string name;

  // "schema.name" or "name", unquoted, for messages.
  std::string display() const;
  // The history table that goes with this version table: `<name>_history`, same schema.
  TableName history() const;
};

// Validates and splits NAME; throws UsageError (exit 2) naming `setting` on anything else.
// `schema.name` is accepted only when dialect is postgres.
TableName parse_table_name(std::string_view text, Dialect dialect, std::string_view setting = "--table");

// A database URL of SPEC §5, parsed. The password never leaves this struct except through
// `password` itself: everything printable uses `redacted`.
struct DatabaseUrl {
  std::string scheme;  // as written: "sqlite", "sqlite3", "postgres", "postgresql", "mysql", "mariadb"
  Dialect dialect = Dialect::sqlite;
  std::string redacted;  // the URL with the password (and any password= parameter) as ***

  // SQLite: the file path (":memory:" for sqlite::memory:).
  std::string path;

  // PostgreSQL: the libpq URI to connect with, x-migrations-table removed.
  std::string conninfo;

  // Network URLs (PostgreSQL, MySQL), percent-decoded.
  std::string user;
  std::optional<std::string> password;
  std::string host;
  std::optional<int> port;
  std::string database;
  std::vector<std::pair<std::string, std::string>> params;  // query parameters, x-migrations-table removed

  // x-migrations-table=NAME from the query string (golang-migrate compatibility).
  std::optional<std::string> migrations_table;
};

// Parses a URL; throws UsageError (exit 2) with the redacted URL in the message when the
// scheme is unknown or the URL is malformed.
DatabaseUrl parse_database_url(std::string_view url);

// Replaces the password of anything that looks like a URL in `text` with ***; used on every
// message that may quote a URL (library errors included).
std::string redact_passwords(std::string_view text);

}  // namespace strata
