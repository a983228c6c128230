// Sets compiled in by strata_add_migrations: byte for byte the files of their directory, the
// same source as the directory on every dialect, and the checksums the CLI records.
#include <gtest/gtest.h>

#include "checkouts.hpp"
#include "compat.hpp"
#include "e2e/harness.hpp"
#include "source/loader.hpp"
#include "strata/migrator.hpp"
#include "tricky.hpp"
#include "valid.hpp"

namespace fs = std::filesystem;

namespace strata {
namespace {

const fs::path k_testdata = STRATA_TESTDATA;
const fs::path k_tricky = STRATA_EMBED_TRICKY;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every file the loader reads (README.md is not one; every dialect's files are), byte for byte.
void expect_bytes_of(const EmbeddedMigrations& set, const fs::path& directory) {
  SCOPED_TRACE(directory.string());
  std::vector<std::string> expected;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".sql") expected.push_back(name);
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> names;
  for (size_t i = 0; i < set.count; ++i) {
    names.emplace_back(set.files[i].name);
    ASSERT_NE(set.files[i].data, nullptr);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(set.files[i].data), set.files[i].size),
              read_bytes(directory / set.files[i].name))
        << set.files[i].name;
  }
  EXPECT_EQ(names, expected);
}

TEST(EmbeddedSet, HoldsEveryMigrationFileOfTheDirectoryByteForByte) {
  EXPECT_STREQ(embedded::compat().directory, "../../testdata/compat");  // as strata_add_migrations was given it
  expect_bytes_of(embedded::compat(), k_testdata / "compat");
  expect_bytes_of(embedded::checkouts(), k_testdata / "checkouts");
  // Trigraphs, backslashes, quotes, control bytes, UTF-8 followed by digits, a 5000-byte line,
  // no final newline, an empty file.
  expect_bytes_of(embedded::tricky(), k_tricky);
  EXPECT_EQ(embedded::tricky().files[0].size, 0u);
}

TEST(EmbeddedSet, LoadsAsItsDirectoryOnEveryDialect) {
  const std::pair<const EmbeddedMigrations*, const char*> sets[] = {
      {&embedded::checkouts(), "checkouts"}, {&embedded::compat(), "compat"}, {&embedded::valid(), "valid"}};
  for (const auto& [set, name] : sets) {
    for (Dialect dialect : k_all_dialects) {
      SCOPED_TRACE(std::string(name) + " as " + std::string(dialect_name(dialect)));
      const source::Source disk = source::load_source(k_testdata / name, dialect);
      const source::Source embedded = source::load_embedded(*set, dialect);
      ASSERT_EQ(embedded.migrations().size(), disk.migrations().size());
      for (size_t i = 0; i < disk.migrations().size(); ++i) {
        EXPECT_EQ(embedded.migrations()[i].label(), disk.migrations()[i].label());
        EXPECT_EQ(embedded.migrations()[i].up->name, disk.migrations()[i].up->name);
        EXPECT_EQ(source::migration_checksum(embedded.migrations()[i]),
                  source::migration_checksum(disk.migrations()[i]));
      }
    }
  }
}

class EmbeddedSetCli : public e2e::CliTest {};

// The CLI records the checksum of each file it applies; the compiled-in set of the same files
// gives the same ones, so the CLI and a program built with the set can migrate one database in
// turns without a drift error.
TEST_F(EmbeddedSetCli, ChecksumsAreTheOnesTheCliRecordsForCrlfAndBomFiles) {
  copy_testdata("checkouts");
  ASSERT_EQ(db("up").exit_code, 0);
  const source::Source embedded = source::load_embedded(embedded::checkouts(), Dialect::sqlite);
  ASSERT_EQ(embedded.migrations().size(), 2u);
  std::string expected;
  for (const source::Migration& migration : embedded.migrations()) {
    expected += std::to_string(migration.version) + "|" + source::migration_checksum(migration) + "\n";
  }
  EXPECT_EQ(sql("SELECT version, checksum FROM schema_migrations_history WHERE outcome = 'applied' ORDER BY id;"),
            expected);
}

// The library on a compiled-in set and the CLI on its directory take turns on one database:
// neither sees the other's migrations as edited.
TEST_F(EmbeddedSetCli, MigratorOnTheSetAndCliOnTheDirectoryTakeTurns) {
  copy_testdata("checkouts");
  ASSERT_EQ(db("up 1").exit_code, 0);
  const std::string url = "sqlite:" + (dir() / "test.db").string();
  Migrator migrator(url, MigrationSource::embedded(embedded::checkouts()));
  const RunResult result = migrator.up();
  ASSERT_EQ(result.steps.size(), 1u);
  EXPECT_EQ(result.steps[0].version, 2);
  EXPECT_FALSE(migrator.has_pending());
  const Status status = migrator.status();
  ASSERT_EQ(status.migrations.size(), 2u);
  EXPECT_EQ(status.migrations[0].state, MigrationState::applied);  // the CLI's checksum of the BOM/CRLF file
  const e2e::Result cli_status = db("status --exit-code");
  EXPECT_EQ(cli_status.exit_code, 0) << cli_status.out << cli_status.err;
  ASSERT_EQ(db("down 2").exit_code, 0);
  EXPECT_EQ(migrator.up().steps.size(), 2u);
  EXPECT_EQ(db("version").out, "2\n");
}

}  // namespace
}  // namespace strata
