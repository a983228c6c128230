#pragma once

// The driver conformance suite: one set of behaviours every Driver passes, instantiated once
// per database with a harness type:
//
//   struct PostgresHarness {
//     static constexpr const char* k_name = "postgres";       // test-name suffix
//     static constexpr Dialect k_dialect = Dialect::postgres;  // what dialect() says
//     static constexpr char k_identifier_quote = '"';          // quote_identifier's quote
//     static constexpr bool k_transactional_ddl = true;        // ROLLBACK undoes CREATE TABLE
//     static constexpr bool k_locks_are_per_table = true;      // lock(a) does not block lock(b)
//     static constexpr bool k_lock_names_holder_pid = false;   // LockTimeout says "held by pid
//                                                              //   <pid of the holding process>"
//     static constexpr const char* k_slow_statement = "…";    // runs for seconds unless
//                                                              //   cancel()led, then fails
//     // Prepares a fresh, empty database for one test (called from SetUp). Returns why the
//     // database cannot be used (server not running, …), which FAILS the test: a missing
//     // server is never a reason to skip; nullopt when ready.
//     std::optional<std::string> set_up();
//     // Opens another connection to that database. Called from the test's thread and from
//     // forked child processes.
//     std::unique_ptr<strata::drivers::Driver> connect();
//     // Opens a connection to a target of this engine that accepts no writes (a standby, a
//     // read_only server, a file this process may not write), and the text its
//     // read_only_reason() names that state with.
//     std::unique_ptr<strata::drivers::Driver> connect_read_only();
//     static constexpr const char* k_read_only_state = "pg_is_in_recovery() is true";
//     // The destructor removes whatever set_up() created.
//   };
//   namespace strata::conformance {  // the macro names the suite unqualified
//   INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, DriverConformance, PostgresHarness, HarnessName);
//   }
//
// Every table the suite creates is named conformance_*, so a harness on a shared server can
// drop them in set_up(). The SQL is plain enough for SQLite, PostgreSQL and MySQL alike.
//
// Each test is named after the sentence of drivers/driver.hpp's contract it checks; behaviour
// common to every driver is tested here only, and the *_driver_test.cpp files test what one
// engine does on its own.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "drivers/driver.hpp"

namespace strata::conformance {

using drivers::Driver;
using drivers::Row;
using namespace std::chrono_literals;

// Names each instantiation after its harness: Sqlite/DriverConformance/sqlite_file.Case.
struct HarnessName {
  template <typename Harness>
  static std::string GetName(int /*index*/) {
    return Harness::k_name;
  }
};

inline const TableName k_lock_table{"", "conformance_lock"};
inline constexpr std::chrono::milliseconds k_short_lock_timeout = 250ms;
// Long enough never to be hit on a loaded machine, short enough to end a hung test.
inline constexpr std::chrono::milliseconds k_generous = 10s;

// A file descriptor closed on scope exit.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : m_fd(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { reset(); }
  int get() const { return m_fd; }
  void reset() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }

 private:
  int m_fd;
};

// A forked child that is killed and reaped on scope exit unless already reaped.
class ScopedChild {
 public:
  explicit ScopedChild(pid_t pid) : m_pid(pid) {}
  ScopedChild(const ScopedChild&) = delete;
  ScopedChild& operator=(const ScopedChild&) = delete;
  ~ScopedChild() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return m_pid; }
  // Waits for the child to exit; its exit status, or -1 when it did not exit normally.
  int wait() {
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t m_pid;
};

template <typename Harness>
class DriverConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto reason = m_harness.set_up()) GTEST_FAIL() << "database not usable: " << *reason;
  }

  std::unique_ptr<Driver> connect() { return m_harness.connect(); }

  static std::string count(Driver& driver, const std::string& table) {
    const auto rows = driver.query("SELECT COUNT(*) FROM " + table);
    if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0]) return "<no count>";
    return *rows[0][0];
  }

  // Expects lock() to time out after about k_short_lock_timeout, naming the `holder` pid when
  // the harness says the driver can.
  static void expect_lock_timeout(Driver& driver, const TableName& table, pid_t holder) {
    const auto start = std::chrono::steady_clock::now();
    try {
      driver.lock(table, k_short_lock_timeout);
      ADD_FAILURE() << "lock() succeeded while another connection held it";
      driver.unlock();
    } catch (const LockTimeout& e) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      EXPECT_GE(elapsed, k_short_lock_timeout);
      EXPECT_LT(elapsed, k_generous);
      EXPECT_THAT(e.what(), ::testing::HasSubstr("could not take the migration lock"));
      if (Harness::k_lock_names_holder_pid) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("held by pid " + std::to_string(holder)));
      }
    }
  }

  Harness m_harness;
};

TYPED_TEST_SUITE_P(DriverConformance);

TYPED_TEST_P(DriverConformance, ExecuteAndQueryRoundTripNullsIntegersAndText) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id BIGINT NOT NULL, name VARCHAR(100), note VARCHAR(100))");
  db->execute("INSERT INTO conformance_items (id, name, note) VALUES (1, 'alpha', NULL)");
  EXPECT_TRUE(db->query("INSERT INTO conformance_items (id, name, note) VALUES (?, ?, ?)",
                        {"-2", "it's \"quoted\" \xC3\xBC", std::nullopt})
                  .empty());
  EXPECT_THAT(
      db->query("SELECT id, name, note FROM conformance_items ORDER BY id"),
      ::testing::ElementsAre(Row{"-2", "it's \"quoted\" \xC3\xBC", std::nullopt}, Row{"1", "alpha", std::nullopt}));
  EXPECT_THAT(db->query("SELECT 40 + 2, NULL"), ::testing::ElementsAre(Row{"42", std::nullopt}));
  EXPECT_EQ(this->count(*db, "conformance_items"), "2");
  EXPECT_TRUE(db->query("SELECT id FROM conformance_items WHERE id = ?", {"99"}).empty());
}

