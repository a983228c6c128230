#include "source/loader.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "source/create.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace strata::source {
namespace {

const fs::path k_testdata = STRATA_TESTDATA;

using strata::testing::TempDir;

std::string load_error(const fs::path& dir, Dialect dialect = Dialect::sqlite) {
  try {
    load_source(dir, dialect);
  } catch (const SourceError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Loader, PairsSingleFilesAndIgnoresOtherFiles) {
  Source source = load_source(k_testdata / "valid", Dialect::sqlite);
  ASSERT_EQ(source.migrations().size(), 5u);
  const Migration& first = source.migrations()[0];
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(first.name, "create_a");
  EXPECT_EQ(first.up->name, "0001_create_a.up.sql");
  EXPECT_EQ(first.down->name, "0001_create_a.down.sql");
  EXPECT_FALSE(first.single_file);
  const Migration* goose = source.find(2);
  ASSERT_NE(goose, nullptr);
  EXPECT_TRUE(goose->single_file);
  EXPECT_FALSE(has_down_section(*source.find(3), Dialect::sqlite));
  EXPECT_TRUE(has_down_section(*source.find(2), Dialect::sqlite));
  EXPECT_EQ(source.find(10)->label(), "0010_dbmate_style");
}

TEST(Loader, SingleFileWithoutDownSectionHasNoDown) {
  TempDir dir;
  dir.write("0001_only_up.sql", "-- +goose Up\nCREATE TABLE x (id INTEGER);\n");
  Source source = load_source(dir.path(), Dialect::sqlite);
  EXPECT_FALSE(has_down_section(*source.find(1), Dialect::sqlite));
}

TEST(Loader, PerDialectFileWinsOnlyOnItsDialect) {
  EXPECT_EQ(load_source(k_testdata / "valid", Dialect::postgres).find(11)->up->name, "0011_dialects.up.postgres.sql");
  EXPECT_EQ(load_source(k_testdata / "valid", Dialect::mysql).find(11)->up->name, "0011_dialects.up.sql");
  EXPECT_EQ(load_source(k_testdata / "valid", Dialect::postgres).find(11)->down->name, "0011_dialects.down.sql");
}

TEST(Loader, DuplicateVersionNamesBothFiles) {
  EXPECT_EQ(load_error(k_testdata / "duplicate"), "duplicate migration version 3: 0003_a.up.sql, 03_b.up.sql");
}

TEST(Loader, BadFileNameIsNamed) {
  EXPECT_EQ(load_error(k_testdata / "bad_name"),
            "create_users.sql: not a migration file name: expected VERSION_name.up.sql, VERSION_name.down.sql or "
            "VERSION_name.sql with a numeric VERSION");
}

TEST(Loader, DownWithoutUpIsAnError) {
  EXPECT_EQ(load_error(k_testdata / "down_without_up"),
            "0002_x.down.sql: down migration without an up migration (expected 0002_x.up.sql)");
}

TEST(Loader, VersionZeroIsAVersionLikeAnyOther) {
  TempDir dir;
  dir.write("0_initial.up.sql", "CREATE TABLE a (id INTEGER);\n");
  dir.write("0_initial.down.sql", "DROP TABLE a;\n");
  dir.write("1_next.up.sql", "");
  Source source = load_source(dir.path(), Dialect::sqlite);
  ASSERT_EQ(source.migrations().size(), 2u);
  EXPECT_EQ(source.migrations()[0].version, 0);
  EXPECT_EQ(source.find(0)->label(), "0_initial");
  EXPECT_EQ(source.find(0)->down->name, "0_initial.down.sql");
  TempDir zeros;
  zeros.write("0_a.up.sql", "");
  zeros.write("0000_b.up.sql", "");
  EXPECT_EQ(load_error(zeros.path()), "duplicate migration version 0: 0000_b.up.sql, 0_a.up.sql");
}

TEST(Loader, VersionOverflowIsRejected) {
  TempDir big;
  big.write("99999999999999999999_x.up.sql", "");
  EXPECT_EQ(load_error(big.path()),
            "99999999999999999999_x.up.sql: version 99999999999999999999 is out of range (maximum "
            "9223372036854775807)");
}

TEST(Loader, LeadingZerosNameTheSameVersion) {
  TempDir dir;
  dir.write("1_a.up.sql", "");
  dir.write("0001_b.sql", "-- +strata Up\n");
  EXPECT_EQ(load_error(dir.path()), "duplicate migration version 1: 1_a.up.sql, 0001_b.sql");
}

TEST(Loader, SqlMigrateDashNameIsASingleFile) {
  TempDir dir;
  dir.write("20180805174141-tournaments.sql", "-- +migrate Up\nCREATE TABLE t (id INTEGER);\n");
  Source source = load_source(dir.path(), Dialect::sqlite);
  const Migration* migration = source.find(20180805174141);
  ASSERT_NE(migration, nullptr);
  EXPECT_TRUE(migration->single_file);
  EXPECT_TRUE(migration->parts.empty());
  EXPECT_EQ(migration->name, "tournaments");
  EXPECT_EQ(migration->label(), "20180805174141-tournaments");
}

TEST(Loader, DashNamesAreForSingleFilesOnly) {
  TempDir dir;
  dir.write("1-a.up.sql", "");
  EXPECT_EQ(load_error(dir.path()),
            "1-a.up.sql: a dash after the version is for single files (VERSION-name.sql, as sql-migrate names them); "
            "name up/down files with an underscore: 1_a.up.sql");
  TempDir dialect;
  dialect.write("0002-b.down.postgres.sql", "");
  EXPECT_EQ(load_error(dialect.path(), Dialect::postgres),
            "0002-b.down.postgres.sql: a dash after the version is for single files (VERSION-name.sql, as sql-migrate "
            "names them); name up/down files with an underscore: 0002_b.down.postgres.sql");
}

TEST(Loader, SingleFilesSharingAVersionArePartsInNameOrder) {
  TempDir dir;
  dir.write("1_b.sql", "-- +migrate Up\nCREATE TABLE b (id INTEGER);\n-- +migrate Down\nDROP TABLE b;\n");
  dir.write("1-a.sql", "-- +migrate Up\nCREATE TABLE a (id INTEGER);\n-- +migrate Down\nDROP TABLE a;\n");
  dir.write("01-c.sql", "-- +migrate Up\n\nCREATE TABLE c (id INTEGER);\n");  // no Down section
  Source source = load_source(dir.path(), Dialect::sqlite);
  ASSERT_EQ(source.migrations().size(), 1u);
  const Migration& migration = source.migrations()[0];
  ASSERT_EQ(migration.parts.size(), 3u);
  EXPECT_EQ(migration.parts[0].name, "01-c.sql");
  EXPECT_EQ(migration.parts[1].name, "1-a.sql");
  EXPECT_EQ(migration.parts[2].name, "1_b.sql");
  EXPECT_EQ(migration.name, "c");
  EXPECT_EQ(migration.up->name, "01-c.sql");

  Script up = parse_script(migration, Direction::up, Dialect::sqlite);
  ASSERT_EQ(up.section.statements.size(), 3u);
  EXPECT_EQ(up.section.statements[0].sql, "CREATE TABLE c (id INTEGER)");
  EXPECT_EQ(up.file_of(up.section.statements[0]), "01-c.sql");
  EXPECT_EQ(up.section.statements[0].line, 3);
  EXPECT_EQ(up.file_of(up.section.statements[2]), "1_b.sql");
  EXPECT_EQ(up.file, "01-c.sql");
  EXPECT_TRUE(up.section.transaction);

  Script down = parse_script(migration, Direction::down, Dialect::sqlite);
  ASSERT_EQ(down.section.statements.size(), 2u);
  EXPECT_EQ(down.section.statements[0].sql, "DROP TABLE b");
  EXPECT_EQ(down.file_of(down.section.statements[1]), "1-a.sql");
  EXPECT_EQ(down.file, "1_b.sql");
  EXPECT_TRUE(has_down_section(migration, Dialect::sqlite));

  // The checksum covers every part: the sha256sum listing of the parts in name order.
  std::string listing;
  for (const MigrationFile& part : migration.parts) listing += file_checksum(part) + "  " + part.name + "\n";
  EXPECT_EQ(up.checksum, sha256_hex(listing));
  EXPECT_EQ(down.checksum, up.checksum);
  EXPECT_EQ(migration_checksum(migration), up.checksum);
}

TEST(Loader, OnePartOutsideATransactionTakesTheWholeVersionOutOfIt) {
  TempDir dir;
  dir.write("1-a.sql", "-- +migrate Up\nCREATE TABLE a (id INTEGER);\n");
  dir.write("1-b.sql", "-- +migrate Up notransaction\nCREATE TABLE b (id INTEGER);\n");
  Source source = load_source(dir.path(), Dialect::sqlite);
  EXPECT_FALSE(parse_script(source.migrations()[0], Direction::up, Dialect::sqlite).section.transaction);
  EXPECT_FALSE(has_down_section(source.migrations()[0], Dialect::sqlite));
  EXPECT_TRUE(parse_script(source.migrations()[0], Direction::down, Dialect::sqlite).file.empty());
}

TEST(Loader, PartErrorsNameThePartsOwnFile) {
  TempDir dir;
  dir.write("1-a.sql", "-- +migrate Up\nCREATE TABLE a (id INTEGER);\n");
  dir.write("1-b.sql", "-- +migrate Up\nSELECT 'open;\n");
  Source source = load_source(dir.path(), Dialect::sqlite);
  try {
    parse_script(source.migrations()[0], Direction::up, Dialect::sqlite);
    FAIL();
  } catch (const SourceError& error) {
    EXPECT_EQ(std::string(error.what()), "1-b.sql:2: unterminated string started here");
  }
}

TEST(Loader, SharedVersionIsStillADuplicateForPairFiles) {
  TempDir pairs;
  pairs.write("1_a.up.sql", "");
  pairs.write("1_b.up.sql", "");
  EXPECT_EQ(load_error(pairs.path()), "duplicate migration version 1: 1_a.up.sql, 1_b.up.sql");
  TempDir mixed;
  mixed.write("1_a.up.sql", "");
  mixed.write("1-b.sql", "-- +migrate Up\n");
  mixed.write("1-c.sql", "-- +migrate Up\n");
  EXPECT_EQ(load_error(mixed.path()), "duplicate migration version 1: 1_a.up.sql, 1-b.sql");
}

TEST(Loader, PerDialectSingleFileIsRejected) {
  TempDir dir;
  dir.write("0001_x.postgres.sql", "");
  EXPECT_EQ(load_error(dir.path()),
            "0001_x.postgres.sql: per-dialect migration files must be up/down pairs, e.g. 0001_name.up.postgres.sql");
}

TEST(Loader, DirectoryNamedLikeAMigrationIsAnError) {
  TempDir dir;
  fs::create_directory(dir.path() / "0001_x.up.sql");
  EXPECT_EQ(load_error(dir.path()),
            "0001_x.up.sql: is not a regular file (migrations must be files directly in the directory)");
}

TEST(Loader, MissingDirectoryIsAUsageError) {
  EXPECT_THROW(load_source(k_testdata / "no-such-directory", Dialect::sqlite), UsageError);
}

TEST(Loader, GooseGoMigrationIsAnErrorNotASilentGap) {
  TempDir dir;
  dir.write("00001_init.sql", "-- +goose Up\n");
  dir.write("00002_backfill.go", "package migrations\n");
  dir.write("embed.go", "package migrations\n");  // not a migration: fine
  EXPECT_EQ(load_error(dir.path()),
            "00002_backfill.go: Go migrations are not supported: rewrite it as SQL (VERSION_name.sql with -- +goose "
            "Up / -- +goose Down)");
}

TEST(Loader, HiddenAndNonSqlFilesAreIgnored) {
  TempDir dir;
  dir.write(".0001_x.up.sql", "garbage");
  dir.write("0001_x.up.sql.orig", "garbage");
  dir.write("notes.txt", "garbage");
  EXPECT_TRUE(load_source(dir.path(), Dialect::sqlite).migrations().empty());
}

TEST(Parse, BrokenSqlPointsAtFileAndLine) {
  Source source = load_source(k_testdata / "broken_sql", Dialect::sqlite);
  try {
    parse_migration(*source.find(2), Dialect::sqlite);
    FAIL();
  } catch (const SourceError& error) {
    EXPECT_EQ(error.file(), "0002_unterminated.up.sql");
    EXPECT_EQ(error.line(), 4);
  }
}

TEST(Parse, ChecksumIsSha256OfTheFile) {
  TempDir dir;
  dir.write("0001_x.up.sql", "abc");
  Source source = load_source(dir.path(), Dialect::sqlite);
  ParsedMigration parsed = parse_migration(*source.find(1), Dialect::sqlite);
  EXPECT_EQ(parsed.up.checksum, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(parsed.down.file.empty());
  EXPECT_TRUE(parsed.down.section.statements.empty());
}

TEST(Parse, DialectBlocksSelectTheStatementsOfEachEngine) {
  Source source = load_source(k_testdata / "dialect_blocks", Dialect::sqlite);
  ParsedMigration sqlite = parse_migration(*source.find(1), Dialect::sqlite);
  ParsedMigration postgres = parse_migration(*source.find(1), Dialect::postgres);
  ASSERT_EQ(sqlite.up.section.statements.size(), 2u);
  EXPECT_EQ(sqlite.up.section.statements[1].sql.rfind("CREATE TRIGGER items_label", 0), 0u);
  ASSERT_EQ(postgres.up.section.statements.size(), 2u);
  EXPECT_EQ(postgres.up.section.statements[1].sql,
            "CREATE VIEW items_upper AS SELECT id, upper(label) AS label FROM items");
  EXPECT_EQ(postgres.down.section.statements.size(), 2u);
}

TEST(FileNames, SqlMigrateDatedNamesGetAVersionEach) {
  auto version_of = [](const std::string& name) { return parse_file_name(name)->version; };
  EXPECT_EQ(version_of("2023-01-20.0-initial.sql"), 20230120000);
  EXPECT_EQ(version_of("2023-01-20.1-users.sql"), 20230120001);
  EXPECT_EQ(version_of("2023-01-20.12-more.sql"), 20230120012);
  EXPECT_EQ(version_of("2023-01-27-wallets.sql"), 20230127000);
  EXPECT_EQ(version_of("2023-04-25.0.alter-messages.sql"), 20230425000);
  EXPECT_EQ(parse_file_name("2023-04-25.0.alter-messages.sql")->name, "alter-messages");
  EXPECT_EQ(parse_file_name("2023-04-25.0.alter-messages.sql")->version_text, "2023-04-25.0");
  EXPECT_EQ(parse_file_name("2023-01-27-2fa.sql")->name, "2fa") << "a name that starts with a digit";
  EXPECT_EQ(version_of("20180805174141-tournaments.sql"), 20180805174141) << "plain sql-migrate timestamps";
  EXPECT_EQ(version_of("2023_rest.sql"), 2023) << "not a date";
}

TEST(Create, SequentialVersionFollowsTheExistingWidth) {
  TempDir dir;
  dir.write("0007_old.up.sql", "");
  auto paths = create_migration(dir.path(), "add users-table now", {});
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0].filename(), "0008_add_users_table_now.up.sql");
  EXPECT_EQ(paths[1].filename(), "0008_add_users_table_now.down.sql");
}

TEST(Create, EmptyDirectoryStartsAtSixDigitsAndSingleWritesAnnotations) {
  TempDir dir;
  auto paths = create_migration(dir.path() / "new", "init", CreateOptions{false, std::nullopt, true});
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0].filename(), "000001_init.sql");
  EXPECT_EQ(read_file(paths[0], "x"), "-- +strata Up\n\n-- +strata Down\n");
}

