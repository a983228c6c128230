// load_embedded() against load_source(): the same files, whether on disk or compiled in, give
// the same source, warnings, errors, statements and checksums.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "source/loader.hpp"
#include "strata/embedded.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace strata::source {
namespace {

const fs::path k_testdata = STRATA_TESTDATA;

// An EmbeddedMigrations over copies of the directory's regular files (every one of them, so
// the loader's rules see the same names), kept alive by the object.
class InMemorySet {
 public:
  explicit InMemorySet(const fs::path& directory, std::string label = "migrations") : m_label(std::move(label)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      add(entry.path().filename().string(), bytes.str());
    }
  }
  InMemorySet() = default;
  void add(std::string name, std::string bytes) {
    m_names.push_back(std::make_unique<std::string>(std::move(name)));
    m_bytes.push_back(std::make_unique<std::string>(std::move(bytes)));
  }
  const EmbeddedMigrations& set() {
    m_files.clear();
    for (size_t i = 0; i < m_names.size(); ++i) {
      m_files.push_back(
          {m_names[i]->c_str(), reinterpret_cast<const unsigned char*>(m_bytes[i]->data()), m_bytes[i]->size()});
    }
    m_set = {m_label.c_str(), m_files.data(), m_files.size()};
    return m_set;
  }

 private:
  std::string m_label = "migrations";
  std::vector<std::unique_ptr<std::string>> m_names;
  std::vector<std::unique_ptr<std::string>> m_bytes;
  std::vector<EmbeddedFile> m_files;
  EmbeddedMigrations m_set{};
};

std::vector<std::string> file_names(const Migration& migration) {
  std::vector<std::string> names;
  names.push_back(migration.up ? migration.up->name : "-");
  names.push_back(migration.down ? migration.down->name : "-");
  for (const MigrationFile& part : migration.parts) names.push_back(part.name);
  return names;
}

std::string render(const Script& script) {
  std::string out = script.file + " " + script.checksum + (script.section.transaction ? " tx\n" : " no-tx\n");
  for (const Statement& statement : script.section.statements) {
    out += script.file_of(statement) + ":" + std::to_string(statement.line) + ": " + statement.sql + "\n";
  }
  return out;
}

void expect_same(const fs::path& directory, Dialect dialect) {
  SCOPED_TRACE(directory.string() + " as " + std::string(dialect_name(dialect)));
  InMemorySet memory(directory);
  const Source disk = load_source(directory, dialect);
  const Source embedded = load_embedded(memory.set(), dialect);
  EXPECT_EQ(embedded.directory(), "migrations");
  EXPECT_EQ(embedded.dialect(), dialect);
  EXPECT_EQ(embedded.warnings(), disk.warnings());
  ASSERT_EQ(embedded.migrations().size(), disk.migrations().size());
  for (size_t i = 0; i < disk.migrations().size(); ++i) {
    const Migration& a = disk.migrations()[i];
    const Migration& b = embedded.migrations()[i];
    EXPECT_EQ(b.version, a.version);
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.label(), a.label());
    EXPECT_EQ(b.single_file, a.single_file);
    EXPECT_EQ(file_names(b), file_names(a));
    EXPECT_TRUE(b.up->bytes.has_value());
    EXPECT_EQ(migration_checksum(b), migration_checksum(a));
    EXPECT_EQ(file_checksum(*b.up), file_checksum(*a.up));
    EXPECT_EQ(raw_file_checksum(*b.up), raw_file_checksum(*a.up));
    std::error_code ec;
    EXPECT_EQ(file_size(*b.up, ec), file_size(*a.up, ec));
    EXPECT_EQ(may_leave_transaction(*b.up, dialect), may_leave_transaction(*a.up, dialect));
    const ParsedMigration parsed_a = parse_migration(a, dialect);
    const ParsedMigration parsed_b = parse_migration(b, dialect);
    EXPECT_EQ(render(parsed_b.up), render(parsed_a.up));
    EXPECT_EQ(render(parsed_b.down), render(parsed_a.down));
    EXPECT_EQ(render(parse_script(b, Direction::down, dialect)), render(parse_script(a, Direction::down, dialect)));
    EXPECT_EQ(has_down_section(b, dialect), has_down_section(a, dialect));
  }
}

TEST(EmbeddedLoader, GivesWhatTheDirectoryGivesOnEveryDialect) {
  for (const char* set :
       {"valid", "checkouts", "compat", "sql_migrate_dated", "dialect_blocks", "own_transactions", "example"}) {
    for (Dialect dialect : k_all_dialects) expect_same(k_testdata / set, dialect);
  }
}