TYPED_TEST_P(DriverConformance, QueryBindsSeveralParametersInOrder) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_pairs (k VARCHAR(20) NOT NULL, v VARCHAR(20))");
  for (const char* k : {"a", "b", "c"})
    db->query("INSERT INTO conformance_pairs (k, v) VALUES (?, ?)", {k, std::string(k) + "-value"});
  db->query("INSERT INTO conformance_pairs (k, v) VALUES (?, ?)", {"d", std::nullopt});
  EXPECT_THAT(db->query("SELECT k, v FROM conformance_pairs WHERE k = ? OR k = ? OR v IS NULL "
                        "ORDER BY k",
                        {"c", "a"}),
              ::testing::ElementsAre(Row{"a", "a-value"}, Row{"c", "c-value"}, Row{"d", std::nullopt}));
  // A bound value is data, never SQL.
  EXPECT_TRUE(db->query("SELECT k FROM conformance_pairs WHERE k = ?", {"a' OR '1'='1"}).empty());
}

TYPED_TEST_P(DriverConformance, TableExistsOnlyAfterCreateAndNeverCreatesAnything) {
  auto db = this->connect();
  const TableName table{"", "conformance_probe"};
  EXPECT_FALSE(db->table_exists(table));
  EXPECT_FALSE(this->connect()->table_exists(table)) << "asking created it";
  db->execute("CREATE TABLE conformance_probe (id INTEGER)");
  EXPECT_TRUE(db->table_exists(table));
  EXPECT_FALSE(db->table_exists(TableName{"", "conformance_probe_other"}));
  EXPECT_TRUE(this->connect()->table_exists(table));
}

TYPED_TEST_P(DriverConformance, QuoteIdentifierDoublesEmbeddedQuotesAndWorksInDdl) {
  auto db = this->connect();
  const std::string plain = db->quote_identifier("a");
  const std::string q(1, TypeParam::k_identifier_quote);
  EXPECT_EQ(plain, q + "a" + q);
  EXPECT_EQ(db->quote_identifier("b" + q + "c"), q + "b" + q + q + "c" + q);

  // Both quote characters and a space, so every dialect meets its own quote in the name.
  const std::string table = "conformance_we\"ird`name";
  const std::string column = "odd \"col`";
  db->execute("CREATE TABLE " + db->quote_identifier(table) + " (" + db->quote_identifier(column) + " VARCHAR(10))");
  db->query("INSERT INTO " + db->quote_identifier(table) + " (" + db->quote_identifier(column) + ") VALUES (?)", {"x"});
  EXPECT_THAT(db->query("SELECT " + db->quote_identifier(column) + " FROM " + db->quote_identifier(table)),
              ::testing::ElementsAre(Row{"x"}));
  EXPECT_TRUE(db->table_exists(TableName{"", table}));
}

TYPED_TEST_P(DriverConformance, CommitPersistsAndIsVisibleToASecondConnection) {
  auto writer = this->connect();
  auto reader = this->connect();
  writer->execute("CREATE TABLE conformance_items (id INTEGER)");
  writer->begin();
  writer->execute("INSERT INTO conformance_items (id) VALUES (1)");
  EXPECT_EQ(this->count(*reader, "conformance_items"), "0");
  writer->commit();
  EXPECT_EQ(this->count(*reader, "conformance_items"), "1");
  writer.reset();
  EXPECT_EQ(this->count(*this->connect(), "conformance_items"), "1");
}

TYPED_TEST_P(DriverConformance, RollbackUndoesDml) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (2)");
  db->execute("DELETE FROM conformance_items WHERE id = 1");
  db->rollback();
  EXPECT_THAT(db->query("SELECT id FROM conformance_items"), ::testing::ElementsAre(Row{"1"}));
  EXPECT_EQ(this->count(*this->connect(), "conformance_items"), "1");
}

TYPED_TEST_P(DriverConformance, DialectNamesTheEngine) {
  EXPECT_EQ(this->connect()->dialect(), TypeParam::k_dialect);
}

// Transactions: "what rollback() undoes is gone for every connection (DDL too where the dialect
// has_transactional_ddl)".
TYPED_TEST_P(DriverConformance, RollbackUndoesDdlExactlyWhereTheDialectHasTransactionalDdl) {
  auto db = this->connect();
  EXPECT_EQ(has_transactional_ddl(db->dialect()), TypeParam::k_transactional_ddl);
  db->begin();
  db->execute("CREATE TABLE conformance_ddl (id INTEGER)");
  db->rollback();
  // Without transactional DDL the CREATE committed implicitly; the dialect must say so.
  EXPECT_EQ(db->table_exists(TableName{"", "conformance_ddl"}), !TypeParam::k_transactional_ddl);
  EXPECT_EQ(this->connect()->table_exists(TableName{"", "conformance_ddl"}), !TypeParam::k_transactional_ddl);
}

TYPED_TEST_P(DriverConformance, RollbackWithoutATransactionIsANoOp) {
  auto db = this->connect();
  db->rollback();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  db->rollback();
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (2)");
  db->commit();
  db->rollback();
  db->rollback();
  EXPECT_EQ(this->count(*db, "conformance_items"), "2");
  // And a transaction still works afterwards.
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (3)");
  db->rollback();
  EXPECT_EQ(this->count(*db, "conformance_items"), "2");
}