TEST(Create, NumberingAfterVersionZeroContinuesAtOne) {
  TempDir dir;
  dir.write("0_initial.up.sql", "");
  EXPECT_EQ(create_migration(dir.path(), "next", {})[0].filename(), "1_next.up.sql");
}

TEST(Create, TimestampAndDigits) {
  TempDir dir;
  auto stamped = create_migration(dir.path(), "a", CreateOptions{true, std::nullopt, false});
  EXPECT_EQ(stamped[0].filename().string().size(), std::string("20261122143000_a.up.sql").size());
  TempDir other;
  EXPECT_EQ(create_migration(other.path(), "b", CreateOptions{false, 3, false})[0].filename(), "001_b.up.sql");
}

TEST(Create, TimestampVersionsNeverRepeatWithinOneSecond) {
  TempDir dir;
  std::vector<std::string> versions;
  for (const char* name : {"a", "b", "c"}) {
    auto paths = create_migration(dir.path(), name, CreateOptions{true, std::nullopt, false});
    versions.push_back(paths[0].filename().string().substr(0, 14));
  }
  EXPECT_LT(versions[0], versions[1]);
  EXPECT_LT(versions[1], versions[2]);
  EXPECT_NO_THROW(load_source(dir.path(), Dialect::sqlite));
}

