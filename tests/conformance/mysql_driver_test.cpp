// Behaviour of the MySQL/MariaDB driver beyond the conformance suite: what MySQL does
// differently (conditional comments, implicit commits, result sets from execute()), connection
// failures and lost connections, URL parameters, error and lock-timeout messages.

#include "drivers/mysql/mysql_driver.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "conformance/mysql_test_database.hpp"
#include "core/error.hpp"
#include "drivers/driver.hpp"

namespace strata::drivers {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::MysqlTestDatabase;
using ::testing::Not;

const TableName k_table{"", "schema_migrations"};

class MysqlDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto reason = m_database.create()) GTEST_FAIL() << "database not usable: " << *reason;
  }

  std::unique_ptr<Driver> connect(const OpenOptions& options = {}) { return m_database.connect(options); }

  static std::string connection_id(Driver& db) {
    const auto rows = db.query("SELECT CONNECTION_ID()");
    if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0]) return "<none>";
    return *rows[0][0];
  }

  MysqlTestDatabase m_database;
};

TEST_F(MysqlDriverTest, ConditionalCommentIsSentAsIsAndTakesEffect) {
  auto db = connect();
  db->execute("/*!40101 SET @x = 1 */");
  EXPECT_THAT(db->query("SELECT @x = 1"), ElementsAre(Row{"1"}));
  // A version above the server's turns the comment into a comment.
  db->execute("/*!99999 SET @x = 2 */ SELECT 1");
  EXPECT_THAT(db->query("SELECT @x"), ElementsAre(Row{"1"}));
}

TEST_F(MysqlDriverTest, ProcedureWithSeveralResultSetsThroughExecuteAndQuery) {
  auto db = connect();
  db->execute("CREATE PROCEDURE two_results() BEGIN SELECT 1 AS a; SELECT 2 AS b, 3 AS c; END");
  db->execute("CALL two_results()");
  EXPECT_THAT(db->query("SELECT 4"), ElementsAre(Row{"4"}));
  // query() returns the first result set and reads the rest.
  EXPECT_THAT(db->query("CALL two_results()"), ElementsAre(Row{"1"}));
  EXPECT_THAT(db->query("SELECT 5"), ElementsAre(Row{"5"}));
}

TEST_F(MysqlDriverTest, DdlInsideATransactionCommitsItAndRollbackUndoesNeither) {
  // Documented engine behaviour (implicit commit), the reason MySQL uses the dirty protocol.
  auto db = connect();
  db->execute("CREATE TABLE items (id INTEGER)");
  db->begin();
  db->execute("INSERT INTO items VALUES (1)");
  db->execute("CREATE TABLE created_inside (id INTEGER)");
  db->execute("INSERT INTO items VALUES (2)");
  db->rollback();
  EXPECT_TRUE(db->table_exists(TableName{"", "created_inside"}));
  // The CREATE committed the first insert; the second ran in autocommit mode.
  EXPECT_THAT(db->query("SELECT id FROM items ORDER BY id"), ElementsAre(Row{"1"}, Row{"2"}));
}

// Batches count one result per statement: a result set in the middle and a CALL (several
// results) must not shift the count, and the connection stays in sync afterwards.
TEST_F(MysqlDriverTest, BatchesWithResultSetsAndCallsKeepCount) {
  auto db = connect();
  db->execute("CREATE TABLE batch_items (id INT)");
  db->execute("CREATE PROCEDURE batch_proc() BEGIN SELECT 1; SELECT 2; END");
  try {
    db->execute_batch({"INSERT INTO batch_items VALUES (1)", "SELECT * FROM batch_items", "CALL batch_proc()",
                       "INSERT INTO batch_items VALUES (2)", "INSERT INTO batch_no_such_table VALUES (3)",
                       "INSERT INTO batch_items VALUES (4)"});
    ADD_FAILURE() << "the batch did not throw";
  } catch (const StatementFailed& e) {
    EXPECT_EQ(e.index(), 4u) << e.what();
  }
  EXPECT_THAT(db->query("SELECT id FROM batch_items ORDER BY id"), ElementsAre(Row{"1"}, Row{"2"}));
  EXPECT_TRUE(db->batchable("insert into batch_items values (5)"));
  EXPECT_FALSE(db->batchable("CREATE TABLE x (id INT)"));
  EXPECT_FALSE(db->batchable("SELECT SLEEP(1)"));
}