TEST(EmbeddedLoader, ByteOrderMarkAndCrlfFilesHaveTheCheckoutsChecksum) {
  InMemorySet memory(k_testdata / "checkouts");
  const Source embedded = load_embedded(memory.set(), Dialect::sqlite);
  const Migration* notes = embedded.find(1);
  ASSERT_NE(notes, nullptr);
  // The same text saved without the BOM and with LF endings: the checksum strata records.
  std::ifstream in(k_testdata / "checkouts" / "1_notes.up.sql", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(text.rfind("\xEF\xBB\xBF", 0), 0u);
  text.erase(0, 3);
  for (size_t at; (at = text.find("\r\n")) != std::string::npos;) text.erase(at, 1);
  InMemorySet normalised;
  normalised.add("1_notes.up.sql", text);
  const Source plain = load_embedded(normalised.set(), Dialect::sqlite);
  EXPECT_EQ(migration_checksum(*notes), migration_checksum(plain.migrations().front()));
  EXPECT_NE(raw_file_checksum(*notes->up), raw_file_checksum(*plain.migrations().front().up));
}

TEST(EmbeddedLoader, NearMissNamesWarnAsInADirectory) {
  strata::testing::TempDir dir;
  dir.write("0001_a.up.sql", "SELECT 1;\n");
  dir.write("0001_a.up.sql~", "SELECT 1;\n");
  dir.write("0002_b.sql.orig", "SELECT 2;\n");
  dir.write("notes.txt", "not a migration\n");
  InMemorySet memory(dir.path());
  const Source disk = load_source(dir.path(), Dialect::sqlite);
  ASSERT_EQ(disk.warnings().size(), 2u);
  EXPECT_EQ(load_embedded(memory.set(), Dialect::sqlite).warnings(), disk.warnings());
}

std::string embedded_error(InMemorySet& memory, Dialect dialect = Dialect::sqlite) {
  try {
    load_embedded(memory.set(), dialect);
  } catch (const SourceError& error) {
    return error.what();
  }
  return "no error";
}

std::string directory_error(const fs::path& directory, Dialect dialect = Dialect::sqlite) {
  try {
    load_source(directory, dialect);
  } catch (const SourceError& error) {
    return error.what();
  }
  return "no error";
}

TEST(EmbeddedLoader, RefusesWhatTheDirectoryRefuses) {
  for (const char* set : {"duplicate", "bad_name", "down_without_up"}) {
    InMemorySet memory(k_testdata / set);
    const std::string expected = directory_error(k_testdata / set);
    EXPECT_NE(expected, "no error") << set;
    EXPECT_EQ(embedded_error(memory), expected) << set;
  }
  strata::testing::TempDir dir;
  dir.write("0001_a.up.SQL", "");
  dir.write("2_b.UP.sql", "");
  dir.write("3_c.go", "package migrations\n");
  for (const char* name : {"0001_a.up.SQL", "2_b.UP.sql", "3_c.go"}) {
    strata::testing::TempDir one;
    fs::copy(dir.path() / name, one.path() / name);
    InMemorySet memory(one.path());
    EXPECT_EQ(embedded_error(memory), directory_error(one.path())) << name;
  }
}

TEST(EmbeddedLoader, ParseErrorsAndNulBytesNameTheFileAndLine) {
  InMemorySet broken(k_testdata / "broken_sql");
  const Source source = load_embedded(broken.set(), Dialect::postgres);
  try {
    parse_migration(*source.find(2), Dialect::postgres);
    ADD_FAILURE() << "no error";
  } catch (const SourceError& error) {
    EXPECT_EQ(error.file(), "0002_unterminated.up.sql");
    EXPECT_GT(error.line(), 0);
    const Source disk = load_source(k_testdata / "broken_sql", Dialect::postgres);
    try {
      parse_migration(*disk.find(2), Dialect::postgres);
    } catch (const SourceError& expected) {
      EXPECT_STREQ(error.what(), expected.what());
    }
  }
  InMemorySet nul;
  nul.add("1_a.up.sql", std::string("SELECT 1;\nSELECT '\0';\n", 22));
  const Source with_nul = load_embedded(nul.set(), Dialect::sqlite);
  try {
    file_checksum(*with_nul.find(1)->up);
    ADD_FAILURE() << "no error";
  } catch (const SourceError& error) {
    EXPECT_STREQ(error.what(), "1_a.up.sql:2: contains a NUL byte (not a text file)");
  }
}

TEST(EmbeddedLoader, RefusesNamesNoDirectoryHolds) {
  InMemorySet twice;
  twice.add("1_a.up.sql", "SELECT 1;\n");
  twice.add("1_a.up.sql", "SELECT 2;\n");
  EXPECT_EQ(embedded_error(twice), "1_a.up.sql: is listed twice in the compiled-in migrations");
  InMemorySet nested;
  nested.add("sub/1_a.up.sql", "SELECT 1;\n");
  EXPECT_EQ(embedded_error(nested),
            "compiled-in migrations of migrations: 'sub/1_a.up.sql' is not a file name (file 1 "
            "of the set)");
}

TEST(EmbeddedLoader, AnEmptySetHasNoMigrations) {
  EmbeddedMigrations empty{"migrations", nullptr, 0};
  EXPECT_TRUE(load_embedded(empty, Dialect::mysql).migrations().empty());
}

}  // namespace
}  // namespace strata::source
