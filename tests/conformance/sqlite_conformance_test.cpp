// The driver conformance suite on SQLite: a fresh database file in a fresh temporary directory
// for every test, opened through open_driver's scheme table.

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
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

  std::unique_ptr<drivers::Driver> connect() { return drivers::open_driver(url(), drivers::OpenOptions{}); }

  // The database file made read-only (mode 0444). root may write any file, so as root the
  // connection is opened with the effective user nobody, which SQLite then cannot write.
  static constexpr const char* k_read_only_state = "the file is read-only for this user";
  std::unique_ptr<drivers::Driver> connect_read_only() {
    connect()->execute("CREATE TABLE conformance_ro (id INTEGER)");
    std::filesystem::permissions(url().path, std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                                 std::filesystem::perms::others_read);
    using std::filesystem::perms;
    std::filesystem::permissions(m_directory,
                                 perms::group_read | perms::group_exec | perms::others_read | perms::others_exec,
                                 std::filesystem::perm_options::add);
    const bool as_root = ::geteuid() == 0;
    if (as_root && ::seteuid(k_nobody) != 0) throw std::runtime_error("seteuid(nobody) failed");
    std::unique_ptr<drivers::Driver> driver;
    try {
      driver = connect();
    } catch (...) {
      if (as_root && ::seteuid(0) != 0) std::abort();
      throw;
    }
    if (as_root && ::seteuid(0) != 0) std::abort();
    return driver;
  }

 private:
  static constexpr uid_t k_nobody = 65534;

  DatabaseUrl url() const {
    DatabaseUrl url;
    url.scheme = "sqlite";
    url.dialect = Dialect::sqlite;
    url.path = m_directory + "/conformance.db";
    url.redacted = "sqlite:" + url.path;
    return url;
  }

  std::string m_directory;
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, DriverConformance, SqliteFileHarness, HarnessName);

}  // namespace strata::conformance
