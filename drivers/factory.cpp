// The explicit dialect -> factory table (strata_drivers): the one place that knows every driver.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "drivers/driver.hpp"
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

std::vector<std::string> built_in_drivers() {
  std::vector<std::string> names;
  for (const DriverEntry& entry : k_drivers) names.emplace_back(dialect_name(entry.dialect));
  return names;
}

}  // namespace strata::drivers