// A StatementBegin block of several statements is one piece: the server answers each of its
// statements, every answer is read (or the next command would fail with 2014), and a failure in
// a later statement names it, its text and its line.
TEST_F(MysqlDriverTest, LaterStatementOfAPieceFailsWithItsNumberTextAndPosition) {
  auto db = connect();
  const std::string piece = "CREATE TABLE t1 (id INT);\n-- a comment; with a semicolon\nCREATE TABLE t1 (id INT);\n";
  try {
    db->execute(piece);
    ADD_FAILURE() << "no error";
  } catch (const DriverError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Table 't1' already exists (MySQL error 1050, SQLSTATE 42S01) in statement 2 of 2 of this block "
              "(CREATE TABLE t1 (id INT)); statement 1 before it had run");
    EXPECT_EQ(e.position(), std::optional<std::size_t>(piece.find("CREATE TABLE t1", 1) + 1));
  }
  EXPECT_TRUE(db->table_exists(TableName{"", "t1"}));
  EXPECT_THAT(db->query("SELECT 1"), ElementsAre(Row{"1"}));

  const std::string inserts =
      "INSERT INTO t1 VALUES (1);\nINSERT INTO t1 SELECT LENGTH('a;b');\nINSERT INTO t1\nVALUES (3,, 4);\nINSERT INTO "
      "t1 "
      "VALUES (5);";
  try {
    db->execute_batch({"INSERT INTO t1 VALUES (0)", inserts});
    ADD_FAILURE() << "no error";
  } catch (const StatementFailed& e) {
    EXPECT_EQ(e.index(), 1u);
    EXPECT_THAT(e.what(), HasSubstr("(MySQL error 1064, SQLSTATE 42000) in statement 3 of 4 of this block (INSERT INTO "
                                    "t1 VALUES (3,, 4)); statements 1–2 before it had run"));
    ASSERT_TRUE(e.position().has_value());
    // The server quotes the text from the second comma on, on the statement's second line.
    EXPECT_EQ(inserts.substr(*e.position() - 1, 4), " 4);");
    EXPECT_EQ(std::count(inserts.begin(), inserts.begin() + static_cast<long>(*e.position()), '\n'), 3);
  }
  EXPECT_THAT(db->query("SELECT COUNT(*) FROM t1"), ElementsAre(Row{"3"}));
}

// Where the statements of a piece cannot be told apart by their semicolons (a stored program's
// body, a CALL's several results), the error says no more than is known.
TEST_F(MysqlDriverTest, PieceWithAStoredProgramRunsWholeAndAFailureSaysOnlyWhatIsKnown) {
  auto db = connect();
  db->execute(
      "CREATE PROCEDURE two_results() BEGIN SELECT 1; SELECT 2; END;\nCALL two_results();\nCREATE TABLE after_call "
      "(id INT);");
  EXPECT_TRUE(db->table_exists(TableName{"", "after_call"}));
  try {
    db->execute("CALL two_results();\nINSERT INTO no_such_table VALUES (1);");
    ADD_FAILURE() << "no error";
  } catch (const DriverError& e) {
    EXPECT_EQ(std::string(e.what()), "Table '" + m_database.name() +
                                         ".no_such_table' doesn't exist (MySQL error 1146, SQLSTATE 42S02) in a later "
                                         "statement of this block (those before it had run)");
    EXPECT_EQ(e.position(), std::nullopt);
  }
  EXPECT_THAT(db->query("SELECT 4"), ElementsAre(Row{"4"}));
}