// "Every method throws DriverError … when the database reports an error …; after an SQL error
// the connection stays usable."
TYPED_TEST_P(DriverConformance, SqlErrorThrowsDriverErrorAndTheConnectionStaysUsable) {
  auto db = this->connect();
  try {
    db->execute("CRATE TABLE conformance_typo (id INTEGER)");
    ADD_FAILURE() << "a syntax error did not throw";
  } catch (const DriverError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("CRATE"));
  }
  EXPECT_THROW(db->query("SELECT id FROM conformance_no_such_table WHERE id = ?", {"1"}), DriverError);
  EXPECT_THROW(db->execute("INSERT INTO conformance_no_such_table (id) VALUES (1)"), DriverError);
  EXPECT_THAT(db->query("SELECT 1"), ::testing::ElementsAre(Row{"1"}));
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  db->commit();
  EXPECT_EQ(this->count(*db, "conformance_items"), "1");
}

TYPED_TEST_P(DriverConformance, FailedStatementInATransactionThenRollbackLeavesNothing) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  if (TypeParam::k_transactional_ddl) db->execute("CREATE TABLE conformance_ddl (id INTEGER)");
  EXPECT_THROW(db->execute("INSERT INTO conformance_no_such_table (id) VALUES (1)"), DriverError);
  db->rollback();
  EXPECT_EQ(this->count(*db, "conformance_items"), "0");
  EXPECT_FALSE(db->table_exists(TableName{"", "conformance_ddl"}));
  EXPECT_EQ(this->count(*this->connect(), "conformance_items"), "0");
}

TYPED_TEST_P(DriverConformance, SecondConnectionTimesOutOnTheLockUntilTheFirstUnlocks) {
  auto first = this->connect();
  auto second = this->connect();
  first->lock(k_lock_table, k_short_lock_timeout);
  this->expect_lock_timeout(*second, k_lock_table, ::getpid());
  first->unlock();
  first->unlock();  // a second unlock is a no-op
  second->lock(k_lock_table, k_short_lock_timeout);
  this->expect_lock_timeout(*first, k_lock_table, ::getpid());
  second->unlock();
  first->lock(k_lock_table, k_short_lock_timeout);
  first->unlock();
}

TYPED_TEST_P(DriverConformance, LockHolderNamesAnotherConnectionAndNothingWhenFreeOrOwnAndNeverTakesTheLock) {
  auto first = this->connect();
  auto second = this->connect();
  EXPECT_FALSE(second->lock_holder(k_lock_table).has_value()) << "free";
  // Asking never takes it: another connection takes it at once.
  first->lock(k_lock_table, 0ms);
  const std::optional<Driver::LockHolder> holder = second->lock_holder(k_lock_table);
  ASSERT_TRUE(holder.has_value());
  EXPECT_FALSE(holder->description.empty());
  EXPECT_FALSE(holder->end_it.empty());
  if (TypeParam::k_lock_names_holder_pid) {
    EXPECT_THAT(holder->description, ::testing::HasSubstr("pid " + std::to_string(::getpid())));
  }
  EXPECT_FALSE(first->lock_holder(k_lock_table).has_value()) << "the connection holding it is not another";
  first->unlock();
  EXPECT_FALSE(second->lock_holder(k_lock_table).has_value()) << "free again";
}

TYPED_TEST_P(DriverConformance, DestroyingTheHolderReleasesTheLock) {
  auto first = this->connect();
  auto second = this->connect();
  first->lock(k_lock_table, k_short_lock_timeout);
  this->expect_lock_timeout(*second, k_lock_table, ::getpid());
  first.reset();
  second->lock(k_lock_table, k_generous);
  second->unlock();
}

TYPED_TEST_P(DriverConformance, LocksOnOtherTablesConflictOnlyWhenLocksAreNotPerTable) {
  auto first = this->connect();
  auto second = this->connect();
  const TableName other{"", "conformance_lock_other"};
  first->lock(k_lock_table, k_short_lock_timeout);
  if (TypeParam::k_locks_are_per_table) {
    second->lock(other, k_short_lock_timeout);
    second->unlock();
  } else {
    this->expect_lock_timeout(*second, other, ::getpid());
  }
  first->unlock();
}

TYPED_TEST_P(DriverConformance, LockIsExclusiveAcrossProcessesAndFreedWhenTheHolderExits) {
  int ready_pipe[2];
  int release_pipe[2];
  ASSERT_EQ(::pipe(ready_pipe), 0);
  ScopedFd ready_read(ready_pipe[0]), ready_write(ready_pipe[1]);
  ASSERT_EQ(::pipe(release_pipe), 0);
  ScopedFd release_read(release_pipe[0]), release_write(release_pipe[1]);

  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child takes the lock, reports, and waits to be released; it exits holding the lock
    // (no unlock, no destructor) so the release on process exit is what gets tested. No gtest
    // in here, and _exit so the parent's state is not torn down twice.
    ready_read.reset();
    release_write.reset();
    char status = 'E';
    try {
      auto holder = this->connect();
      holder->lock(k_lock_table, k_generous);
      status = 'L';
      if (::write(ready_write.get(), &status, 1) == 1) {
        char byte = 0;
        [[maybe_unused]] const auto ignored = ::read(release_read.get(), &byte, 1);
      }
      static_cast<void>(holder.release());
    } catch (...) {
      [[maybe_unused]] const auto ignored = ::write(ready_write.get(), &status, 1);
    }
    ::_exit(status == 'L' ? 0 : 1);
  }

  ScopedChild child(pid);
  ready_write.reset();
  release_read.reset();
  char status = 0;
  ASSERT_EQ(::read(ready_read.get(), &status, 1), 1) << "the child died before reporting";
  ASSERT_EQ(status, 'L') << "the child could not take the lock";

  auto db = this->connect();
  this->expect_lock_timeout(*db, k_lock_table, child.pid());
  release_write.reset();
  EXPECT_EQ(child.wait(), 0);
  db->lock(k_lock_table, k_generous);
  db->unlock();
}

