// Behaviour of the PostgreSQL driver beyond the conformance suite: error positions and messages,
// statements that must run outside a transaction, schema-qualified tables and lock keys, the lock
// holder message, lost connections, and connection failures. Needs the test server
// (STRATA_TEST_POSTGRES_URL, see scripts/test-dbs.sh); an unreachable server fails the tests.

#include "drivers/postgres/postgres_driver.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "core/database_url.hpp"
#include "core/error.hpp"
#include "drivers/driver.hpp"

namespace strata::drivers {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* k_default_url = "postgres://strata:strata@127.0.0.1:55432/strata_test?sslmode=disable";

const TableName k_table{"", "schema_migrations"};

std::string server_url() {
  const char* url = std::getenv("STRATA_TEST_POSTGRES_URL");
  return url != nullptr && *url != '\0' ? url : k_default_url;
}

std::string with_param(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

// Each test gets its own schemas on the shared server, named so that parallel test processes
// never collide, dropped afterwards.
class PostgresDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    m_prefix = "strata_d_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    try {
      m_admin = open_driver(parse_database_url(server_url()), OpenOptions{});
    } catch (const std::exception& e) {
      GTEST_FAIL() << "database not usable: " << e.what() << " (start the server with scripts/test-dbs.sh start)";
    }
    m_schema = make_schema("main");
  }

  void TearDown() override {
    if (!m_admin) return;
    for (const std::string& schema : m_schemas) {
      try {
        m_admin->execute("DROP SCHEMA IF EXISTS " + m_admin->quote_identifier(schema) + " CASCADE");
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cannot drop schema " << schema << ": " << e.what();
      }
    }
  }

  // Creates (afresh) a schema owned by this test; returns its name.
  std::string make_schema(const std::string& suffix) {
    const std::string schema = m_prefix + "_" + suffix;
    const std::string quoted = m_admin->quote_identifier(schema);
    m_admin->execute("DROP SCHEMA IF EXISTS " + quoted + " CASCADE");
    m_admin->execute("CREATE SCHEMA " + quoted);
    m_schemas.push_back(schema);
    return schema;
  }

  // The server URL with search_path set to `schema` (the test's main schema by default).
  std::string url_for(const std::string& schema = {}) const {
    return with_param(server_url(), "options=-csearch_path%3D" + (schema.empty() ? m_schema : schema));
  }

  std::unique_ptr<Driver> connect(const std::string& schema = {}, OpenOptions options = {}) {
    return open_driver(parse_database_url(url_for(schema)), options);
  }

  std::string describe_url() const { return parse_database_url(url_for()).redacted; }

  static std::string backend_pid(Driver& db) { return db.query("SELECT pg_backend_pid()").at(0).at(0).value_or(""); }

  // Terminates the backend of `victim` from the admin connection and waits until it is gone.
  void terminate(const std::string& pid) {
    ASSERT_THAT(m_admin->query("SELECT pg_terminate_backend(?::int)", {pid}), ElementsAre(Row{"t"}));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!m_admin->query("SELECT 1 FROM pg_stat_activity WHERE pid = ?::int", {pid}).empty()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "backend " << pid << " did not exit";
      std::this_thread::sleep_for(20ms);
    }
  }

  std::string m_prefix;
  std::string m_schema;
  std::vector<std::string> m_schemas;
  std::unique_ptr<Driver> m_admin;
};

