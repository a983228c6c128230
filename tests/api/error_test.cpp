#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

#include "strata/error.hpp"

namespace strata {
namespace {

// The one place that states which exit code each kind of error means (SPEC §4).
TEST(ErrorHierarchy, EachKindMapsToItsExitCode) {
  std::vector<std::pair<std::unique_ptr<Error>, int>> kinds;
  kinds.emplace_back(std::make_unique<UsageError>("usage"), 2);
  kinds.emplace_back(std::make_unique<SourceError>("f.sql", 3, "source"), 4);
  kinds.emplace_back(std::make_unique<DirtyError>("dirty"), 3);
  kinds.emplace_back(std::make_unique<LockTimeout>("lock"), 5);
  kinds.emplace_back(std::make_unique<DriverError>("driver"), 1);
  kinds.emplace_back(std::make_unique<StatementFailed>(0, DriverError("statement")), 1);
  kinds.emplace_back(std::make_unique<Interrupted>("interrupted"), 1);
  for (const auto& [error, code] : kinds) EXPECT_EQ(static_cast<int>(error->exit_code()), code) << error->what();
}

TEST(ErrorHierarchy, ASourceErrorPointsAtFileAndLine) {
  EXPECT_STREQ(SourceError("0004_add.up.sql", 12, "unterminated string").what(),
               "0004_add.up.sql:12: unterminated string");
  EXPECT_STREQ(SourceError("0004_add.up.sql", 0, "unreadable").what(), "0004_add.up.sql: unreadable");
}

}  // namespace
}  // namespace strata
