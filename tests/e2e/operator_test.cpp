// What strata tells an operator (issue 12): confirmations that protect a whole database, and
// gates that see every problem.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

class OperatorTest : public EngineTest {};

TEST_P(OperatorTest, DownBeyondWhatIsAppliedAsksLikeDownAll) {
  copy_testdata("valid");
  ASSERT_EQ(run("up").exit_code, 0);
  const std::string applied = run("version").out;
  Result refused = run("down 99");  // no terminal: nobody to ask
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("strata: error: down 99 reverts all "), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(" and needs confirmation: pass -y/--yes (no terminal to ask on), or run `strata down "),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(run("version").out, applied) << "nothing reverted";
  EXPECT_EQ(run("down 1").exit_code, 0) << "within what is applied: no question";
  Result confirmed = run("down 99 -y");
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_EQ(run("version").out, "none\n");
  EXPECT_EQ(run("down 5").exit_code, 0) << "nothing applied: nothing to confirm";
}

TEST_P(OperatorTest, StatusGateFailsWhenAnAppliedFileIsMissing) {
  copy_testdata("valid");
  ASSERT_EQ(run("up").exit_code, 0);
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
  fs::remove(dir() / "migrations" / "0001_create_a.up.sql");
  fs::remove(dir() / "migrations" / "0001_create_a.down.sql");
  Result gate = run("status --exit-code");
  EXPECT_EQ(gate.exit_code, 4);
  EXPECT_NE(gate.out.find("missing"), std::string::npos) << gate.out;
}

INSTANTIATE_TEST_SUITE_P(Engines, OperatorTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
