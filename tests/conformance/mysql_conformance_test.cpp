// The driver conformance suite on MySQL/MariaDB: a fresh database on the test server for every
// test (see mysql_test_database.hpp), opened through open_driver's scheme table.

#include <memory>
#include <optional>
#include <string>

#include "conformance/driver_conformance.hpp"
#include "conformance/mysql_test_database.hpp"
#include "drivers/driver.hpp"

namespace strata::conformance {
namespace {

class MysqlHarness {
 public:
  static constexpr const char* k_name = "mysql";
  static constexpr Dialect k_dialect = Dialect::mysql;
  static constexpr char k_identifier_quote = '`';
  // DDL commits the open transaction implicitly.
  static constexpr bool k_transactional_ddl = false;
  // GET_LOCK names carry the table.
  static constexpr bool k_locks_are_per_table = true;
  // The server knows connection ids, not client pids (mysql_driver_test checks the id).
  static constexpr bool k_lock_names_holder_pid = false;
  // A killed SLEEP() or BENCHMARK() returns normally; a killed join fails with 1317.
  static constexpr const char* k_slow_statement = "SELECT COUNT(*) FROM seq_1_to_1000000 a, seq_1_to_1000000 b";

  std::optional<std::string> set_up() { return m_database.create(); }

  std::unique_ptr<drivers::Driver> connect() { return m_database.connect(); }

 private:
  testing::MysqlTestDatabase m_database;
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Mysql, DriverConformance, MysqlHarness, HarnessName);

}  // namespace strata::conformance
