// testdata/compat: the patterns of real projects' migration folders, on every engine: up, status,
// down to nothing and up again, as the survey ran them on public sets.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

class CompatTest : public EngineTest {};

TEST_P(CompatTest, RealWorldPatternsGoUpDownAndUpAgain) {
  copy_testdata("compat");
  fs::remove(dir() / "migrations" / "README.md");
  for (int round = 0; round < 2; ++round) {
    Result up = run("up");
    ASSERT_EQ(up.exit_code, 0) << up.err;
    EXPECT_EQ(up.err.find("warning"), std::string::npos) << "every direction is all of one kind: " << up.err;
    EXPECT_EQ(version(), "20240101000\n");
    EXPECT_EQ(run("status --exit-code").exit_code, 0);
    EXPECT_EQ(sql("SELECT n FROM team_count"), "0\n");
    EXPECT_EQ(table_count("games"), "1\n");
    if (GetParam() == "postgres") {
      EXPECT_EQ(sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'players_team'::regclass"), "t\n");
    }
    EXPECT_EQ(sql("SELECT name FROM teams"), "first\n");
    Result down = run("down --all -y");
    ASSERT_EQ(down.exit_code, 0) << down.err;
    EXPECT_EQ(version(), "none\n");
    EXPECT_EQ(table_count("teams"), "0\n");
    EXPECT_EQ(table_count("players"), "0\n");
  }
  EXPECT_EQ(run("validate").exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, CompatTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