// "Transactions on other connections wait for each other rather than fail."
TYPED_TEST_P(DriverConformance, ConcurrentWritersInTransactionsWaitForEachOtherRatherThanFail) {
  constexpr int k_rows_per_writer = 25;
  this->connect()->execute("CREATE TABLE conformance_writes (writer INTEGER NOT NULL, n INTEGER NOT NULL)");
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::unique_ptr<Driver>> connections;
  connections.push_back(this->connect());
  connections.push_back(this->connect());

  std::vector<std::thread> writers;
  for (int writer = 0; writer < 2; ++writer) {
    writers.emplace_back([&, writer] {
      Driver& db = *connections[static_cast<std::size_t>(writer)];
      for (int n = 0; n < k_rows_per_writer; ++n) {
        try {
          db.begin();
          // Read, pause so the writers overlap, then write: the pattern that deadlocks when
          // the write lock is taken late.
          db.query("SELECT COUNT(*) FROM conformance_writes");
          std::this_thread::sleep_for(1ms);
          db.query("INSERT INTO conformance_writes (writer, n) VALUES (?, ?)",
                   {std::to_string(writer), std::to_string(n)});
          db.commit();
        } catch (const std::exception& e) {
          db.rollback();
          const std::lock_guard<std::mutex> guard(failures_mutex);
          failures.emplace_back(e.what());
        }
      }
    });
  }
  for (auto& thread : writers) thread.join();
  EXPECT_THAT(failures, ::testing::IsEmpty());
  EXPECT_EQ(this->count(*connections[0], "conformance_writes"), std::to_string(2 * k_rows_per_writer));
}

TYPED_TEST_P(DriverConformance, CancelFromAnotherThreadStopsARunningStatement) {
  auto db = this->connect();
  std::thread canceller([&db] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    db->cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(db->execute(TypeParam::k_slow_statement), DriverError);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_THAT(db->query("SELECT 1"), ::testing::ElementsAre(Row{"1"}));
  db->cancel();  // nothing running: a no-op
  EXPECT_THAT(db->query("SELECT 2"), ::testing::ElementsAre(Row{"2"}));
}

// The runner rolls back failed migrations while it holds the lock: that must not release it.
TYPED_TEST_P(DriverConformance, LockSurvivesRollback) {
  auto holder = this->connect();
  auto waiter = this->connect();
  holder->begin();
  holder->lock(k_lock_table, std::chrono::milliseconds(250));
  holder->rollback();
  EXPECT_THROW(waiter->lock(k_lock_table, std::chrono::milliseconds(100)), LockTimeout);
  holder->unlock();
  waiter->lock(k_lock_table, std::chrono::milliseconds(1000));
  waiter->unlock();
}

// execute_batch(): "runs consecutive statements in order …; stops at the first failure and throws
// StatementFailed naming it by its place in the batch: the statements before it ran, none after
// it did".
TYPED_TEST_P(DriverConformance, BatchRunsInOrderAndStopsAtTheFirstFailureNamingItsPlace) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->begin();
  db->execute_batch({"INSERT INTO conformance_items (id) VALUES (1)", "INSERT INTO conformance_items (id) VALUES (2)",
                     "UPDATE conformance_items SET id = id + 10"});
  EXPECT_THAT(db->query("SELECT id FROM conformance_items ORDER BY id"), ::testing::ElementsAre(Row{"11"}, Row{"12"}));
  try {
    db->execute_batch({"INSERT INTO conformance_items (id) VALUES (3)",
                       "INSERT INTO conformance_no_such_table (id) VALUES (4)",
                       "INSERT INTO conformance_items (id) VALUES (5)"});
    ADD_FAILURE() << "the batch did not throw";
  } catch (const StatementFailed& e) {
    EXPECT_EQ(e.index(), 1u) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("conformance_no_such_table"));
  }
  if (TypeParam::k_dialect != Dialect::postgres) {  // a failed PostgreSQL transaction reads nothing more
    EXPECT_THAT(db->query("SELECT id FROM conformance_items ORDER BY id"),
                ::testing::ElementsAre(Row{"3"}, Row{"11"}, Row{"12"}))
        << "the statement before the failure ran, the one after it did not";
  }
  db->rollback();
  EXPECT_EQ(this->count(*db, "conformance_items"), "0");
}

// "A syntax error … is named like any failure, and its position() (where the engine gives one)
// counts from the failing statement's first byte."
TYPED_TEST_P(DriverConformance, BatchSyntaxErrorPositionCountsFromTheFailingStatementsFirstByte) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->begin();
  try {
    db->execute_batch({"INSERT INTO conformance_items (id) VALUES (1)", "INSERT INTO conformance_items (id) VALUES (2)",
                       "SELECT id FROM conformance_items\nWHERE id = = 1"});
    ADD_FAILURE() << "the batch did not throw";
  } catch (const StatementFailed& e) {
    EXPECT_EQ(e.index(), 2u) << e.what();
    if (e.position()) {
      EXPECT_EQ(*e.position(), std::string("SELECT id FROM conformance_items\nWHERE id = ").size() + 1) << e.what();
    }
  }
  db->rollback();
}

