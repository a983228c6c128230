#include "cli/config.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace strata::cli {
namespace {

TEST(EnvFile, ParsesExportQuotesAndComments) {
  auto values = parse_env_file(
      "# comment\n\nexport DATABASE_URL=sqlite:dev.db\nSTRATA_PATH=\"db/migrations\"\nSTRATA_TABLE='v' \n"
      "STRATA_LOCK_TIMEOUT=30 # seconds\r\n",
      ".env");
  EXPECT_EQ(values.at("DATABASE_URL"), "sqlite:dev.db");
  EXPECT_EQ(values.at("STRATA_PATH"), "db/migrations");
  EXPECT_EQ(values.at("STRATA_TABLE"), "v");
  EXPECT_EQ(values.at("STRATA_LOCK_TIMEOUT"), "30");
}

TEST(EnvFile, MalformedLineNamesFileAndLine) {
  try {
    parse_env_file("A=1\nthis is not an assignment\n", "config/.env");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "config/.env:2: expected KEY=VALUE");
  }
  EXPECT_THROW(parse_env_file("A=\"open\n", ".env"), UsageError);
}

TEST(Seconds, AcceptsIntegersAndDecimals) {
  EXPECT_EQ(parse_seconds("15", "--lock-timeout").count(), 15000);
  EXPECT_EQ(parse_seconds("0.25", "--lock-timeout").count(), 250);
  EXPECT_EQ(parse_seconds("0", "--lock-timeout").count(), 0);
}

TEST(Seconds, RejectsAnythingElseNamingTheSetting) {
  try {
    parse_seconds("soon", "STRATA_LOCK_TIMEOUT");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "invalid STRATA_LOCK_TIMEOUT 'soon': expected a number of seconds");
  }
  EXPECT_THROW(parse_seconds("-1", "--lock-timeout"), UsageError);
  EXPECT_THROW(parse_seconds("", "--lock-timeout"), UsageError);
  EXPECT_THROW(parse_seconds("nan", "--lock-timeout"), UsageError);
  EXPECT_THROW(parse_seconds("1e999", "--lock-timeout"), UsageError);
}

}  // namespace
}  // namespace strata::cli