// The statement lock timeout never stays on the session (a pooler in transaction mode may hand
// the server connection to another client next): SET LOCAL in each transaction begin() opens,
// and SET … RESET around a statement outside one.
TEST_F(PostgresDriverTest, StatementLockTimeoutLeavesNoSessionState) {
  auto db = connect();
  const std::string server_default = db->query("SHOW lock_timeout").at(0).at(0).value_or("");
  db->set_statement_lock_timeout(250ms);
  db->begin();
  EXPECT_THAT(db->query("SHOW lock_timeout"), ElementsAre(Row{"250ms"}));
  db->commit();
  EXPECT_THAT(db->query("SHOW lock_timeout"), ElementsAre(Row{server_default}))
      << "SET LOCAL ends with the transaction";
  db->execute("CREATE TABLE t (id INTEGER)");
  EXPECT_THAT(db->query("SHOW lock_timeout"), ElementsAre(Row{server_default})) << "reset after the statement";
  try {
    db->execute("SELECT * FROM no_such_table");
    ADD_FAILURE() << "no error";
  } catch (const DriverError&) {
  }
  EXPECT_THAT(db->query("SHOW lock_timeout"), ElementsAre(Row{server_default})) << "reset after a failure too";
}

TEST_F(PostgresDriverTest, ErrorCarriesTheServersMessageSqlstateAndBytePosition) {
  auto db = connect();
  const std::string sql = "SELECT 1\n  FROM (SELECT 2) AS two\n  JOIN nope ON true";
  try {
    db->execute(sql);
    FAIL() << "no error";
  } catch (const DriverError& e) {
    EXPECT_STREQ(e.what(), "relation \"nope\" does not exist");
    EXPECT_EQ(e.sqlstate(), "42P01");
    ASSERT_TRUE(e.position());
    ASSERT_GE(*e.position(), 1U);
    ASSERT_LE(*e.position(), sql.size());
    const std::string before = sql.substr(0, *e.position() - 1);
    EXPECT_EQ(std::count(before.begin(), before.end(), '\n'), 2);
    EXPECT_THAT(sql.substr(*e.position() - 1), StartsWith("nope"));
  }
}

TEST_F(PostgresDriverTest, ErrorPositionCountsBytesAfterMultibyteCharacters) {
  auto db = connect();
  const std::string sql = "SELECT '\xC3\xBC\xC3\xBC\xE2\x82\xAC' AS \"\xC3\xA9\", missing_column";
  try {
    db->execute(sql);
    FAIL() << "no error";
  } catch (const DriverError& e) {
    EXPECT_EQ(e.sqlstate(), "42703");
    ASSERT_TRUE(e.position());
    EXPECT_EQ(sql.substr(*e.position() - 1), "missing_column");
  }
}

TEST_F(PostgresDriverTest, QueryErrorsCarryTheSyntaxErrorPositionToo) {
  auto db = connect();
  const std::string sql = "SELECT ?::int\nFROM FROM";
  try {
    db->query(sql, {"1"});
    FAIL() << "no error";
  } catch (const DriverError& e) {
    EXPECT_STREQ(e.what(), "syntax error at or near \"FROM\"");
    EXPECT_EQ(e.sqlstate(), "42601");
    ASSERT_TRUE(e.position());
    // The server saw $1 for the `?`; the position points into the caller's text.
    EXPECT_EQ(*e.position(), sql.rfind("FROM") + 1);
  }
}

TEST_F(PostgresDriverTest, ErrorMessageIsOneLineWithTheDetail) {
  auto db = connect();
  db->execute("CREATE TABLE items (id INTEGER PRIMARY KEY)");
  db->execute("INSERT INTO items VALUES (1)");
  try {
    db->execute("INSERT INTO items VALUES (1)");
    FAIL() << "no error";
  } catch (const DriverError& e) {
    EXPECT_STREQ(e.what(),
                 "duplicate key value violates unique constraint \"items_pkey\" "
                 "(detail: Key (id)=(1) already exists.)");
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_FALSE(e.position());
  }
}

TEST_F(PostgresDriverTest, CreateIndexConcurrentlyRunsOutsideATransactionOnly) {
  auto db = connect();
  db->execute("CREATE TABLE items (id INTEGER)");
  db->begin();
  try {
    db->execute("CREATE INDEX CONCURRENTLY items_id_inside ON items (id)");
    ADD_FAILURE() << "CREATE INDEX CONCURRENTLY ran inside a transaction";
  } catch (const DriverError& e) {
    EXPECT_EQ(e.sqlstate(), "25001");
  }
  db->rollback();
  db->execute("CREATE INDEX CONCURRENTLY items_id ON items (id)");
  EXPECT_THAT(db->query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"),
              ElementsAre(Row{"items_id"}));
}