// "Outside a transaction each statement still stands on its own: those before a failure stay
// applied."
TYPED_TEST_P(DriverConformance, BatchOutsideATransactionKeepsWhatRanBeforeTheFailure) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  try {
    db->execute_batch({"INSERT INTO conformance_items (id) VALUES (1)",
                       "INSERT INTO conformance_no_such_table (id) VALUES (2)",
                       "INSERT INTO conformance_items (id) VALUES (3)"});
    ADD_FAILURE() << "the batch did not throw";
  } catch (const StatementFailed& e) {
    EXPECT_EQ(e.index(), 1u) << e.what();
  }
  EXPECT_THAT(this->connect()->query("SELECT id FROM conformance_items"), ::testing::ElementsAre(Row{"1"}));
}

// "A statement may be a piece that holds several (a StatementBegin … StatementEnd block): it runs
// whole", through execute() and through execute_batch(), alone or among others, and the
// connection stays in step for the next command on it.
TYPED_TEST_P(DriverConformance, PieceOfSeveralStatementsRunsWholeAndTheConnectionStaysUsable) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER);\nCREATE TABLE conformance_more (id INTEGER);\n");
  EXPECT_TRUE(db->table_exists(TableName{"", "conformance_more"}));
  EXPECT_THAT(db->query("SELECT 1"), ::testing::ElementsAre(Row{"1"}));
  db->execute("INSERT INTO conformance_items (id) VALUES (1);\nINSERT INTO conformance_items (id) VALUES (2);");
  EXPECT_EQ(this->count(*db, "conformance_items"), "2");
  db->execute_batch({"INSERT INTO conformance_items (id) VALUES (3)",
                     "INSERT INTO conformance_items (id) VALUES (4);\nINSERT INTO conformance_more (id) VALUES (5);",
                     "INSERT INTO conformance_items (id) VALUES (6)"});
  db->execute_batch({"CREATE TABLE conformance_third (id INTEGER);\nINSERT INTO conformance_third (id) VALUES (7);"});
  EXPECT_THAT(db->query("SELECT id FROM conformance_items ORDER BY id"),
              ::testing::ElementsAre(Row{"1"}, Row{"2"}, Row{"3"}, Row{"4"}, Row{"6"}));
  EXPECT_EQ(this->count(*db, "conformance_more"), "1");
  EXPECT_EQ(this->count(*db, "conformance_third"), "1");
  EXPECT_THAT(db->commit_with({"SELECT MAX(id) FROM conformance_items"}), ::testing::ElementsAre(Row{"6"}));
}

// "… and a failure inside it names the piece": nothing after the piece runs, and the connection
// stays usable.
TYPED_TEST_P(DriverConformance, FailureInsideAPieceOfSeveralStatementsNamesThePiece) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  try {
    db->execute_batch({"INSERT INTO conformance_items (id) VALUES (1)",
                       "INSERT INTO conformance_items (id) VALUES (2);\nINSERT INTO conformance_no_such_table (id) "
                       "VALUES (3);\nINSERT INTO conformance_items (id) VALUES (4);",
                       "INSERT INTO conformance_items (id) VALUES (5)"});
    ADD_FAILURE() << "the batch did not throw";
  } catch (const StatementFailed& e) {
    EXPECT_EQ(e.index(), 1u) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("conformance_no_such_table"));
  }
  EXPECT_THROW(db->execute("INSERT INTO conformance_items (id) VALUES (6);\nINSERT INTO conformance_no_such_table (id) "
                           "VALUES (7);"),
               DriverError);
  EXPECT_THAT(db->query("SELECT 1"), ::testing::ElementsAre(Row{"1"}));
  EXPECT_EQ(this->count(*db, "conformance_items WHERE id IN (1, 4, 5)"), "1");
}

// quote_literal(): "`text` as a string literal for this connection …, safe to embed in SQL": it
// reads back as exactly the text it was made from, whatever the text holds.
TYPED_TEST_P(DriverConformance, QuoteLiteralRoundTripsAwkwardText) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_texts (id INTEGER NOT NULL, t VARCHAR(200))");
  const std::vector<std::string> texts = {"",
                                          "it's",
                                          "''",
                                          "back\\slash",
                                          "\\'",
                                          "end\\",
                                          "line\none\r\n",
                                          "tab\there",
                                          "?",
                                          "\xC3\xBC\xE2\x82\xAC",
                                          "a\"b`c",
                                          R"({"error":"near 'x'","file":"C:\\dir"})"};
  for (size_t i = 0; i < texts.size(); ++i) {
    db->execute("INSERT INTO conformance_texts (id, t) VALUES (" + std::to_string(i) + ", " +
                db->quote_literal(texts[i]) + ")");
  }
  const auto rows = db->query("SELECT t FROM conformance_texts ORDER BY id");
  ASSERT_EQ(rows.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(rows[i].at(0), std::optional<std::string>(texts[i])) << i;
}

