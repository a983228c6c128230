// Checksums that survive a checkout (CRLF endings, a byte-order mark), `strata accept` for a
// real edit, and the edit loop: empty migrations are announced, `redo` re-runs an edited latest
// migration. On every engine, since each keeps the checksums in its history table.
#include <regex>

#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

using json = nlohmann::json;

// The file's bytes with the BOM dropped and CRLF turned into LF: an LF checkout of the same file.
std::string lf_checkout(std::string text) {
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

class EditLoopTest : public EngineTest {
 protected:
  std::string sha256_of(const std::string& relative) const {
    std::system(("cd " + shell_quote(dir().string()) + " && sha256sum " + shell_quote(relative) + " | cut -c1-64 >.sum")
                    .c_str());
    std::string sum = read(".sum");
    if (!sum.empty()) sum.pop_back();
    return sum;
  }
};

TEST_P(EditLoopTest, LineEndingsAndAByteOrderMarkAreNotAnEdit) {
  copy_testdata("checkouts");
  const std::string crlf = read("migrations/1_notes.up.sql");
  ASSERT_NE(crlf.find("\r\n"), std::string::npos) << "the fixture must keep its CRLF endings (.gitattributes)";
  ASSERT_EQ(run("up").exit_code, 0);
  // The same file checked out on Linux, then on Windows again.
  write("migrations/1_notes.up.sql", lf_checkout(crlf));
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
  EXPECT_EQ(run("validate").exit_code, 0);
  write("migrations/2_tags.up.sql",
        "\xEF\xBB\xBF"
        "CREATE TABLE tags (id INTEGER PRIMARY KEY);\r\n");
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
  Result redo = run("redo");
  EXPECT_EQ(redo.exit_code, 0) << redo.err;
  EXPECT_EQ(redo.err.find("was edited"), std::string::npos) << redo.err;
  // A lone CR is content, not a line ending.
  write("migrations/2_tags.up.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);\r");
  EXPECT_EQ(run("status --exit-code").exit_code, 4);
}

TEST_P(EditLoopTest, ChecksumsRecordedByEarlierBuildsStillMatch) {
  copy_testdata("checkouts");
  ASSERT_EQ(run("up").exit_code, 0);
  // strata 0.1 recorded the SHA-256 of the raw bytes (BOM and CRLF included).
  const std::string raw = sha256_of("migrations/1_notes.up.sql");
  sql("UPDATE schema_migrations_history SET checksum = '" + raw + "' WHERE version = 1");
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
  EXPECT_EQ(run("up").exit_code, 0);
  write("migrations/1_notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, extra TEXT);\n");
  EXPECT_EQ(run("status --exit-code").exit_code, 4);
}

TEST_P(EditLoopTest, AcceptRecordsAnEditedFileWithWhoAndWhen) {
  copy_testdata("checkouts");
  ASSERT_EQ(run("up").exit_code, 0);
  write("migrations/1_notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); -- reviewed\n");
  const std::string current = sha256_of("migrations/1_notes.up.sql");
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 4);
  EXPECT_NE(up.err.find("or run `strata accept 1` to record the file as it is now\n"), std::string::npos) << up.err;
  EXPECT_EQ(run("accept 7").exit_code, 2);
  Result accept = run("--json accept 1 2");
  ASSERT_EQ(accept.exit_code, 0) << accept.err;
  json document = accept.json();
  ASSERT_EQ(document["accepted"].size(), 1u);
  EXPECT_EQ(document["accepted"][0]["version"], 1);
  EXPECT_EQ(document["accepted"][0]["checksum"], current);
  EXPECT_EQ(document["unchanged"], json::array({2}));
  EXPECT_NE(accept.err.find("accepted 1_notes.up.sql as it is now (checksum "), std::string::npos) << accept.err;
  EXPECT_NE(accept.err.find("2_tags.up.sql is as it was applied; nothing to accept\n"), std::string::npos);
  std::string row =
      sql("SELECT version, direction, checksum, outcome, applied_by FROM schema_migrations_history "
          "ORDER BY id DESC LIMIT 1");
  EXPECT_TRUE(std::regex_match(row, std::regex("1\\|up\\|" + current + "\\|accepted\\|[^|]+@[^|]+\\n"))) << row;
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
  EXPECT_EQ(run("up").exit_code, 0);
  EXPECT_EQ(sql("SELECT count(*) FROM notes"), "1\n") << "accept runs no SQL";
}

TEST_P(EditLoopTest, RedoReRunsTheEditedLatestMigrationAndRecordsItsNewChecksum) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/1_a.down.sql", "DROP TABLE a;\n");
  write("migrations/2_b.up.sql", "");
  write("migrations/2_b.down.sql", "");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.err.find("[2/2] applying 2_b\n      2_b.up.sql has no statements: applying it only moves the "
                        "version to 2\n"),
            std::string::npos)
      << up.err;
  // The edit loop: fill in the migration just created and applied, then redo it.
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER, label TEXT);\n");
  write("migrations/2_b.down.sql", "DROP TABLE b;\n");
  const std::string current = sha256_of("migrations/2_b.up.sql");
  EXPECT_EQ(run("up").exit_code, 4) << "up still refuses an edited applied file";
  Result redo = run("redo");
  ASSERT_EQ(redo.exit_code, 0) << redo.err;
  EXPECT_NE(redo.err.find("2_b.up.sql was empty when version 2 was applied: redo reverts nothing and applies the "
                          "file as it is now, recording its checksum\n"),
            std::string::npos)
      << redo.err;
  EXPECT_EQ(table_count("b"), "1\n");
  EXPECT_EQ(sql("SELECT checksum FROM schema_migrations_history WHERE version = 2 AND outcome = 'applied' ORDER BY "
                "id DESC LIMIT 1"),
            current + "\n");
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
  // Edited again: now its down runs first.
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER, label TEXT, note TEXT);\n");
  const std::string edited = sha256_of("migrations/2_b.up.sql");
  Result again = run("redo");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("2_b.up.sql was edited after it was applied (stored checksum " + current.substr(0, 12) +
                           ", current " + edited.substr(0, 12) +
                           "): redo reverts version 2 with its down migration and applies the file as it is now, "
                           "recording its new checksum\n"),
            std::string::npos)
      << again.err;
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations_history WHERE version = 2 AND outcome = 'reverted'"), "2\n");
  // Only the latest migration: an edit to an earlier one is still refused.
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER, extra TEXT);\n");
  Result refused = run("redo");
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_NE(refused.err.find("strata: error: 1_a.up.sql was edited after it was applied"), std::string::npos);
}

TEST_P(EditLoopTest, DownWithoutADownFileSaysNothingWasReverted) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(run("up").exit_code, 0);
  Result down = run("down");
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.err.find("1_a has no down migration: nothing is reverted, only the version moves to none\n"),
            std::string::npos)
      << down.err;
  EXPECT_EQ(table_count("a"), "1\n");
  sql("DROP TABLE a");  // what the missing down file would have done
  ASSERT_EQ(run("up").exit_code, 0);
  const nlohmann::json reverted = run("--json down").json()["migrations"][0];
  EXPECT_EQ(reverted["reverted_nothing"], true) << reverted;
  EXPECT_EQ(reverted["statements"], 0);
  EXPECT_EQ(run("--json up").json()["migrations"][0].count("reverted_nothing"), 0u) << "only for such downs";
}

INSTANTIATE_TEST_SUITE_P(Engines, EditLoopTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
