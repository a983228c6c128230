// The exception hierarchy's one table: which exit code each class carries (SPEC §4). Other
// tests catch a class and assert its message; the code follows from the class, tested here.
#include <gtest/gtest.h>

#include "core/error.hpp"

namespace strata {
namespace {

int code(const Error& error) {
  return static_cast<int>(error.exit_code());
}

TEST(ErrorClasses, EachClassCarriesItsDocumentedExitCode) {
  EXPECT_EQ(code(DriverError("x")), 1);
  EXPECT_EQ(code(StatementFailed(3, DriverError("x", "42P01", 7))), 1);
  EXPECT_EQ(code(UsageError("x")), 2);
  EXPECT_EQ(code(DirtyError("x")), 3);
  EXPECT_EQ(code(SourceError("a.sql", 2, "x")), 4);
  EXPECT_EQ(code(SourceError("x")), 4);
  EXPECT_EQ(code(LockTimeout("x")), 5);
  EXPECT_EQ(code(Interrupted("x")), 1);
  EXPECT_EQ(code(Error("x", ExitCode::pending)), 6);
}

TEST(ErrorClasses, StatementFailedKeepsTheDatabasesMessageStateAndPosition) {
  const StatementFailed failed(3, DriverError("no such table", "42P01", 7));
  EXPECT_EQ(failed.index(), 3u);
  EXPECT_STREQ(failed.what(), "no such table");
  EXPECT_EQ(failed.sqlstate(), "42P01");
  EXPECT_EQ(failed.position(), std::optional<size_t>(7));
}

TEST(ErrorClasses, SourceErrorPointsAtFileAndLineLikeACompiler) {
  EXPECT_STREQ(SourceError("0004_add.up.sql", 12, "unterminated string").what(),
               "0004_add.up.sql:12: unterminated string");
  EXPECT_STREQ(SourceError("0004_add.up.sql", 0, "empty").what(), "0004_add.up.sql: empty");
}

}  // namespace
}  // namespace strata