// query(): "Throws DriverError when the number of params differs from the number of
// placeholders" (a `?` inside quotes is not one), rather than shifting a value silently.
TYPED_TEST_P(DriverConformance, QueryWithTheWrongNumberOfParamsThrows) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_texts (id INTEGER NOT NULL, t VARCHAR(200))");
  db->execute("INSERT INTO conformance_texts (id, t) VALUES (0, 'a')");
  EXPECT_THAT(db->query("SELECT '?', ? FROM conformance_texts WHERE id = 0", {"x"}),
              ::testing::ElementsAre(Row{"?", "x"}));
  EXPECT_THROW(db->query("SELECT ? FROM conformance_texts", {"a", "b"}), DriverError);
  EXPECT_THROW(db->query("SELECT ?, ? FROM conformance_texts", {"a"}), DriverError);
  EXPECT_THROW(db->query("SELECT id FROM conformance_texts WHERE id = ?"), DriverError);
  EXPECT_THAT(db->query("SELECT t FROM conformance_texts"), ::testing::ElementsAre(Row{"a"}));
}

// commit_with(): "In a transaction begin() opened, they run in it and its COMMIT ends it", all or
// nothing, returning the rows of the last statement.
TYPED_TEST_P(DriverConformance, CommitWithInAnOpenTransactionRunsInItAndEndsIt) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  EXPECT_THAT(db->commit_with({"INSERT INTO conformance_items (id) VALUES (2)",
                               "UPDATE conformance_items SET id = id + 10", "SELECT MAX(id) FROM conformance_items"}),
              ::testing::ElementsAre(Row{"12"}));
  EXPECT_THAT(this->connect()->query("SELECT id FROM conformance_items ORDER BY id"),
              ::testing::ElementsAre(Row{"11"}, Row{"12"}));
  EXPECT_THROW(db->commit(), DriverError) << "the transaction is over";
  db->begin();  // a new one can start
  db->rollback();
  EXPECT_TRUE(db->commit_with({"DELETE FROM conformance_items WHERE id = 11"}).empty());
  EXPECT_EQ(this->count(*this->connect(), "conformance_items"), "1");
}

// commit_with(): "otherwise they run in a transaction of their own": all of them or none, and
// no transaction is left open.
TYPED_TEST_P(DriverConformance, CommitWithOutsideATransactionRunsInOneOfItsOwn) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  EXPECT_THAT(
      db->commit_with({"INSERT INTO conformance_items (id) VALUES (1)", "INSERT INTO conformance_items (id) VALUES (2)",
                       "SELECT MAX(id) FROM conformance_items"}),
      ::testing::ElementsAre(Row{"2"}));
  EXPECT_EQ(this->count(*this->connect(), "conformance_items"), "2");
  EXPECT_THROW(db->commit(), DriverError) << "no transaction is left open";
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (3)");
  db->rollback();
  EXPECT_EQ(this->count(*db, "conformance_items"), "2");
}

// commit_with(): "On failure throws StatementFailed naming the failing statement, and no
// transaction is left open: what the transaction did is rolled back", in both cases.
TYPED_TEST_P(DriverConformance, CommitWithFailureNamesTheStatementAndRollsTheTransactionBack) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  const std::vector<std::string> failing = {"INSERT INTO conformance_items (id) VALUES (4)",
                                            "INSERT INTO conformance_no_such_table (id) VALUES (5)",
                                            "INSERT INTO conformance_items (id) VALUES (6)"};
  for (const bool open : {true, false}) {
    SCOPED_TRACE(open ? "in a transaction begin() opened" : "in a transaction of its own");
    if (open) {
      db->begin();
      db->execute("INSERT INTO conformance_items (id) VALUES (3)");
    }
    try {
      db->commit_with(failing);
      ADD_FAILURE() << "commit_with did not throw";
    } catch (const StatementFailed& e) {
      EXPECT_EQ(e.index(), 1u) << e.what();
      EXPECT_THAT(e.what(), ::testing::HasSubstr("conformance_no_such_table"));
    }
    EXPECT_THAT(db->query("SELECT id FROM conformance_items"), ::testing::ElementsAre(Row{"1"}));
    EXPECT_THAT(this->connect()->query("SELECT id FROM conformance_items"), ::testing::ElementsAre(Row{"1"}));
    EXPECT_THROW(db->commit(), DriverError) << "no transaction is left open";
  }
}

// lock(): "waiting up to `timeout`": a waiter gets the lock as soon as the holder releases it
// within that time.
TYPED_TEST_P(DriverConformance, LockWaitsUpToTheTimeoutAndGetsTheLockOnceReleased) {
  auto holder = this->connect();
  auto waiter = this->connect();
  holder->lock(k_lock_table, 0ms);
  std::thread releaser([&holder] {
    std::this_thread::sleep_for(300ms);
    holder->unlock();
  });
  EXPECT_NO_THROW(waiter->lock(k_lock_table, k_generous));
  releaser.join();
  EXPECT_TRUE(this->connect()->lock_holder(k_lock_table).has_value()) << "the waiter holds it now";
  waiter->unlock();
}

// "begin() while a transaction is open throws DriverError and leaves that transaction open."
TYPED_TEST_P(DriverConformance, BeginWhileATransactionIsOpenThrowsAndLeavesItOpen) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  EXPECT_THROW(db->begin(), DriverError);
  db->execute("INSERT INTO conformance_items (id) VALUES (2)");
  EXPECT_EQ(this->count(*this->connect(), "conformance_items"), "0") << "still in the first transaction";
  db->rollback();
  EXPECT_EQ(this->count(*db, "conformance_items"), "0") << "the rollback undid both inserts";
}

