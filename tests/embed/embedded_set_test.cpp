// Sets compiled in by strata_add_migrations: byte for byte the files of their directory, the
// same source as the directory on every dialect, and the checksums the CLI records.
#include <gtest/gtest.h>

#include "checkouts.hpp"
#include "compat.hpp"
#include "e2e/harness.hpp"
#include "source/loader.hpp"
#include "valid.hpp"

namespace fs = std::filesystem;

namespace strata {
namespace {

const fs::path k_testdata = STRATA_TESTDATA;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(EmbeddedSet, HoldsEveryMigrationFileOfTheDirectoryByteForByte) {
  const EmbeddedMigrations& set = embedded::compat();
  EXPECT_STREQ(set.directory, "../../testdata/compat");
  std::vector<std::string> expected;
  for (const fs::directory_entry& entry : fs::directory_iterator(k_testdata / "compat")) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".sql") expected.push_back(name);
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> names;
  for (size_t i = 0; i < set.count; ++i) {
    names.emplace_back(set.files[i].name);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(set.files[i].data), set.files[i].size),
              read_bytes(k_testdata / "compat" / set.files[i].name))
        << set.files[i].name;
  }
  EXPECT_EQ(names, expected);  // README.md is not compiled in; every dialect's files are
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

}  // namespace
}  // namespace strata
