// Behaviour of the SQLite driver beyond the conformance suite: files that do not exist yet,
// in-memory databases, open errors, SQLite's own messages and the scheme table.

#include "drivers/sqlite/sqlite_driver.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include "core/error.hpp"
#include "drivers/driver.hpp"

namespace strata::drivers {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TableName k_table{"", "schema_migrations"};

class SqliteDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "strata-sqlite-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    m_directory = pattern;
  }

  void TearDown() override {
    std::error_code ignored;
    if (!m_directory.empty()) std::filesystem::remove_all(m_directory, ignored);
  }

  std::string path(const std::string& name) const { return m_directory + "/" + name; }

  static DatabaseUrl url_for(const std::string& path) {
    DatabaseUrl url;
    url.scheme = "sqlite";
    url.dialect = Dialect::sqlite;
    url.path = path;
    url.redacted = "sqlite:" + path;
    return url;
  }

  static std::unique_ptr<Driver> open(const std::string& path, OpenOptions options = {}) {
    return open_driver(url_for(path), options);
  }

  std::string m_directory;
};

TEST_F(SqliteDriverTest, OpeningCreatesTheFile) {
  EXPECT_FALSE(std::filesystem::exists(path("new.db")));
  const auto db = open(path("new.db"));
  EXPECT_TRUE(std::filesystem::exists(path("new.db")));
}

TEST_F(SqliteDriverTest, MissingFileWithoutCreateIfMissingCreatesNothingAndLooksEmpty) {
  OpenOptions options;
  options.create_if_missing = false;
  {
    const auto db = open(path("absent.db"), options);
    EXPECT_FALSE(db->table_exists(k_table));
    EXPECT_THAT(db->query("SELECT COUNT(*) FROM sqlite_master"), ElementsAre(Row{"0"}));
    db->lock(k_table, 0ms);
    db->unlock();
    // Even a write goes nowhere near the file system.
    db->execute("CREATE TABLE t (id INTEGER)");
    EXPECT_FALSE(std::filesystem::exists(path("absent.db")));
  }
  EXPECT_TRUE(std::filesystem::is_empty(m_directory));
}

TEST_F(SqliteDriverTest, ExistingFileWithoutCreateIfMissingIsOpenedNormally) {
  open(path("here.db"))->execute("CREATE TABLE schema_migrations (version BIGINT)");
  OpenOptions options;
  options.create_if_missing = false;
  const auto db = open(path("here.db"), options);
  EXPECT_TRUE(db->table_exists(k_table));
  db->execute("CREATE TABLE t (id INTEGER)");
  EXPECT_TRUE(open(path("here.db"))->table_exists(TableName{"", "t"})) << "the file itself was opened";
}

TEST_F(SqliteDriverTest, InMemoryDatabaseWorksAndLockingItIsANoOp) {
  const auto db = open(":memory:");
  db->execute("CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (7);");
  EXPECT_THAT(db->query("SELECT id FROM t"), ElementsAre(Row{"7"}));
  const auto other = open(":memory:");
  EXPECT_FALSE(other->table_exists(TableName{"", "t"}));
  db->lock(k_table, 0ms);
  other->lock(k_table, 0ms);
  other->unlock();
  db->unlock();
  EXPECT_FALSE(std::filesystem::exists(":memory:"));
}

TEST_F(SqliteDriverTest, MissingDirectoryIsADriverErrorNamingThePath) {
  const std::string bad = path("no/such/dir/x.db");
  try {
    open(bad);
    FAIL() << "opened " << bad;
  } catch (const DriverError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot open SQLite database " + bad + ": directory " + path("no/such/dir") + " does not exist");
  }
  EXPECT_FALSE(std::filesystem::exists(path("no")));
}

TEST_F(SqliteDriverTest, FileThatIsNotADatabaseIsADriverErrorNamingThePath) {
  {
    std::ofstream junk(path("junk.db"));
    for (int i = 0; i < 100; ++i) junk << "this is not an SQLite database\n";
  }
  try {
    open(path("junk.db"));
    FAIL() << "opened a text file";
  } catch (const DriverError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open SQLite database " + path("junk.db") + ": file is not a database");
  }
}

TEST_F(SqliteDriverTest, SyntaxErrorCarriesSqlitesOwnMessage) {
  const auto db = open(":memory:");
  try {
    db->execute("CRATE TABLE t (id INTEGER)");
    FAIL() << "no error";
  } catch (const DriverError& e) {
    EXPECT_EQ(std::string(e.what()), "near \"CRATE\": syntax error");
  }
}