TEST(Create, TimestampAfterANewerFileTakesTheNextSecond) {
  TempDir dir;
  dir.write("29991231235959_future.up.sql", "");
  auto paths = create_migration(dir.path(), "next", CreateOptions{true, std::nullopt, false});
  EXPECT_EQ(paths[0].filename(), "30000101000000_next.up.sql") << "seconds roll over into the next year";
}

TEST(Create, RejectsOddNames) {
  TempDir dir;
  EXPECT_THROW(create_migration(dir.path(), "../escape", {}), UsageError);
  EXPECT_THROW(create_migration(dir.path(), "", {}), UsageError);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Create, RespectsUmask) {
  TempDir dir;
  mode_t old = umask(027);
  auto paths = create_migration(dir.path(), "private", {});
  umask(old);
  struct stat info {};
  ASSERT_EQ(stat(paths[0].c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
}

TEST(Loader, ByteScanSeesTransactionWordsAndBlockersInAnyCaseAcrossChunks) {
  TempDir dir;
  // The file is read in 256 KB chunks: the word straddles the first boundary.
  const std::string rows = std::string(256 * 1024 - 5 - 26, ' ');
  dir.write("1_a.up.sql", "INSERT INTO t VALUES (1);\n" + rows + "ConCurrently");
  dir.write("2_b.up.sql", "INSERT INTO t VALUES (1);\n-- +migrate notransaction\n");
  dir.write("3_c.up.sql", "INSERT INTO t VALUES ('a');\nINSERT INTO t VALUES ('b');\n");
  dir.write("4_d.up.sql", "INSERT INTO t VALUES (1);\nVacuum;\n");
  Source source = load_source(dir.path(), Dialect::postgres);
  EXPECT_TRUE(may_leave_transaction(*source.find(1)->up, Dialect::postgres));
  EXPECT_FALSE(may_leave_transaction(*source.find(1)->up, Dialect::sqlite));
  EXPECT_TRUE(may_leave_transaction(*source.find(2)->up, Dialect::sqlite));
  EXPECT_FALSE(may_leave_transaction(*source.find(3)->up, Dialect::postgres));
  EXPECT_TRUE(may_leave_transaction(*source.find(4)->up, Dialect::sqlite));
  EXPECT_FALSE(may_leave_transaction(*source.find(4)->up, Dialect::mysql));
}

TEST(Loader, SingleFileDirectionsCarryTheirOwnTransactionBlocker) {
  TempDir dir;
  dir.write("0001_idx.sql", "-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- +goose Down\nDROP INDEX i;\n");
  dir.write("0002_up_only.sql", "-- +goose Up\nVACUUM;\n");
  Source source = load_source(dir.path(), Dialect::postgres);
  ParsedMigration parsed = parse_migration(*source.find(1), Dialect::postgres);
  EXPECT_FALSE(parsed.up.section.transaction);
  ASSERT_TRUE(parsed.up.section.blocker);
  EXPECT_EQ(parsed.up.section.blocker->line, 2);
  EXPECT_EQ(parsed.up.section.blocker->statement, "CREATE INDEX CONCURRENTLY");
  EXPECT_FALSE(parsed.up.section.blocker->mixed);
  EXPECT_TRUE(parsed.down.section.transaction);
  EXPECT_FALSE(parsed.down.section.blocker);
  // Without a Down section, the empty down keeps the up section's annotations, not its VACUUM.
  Script down = parse_script(*source.find(2), Direction::down, Dialect::postgres);
  EXPECT_TRUE(down.section.transaction);
  EXPECT_FALSE(parse_script(*source.find(2), Direction::up, Dialect::postgres).section.transaction);
}

}  // namespace
}  // namespace strata::source