TEST_F(MysqlDriverTest, PiecesOfSeveralStatementsAreNotBatchedWithOthers) {
  auto db = connect();
  EXPECT_TRUE(db->batchable("INSERT INTO t VALUES (1);"));
  EXPECT_TRUE(db->batchable("INSERT INTO t VALUES ('a;b') -- c; d"));
  EXPECT_FALSE(db->batchable("INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);"));
}

// A migration's own BEGIN … COMMIT keeps its meaning: strata does not wrap (and so commit) the
// data changes inside it, so a failure leaves them to the file's transaction.
TEST_F(MysqlDriverTest, BatchesInsideTheFilesOwnTransactionAreNotCommittedEarly) {
  auto db = connect();
  db->execute("CREATE TABLE batch_items (id INT)");
  db->execute_batch({"BEGIN"});
  EXPECT_THROW(db->execute_batch({"INSERT INTO batch_items VALUES (1)", "INSERT INTO batch_items VALUES (2)",
                                  "INSERT INTO batch_no_such_table VALUES (3)"}),
               StatementFailed);
  db->execute_batch({"ROLLBACK"});
  EXPECT_THAT(db->query("SELECT count(*) FROM batch_items"), ElementsAre(Row{"0"}));
  // After the file's ROLLBACK, batches are wrapped (and committed up to a failure) again.
  EXPECT_THROW(db->execute_batch({"INSERT INTO batch_items VALUES (1)", "INSERT INTO batch_no_such_table VALUES (2)"}),
               StatementFailed);
  EXPECT_THAT(db->query("SELECT count(*) FROM batch_items"), ElementsAre(Row{"1"}));
  // SET autocommit hands transactions to the file for good.
  db->execute_batch({"SET SESSION autocommit = 0"});
  EXPECT_THROW(db->execute_batch({"INSERT INTO batch_items VALUES (5)", "INSERT INTO batch_no_such_table VALUES (6)"}),
               StatementFailed);
  db->execute_batch({"ROLLBACK"});
  EXPECT_THAT(db->query("SELECT count(*) FROM batch_items"), ElementsAre(Row{"1"}));
  EXPECT_THROW(db->execute_batch({"INSERT INTO batch_items VALUES (7)", "INSERT INTO batch_no_such_table VALUES (8)"}),
               StatementFailed);
  db->execute_batch({"ROLLBACK"});
  EXPECT_THAT(db->query("SELECT count(*) FROM batch_items"), ElementsAre(Row{"1"}));
}

TEST_F(MysqlDriverTest, TcpHostPortUrlFormWorks) {
  const DatabaseUrl plain = m_database.url();
  const std::string userinfo = plain.user + (plain.password ? ":" + *plain.password : std::string()) + "@";
  const std::string text = "mysql://" + userinfo + "tcp(" + (plain.host.empty() ? "127.0.0.1" : plain.host) + ":" +
                           std::to_string(plain.port.value_or(3306)) + ")/" + m_database.name();
  const auto db = open_driver(parse_database_url(text), OpenOptions{});
  EXPECT_THAT(db->query("SELECT DATABASE()"), ElementsAre(Row{m_database.name()}));
}

TEST_F(MysqlDriverTest, MariadbSchemeWorks) {
  std::string text = m_database.url_text();
  text.replace(0, text.find(':'), "mariadb");
  const auto db = open_driver(parse_database_url(text), OpenOptions{});
  EXPECT_THAT(db->query("SELECT 1"), ElementsAre(Row{"1"}));
}

TEST_F(MysqlDriverTest, SessionUsesUtf8mb4AndFourByteCharactersRoundTrip) {
  auto db = connect();
  EXPECT_THAT(db->query("SELECT @@character_set_client, @@character_set_connection, @@character_set_results"),
              ElementsAre(Row{"utf8mb4", "utf8mb4", "utf8mb4"}));
  db->execute("CREATE TABLE texts (t VARCHAR(20)) CHARACTER SET utf8mb4");
  const std::string emoji = "\xF0\x9F\x90\xAC \xC3\xBC";  // dolphin, space, u-umlaut
  db->query("INSERT INTO texts VALUES (?)", {emoji});
  db->execute("INSERT INTO texts VALUES ('" + emoji + "')");
  EXPECT_THAT(db->query("SELECT t FROM texts"), ElementsAre(Row{emoji}, Row{emoji}));
  EXPECT_THAT(db->query("SELECT t FROM texts WHERE t = ?", {emoji}), ElementsAre(Row{emoji}, Row{emoji}));
}