TEST_F(SqliteDriverTest, ExecuteRunsAWholeTriggerWithItsInnerSemicolons) {
  const auto db = open(":memory:");
  db->execute("CREATE TABLE t (id INTEGER); CREATE TABLE audit (id INTEGER, what TEXT)");
  db->execute(
      "CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN\n"
      "  INSERT INTO audit VALUES (NEW.id, 'insert');\n"
      "  INSERT INTO audit VALUES (NEW.id * 10, 'again');\n"
      "END;");
  db->execute("INSERT INTO t VALUES (4)");
  EXPECT_THAT(db->query("SELECT id, what FROM audit ORDER BY id"), ElementsAre(Row{"4", "insert"}, Row{"40", "again"}));
}

TEST_F(SqliteDriverTest, QueryReturnsEveryTypeAsText) {
  const auto db = open(":memory:");
  EXPECT_THAT(db->query("SELECT 9223372036854775807, -5, NULL, 'x', x'4142', 1.5"),
              ElementsAre(Row{"9223372036854775807", "-5", std::nullopt, "x", "AB", "1.5"}));
  // Text bound into an INTEGER column is stored as an integer (column affinity).
  db->execute("CREATE TABLE t (id INTEGER)");
  db->query("INSERT INTO t VALUES (?)", {"12"});
  EXPECT_THAT(db->query("SELECT typeof(id), id + 1 FROM t"), ElementsAre(Row{"integer", "13"}));
}

TEST_F(SqliteDriverTest, TableExistsIgnoresCaseLikeSqliteAndRejectsSchemas) {
  const auto db = open(":memory:");
  db->execute("CREATE TABLE Schema_Migrations (version BIGINT)");
  EXPECT_TRUE(db->table_exists(k_table));
  EXPECT_THROW(db->table_exists(TableName{"main", "schema_migrations"}), UsageError);
}

TEST_F(SqliteDriverTest, LockTimeoutMessageNamesFileTimeoutAndHolder) {
  const auto first = open(path("lock.db"));
  const auto second = open(path("lock.db"));
  first->lock(k_table, 0ms);
  try {
    second->lock(TableName{"", "other"}, 200ms);
    FAIL() << "took a lock that was held";
  } catch (const LockTimeout& e) {
    EXPECT_EQ(std::string(e.what()), "could not take the migration lock on " + path("lock.db") +
                                         " within 200 ms: held by pid " + std::to_string(::getpid()) +
                                         "; the lock goes with that process: if it is stuck, end it with `kill " +
                                         std::to_string(::getpid()) + "`");
  }
  try {
    second->lock(k_table, 0ms);
    FAIL() << "took a lock that was held";
  } catch (const LockTimeout& e) {
    EXPECT_THAT(e.what(), HasSubstr(" within 0 ms: "));
  }
}

// Whether a process other than this one sees a lock on SQLite's lock bytes of the file. Asked
// with F_GETLK from a forked child, which holds no locks itself and runs no SQLite (a forked
// SQLite would trust the lock state it inherited in memory rather than the kernel's).
bool another_process_sees_sqlite_locks(const std::string& path) {
  const pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) ::_exit(2);
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = 0x40000000;  // SQLite's pending byte, then the reserved byte and shared range
    probe.l_len = 2 + 510;
    if (::fcntl(fd, F_GETLK, &probe) != 0) ::_exit(2);
    ::_exit(probe.l_type == F_UNLCK ? 1 : 0);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Closing any descriptor of the database file drops every POSIX lock this process holds on
// it. Destroying one driver must therefore leave another connection's SQLite locks in place.
TEST_F(SqliteDriverTest, DestroyingADriverKeepsTheSqliteLocksOfAnotherConnection) {
  const auto writer = open(path("shared.db"));
  writer->execute("CREATE TABLE t (id INTEGER)");
  EXPECT_FALSE(another_process_sees_sqlite_locks(path("shared.db")));
  writer->begin();
  writer->execute("INSERT INTO t VALUES (1)");
  ASSERT_TRUE(another_process_sees_sqlite_locks(path("shared.db")));

  open(path("shared.db"))->lock(k_table, 0ms);  // opened, locked and destroyed
  EXPECT_TRUE(another_process_sees_sqlite_locks(path("shared.db")));

  writer->commit();
  EXPECT_FALSE(another_process_sees_sqlite_locks(path("shared.db")));
  EXPECT_THAT(writer->query("SELECT id FROM t"), ElementsAre(Row{"1"}));
}

TEST(OpenDriverTest, SqliteIsBuiltInAndOtherDialectsWithoutADriverAreUsageErrors) {
  const auto names = built_in_drivers();
  EXPECT_THAT(names, ::testing::Contains("sqlite"));
  for (const Dialect dialect : k_all_dialects) {
    if (std::find(names.begin(), names.end(), std::string(dialect_name(dialect))) != names.end()) continue;
    DatabaseUrl url;
    url.dialect = dialect;
    url.redacted = "x://***@host/db";
    EXPECT_THROW(open_driver(url, OpenOptions{}), UsageError) << dialect_name(dialect);
  }
}

}  // namespace
}  // namespace strata::drivers
