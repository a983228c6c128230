#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "core/database_url.hpp"
#include "core/dialect.hpp"

namespace strata::cli {

// Values as given on the command line; unset means "not given".
struct Flags {
  std::optional<std::string> database;
  std::optional<std::string> path;
  std::optional<std::string> table;
  std::optional<std::string> lock_timeout;
  std::optional<std::string> statement_lock_timeout;
  std::optional<std::string> retries;
  std::optional<std::string> env_file;
  std::optional<std::string> dialect;
  bool json = false;
  bool verbose = false;
  bool quiet = false;
  bool no_color = false;
  bool yes = false;
};

// Variables from the process environment, then from the env file (which never overrides a
// variable that is set).
class Environment {
 public:
  // Reads `env_file` when given (missing: UsageError), else `.env` when present.
  static Environment load(const std::optional<std::string>& env_file);
  std::optional<std::string> get(const std::string& name) const;

 private:
  std::map<std::string, std::string> m_file;
};

// Parses KEY=VALUE lines (`export ` prefix, `#` comments, single or double quotes).
// Throws UsageError with file:line on a malformed line.
std::map<std::string, std::string> parse_env_file(const std::string& text, const std::string& file);

constexpr std::chrono::milliseconds k_default_statement_lock_timeout{5000};
constexpr int k_default_retries = 3;
constexpr int k_max_retries = 100;

// The resolved settings of one invocation (flag > environment > .env > default).
struct Config {
  std::optional<DatabaseUrl> database;  // nullopt: no --database / DATABASE_URL
  std::string path = "./migrations";
  std::optional<std::string> table_text;  // before validation; validated once the dialect is known
  std::chrono::milliseconds lock_timeout{15000};
  // How long a migration statement may wait for a table or row lock (--statement-lock-timeout,
  // STRATA_STATEMENT_LOCK_TIMEOUT; 0 turns it off: nullopt), and how often a transactional
  // migration that ran out of it is retried (--retries, STRATA_RETRIES). docs/operations.md.
  std::optional<std::chrono::milliseconds> statement_lock_timeout{k_default_statement_lock_timeout};
  int retries = k_default_retries;
  std::optional<Dialect> dialect;  // --dialect
  bool json = false;
  bool verbose = false;
  bool quiet = false;
  bool color = false;
  bool yes = false;

  // The version table for `dialect`: --table, then x-migrations-table, then STRATA_TABLE,
  // then schema_migrations. Throws UsageError for an invalid name.
  TableName table(Dialect dialect) const;
  std::optional<std::string> env_table;
};

// Throws UsageError naming the flag or variable at fault.
Config resolve(const Flags& flags, const Environment& env, bool stdout_is_tty);

// A whole number from 0 to k_max_retries; UsageError naming `setting` otherwise.
int parse_retries(const std::string& text, const std::string& setting);

// Seconds (integer or decimal, >= 0) → milliseconds; UsageError naming `setting` otherwise.
std::chrono::milliseconds parse_seconds(const std::string& text, const std::string& setting);

}  // namespace strata::cli