// commit(): "Throws DriverError when no transaction is open; nothing is sent then", the same on
// every engine, before and after a transaction.
TYPED_TEST_P(DriverConformance, CommitWithoutATransactionThrowsAndChangesNothing) {
  auto db = this->connect();
  try {
    db->commit();
    ADD_FAILURE() << "commit() without begin() did not throw";
  } catch (const DriverError& e) {
    EXPECT_STREQ(e.what(), "commit(): no transaction is open");
  }
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  db->commit();
  EXPECT_THROW(db->commit(), DriverError);
  db->begin();
  db->execute("INSERT INTO conformance_items (id) VALUES (2)");
  db->rollback();
  EXPECT_THROW(db->commit(), DriverError);
  EXPECT_THAT(this->connect()->query("SELECT id FROM conformance_items"), ::testing::ElementsAre(Row{"1"}));
  db->begin();  // the connection is still in step
  db->commit();
}

// execute(): "execute_batch() of that one statement, so a failure is a StatementFailed with
// index 0"; "discards any result": a SELECT through it leaves the connection usable.
TYPED_TEST_P(DriverConformance, ExecuteIsABatchOfOneAndDiscardsResults) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER)");
  db->execute("INSERT INTO conformance_items (id) VALUES (1)");
  db->execute("SELECT id FROM conformance_items");
  db->execute("SELECT id FROM conformance_items WHERE id > 0");
  EXPECT_THAT(db->query("SELECT COUNT(*) FROM conformance_items"), ::testing::ElementsAre(Row{"1"}));
  try {
    db->execute("INSERT INTO conformance_no_such_table (id) VALUES (1)");
    ADD_FAILURE() << "execute() did not throw";
  } catch (const StatementFailed& e) {
    EXPECT_EQ(e.index(), 0u);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("conformance_no_such_table"));
  }
}

// batch_statements(): "How many statements (and bytes of SQL) execute_batch() takes at most in
// one call": a batch that long runs whole, in a transaction and outside one.
TYPED_TEST_P(DriverConformance, BatchOfBatchStatementsStatementsRunsWhole) {
  auto db = this->connect();
  db->execute("CREATE TABLE conformance_items (id INTEGER, pad VARCHAR(600))");
  const std::string pad(500, 'p');
  for (const bool in_transaction : {true, false}) {
    SCOPED_TRACE(in_transaction ? "in a transaction" : "outside a transaction");
    if (in_transaction) db->begin();
    const size_t limit = db->batch_statements();
    ASSERT_GE(limit, 1u);
    std::vector<std::string> texts;
    size_t bytes = 0;
    while (texts.size() < limit && bytes < Driver::k_batch_bytes) {
      texts.push_back("INSERT INTO conformance_items (id, pad) VALUES (" + std::to_string(texts.size()) + ", '" + pad +
                      "')");
      bytes += texts.back().size();
    }
    db->execute_batch(std::vector<std::string_view>(texts.begin(), texts.end()));
    if (in_transaction) db->commit();
    EXPECT_EQ(this->count(*this->connect(), "conformance_items"), std::to_string(texts.size()));
    db->execute("DELETE FROM conformance_items");
  }
}

// batchable(): "Outside a transaction only data changes are grouped (is_data_change)": INSERT,
// UPDATE, DELETE or REPLACE by the first word, any case.
TYPED_TEST_P(DriverConformance, BatchableOutsideATransactionOnlyForDataChanges) {
  auto db = this->connect();
  for (const char* change :
       {"INSERT INTO t VALUES (1)", "update t SET a = 1", "  Delete FROM t", "REPLACE INTO t VALUES (1)"}) {
    EXPECT_TRUE(Driver::is_data_change(change)) << change;
    EXPECT_TRUE(db->batchable(change)) << change;
  }
  for (const char* other : {"CREATE TABLE t (id INTEGER)", "SELECT 1", "DROP TABLE t", "BEGIN", "COMMIT", "CALL p()",
                            "ALTER TABLE t ADD COLUMN b INTEGER", "INSERTED INTO t", ""}) {
    EXPECT_FALSE(Driver::is_data_change(other)) << other;
    EXPECT_FALSE(db->batchable(other)) << other;
  }
}

// lock(): "Taking it again for the same table while holding it returns at once"; unlock():
// "Releases the lock if held (once, however often lock() was called)".
TYPED_TEST_P(DriverConformance, LockTakenAgainWhileHeldReturnsAtOnceAndOneUnlockReleasesIt) {
  auto first = this->connect();
  auto second = this->connect();
  first->lock(k_lock_table, 0ms);
  EXPECT_NO_THROW(first->lock(k_lock_table, 0ms));
  EXPECT_THROW(second->lock(k_lock_table, 0ms), LockTimeout) << "still held";
  first->unlock();
  EXPECT_FALSE(second->lock_holder(k_lock_table).has_value()) << "one unlock released it";
  EXPECT_NO_THROW(second->lock(k_lock_table, 0ms));
  second->unlock();
}

TYPED_TEST_P(DriverConformance, ReadOnlyReasonIsNoneWhereWritesAreAccepted) {
  auto db = this->connect();
  EXPECT_EQ(db->read_only_reason(), std::nullopt);
  db->begin();
  db->execute("CREATE TABLE conformance_after_check (id INTEGER)");
  db->commit();
  EXPECT_TRUE(db->table_exists(TableName{"", "conformance_after_check"}));
}

TYPED_TEST_P(DriverConformance, ReadOnlyReasonNamesTheStateOfAReadOnlyTargetOnOneLine) {
  auto db = this->m_harness.connect_read_only();
  const std::optional<std::string> reason = db->read_only_reason();
  ASSERT_TRUE(reason) << "read_only_reason() found nothing on a read-only target";
  EXPECT_THAT(*reason, ::testing::StartsWith("cannot migrate "));
  EXPECT_THAT(*reason, ::testing::HasSubstr(TypeParam::k_read_only_state));
  EXPECT_THAT(*reason, ::testing::HasSubstr("; point --database at "));
  EXPECT_EQ(reason->find('\n'), std::string::npos);
  // Asking wrote nothing (it would have failed) and leaves the connection usable.
  EXPECT_THAT(db->query("SELECT 40 + 2"), ::testing::ElementsAre(Row{"42"}));
}