TEST_F(MysqlDriverTest, CharsetAndCollationParametersAreHonouredAndHarmlessGoParametersAccepted) {
  const std::string base = m_database.url_text();
  const char* separator = base.find('?') == std::string::npos ? "?" : "&";
  const auto db =
      open_driver(parse_database_url(base + separator + "charset=latin1&multiStatements=true&parseTime=true&loc=Local"),
                  OpenOptions{});
  EXPECT_THAT(db->query("SELECT @@character_set_client"), ElementsAre(Row{"latin1"}));
  const auto collated =
      open_driver(parse_database_url(base + separator + "collation=utf8mb4_bin&interpolateParams=true"), OpenOptions{});
  EXPECT_THAT(collated->query("SELECT @@character_set_connection, @@collation_connection"),
              ElementsAre(Row{"utf8mb4", "utf8mb4_bin"}));
}

// Parameters that are not the driver's are session variables (go-sql-driver/mysql's rule), set
// with their values as literals: a quote in a value cannot end the statement.
TEST_F(MysqlDriverTest, SessionVariablesFromTheUrlAreSetAsLiterals) {
  const std::string base = m_database.url_text();
  const char* separator = base.find('?') == std::string::npos ? "?" : "&";
  const auto db = open_driver(
      parse_database_url(base + separator +
                         "foreign_key_checks=0&sql_mode=%27ANSI_QUOTES%27&time_zone=%2B01:00&unique_checks=OFF&"
                         "lock_wait_timeout=7&max_statement_time=2.5"),
      OpenOptions{});
  EXPECT_THAT(db->query("SELECT @@foreign_key_checks, @@sql_mode, @@time_zone, @@unique_checks, @@lock_wait_timeout, "
                        "@@max_statement_time"),
              ElementsAre(Row{"0", "ANSI_QUOTES", "+01:00", "0", "7", "2.500000"}));
  try {
    open_driver(parse_database_url(base + separator + "sql_mode=x%27%3B%20SET%20@pwned%3D1%3B%20--%20"), OpenOptions{});
    ADD_FAILURE() << "a value with a quote was accepted";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot set session variable 'sql_mode' from database URL "));
    EXPECT_THAT(e.what(), HasSubstr("(MySQL error 1231, SQLSTATE 42000)"));
  }
}

TEST_F(MysqlDriverTest, UnknownOrRefusedSessionVariableIsAUsageErrorNamingIt) {
  const std::string base = m_database.url_text();
  const char* separator = base.find('?') == std::string::npos ? "?" : "&";
  try {
    open_driver(parse_database_url(base + separator + "strata_no_such_variable=1"), OpenOptions{});
    ADD_FAILURE() << "an unknown parameter was accepted";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unsupported parameter 'strata_no_such_variable'"));
    EXPECT_THAT(e.what(), HasSubstr("neither a parameter of the mysql driver nor a session variable of this server"));
  }
  for (const char* refused : {"key_buffer_size=1", "ssl_cipher=x", "wait_timeout=soon", "collation=utf8mb4_nope"}) {
    EXPECT_THROW(open_driver(parse_database_url(base + separator + refused), OpenOptions{}), UsageError) << refused;
  }
}

TEST_F(MysqlDriverTest, SkipVerifyGivesAnEncryptedSession) {
  const std::string base = m_database.url_text();
  const char* separator = base.find('?') == std::string::npos ? "?" : "&";
  const auto db = open_driver(parse_database_url(base + separator + "tls=skip-verify"), OpenOptions{});
  const auto cipher =
      db->query("SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'");
  ASSERT_EQ(cipher.size(), 1u);
  EXPECT_NE(cipher[0][0].value_or(""), "");
}

