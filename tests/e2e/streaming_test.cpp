// Large migration files on every engine (docs/performance.md): files over 1 MiB are not held in
// memory but validated by streaming through them before anything runs and streamed again while
// they run; a large first step that runs in a transaction is read only once, while it runs, and
// a problem found in it rolls the migration back. These check the outcomes, not the memory
// (bench/ measures that).
#include <string>

#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

constexpr int k_rows = 30000;  // about 2 MB of INSERTs: over the 1 MiB kept in memory

// CREATE TABLE big, then k_rows INSERTs, then `tail` (appended as written).
std::string big_file(const std::string& tail = "") {
  std::string text = "CREATE TABLE big (id INTEGER NOT NULL, note VARCHAR(60) NOT NULL);\n";
  text.reserve(static_cast<size_t>(k_rows) * 72 + tail.size() + 80);
  for (int i = 1; i <= k_rows; ++i) {
    text += "INSERT INTO big (id, note) VALUES (" + std::to_string(i) + ", 'row " + std::to_string(i) +
            " of the streaming test');\n";
  }
  return text + tail;
}

// The file line of the tail appended to big_file().
constexpr int k_tail_line = k_rows + 2;

// Over 1 MiB too, but mostly comment lines and only `rows` INSERTs: for runs outside a
// transaction, where every statement commits on its own. The tail starts on line
// padded_tail_line(rows).
constexpr int k_padding_lines = 20000;
std::string padded_file(int rows, const std::string& tail) {
  std::string text;
  for (int i = 0; i < k_padding_lines; ++i) text += "-- padding line of the streaming test, to pass 1 MiB\n";
  text += "CREATE TABLE big (id INTEGER NOT NULL, note VARCHAR(60) NOT NULL);\n";
  for (int i = 1; i <= rows; ++i) text += "INSERT INTO big (id, note) VALUES (" + std::to_string(i) + ", 'row');\n";
  return text + tail;
}
constexpr int padded_tail_line(int rows) {
  return k_padding_lines + rows + 2;
}

class StreamingTest : public ProcessTest {
 protected:
  void SetUp() override {
    ProcessTest::SetUp();
    write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
    write("migrations/1_a.down.sql", "DROP TABLE a;\n");
  }
  bool mysql() const { return GetParam() == "mysql"; }
};

TEST_P(StreamingTest, LargeFilesRunWhetherFirstOrLaterInThePlan) {
  write("migrations/2_big.up.sql", big_file());
  write("migrations/2_big.down.sql", "DROP TABLE big;\n");
  write("migrations/3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
  write("migrations/3_c.down.sql", "DROP TABLE c;\n");
  // 2_big is the second step: validated by a streaming pass, then streamed again.
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(checked_version(), "3\n");
  EXPECT_EQ(sql("SELECT count(*) FROM big"), std::to_string(k_rows) + "\n");
  EXPECT_EQ(sql("SELECT note FROM big WHERE id = " + std::to_string(k_rows)),
            "row " + std::to_string(k_rows) + " of the streaming test\n");
  ASSERT_EQ(run("down 2").exit_code, 0);
  EXPECT_EQ(table_count("big"), "0\n");
  // Now 2_big is the first step: read once (SQLite, PostgreSQL) or validated first (MySQL).
  up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(sql("SELECT count(*) FROM big"), std::to_string(k_rows) + "\n");
  EXPECT_EQ(history(),
            "1|up|applied\n2|up|applied\n3|up|applied\n3|down|reverted\n2|down|reverted\n2|up|applied\n"
            "3|up|applied\n");
  // The checksum was computed while streaming: the drift check agrees with it.
  Result validate = run("validate");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
}

TEST_P(StreamingTest, ALaterLargeFileWithASyntaxErrorChangesNothing) {
  write("migrations/2_big.up.sql", big_file("INSERT INTO big (id, note) VALUES (0, 'never closed);\n"));
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 4) << up.err;
  EXPECT_EQ(up.err.rfind("strata: error: 2_big.up.sql:" + std::to_string(k_tail_line) + ": ", 0), 0u) << up.err;
  // Refused before anything ran: migration 1 did not run either.
  EXPECT_EQ(table_count("a"), "0\n");
  EXPECT_EQ(table_count("big"), "0\n");
}

TEST_P(StreamingTest, AFirstLargeFileWithASyntaxErrorLeavesThePreviousVersion) {
  ASSERT_EQ(run("up").exit_code, 0);
  write("migrations/2_big.up.sql", big_file("INSERT INTO big (id, note) VALUES (0, 'never closed);\n"));
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 4) << up.err;
  EXPECT_NE(up.err.find("strata: error: 2_big.up.sql:" + std::to_string(k_tail_line) + ": unterminated string"),
            std::string::npos)
      << up.err;
  if (!mysql()) {
    // Read once: the error came up while it ran, inside its transaction.
    EXPECT_NE(up.err.find("; migration 2_big (up) rolled back, database still at version 1\n"), std::string::npos)
        << up.err;
  }
  EXPECT_EQ(checked_version(), "1\n");
  EXPECT_EQ(table_count("big"), "0\n");
  EXPECT_EQ(history(), "1|up|applied\n");
}

// The annotation decides how the file runs even when it comes last: outside a transaction, so
// a failure at the end leaves every earlier statement applied and the version dirty.
TEST_P(StreamingTest, ANoTransactionAnnotationAtTheEndOfALargeFileIsHonoured) {
  ASSERT_EQ(run("up").exit_code, 0);
  constexpr int rows = 50;
  write("migrations/2_big.up.sql",
        padded_file(rows, "INSERT INTO no_such_table (id) VALUES (1);\n-- +strata NO TRANSACTION\n"));
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 3) << up.err;
  EXPECT_NE(up.err.find("failed at 2_big.up.sql:" + std::to_string(padded_tail_line(rows)) + ", statement " +
                        std::to_string(rows + 2) + " of " + std::to_string(rows + 2) + " (INSERT INTO no_such_table"),
            std::string::npos)
      << up.err;
  EXPECT_EQ(checked_version(), "2 (dirty)\n");
  EXPECT_EQ(sql("SELECT count(*) FROM big"), std::to_string(rows) + "\n");
}

// The byte scan ignores letter case, so a mixed-case annotation at the end of a large file is
// seen before the file runs: it runs outside a transaction on every engine, and a failure at its
// end leaves the earlier statements applied.
TEST_P(StreamingTest, AMixedCaseNoTransactionAtTheEndOfALargeFileIsHonoured) {
  ASSERT_EQ(run("up").exit_code, 0);
  constexpr int rows = 50;
  write("migrations/2_big.up.sql",
        padded_file(rows, "INSERT INTO no_such_table (id) VALUES (1);\n-- +strata NO TrAnSaCtIoN\n"));
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 3) << up.err;
  EXPECT_NE(up.err.find("failed at 2_big.up.sql:" + std::to_string(padded_tail_line(rows)) + ", statement " +
                        std::to_string(rows + 2) + " of " + std::to_string(rows + 2) + " (INSERT INTO no_such_table"),
            std::string::npos)
      << up.err;
  EXPECT_EQ(checked_version(), "2 (dirty)\n");
  EXPECT_EQ(sql("SELECT count(*) FROM big"), std::to_string(rows) + "\n");
}

INSTANTIATE_TEST_SUITE_P(Streaming, StreamingTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
