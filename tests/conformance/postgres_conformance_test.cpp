// The driver conformance suite on PostgreSQL: a fresh schema on the test server for every test
// (STRATA_TEST_POSTGRES_URL, see scripts/test-dbs.sh), opened through open_driver's scheme table
// with search_path pointing at it; the read-only target is the standby of scripts/topologies.sh.
// An unreachable server fails the tests.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "conformance/driver_conformance.hpp"
#include "core/database_url.hpp"
#include "drivers/driver.hpp"
#include "support/topology.hpp"

namespace strata::conformance {
namespace {

constexpr const char* k_default_url = "postgres://strata:strata@127.0.0.1:55432/strata_test?sslmode=disable";

std::string server_url() {
  const char* url = std::getenv("STRATA_TEST_POSTGRES_URL");
  return url != nullptr && *url != '\0' ? url : k_default_url;
}

// A schema name no other test, here or in a parallel process, uses at the same time.
std::string fresh_schema_name() {
  static std::atomic<int> counter{0};
  return "strata_c_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

class PostgresHarness {
 public:
  static constexpr const char* k_name = "postgres";
  static constexpr Dialect k_dialect = Dialect::postgres;
  static constexpr char k_identifier_quote = '"';
  static constexpr bool k_transactional_ddl = true;
  static constexpr bool k_locks_are_per_table = true;
  // The message names the holding server backend's pid, not the client process's.
  static constexpr bool k_lock_names_holder_pid = false;
  static constexpr const char* k_slow_statement = "SELECT pg_sleep(30)";

  PostgresHarness() = default;
  PostgresHarness(const PostgresHarness&) = delete;
  PostgresHarness& operator=(const PostgresHarness&) = delete;

  ~PostgresHarness() {
    if (!m_admin) return;
    try {
      m_admin->execute("DROP SCHEMA IF EXISTS " + m_admin->quote_identifier(m_schema) + " CASCADE");
    } catch (const std::exception&) {
      // A test that broke the server leaves a schema behind; the next set_up of that name drops it.
    }
  }

  std::optional<std::string> set_up() {
    m_schema = fresh_schema_name();
    const std::string base = server_url();
    try {
      m_admin = drivers::open_driver(parse_database_url(base), drivers::OpenOptions{});
      const std::string quoted = m_admin->quote_identifier(m_schema);
      m_admin->execute("DROP SCHEMA IF EXISTS " + quoted + " CASCADE");
      m_admin->execute("CREATE SCHEMA " + quoted);
    } catch (const std::exception& e) {
      m_admin.reset();
      return std::string(e.what()) + " (start the server with scripts/test-dbs.sh start)";
    }
    m_url = parse_database_url(base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
                               m_schema);
    return std::nullopt;
  }

  std::unique_ptr<drivers::Driver> connect() { return drivers::open_driver(m_url, drivers::OpenOptions{}); }

  // The streaming standby of scripts/topologies.sh.
  static constexpr const char* k_read_only_state = "is a PostgreSQL standby (pg_is_in_recovery() is true)";
  std::unique_ptr<drivers::Driver> connect_read_only() {
    return drivers::open_driver(parse_database_url(testing::topology_url("STRATA_TEST_PG_STANDBY_URL")),
                                drivers::OpenOptions{});
  }

 private:
  std::string m_schema;
  DatabaseUrl m_url;
  std::unique_ptr<drivers::Driver> m_admin;
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, DriverConformance, PostgresHarness, HarnessName);

}  // namespace strata::conformance
