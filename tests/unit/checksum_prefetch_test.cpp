#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "source/checksum_prefetch.hpp"
#include "source/loader.hpp"
#include "support/temp_dir.hpp"

namespace strata::source {
namespace {

class ChecksumPrefetchTest : public ::testing::Test {
 protected:
  // `count` pairs, single files and a version of two parts: every shape a checksum can have.
  Source write(int count) {
    for (int i = 1; i <= count; ++i) {
      const std::string n = std::to_string(i);
      if (i % 3 == 0) {
        m_dir.write(n + "_s.sql", "-- migrate:up\nCREATE TABLE s" + n + " (id INT);\n-- migrate:down\nDROP TABLE s" +
                                      n + ";\n");
      } else {
        m_dir.write(n + "_p.up.sql", "CREATE TABLE p" + n + " (id INT);\r\n");
        m_dir.write(n + "_p.down.sql", "DROP TABLE p" + n + ";\n");
      }
    }
    m_dir.write(std::to_string(count + 1) + "-a.sql", "-- +migrate Up\nCREATE TABLE a (id INT);\n");
    m_dir.write(std::to_string(count + 1) + "-b.sql", "-- +migrate Up\nCREATE TABLE b (id INT);\n");
    return load_source(m_dir.path(), Dialect::sqlite);
  }

  strata::testing::TempDir m_dir;
};

TEST_F(ChecksumPrefetchTest, HandsOutTheChecksumsTheSourceComputes) {
  const Source source = write(200);
  ASSERT_EQ(source.migrations().size(), 201u);
  ChecksumPrefetch prefetch(source);
  for (const Migration& migration : source.migrations()) {
    EXPECT_EQ(prefetch.checksum(migration), source.checksum(migration)) << migration.version;
  }
  // Asked again (all done by now, by one thread or the other): the same.
  for (const Migration& migration : source.migrations()) {
    EXPECT_EQ(prefetch.checksum(migration), source.checksum(migration)) << migration.version;
  }
}

TEST_F(ChecksumPrefetchTest, AFileItCannotReadIsReportedByTheCallerWithItsName) {
  const Source source = write(20);
  std::filesystem::remove(m_dir.path() / "7_p.up.sql");  // listed, then gone
  ChecksumPrefetch prefetch(source);
  const Migration* seventh = source.find(7);
  ASSERT_NE(seventh, nullptr);
  try {
    prefetch.checksum(*seventh);
    FAIL() << "a file that is gone has no checksum";
  } catch (const SourceError& e) {
    EXPECT_NE(std::string(e.what()).find("7_p.up.sql"), std::string::npos) << e.what();
  }
  EXPECT_EQ(prefetch.checksum(*source.find(8)), source.checksum(*source.find(8)));
}

TEST_F(ChecksumPrefetchTest, StopsWhenDestroyedBeforeAnythingWasAsked) {
  const Source source = write(300);
  { ChecksumPrefetch prefetch(source); }  // joins its thread; ASan and valgrind see the rest
  const Source empty(m_dir.path(), Dialect::sqlite, {});
  ChecksumPrefetch none(empty);  // no thread at all
}

}  // namespace
}  // namespace strata::source