TEST_F(MysqlDriverTest, BadPasswordIsADriverErrorWithoutThePassword) {
  const DatabaseUrl good = m_database.url();
  const std::string secret = "not-the-Password-42";
  const std::string text = "mysql://" + good.user + ":" + secret + "@" + (good.host.empty() ? "127.0.0.1" : good.host) +
                           ":" + std::to_string(good.port.value_or(3306)) + "/" + m_database.name();
  try {
    open_driver(parse_database_url(text), OpenOptions{});
    ADD_FAILURE() << "a wrong password was accepted";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), Not(HasSubstr(secret)));
    EXPECT_THAT(e.what(), HasSubstr("cannot connect to " + parse_database_url(text).redacted + ": "));
    EXPECT_THAT(e.what(), HasSubstr("Access denied"));
    EXPECT_THAT(e.what(), HasSubstr("(MySQL error 1045, SQLSTATE 28000)"));
    EXPECT_EQ(e.sqlstate(), "28000");
  }
}

TEST_F(MysqlDriverTest, RefusedConnectionIsADriverErrorNamingTheUrl) {
  // Port 1 on the loopback: nothing listens there.
  const DatabaseUrl good = m_database.url();
  const std::string text = "mysql://" + good.user + ":secret@127.0.0.1:1/" + m_database.name();
  const auto start = std::chrono::steady_clock::now();
  try {
    open_driver(parse_database_url(text), OpenOptions{});
    ADD_FAILURE() << "connected to port 1";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), MatchesRegex("cannot connect to mysql://[^ ]*:\\*\\*\\*@127\\.0\\.0\\.1:1/[^ ]+: "
                                       ".* \\(MySQL error 200[23], SQLSTATE HY000\\)"));
    EXPECT_THAT(e.what(), Not(HasSubstr("secret")));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(MysqlDriverTest, UnknownDatabaseIsADriverError) {
  const std::string text = MysqlTestDatabase::with_database(MysqlTestDatabase::server_url(), m_database.name() + "_x");
  try {
    open_driver(parse_database_url(text), OpenOptions{});
    ADD_FAILURE() << "connected to a database that does not exist";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), HasSubstr("(MySQL error 1049, SQLSTATE 42000)"));
  }
}

TEST_F(MysqlDriverTest, SqlErrorsCarryCodeSqlstateAndStayOnOneLine) {
  auto db = connect();
  try {
    db->execute("INSERT INTO no_such_table VALUES (1)");
    ADD_FAILURE() << "no error";
  } catch (const DriverError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Table '" + m_database.name() + ".no_such_table' doesn't exist (MySQL error 1146, SQLSTATE 42S02)");
    EXPECT_EQ(e.sqlstate(), "42S02");
    EXPECT_EQ(e.position(), std::nullopt);
  }
  try {
    db->query("SELECT * FROM no_such_table WHERE id = ?", {"1"});
    ADD_FAILURE() << "no error";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), HasSubstr("(MySQL error 1146, SQLSTATE 42S02)"));
  }
}

TEST_F(MysqlDriverTest, SyntaxErrorPositionPointsAtTheQuotedText) {
  auto db = connect();
  const std::string sql = "CREATE TABLE t (\n  id INTEGER,\n  name VARCHAR(10) NOT NUL\n)";
  try {
    db->execute(sql);
    ADD_FAILURE() << "no error";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), HasSubstr("(MySQL error 1064, SQLSTATE 42000)"));
    EXPECT_THAT(std::string(e.what()), Not(HasSubstr("\n")));
    ASSERT_TRUE(e.position().has_value());
    EXPECT_EQ(sql.substr(*e.position() - 1, 4), "NUL\n");
  }
  try {
    db->execute("SELECT 1 +");
    ADD_FAILURE() << "no error";
  } catch (const DriverError& e) {
    EXPECT_EQ(e.position(), std::optional<std::size_t>(10));
  }
}