TEST_F(PostgresDriverTest, CommitAfterAFailedStatementRollsBackAndThrows) {
  auto db = connect();
  db->execute("CREATE TABLE items (id INTEGER)");
  db->begin();
  db->execute("INSERT INTO items VALUES (1)");
  EXPECT_THROW(db->execute("INSERT INTO nope VALUES (1)"), DriverError);
  try {
    db->commit();
    ADD_FAILURE() << "commit() of a failed transaction succeeded";
  } catch (const DriverError& e) {
    EXPECT_EQ(e.sqlstate(), "25P02");
  }
  EXPECT_THAT(db->query("SELECT COUNT(*) FROM items"), ElementsAre(Row{"0"}));
  db->begin();
  db->execute("INSERT INTO items VALUES (2)");
  db->commit();
  EXPECT_THAT(db->query("SELECT id FROM items"), ElementsAre(Row{"2"}));
}

TEST_F(PostgresDriverTest, QueryPlaceholdersSkipQuotedQuestionMarksAndCountParameters) {
  auto db = connect();
  EXPECT_THAT(db->query("SELECT '?', \"?\".x, ? FROM (SELECT 1 AS x) AS \"?\"", {"value"}),
              ElementsAre(Row{"?", "1", "value"}));
  EXPECT_THAT(db->query("SELECT ?::boolean, ?::bigint", {"1", "-7"}), ElementsAre(Row{"t", "-7"}));
  try {
    db->query("SELECT ?, ?", {"one"});
    ADD_FAILURE() << "a missing parameter was accepted";
  } catch (const DriverError& e) {
    EXPECT_STREQ(e.what(), "query takes 2 parameters, 1 given");
  }
}

// Literals follow the session's standard_conforming_strings (libpq writes E'…' when needed).
TEST_F(PostgresDriverTest, LiteralsFollowTheSessionsStandardConformingStrings) {
  auto db = connect();
  db->execute("CREATE TABLE texts (id INT NOT NULL, t TEXT)");
  const std::string text = "C:\\dir\\'quoted'\\";
  db->execute("INSERT INTO texts VALUES (1, " + db->quote_literal(text) + ")");
  db->execute("SET standard_conforming_strings = off");
  db->execute("INSERT INTO texts VALUES (2, " + db->quote_literal(text) + ")");
  db->execute("SET standard_conforming_strings = on");
  EXPECT_EQ(db->query("SELECT t FROM texts ORDER BY id"), (std::vector<Row>{Row{text}, Row{text}}));
}

TEST_F(PostgresDriverTest, TableExistsLooksInTheNamedSchemaOrTheCurrentOne) {
  const std::string other = make_schema("other");
  auto db = connect();
  db->execute("CREATE TABLE " + db->quote_identifier(other) + ".schema_migrations (version BIGINT)");
  EXPECT_FALSE(db->table_exists(k_table));
  EXPECT_TRUE(db->table_exists(TableName{other, "schema_migrations"}));
  EXPECT_FALSE(db->table_exists(TableName{m_schema, "schema_migrations"}));
  EXPECT_FALSE(db->table_exists(TableName{other, "Schema_Migrations"}));
  EXPECT_FALSE(db->table_exists(TableName{"no_such_schema_at_all", "schema_migrations"}));
  db->execute("CREATE TABLE schema_migrations (version BIGINT)");
  EXPECT_TRUE(db->table_exists(k_table));
  EXPECT_TRUE(db->table_exists(TableName{m_schema, "schema_migrations"}));
  // Views and sequences are not tables.
  db->execute("CREATE VIEW a_view AS SELECT 1 AS x");
  db->execute("CREATE SEQUENCE a_sequence");
  EXPECT_FALSE(db->table_exists(TableName{"", "a_view"}));
  EXPECT_FALSE(db->table_exists(TableName{"", "a_sequence"}));
}

