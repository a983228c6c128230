// Inputs the fuzz targets (fuzz/) found crashing or breaking a property, kept so the bug stays
// fixed. Raw inputs live in testdata/fuzz-regressions/<target>-<what>; each test states what the
// code must do with them now.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/database_url.hpp"
#include "core/error.hpp"

namespace strata {
namespace {

std::string regression_input(const std::string& name) {
  std::ifstream in(std::string(STRATA_TESTDATA) + "/fuzz-regressions/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// parse_database_url takes the userinfo up to the last '@', so a password may contain '/';
// redact_passwords used to stop at the first '/' and printed most of such a password.
TEST(FuzzRegression, RedactPasswordsHidesAPasswordContainingSlash) {
  EXPECT_EQ(redact_passwords("postgres://u:pa/ss@h/db"), "postgres://u:***@h/db");
  EXPECT_EQ(redact_passwords("cannot connect to mysql://root:a/b/c@tcp(h:3306)/app: refused"),
            "cannot connect to mysql://root:***@tcp(h:3306)/app: refused");
  EXPECT_EQ(parse_database_url("postgres://u:pa/ss@h/db").password, "pa/ss");
}

TEST(FuzzRegression, RedactPasswordsHidesTheFuzzFoundPassword) {
  const std::string text = regression_input("url-password-with-slash");
  const std::string password = "pmysql://root:pww";
  // The input carries NUL bytes: the URL is refused outright, without being echoed.
  try {
    parse_database_url(text);
    FAIL() << "a URL with control characters was accepted";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()).find(password), std::string::npos);
  }
  EXPECT_EQ(redact_passwords(text).find(password), std::string::npos);
}

// Text without a password keeps its paths: only the userinfo is ever replaced.
TEST(FuzzRegression, RedactPasswordsLeavesUrlsWithoutPasswordAlone) {
  EXPECT_EQ(redact_passwords("postgres://h:5432/db?sslmode=disable and sqlite:///a/b.db"),
            "postgres://h:5432/db?sslmode=disable and sqlite:///a/b.db");
  EXPECT_EQ(redact_passwords("see https://example.com/a:b/c"), "see https://example.com/a:b/c");
}

}  // namespace
}  // namespace strata