TEST_F(MysqlDriverTest, QueryBindsNullAndReadsBooleansAsDigits) {
  auto db = connect();
  db->execute("CREATE TABLE versions (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL, note TEXT)");
  db->query("INSERT INTO versions (version, dirty, note) VALUES (?, ?, ?)", {"3", "1", std::nullopt});
  db->query("INSERT INTO versions (version, dirty, note) VALUES (?, ?, ?)", {"-1", "0", "x"});
  const std::vector<Row> expected{Row{"-1", "0", "x"}, Row{"3", "1", std::nullopt}};
  EXPECT_EQ(db->query("SELECT version, dirty, note FROM versions ORDER BY version"), expected);
  EXPECT_EQ(db->query("SELECT version, dirty, note FROM versions WHERE version > ? ORDER BY version", {"-5"}),
            expected);
  EXPECT_TRUE(db->query("DELETE FROM versions WHERE version = ?", {"3"}).empty());
  EXPECT_THROW(db->query("SELECT ?", {"1", "2"}), DriverError);
}

// Literals (the tracker's values, query()'s bound parameters) follow the session's escaping
// rule: with NO_BACKSLASH_ESCAPES a backslash is an ordinary character.
TEST_F(MysqlDriverTest, LiteralsFollowTheSessionsBackslashRule) {
  auto db = connect();
  db->execute("CREATE TABLE texts (id INT NOT NULL, t TEXT)");
  const std::string text = "C:\\dir\\'quoted'\\";
  db->execute("INSERT INTO texts VALUES (1, " + db->quote_literal(text) + ")");
  db->execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
  db->execute("INSERT INTO texts VALUES (2, " + db->quote_literal(text) + ")");
  db->query("INSERT INTO texts VALUES (3, ?)", {text});
  EXPECT_EQ(db->query("SELECT t FROM texts ORDER BY id"), (std::vector<Row>{Row{text}, Row{text}, Row{text}}));
}

TEST_F(MysqlDriverTest, TableExistsFollowsTheServersCaseRuleAndIgnoresViews) {
  auto db = connect();
  db->execute("CREATE TABLE schema_migrations (version BIGINT)");
  db->execute("CREATE VIEW a_view AS SELECT 1 AS one");
  EXPECT_TRUE(db->table_exists(k_table));
  EXPECT_FALSE(db->table_exists(TableName{"", "a_view"}));
  const auto rule = db->query("SELECT @@lower_case_table_names");
  ASSERT_EQ(rule.size(), 1U);
  EXPECT_EQ(db->table_exists(TableName{"", "Schema_Migrations"}), rule[0][0] != std::optional<std::string>("0"));
  EXPECT_THROW(db->table_exists(TableName{"other", "schema_migrations"}), UsageError);
}

TEST_F(MysqlDriverTest, LockTimeoutNamesTheHoldingConnection) {
  auto holder = connect();
  auto waiter = connect();
  holder->lock(k_table, 1s);
  const std::string holder_id = connection_id(*holder);
  try {
    waiter->lock(k_table, 300ms);
    ADD_FAILURE() << "took a lock that is held";
  } catch (const LockTimeout& e) {
    const DatabaseUrl url = m_database.url();
    EXPECT_THAT(e.what(),
                MatchesRegex("could not take the migration lock on .* \\(table schema_migrations\\) "
                             "within 300 ms: held by connection " +
                             holder_id + " \\(user " + url.user + "@[^ ,]+, database " + m_database.name() +
                             ", idle for [0-9]+ s\\); if that connection is dead or stuck, end it with `KILL " +
                             holder_id + "`"));
    EXPECT_THAT(e.what(), HasSubstr(" on " + url.redacted + " "));
  }
  holder->unlock();
  waiter->lock(k_table, 0ms);
  waiter->unlock();
}