TEST_F(PostgresDriverTest, LockKeysDifferPerSchemaAndMatchTheCurrentSchemaWhenUnqualified) {
  const std::string other = make_schema("other");
  auto first = connect();
  auto second = connect();
  auto elsewhere = connect(other);

  first->lock(TableName{other, "schema_migrations"}, 250ms);
  // Same table named from another search_path: the same lock.
  EXPECT_THROW(elsewhere->lock(k_table, 250ms), LockTimeout);
  // Same table name in another schema: another lock.
  second->lock(TableName{m_schema, "schema_migrations"}, 250ms);
  EXPECT_THROW(elsewhere->lock(TableName{m_schema, "schema_migrations"}, 250ms), LockTimeout);
  second->unlock();
  first->unlock();
  elsewhere->lock(k_table, 250ms);
  EXPECT_THROW(connect()->lock(TableName{other, "schema_migrations"}, 250ms), LockTimeout);
  elsewhere->unlock();
}

TEST_F(PostgresDriverTest, LockTimeoutNamesTheHoldingBackend) {
  auto holder = connect();
  auto waiter = connect();
  holder->lock(k_table, 250ms);
  const std::string pid = backend_pid(*holder);
  try {
    waiter->lock(k_table, 300ms);
    FAIL() << "lock() succeeded while another connection held it";
  } catch (const LockTimeout& e) {
    EXPECT_THAT(e.what(), StartsWith("could not take the migration lock on " + describe_url() +
                                     " (table schema_migrations) within 300 ms: held by pid " + pid +
                                     " (application_name strata, user strata, client 127.0.0.1, since "));
    EXPECT_THAT(e.what(), MatchesRegex(".*, since [0-9]{4}-[0-9]{2}-[0-9]{2} "
                                       "[0-9]{2}:[0-9]{2}:[0-9]{2} UTC\\); if that session is dead or stuck, end "
                                       "it with `SELECT pg_terminate_backend\\(" +
                                       pid + "\\)`"));
    EXPECT_THAT(e.what(), Not(HasSubstr(":strata@")));
  }
  holder->unlock();
}

// (That the lock survives rollback() is in the conformance suite.)
TEST_F(PostgresDriverTest, UnlockInAFailedTransactionReleasesTheLock) {
  auto holder = connect();
  auto waiter = connect();
  holder->lock(k_table, 250ms);
  EXPECT_THROW(waiter->lock(k_table, 100ms), LockTimeout);
  holder->begin();
  EXPECT_THROW(holder->execute("SELECT * FROM nope"), DriverError);
  holder->unlock();
  waiter->lock(k_table, 5s);
  waiter->unlock();
}

TEST_F(PostgresDriverTest, ApplicationNameFromTheUrlWins) {
  auto db = open_driver(parse_database_url(with_param(url_for(), "application_name=deployer")), OpenOptions{});
  EXPECT_THAT(db->query("SELECT current_setting('application_name')"), ElementsAre(Row{"deployer"}));
  EXPECT_THAT(connect()->query("SELECT current_setting('application_name')"), ElementsAre(Row{"strata"}));
}

