// The explicit dialect -> factory table: the one place that knows every driver. Built twice:
// strata_drivers links every driver in (the library, the tests); strata_drivers_modular
// (STRATA_DRIVER_MODULES, the strata binary) links SQLite in and opens PostgreSQL and MySQL
// through their modules (drivers/module.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "drivers/driver.hpp"
#include "drivers/sqlite/sqlite_driver.hpp"
#ifdef STRATA_DRIVER_MODULES
#include "drivers/module.hpp"
#else
#include "drivers/mysql/mysql_driver.hpp"
#include "drivers/postgres/postgres_driver.hpp"
#endif

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

#ifdef STRATA_DRIVER_MODULES
std::unique_ptr<Driver> open_postgres(const DatabaseUrl& url, const OpenOptions& options) {
  return open_with_module(Dialect::postgres, url, options);
}
std::unique_ptr<Driver> open_mysql(const DatabaseUrl& url, const OpenOptions& options) {
  return open_with_module(Dialect::mysql, url, options);
}
bool available(Dialect dialect) { return dialect == Dialect::sqlite || module_installed(dialect); }
#else
constexpr Factory open_postgres = &postgres::open;
constexpr Factory open_mysql = &mysql::open;
bool available(Dialect) { return true; }
#endif

// The drivers of this binary, in the order `strata --version` lists them. The URL parser has
// already mapped every scheme spelling (sqlite3, postgresql, mariadb, …) to its dialect.
const DriverEntry k_drivers[] = {
    {Dialect::sqlite, &open_sqlite},
    {Dialect::postgres, open_postgres},
    {Dialect::mysql, open_mysql},
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
  for (const DriverEntry& entry : k_drivers) {
    if (available(entry.dialect)) names.emplace_back(dialect_name(entry.dialect));
  }
  return names;
}

}  // namespace strata::drivers