// set_statement_lock_timeout() and is_lock_timeout(): a statement that waits for another
// connection's lock gives up after the timeout, outside and inside a transaction, with an error
// is_lock_timeout() recognises; other errors are not lock timeouts; the connection stays usable.
TYPED_TEST_P(DriverConformance, StatementLockTimeoutEndsTheWaitForAnotherConnectionsLock) {
  auto holder = this->connect();
  auto waiter = this->connect();
  holder->execute("CREATE TABLE conformance_items (id INTEGER)");
  waiter->set_statement_lock_timeout(k_short_lock_timeout);
  holder->begin();
  holder->execute("INSERT INTO conformance_items (id) VALUES (1)");  // a write lock the ALTER waits for
  const std::string alter = "ALTER TABLE conformance_items ADD COLUMN x INTEGER";
  try {
    waiter->execute(alter);
    ADD_FAILURE() << "the ALTER did not wait for the other connection's lock";
  } catch (const DriverError& error) {
    EXPECT_TRUE(waiter->is_lock_timeout(error)) << error.what();
  }
  try {
    waiter->begin();
    waiter->execute(alter);
    ADD_FAILURE() << "the ALTER in a transaction did not wait for the other connection's lock";
  } catch (const DriverError& error) {
    EXPECT_TRUE(waiter->is_lock_timeout(error)) << error.what();
  }
  waiter->rollback();
  try {
    waiter->commit_with({alter});  // in a transaction of its own
    ADD_FAILURE() << "the ALTER in commit_with's own transaction did not wait for the other connection's lock";
  } catch (const DriverError& error) {
    EXPECT_TRUE(waiter->is_lock_timeout(error)) << error.what();
  }
  holder->rollback();
  waiter->execute(alter);  // free now, and the connection is usable
  EXPECT_EQ(this->count(*waiter, "conformance_items"), "0");
  try {
    waiter->execute("SELECT * FROM conformance_no_such_table");
    ADD_FAILURE() << "no error";
  } catch (const DriverError& error) {
    EXPECT_FALSE(waiter->is_lock_timeout(error)) << error.what();
  }
  waiter->set_statement_lock_timeout(std::nullopt);  // back to the engine's own setting
  EXPECT_EQ(this->count(*waiter, "conformance_items"), "0");
}

REGISTER_TYPED_TEST_SUITE_P(
    DriverConformance, ExecuteAndQueryRoundTripNullsIntegersAndText, QueryBindsSeveralParametersInOrder,
    TableExistsOnlyAfterCreateAndNeverCreatesAnything, QuoteIdentifierDoublesEmbeddedQuotesAndWorksInDdl,
    CommitPersistsAndIsVisibleToASecondConnection, RollbackUndoesDml, DialectNamesTheEngine,
    RollbackUndoesDdlExactlyWhereTheDialectHasTransactionalDdl, RollbackWithoutATransactionIsANoOp,
    SqlErrorThrowsDriverErrorAndTheConnectionStaysUsable, FailedStatementInATransactionThenRollbackLeavesNothing,
    SecondConnectionTimesOutOnTheLockUntilTheFirstUnlocks,
    LockHolderNamesAnotherConnectionAndNothingWhenFreeOrOwnAndNeverTakesTheLock, DestroyingTheHolderReleasesTheLock,
    LocksOnOtherTablesConflictOnlyWhenLocksAreNotPerTable, LockIsExclusiveAcrossProcessesAndFreedWhenTheHolderExits,
    ConcurrentWritersInTransactionsWaitForEachOtherRatherThanFail, CancelFromAnotherThreadStopsARunningStatement,
    LockSurvivesRollback, BatchRunsInOrderAndStopsAtTheFirstFailureNamingItsPlace,
    BatchSyntaxErrorPositionCountsFromTheFailingStatementsFirstByte,
    BatchOutsideATransactionKeepsWhatRanBeforeTheFailure, PieceOfSeveralStatementsRunsWholeAndTheConnectionStaysUsable,
    FailureInsideAPieceOfSeveralStatementsNamesThePiece, QuoteLiteralRoundTripsAwkwardText,
    QueryWithTheWrongNumberOfParamsThrows, CommitWithInAnOpenTransactionRunsInItAndEndsIt,
    CommitWithOutsideATransactionRunsInOneOfItsOwn, CommitWithFailureNamesTheStatementAndRollsTheTransactionBack,
    LockWaitsUpToTheTimeoutAndGetsTheLockOnceReleased, BeginWhileATransactionIsOpenThrowsAndLeavesItOpen,
    CommitWithoutATransactionThrowsAndChangesNothing, ExecuteIsABatchOfOneAndDiscardsResults,
    BatchOfBatchStatementsStatementsRunsWhole, BatchableOutsideATransactionOnlyForDataChanges,
    LockTakenAgainWhileHeldReturnsAtOnceAndOneUnlockReleasesIt, ReadOnlyReasonIsNoneWhereWritesAreAccepted,
    ReadOnlyReasonNamesTheStateOfAReadOnlyTargetOnOneLine, StatementLockTimeoutEndsTheWaitForAnotherConnectionsLock);

}  // namespace strata::conformance
