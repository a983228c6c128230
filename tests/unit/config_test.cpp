#include "cli/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

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

// --statement-lock-timeout and --retries: flag > environment > default, 0 turns the timeout off.
TEST(LockQueueSettings, FlagBeatsEnvironmentBeatsDefault) {
  ::unsetenv("STRATA_STATEMENT_LOCK_TIMEOUT");
  ::unsetenv("STRATA_RETRIES");
  const Environment none = Environment::load(std::nullopt);
  Config defaults = resolve(Flags{}, none, false);
  EXPECT_EQ(defaults.statement_lock_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(defaults.retries, 3);

  ::setenv("STRATA_STATEMENT_LOCK_TIMEOUT", "2", 1);
  ::setenv("STRATA_RETRIES", "0", 1);
  const Environment env = Environment::load(std::nullopt);
  Config from_env = resolve(Flags{}, env, false);
  EXPECT_EQ(from_env.statement_lock_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(from_env.retries, 0);

  Flags flags;
  flags.statement_lock_timeout = "0.5";
  flags.retries = "7";
  Config from_flags = resolve(flags, env, false);
  EXPECT_EQ(from_flags.statement_lock_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(from_flags.retries, 7);

  flags.statement_lock_timeout = "0";
  EXPECT_EQ(resolve(flags, env, false).statement_lock_timeout, std::nullopt) << "0: no limit";

  ::setenv("STRATA_RETRIES", "many", 1);
  try {
    resolve(Flags{}, Environment::load(std::nullopt), false);
    ADD_FAILURE() << "STRATA_RETRIES=many accepted";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "invalid STRATA_RETRIES 'many': expected a whole number of retries from 0 to 100");
  }
  ::unsetenv("STRATA_STATEMENT_LOCK_TIMEOUT");
  ::unsetenv("STRATA_RETRIES");
  EXPECT_THROW(parse_retries("101", "--retries"), UsageError);
  EXPECT_THROW(parse_retries("-1", "--retries"), UsageError);
  EXPECT_THROW(parse_retries("", "--retries"), UsageError);
  EXPECT_EQ(parse_retries("100", "--retries"), 100);
}

}  // namespace
}  // namespace strata::cli
