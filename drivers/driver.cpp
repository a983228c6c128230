#include "drivers/driver.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "core/sql_words.hpp"
#include "drivers/mysql/mysql_driver.hpp"
#include "drivers/postgres/postgres_driver.hpp"
#include "drivers/sqlite/sqlite_driver.hpp"

namespace strata::drivers {
namespace {

using Factory = std::unique_ptr<Driver> (*)(const DatabaseUrl& url, const OpenOptions& options);

struct DriverEntry {
  Dialect dialect;
  Factory open;
};

std::unique_ptr<Driver> open_sqlite(const DatabaseUrl& url, const OpenOptions& options) {
  return std::make_unique<sqlite::SqliteDriver>(url, options);
}

// The drivers built into this binary, in the order `strata --version` lists them. The URL
// parser has already mapped every scheme spelling (sqlite3, postgresql, mariadb, …) to its
// dialect.
const DriverEntry k_drivers[] = {
    {Dialect::sqlite, &open_sqlite},
    {Dialect::postgres, &postgres::open},
    {Dialect::mysql, &mysql::open},
};

}  // namespace

std::unique_ptr<Driver> open_driver(const DatabaseUrl& url, const OpenOptions& options) {
  for (const DriverEntry& entry : k_drivers) {
    if (entry.dialect == url.dialect) return entry.open(url, options);
  }
  throw UsageError(fmt::format("this strata has no {} driver (built in: {}): {}", dialect_name(url.dialect),
                               fmt::join(built_in_drivers(), ", "), url.redacted));
}

void Driver::execute_batch(const std::vector<std::string_view>& statements) {
  for (size_t index = 0; index < statements.size(); ++index) {
    try {
      execute(statements[index]);
    } catch (const StatementFailed&) {
      throw;
    } catch (const DriverError& error) {
      throw StatementFailed(index, error);
    }
  }
}

void Driver::commit_after(const std::vector<std::string>& statements) {
  execute_batch(std::vector<std::string_view>(statements.begin(), statements.end()));
  try {
    commit();
  } catch (const StatementFailed&) {
    throw;
  } catch (const DriverError& error) {
    throw StatementFailed(statements.size(), error);
  }
}

std::vector<Row> Driver::execute_transaction(const std::vector<std::string>& statements) {
  begin();
  try {
    std::vector<Row> rows;
    for (size_t index = 0; index < statements.size(); ++index) {
      try {
        if (index + 1 < statements.size())
          execute(statements[index]);
        else
          rows = query(statements[index]);
      } catch (const DriverError& error) {
        throw StatementFailed(index, error);
      }
    }
    commit();
    return rows;
  } catch (...) {
    rollback();
    throw;
  }
}

std::string Driver::bind_literals(std::string_view sql, const Params& params) const {
  std::string text;
  text.reserve(sql.size() + 16 * params.size());
  size_t placeholders = 0;
  char quote = 0;
  for (const char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      if (placeholders < params.size()) {
        const Value& value = params[placeholders];
        text += value ? quote_literal(*value) : std::string("NULL");
      }
      ++placeholders;
      continue;
    }
    text += c;
  }
  if (placeholders != params.size())
    throw DriverError(fmt::format("query takes {} parameters, {} given", placeholders, params.size()));
  return text;
}

bool Driver::is_data_change(std::string_view sql) noexcept {
  const std::string word = leading_words(sql, 1);
  return word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "REPLACE";
}

std::string quote_with(std::string_view identifier, char quote) {
  std::string quoted(1, quote);
  for (char c : identifier) {
    if (c == quote) quoted += quote;
    quoted += c;
  }
  quoted += quote;
  return quoted;
}

std::vector<std::string> built_in_drivers() {
  std::vector<std::string> names;
  for (const DriverEntry& entry : k_drivers) names.emplace_back(dialect_name(entry.dialect));
  return names;
}

}  // namespace strata::drivers
