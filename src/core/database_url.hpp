#pragma once

#include <chrono>
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

// How a MySQL connection uses TLS (go-sql-driver/mysql's `tls=` values).
enum class MysqlTls {
  off,          // tls=false, the default: plain TCP
  preferred,    // tls=preferred: TLS when the server offers it, certificate not verified
  skip_verify,  // tls=skip-verify: TLS required, certificate not verified
  verify,       // tls=true: TLS required, certificate and host name verified (system CAs or tls_ca)
};

// `SET SESSION name = value` from a URL parameter the mysql driver does not know itself.
struct MysqlSessionVariable {
  std::string name;   // [A-Za-z_][A-Za-z0-9_]*
  std::string value;  // text of a string literal, or a number or keyword when `literal` is false
  // False when `value` is a number or one of TRUE, FALSE, ON, OFF, DEFAULT, sent as it is;
  // anything else is sent as a quoted string literal.
  bool literal = true;
};

// The connection settings of a mysql/mariadb URL (query parameters in go-sql-driver/mysql,
// golang-migrate and dbmate spellings, and unix(/path) hosts), checked when the URL is parsed so
// that a typo never reaches the server. docs/drivers.md lists every parameter.
struct MysqlSettings {
  std::string socket;                                        // Unix socket path (unix(/path) or socket=); empty: TCP
  std::string charset = "utf8mb4";                           // charset= (the first of a go-sql-driver fallback list)
  std::string collation;                                     // collation=; empty: the charset's default
  MysqlTls tls = MysqlTls::off;                              // tls=, or verify when only certificate files are given
  std::string tls_ca;                                        // ssl-ca= / x-tls-ca=: CA file the server is verified with
  std::string tls_cert;                                      // ssl-cert= / x-tls-cert=: client certificate file
  std::string tls_key;                                       // ssl-key= / x-tls-key=: its private key file
  std::optional<std::chrono::milliseconds> connect_timeout;  // timeout=
  std::optional<std::chrono::milliseconds> read_timeout;     // readTimeout=
  std::optional<std::chrono::milliseconds> write_timeout;    // writeTimeout=
  bool compress = false;                                     // compress=true
  bool cleartext_passwords = false;                          // allowCleartextPasswords=true
  std::vector<MysqlSessionVariable> session_variables;       // in URL order
};

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

  // Network URLs (PostgreSQL, MySQL), percent-decoded. A PostgreSQL URL may list several
  // hosts (host1:port1,host2:port2; libpq tries them in order): host and port are the first's,
  // conninfo keeps them all.
  std::string user;
  std::optional<std::string> password;
  std::string host;
  std::optional<int> port;
  std::string database;
  std::vector<std::pair<std::string, std::string>> params;  // query parameters, x-migrations-table removed

  // x-migrations-table=NAME from the query string (golang-migrate compatibility).
  std::optional<std::string> migrations_table;
  // x-lock-lease=SECONDS (PostgreSQL, MySQL): the length of the lease that is the migration lock
  // where a session lock cannot be trusted (a Galera cluster, a connection pooler; see
  // docs/clusters.md). nullopt: the driver's default.
  std::optional<std::chrono::seconds> lock_lease;

  // MySQL: the settings read from `params` (which stay as written, for messages).
  MysqlSettings mysql;
};

// Parses a URL; throws UsageError (exit 2) with the redacted URL in the message when the
// scheme is unknown or the URL is malformed, and for a mysql URL when a parameter is unknown (not
// a driver parameter and not a plausible session variable, or a near miss of a driver parameter),
// has a bad value, or names a certificate file that cannot be read.
DatabaseUrl parse_database_url(std::string_view url);

// Replaces the password of anything that looks like a URL in `text` with ***; used on every
// message that may quote a URL (library errors included).
std::string redact_passwords(std::string_view text);

}  // namespace strata
