#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "source/checksum.hpp"
#include "source/checksum_memo.hpp"
#include "source/loader.hpp"
#include "support/temp_dir.hpp"

namespace strata::source {
namespace {

namespace fs = std::filesystem;

class ChecksumMemoTest : public ::testing::Test {
 protected:
  // A one-file migration whose file was last modified `age` ago.
  Migration write(const std::string& text, std::chrono::seconds age) {
    m_dir.write("0001_a.up.sql", text);
    fs::last_write_time(path(), fs::file_time_type::clock::now() - age);
    Migration migration;
    migration.version = 1;
    migration.name = "a";
    migration.up = MigrationFile{"0001_a.up.sql", path().string(), std::nullopt};
    return migration;
  }
  fs::path path() const { return m_dir.path() / "0001_a.up.sql"; }

  strata::testing::TempDir m_dir;
  ChecksumMemo m_memo;
};

TEST_F(ChecksumMemoTest, AnEditedFileIsReadAgain) {
  const Migration migration = write("CREATE TABLE a (id INT);\n", std::chrono::seconds(60));
  EXPECT_EQ(m_memo.migration_checksum(migration), text_checksum("CREATE TABLE a (id INT);\n"));
  write("CREATE TABLE b (id INT);\n", std::chrono::seconds(30));  // same size, another time
  const std::string edited = m_memo.migration_checksum(migration);
  EXPECT_EQ(edited, migration_checksum(migration));
  EXPECT_EQ(edited, text_checksum("CREATE TABLE b (id INT);\n"));
}

TEST_F(ChecksumMemoTest, AnUnchangedFileIsNotReadAgain) {
  const Migration migration = write("CREATE TABLE a (id INT);\n", std::chrono::seconds(60));
  const auto mtime = fs::last_write_time(path());
  const std::string first = m_memo.migration_checksum(migration);
  // Same size, and the modification time put back: the memo cannot tell, so it keeps the first.
  m_dir.write("0001_a.up.sql", "CREATE TABLE b (id INT);\n");
  fs::last_write_time(path(), mtime);
  EXPECT_EQ(m_memo.migration_checksum(migration), first);
  EXPECT_NE(migration_checksum(migration), first);
}

TEST_F(ChecksumMemoTest, AFileModifiedWithinTwoSecondsOfTheReadIsReadAgain) {
  // Racy: modified just now, so the same tick may still hold an edit.
  const Migration migration = write("CREATE TABLE a (id INT);\n", std::chrono::seconds(0));
  const auto mtime = fs::last_write_time(path());
  m_memo.migration_checksum(migration);
  m_dir.write("0001_a.up.sql", "CREATE TABLE b (id INT);\n");
  fs::last_write_time(path(), mtime);
  EXPECT_EQ(m_memo.migration_checksum(migration), migration_checksum(migration));
}

}  // namespace
}  // namespace strata::source
