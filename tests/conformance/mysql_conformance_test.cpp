// The driver conformance suite on MySQL/MariaDB: a fresh database on the test server for every
// test (see mysql_test_database.hpp), opened through open_driver's scheme table; the read-only
// target is the read_only=1 MariaDB of scripts/topologies.sh.

#include <memory>
#include <optional>
#include <string>

#include "conformance/driver_conformance.hpp"
#include "conformance/mysql_test_database.hpp"
#include "drivers/driver.hpp"
#include "support/topology.hpp"

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

  // The read_only=1 MariaDB of scripts/topologies.sh, as a user with ALL ON *.*, which the
  // server itself would let write.
  static constexpr const char* k_read_only_state = "the server runs with read_only = ON";
  std::unique_ptr<drivers::Driver> connect_read_only() {
    return drivers::open_driver(parse_database_url(testing::topology_url("STRATA_TEST_MARIADB_RO_URL")),
                                drivers::OpenOptions{});
  }

 private:
  testing::MysqlTestDatabase m_database;
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Mysql, DriverConformance, MysqlHarness, HarnessName);

}  // namespace strata::conformance
