// Several strata processes against one database at once, on every engine
// (docs/reliability.md#concurrent-runs): each migration runs exactly once, `up` and `down`
// serialise on the migration lock, and different version tables lock independently except on
// SQLite, whose lock is the file.
#include <set>

#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

class ConcurrencyTest : public ProcessTest {
 protected:
  // 1 creates `log`; every migration i creates t<i> and adds its row to `log`, in one
  // transaction where the engine has transactional DDL; each has a down migration.
  void write_migrations(int count, const std::string& folder = "migrations") {
    fs::create_directories(dir() / folder);
    for (int i = 1; i <= count; ++i) {
      std::string n = std::to_string(i);
      std::string up = (i == 1 ? "CREATE TABLE log (version INTEGER NOT NULL);\n" : "") +
                       std::string("CREATE TABLE t") + n + " (id INTEGER);\nINSERT INTO log (version) VALUES (" + n +
                       ");\n";
      std::string down =
          "DROP TABLE t" + n + ";\n" + (i == 1 ? "DROP TABLE log;\n" : "DELETE FROM log WHERE version = " + n + ";\n");
      write(folder + "/" + n + "_m" + n + ".up.sql", up);
      write(folder + "/" + n + "_m" + n + ".down.sql", down);
    }
  }

  // The tables t1..t<count> that exist, as "1,2,3".
  std::string tables_present(int count) {
    std::string present;
    for (int i = 1; i <= count; ++i) {
      if (table_count("t" + std::to_string(i)) == "1\n") present += (present.empty() ? "" : ",") + std::to_string(i);
    }
    return present;
  }

  static std::string up_to(int version) {
    std::string list;
    for (int i = 1; i <= version; ++i) list += (list.empty() ? "" : ",") + std::to_string(i);
    return list;
  }
};

TEST_P(ConcurrencyTest, EightUpsAtOnceApplyEachMigrationExactlyOnce) {
  write_migrations(10);
  std::vector<Background*> runs;
  for (int i = 0; i < 8; ++i) runs.push_back(&start("--json up", "up" + std::to_string(i)));
  int applied_total = 0;
  for (Background* b : runs) {
    Result r = finish(*b, 60);
    EXPECT_EQ(r.exit_code, 0) << b->tag << ": " << r.err;
    if (r.exit_code == 0) {
      nlohmann::json doc = r.json();
      EXPECT_EQ(doc["to"], 10) << r.out;
      applied_total += static_cast<int>(doc["migrations"].size());
    }
  }
  // Between them the 8 runs applied 10 migrations; the others found nothing left to do.
  EXPECT_EQ(applied_total, 10);
  EXPECT_EQ(checked_version(), "10\n");
  EXPECT_EQ(sql("SELECT count(*), count(DISTINCT version) FROM schema_migrations_history WHERE outcome = 'applied'"),
            "10|10\n");
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations_history WHERE outcome <> 'applied'"), "0\n");
  EXPECT_EQ(sql("SELECT count(*), count(DISTINCT version), min(version), max(version) FROM log"), "10|10|1|10\n");
  EXPECT_EQ(tables_present(10), up_to(10));
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations"), "1\n");
}

