// The driver conformance suite on SQLite: a fresh database file in a fresh temporary directory
// for every test, opened through open_driver's scheme table.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "conformance/driver_conformance.hpp"
#include "drivers/driver.hpp"

namespace strata::conformance {
namespace {

class SqliteFileHarness {
 public:
  static constexpr const char* k_name = "sqlite_file";
  static constexpr Dialect k_dialect = Dialect::sqlite;
  static constexpr char k_identifier_quote = '"';
  static constexpr bool k_transactional_ddl = true;
  static constexpr bool k_locks_are_per_table = false;
  static constexpr bool k_lock_names_holder_pid = true;
  // Runs for many seconds unless interrupted.
  static constexpr const char* k_slow_statement =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000000000) SELECT count(*) FROM c";

  SqliteFileHarness() = default;
  SqliteFileHarness(const SqliteFileHarness&) = delete;
  SqliteFileHarness& operator=(const SqliteFileHarness&) = delete;

  ~SqliteFileHarness() {
    if (m_directory.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(m_directory, ignored);
  }

  std::optional<std::string> set_up() {
    std::string pattern = (std::filesystem::temp_directory_path() / "strata-conformance-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return "cannot create a temporary directory";
    m_directory = pattern;
    return std::nullopt;
  }

  std::unique_ptr<drivers::Driver> connect() {
    DatabaseUrl url;
    url.scheme = "sqlite";
    url.dialect = Dialect::sqlite;
    url.path = m_directory + "/conformance.db";
    url.redacted = "sqlite:" + url.path;
    return drivers::open_driver(url, drivers::OpenOptions{});
  }

 private:
  std::string m_directory;
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, DriverConformance, SqliteFileHarness, HarnessName);

}  // namespace strata::conformance