// golang-migrate's and dbmate's URLs (lib/pq) set server settings with plain parameters.
TEST_F(PostgresDriverTest, UrlParametersThatAreNotLibpqsAreServerSettings) {
  const std::string url = with_param(server_url(), "search_path=" + m_schema + "&DateStyle=SQL%2C%20DMY");
  auto db = open_driver(parse_database_url(url), OpenOptions{});
  EXPECT_THAT(db->query("SELECT current_setting('search_path'), current_setting('DateStyle')"),
              ElementsAre(Row{m_schema, "SQL, DMY"}));
  db->execute("CREATE TABLE lands_here (id INTEGER)");
  EXPECT_TRUE(db->table_exists(TableName{m_schema, "lands_here"}));
  // With the URL's own options, and with libpq's parameters kept as they are.
  auto both = open_driver(parse_database_url(with_param(url_for(), "statement_timeout=1234&application_name=x%20y")),
                          OpenOptions{});
  EXPECT_THAT(both->query("SELECT current_setting('search_path'), current_setting('statement_timeout'), "
                          "current_setting('application_name')"),
              ElementsAre(Row{m_schema, "1234ms", "x y"}));
}

TEST_F(PostgresDriverTest, AnUnknownServerSettingInTheUrlIsAConnectionErrorNamingIt) {
  try {
    open_driver(parse_database_url(with_param(url_for(), "no_such_setting=1")), OpenOptions{});
    ADD_FAILURE() << "connected with an unknown setting";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unrecognized configuration parameter \"no_such_setting\""));
    EXPECT_TRUE(is_permanent_connect_error(e)) << "waiting cannot fix it: " << e.what();
  }
}

TEST_F(PostgresDriverTest, KilledBackendFailsEveryLaterCallInsteadOfReconnecting) {
  auto db = connect();
  db->execute("CREATE TABLE items (id INTEGER)");
  terminate(backend_pid(*db));
  try {
    db->execute("INSERT INTO items VALUES (1)");
    ADD_FAILURE() << "execute() on a terminated backend succeeded";
  } catch (const DriverError& e) {
    // Whichever libpq saw first: the server's goodbye or the closed socket.
    EXPECT_THAT(e.what(), StartsWith("lost the connection to " + describe_url() + ": "));
    EXPECT_THAT(e.what(), MatchesRegex(".*(terminating connection due to administrator command|"
                                       "server closed the connection unexpectedly).*"));
  }
  EXPECT_THROW(db->execute("SELECT 1"), DriverError);
  EXPECT_THROW(db->query("SELECT 1"), DriverError);
  EXPECT_THROW(db->begin(), DriverError);
  EXPECT_THROW(db->table_exists(k_table), DriverError);
  db->rollback();
  db->unlock();
  EXPECT_THAT(m_admin->query("SELECT COUNT(*) FROM " + m_admin->quote_identifier(m_schema) + ".items"),
              ElementsAre(Row{"0"}));
}

TEST_F(PostgresDriverTest, LosingTheConnectionWhileHoldingTheLockIsAnError) {
  auto holder = connect();
  holder->lock(k_table, 250ms);
  terminate(backend_pid(*holder));
  // The server released the lock with the session.
  auto other = connect();
  other->lock(k_table, 5s);
  try {
    holder->query("SELECT 1");
    ADD_FAILURE() << "query() on a terminated backend succeeded";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(),
                StartsWith("lost the connection to " + describe_url() + " (and the migration lock with it): "));
  }
  try {
    holder->execute("SELECT 1");
    ADD_FAILURE() << "execute() after a lost connection succeeded";
  } catch (const DriverError& e) {
    EXPECT_EQ(e.what(), "lost the connection to " + describe_url() + " (and the migration lock with it)");
  }
  holder->unlock();
  other->unlock();
}

TEST_F(PostgresDriverTest, BadPasswordIsADriverErrorWithoutThePassword) {
  const DatabaseUrl good = parse_database_url(server_url());
  const std::string secret = "Wr0ng-s3cret-pw";
  const DatabaseUrl bad =
      parse_database_url("postgres://" + good.user + ":" + secret + "@" + good.host + ":" +
                         std::to_string(good.port.value_or(5432)) + "/" + good.database + "?sslmode=disable");
  try {
    open_driver(bad, OpenOptions{});
    FAIL() << "connected with a wrong password";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), StartsWith("cannot connect to " + bad.redacted + ": "));
    EXPECT_THAT(e.what(), HasSubstr("password authentication failed for user \"" + good.user + "\""));
    EXPECT_THAT(e.what(), Not(HasSubstr(secret)));
    EXPECT_THAT(e.what(), Not(HasSubstr("\n")));
  }
}