TEST_P(ConcurrencyTest, UpAndDownSerialiseOnTheLock) {
  write_migrations(5);
  ASSERT_EQ(run("up 3").exit_code, 0);

  // `up` holds the lock (paused after taking it): a `down` with a short timeout gives up with
  // exit 5 and changes nothing; one with time to wait runs after `up`, against the version
  // `up` left, so it reverts 5 and not 3.
  Background& up = start_paused("up", "plan", "up");
  Result impatient = run("--lock-timeout 0.5 down");
  EXPECT_EQ(impatient.exit_code, 5) << impatient.err;
  EXPECT_EQ(impatient.err.rfind("waiting for the migration lock of schema_migrations (up to 0.5 s): held by ", 0), 0u)
      << "the wait is announced, naming the holder: " << impatient.err;
  EXPECT_NE(impatient.err.find("\nstrata: error: could not take the migration lock"), std::string::npos)
      << impatient.err;
  Background& down = start("down", "down");
  resume(up);
  Result up_result = finish(up);
  Result down_result = finish(down);
  EXPECT_EQ(up_result.exit_code, 0) << up_result.err;
  EXPECT_EQ(down_result.exit_code, 0) << down_result.err;
  EXPECT_EQ(checked_version(), "4\n");
  EXPECT_EQ(tables_present(5), up_to(4));
  EXPECT_EQ(history(), "1|up|applied\n2|up|applied\n3|up|applied\n4|up|applied\n5|up|applied\n5|down|reverted\n");

  // Unsynchronised: either order is correct, and the end state must match it exactly.
  Background& up2 = start("up", "up2");
  Background& down2 = start("down", "down2");
  Result up2_result = finish(up2);
  Result down2_result = finish(down2);
  EXPECT_EQ(up2_result.exit_code, 0) << up2_result.err;
  EXPECT_EQ(down2_result.exit_code, 0) << down2_result.err;
  std::string tail = sql("SELECT version, direction, outcome FROM schema_migrations_history WHERE id > 6 ORDER BY id");
  if (tail == "5|up|applied\n5|down|reverted\n") {  // up first (4 -> 5), then down (5 -> 4)
    EXPECT_EQ(checked_version(), "4\n");
    EXPECT_EQ(tables_present(5), up_to(4));
  } else {  // down first (4 -> 3), then up (3 -> 5)
    EXPECT_EQ(tail, "4|down|reverted\n4|up|applied\n5|up|applied\n");
    EXPECT_EQ(checked_version(), "5\n");
    EXPECT_EQ(tables_present(5), up_to(5));
  }
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations"), "1\n");
  EXPECT_EQ(run("version").exit_code, 0);
  EXPECT_EQ(run("--json status").json()["dirty"], false);
}

// strata reads the applied files' checksums while it connects (source::ChecksumPrefetch); a run
// that had to wait for the lock reads them again, so an edit made while it waited is seen.
TEST_P(ConcurrencyTest, AnAppliedFileEditedWhileARunWaitsForTheLockIsSeenAsEdited) {
  write_migrations(3);
  ASSERT_EQ(run("up 2").exit_code, 0);
  Background& holder = start_paused("up", "plan", "holder");
  Background& waiter = start("up", "waiter");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (slurp(dir() / ".err-waiter").find("waiting for the migration lock") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline && !poll(waiter)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(slurp(dir() / ".err-waiter").find("waiting for the migration lock"), std::string::npos)
      << "the second run should be waiting: " << slurp(dir() / ".err-waiter");
  write("migrations/1_m1.up.sql", "CREATE TABLE log (version INTEGER NOT NULL, edited INTEGER);\n");
  resume(holder);
  EXPECT_EQ(finish(holder).exit_code, 0);
  Result r = finish(waiter);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("1_m1.up.sql"), std::string::npos) << r.err;
  EXPECT_EQ(checked_version(), "3\n");
}

TEST_P(ConcurrencyTest, DifferentVersionTablesLockIndependentlyExceptOnSqlite) {
  write_migrations(2, "ma");
  write("mb/1_other.up.sql", "CREATE TABLE other (id INTEGER);\n");
  Background& a = start_paused("-p ma --table a_versions up", "plan", "a");
  Result b = run("-p mb --table b_versions --lock-timeout 1 up");
  if (GetParam() == "sqlite") {
    // One flock() per file, whatever the table: the second project waits and times out.
    EXPECT_EQ(b.exit_code, 5) << b.err;
    EXPECT_NE(b.err.find("\nstrata: error: could not take the migration lock on test.db within 1 s"), std::string::npos)
        << b.err;
    EXPECT_NE(b.err.find("held by pid " + std::to_string(a.pid)), std::string::npos) << b.err;
    EXPECT_EQ(table_count("other"), "0\n");
  } else {
    // The lock key includes the table: b runs while a holds its own lock.
    EXPECT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(checked_version("--table b_versions version"), "1\n");
    EXPECT_EQ(table_count("other"), "1\n");
    EXPECT_FALSE(poll(a)) << "a should still be paused";
  }
  resume(a);
  Result a_result = finish(a);
  EXPECT_EQ(a_result.exit_code, 0) << a_result.err;
  EXPECT_EQ(checked_version("--table a_versions version"), "2\n");
  Result b_again = run("-p mb --table b_versions up");
  EXPECT_EQ(b_again.exit_code, 0) << b_again.err;
  EXPECT_EQ(checked_version("--table b_versions version"), "1\n");
  EXPECT_EQ(tables_present(2), "1,2");
}

INSTANTIATE_TEST_SUITE_P(Concurrency, ConcurrencyTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