TEST_F(MysqlDriverTest, SubSecondTimeoutsAreHonouredAndZeroTriesOnce) {
  auto holder = connect();
  auto waiter = connect();
  holder->lock(k_table, 0ms);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(waiter->lock(k_table, 0ms), LockTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
  start = std::chrono::steady_clock::now();
  EXPECT_THROW(waiter->lock(k_table, 200ms), LockTimeout);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 900ms);
  start = std::chrono::steady_clock::now();
  EXPECT_THROW(waiter->lock(k_table, 1200ms), LockTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1200ms);
}

TEST_F(MysqlDriverTest, LocksOfOtherDatabasesDoNotConflict) {
  MysqlTestDatabase other;
  ASSERT_EQ(other.create(), std::nullopt);
  auto here = connect();
  auto there = other.connect();
  here->lock(k_table, 0ms);
  EXPECT_NO_THROW(there->lock(k_table, 0ms)) << "the same table in another database is another lock";
  EXPECT_TRUE(other.connect()->lock_holder(k_table).has_value()) << "held in the other database";
  EXPECT_TRUE(connect()->lock_holder(k_table).has_value()) << "and still held here";
  there->unlock();
  EXPECT_FALSE(other.connect()->lock_holder(k_table).has_value());
  EXPECT_TRUE(connect()->lock_holder(k_table).has_value()) << "releasing one released only that one";
  here->unlock();
}

TEST_F(MysqlDriverTest, LongDatabaseAndTableNamesStillLockExclusively) {
  MysqlTestDatabase long_named;
  // 64 characters is MySQL's limit for a database name; with the table the lock name is longer.
  ASSERT_EQ(long_named.create("_" + std::string(40, 'x')), std::nullopt);
  const TableName table{"", std::string(55, 't')};
  auto first = long_named.connect();
  auto second = long_named.connect();
  first->lock(table, 0ms);
  EXPECT_THROW(second->lock(table, 0ms), LockTimeout);
  // Names that differ in their last character still hash apart.
  second->lock(TableName{"", std::string(54, 't') + "u"}, 0ms);
  // One lock per driver.
  EXPECT_THROW(second->lock(table, 0ms), std::logic_error);
  second->unlock();
  first->unlock();
  second->lock(table, 0ms);
  second->unlock();
}

TEST_F(MysqlDriverTest, KilledConnectionFailsEveryLaterCallAndFreesTheLock) {
  auto victim = connect();
  auto other = connect();
  victim->lock(k_table, 0ms);
  const std::string id = connection_id(*victim);
  MysqlTestDatabase::admin()->execute("KILL " + id);

  try {
    victim->execute("SELECT 1");
    ADD_FAILURE() << "a killed connection still ran a statement";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), MatchesRegex(".*\\(MySQL error 20(06|13), SQLSTATE HY000\\)"));
  }
  // No silent reconnect: the next calls fail too.
  EXPECT_THROW(victim->query("SELECT CONNECTION_ID()"), DriverError);
  EXPECT_THROW(victim->table_exists(k_table), DriverError);
  victim->rollback();
  victim->unlock();

  other->lock(k_table, 10s);
  other->unlock();
}

TEST_F(MysqlDriverTest, TableWithSchemaCannotBeLocked) {
  auto db = connect();
  EXPECT_THROW(db->lock(TableName{"other", "schema_migrations"}, 0ms), UsageError);
}

TEST_F(MysqlDriverTest, ReadOnlyReasonNamesAReadOnlySessionFromTheUrl) {
  const std::string base = m_database.url_text();
  const char* separator = base.find('?') == std::string::npos ? "?" : "&";
  auto db = open_driver(parse_database_url(base + separator + "tx_read_only=1"), OpenOptions{});
  const DatabaseUrl url = parse_database_url(base);
  EXPECT_EQ(db->read_only_reason(),
            "cannot migrate " + url.host + ":" + std::to_string(url.port.value_or(3306)) + " (database " +
                m_database.name() +
                "): tx_read_only is ON for this session, so it cannot write; point --database at the primary, or leave "
                "tx_read_only out of the URL");
}

}  // namespace
}  // namespace strata::drivers