TEST_F(PostgresDriverTest, RefusedConnectionFailsQuickly) {
  // A port nothing listens on: bound, then closed again.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  const DatabaseUrl url =
      parse_database_url("postgres://strata:pw@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/db");
  const auto start = std::chrono::steady_clock::now();
  try {
    open_driver(url, OpenOptions{});
    FAIL() << "connected to a closed port";
  } catch (const DriverError& e) {
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_THAT(e.what(), StartsWith("cannot connect to " + url.redacted + ": "));
    EXPECT_THAT(e.what(), HasSubstr("Connection refused"));
    EXPECT_THAT(e.what(), Not(HasSubstr("\n")));
  }
}

TEST_F(PostgresDriverTest, ConnectTimeoutFollowsTheBusyTimeout) {
  // A listener that never answers: libpq waits for the server's reply until connect_timeout.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string port = std::to_string(ntohs(address.sin_port));

  OpenOptions options;
  options.busy_timeout = 500ms;  // rounds up to the 2 s minimum
  auto start = std::chrono::steady_clock::now();
  try {
    open_driver(parse_database_url("postgres://strata:pw@127.0.0.1:" + port + "/db"), options);
    ADD_FAILURE() << "connected to a silent listener";
  } catch (const DriverError& e) {
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 1500ms);
    EXPECT_LT(elapsed, 6s);
    EXPECT_THAT(e.what(), HasSubstr("timeout expired"));
  }

  // A connect_timeout in the URL wins.
  options.busy_timeout = 60s;
  start = std::chrono::steady_clock::now();
  EXPECT_THROW(
      open_driver(parse_database_url("postgres://strata:pw@127.0.0.1:" + port + "/db?connect_timeout=2"), options),
      DriverError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 6s);
  ::close(fd);
}

// The host:port and database of the test server, as read_only_reason() names them.
std::string server_named() {
  const DatabaseUrl url = parse_database_url(server_url());
  return url.host + ":" + std::to_string(url.port.value_or(5432)) + " (database " + url.database + ")";
}

TEST_F(PostgresDriverTest, ReadOnlyReasonNamesDefaultTransactionReadOnlyOfTheSession) {
  auto db = open_driver(parse_database_url(with_param(server_url(), "options=-cdefault_transaction_read_only%3Don")),
                        OpenOptions{});
  EXPECT_EQ(db->read_only_reason(),
            "cannot migrate " + server_named() +
                ": default_transaction_read_only is on for this session, so it cannot write; point --database at the "
                "primary, or turn default_transaction_read_only off for this user or database");
}

TEST_F(PostgresDriverTest, ReadOnlyReasonNamesTransactionReadOnlyInsideAReadOnlyTransaction) {
  auto db = open_driver(parse_database_url(server_url()), OpenOptions{});
  db->execute("BEGIN READ ONLY");
  const std::optional<std::string> reason = db->read_only_reason();
  db->execute("ROLLBACK");
  ASSERT_TRUE(reason);
  EXPECT_THAT(*reason, StartsWith("cannot migrate " + server_named() + ": transaction_read_only is on"));
}

TEST_F(PostgresDriverTest, ReadOnlyReasonIsNoneAfterTheSessionTurnedReadOnlyOff) {
  auto db = open_driver(parse_database_url(with_param(server_url(), "options=-cdefault_transaction_read_only%3Don")),
                        OpenOptions{});
  ASSERT_TRUE(db->read_only_reason());
  db->execute("SET default_transaction_read_only = off");
  db->execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE");
  EXPECT_EQ(db->read_only_reason(), std::nullopt);
}

}  // namespace
}  // namespace strata::drivers
