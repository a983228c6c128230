#include "planner/planner.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace strata::planner {
namespace {

using tracker::HistoryEntry;
using tracker::Outcome;
using tracker::VersionState;

HistoryEntry entry(int64_t version, Outcome outcome) {
  HistoryEntry e;
  e.version = version;
  e.outcome = outcome;
  return e;
}

Inputs inputs(std::vector<int64_t> source, std::optional<int64_t> current, std::vector<HistoryEntry> history = {}) {
  Inputs in;
  in.source_versions = std::move(source);
  in.current = current;
  in.applied = AppliedSet::from(VersionState{current, false}, history, in.source_versions);
  return in;
}

// "u1>1 u2>2" : direction, version, version after.
std::string describe(const Plan& plan) {
  std::string out;
  for (const Step& step : plan.steps) {
    if (!out.empty()) out += ' ';
    out += (step.direction == Direction::up ? "u" : "d") + std::to_string(step.version) + ">" +
           (step.version_after ? std::to_string(*step.version_after) : "none");
  }
  return out;
}

TEST(PlannerUp, AppliesEveryPendingVersionInOrderFromEmpty) {
  Plan plan = plan_up(inputs({1, 2, 5}, std::nullopt), std::nullopt);
  EXPECT_EQ(describe(plan), "u1>1 u2>2 u5>5");
  EXPECT_EQ(plan.from, std::nullopt);
  EXPECT_EQ(plan.to, 5);
}

TEST(PlannerVersionZero, ZeroIsPendingUntilAppliedAndNoneIsBeforeIt) {
  // Nothing applied: 0 is pending like any first version.
  EXPECT_EQ(describe(plan_up(inputs({0, 1}, std::nullopt), std::nullopt)), "u0>0 u1>1");
  // At version 0 only 0 is applied (golang-migrate's row (0, false) without history).
  EXPECT_EQ(describe(plan_up(inputs({0, 1}, 0), std::nullopt)), "u1>1");
  // Reverting 0 leaves nothing applied, not version 0.
  EXPECT_EQ(describe(plan_down(inputs({0, 1}, 1), std::nullopt)), "d1>0 d0>none");
  EXPECT_EQ(describe(plan_goto(inputs({0, 1, 2}, 2), 0)), "d2>1 d1>0");
  EXPECT_EQ(describe(plan_redo(inputs({0, 1}, 0))), "d0>none u0>0");
}

TEST(PlannerVersionZero, ForceNoneAndForceZeroDiffer) {
  AppliedSet none = AppliedSet::from(VersionState{std::nullopt, false}, {entry(-1, Outcome::forced)}, {0, 1});
  EXPECT_FALSE(none.contains(0));
  EXPECT_TRUE(none.list({0, 1}).empty());
  AppliedSet zero = AppliedSet::from(VersionState{0, false}, {entry(0, Outcome::forced)}, {0, 1});
  EXPECT_TRUE(zero.contains(0));
  EXPECT_FALSE(zero.contains(1));
  EXPECT_EQ(zero.list({0, 1}), std::vector<int64_t>{0});
  // A revert of 0 recorded after the force: nothing applied.
  AppliedSet reverted = AppliedSet::from(VersionState{std::nullopt, false},
                                         {entry(0, Outcome::forced), entry(0, Outcome::reverted)}, {0});
  EXPECT_FALSE(reverted.contains(0));
}

HistoryEntry imported(std::vector<int64_t> versions) {
  tracker::ForeignState foreign;
  foreign.versions = std::move(versions);
  return tracker::imported_entry(foreign);
}

TEST(PlannerImported, ExactlyTheImportedVersionsAreAppliedAndAGapIsOutOfOrder) {
  Inputs in;
  in.source_versions = {1, 2, 3, 4};
  in.current = 3;
  in.applied = AppliedSet::from(VersionState{3, false}, {imported({1, 3})}, in.source_versions);
  EXPECT_TRUE(in.applied.contains(1));
  EXPECT_FALSE(in.applied.contains(2));
  EXPECT_TRUE(in.applied.contains(3));
  EXPECT_THROW(plan_up(in, std::nullopt), SourceError);
  in.allow_out_of_order = true;
  EXPECT_EQ(describe(plan_up(in, std::nullopt)), "u2>3 u4>4");
  EXPECT_EQ(describe(plan_down(in, std::nullopt)), "d3>1 d1>none");
}

TEST(PlannerImported, LaterRowsReplayOnTopAndAVersionNotInTheSourceStaysApplied) {
  AppliedSet set = AppliedSet::from(
      VersionState{7, false}, {imported({1, 7}), entry(2, Outcome::applied), entry(1, Outcome::reverted)}, {1, 2});
  EXPECT_EQ(set.list({1, 2}), (std::vector<int64_t>{2, 7}));
  // Nothing applied by the other tool: the row records -1 and no version row is written.
  HistoryEntry none = imported({});
  EXPECT_EQ(none.version, -1);
  EXPECT_TRUE(AppliedSet::from(VersionState{}, {none}, {1}).list({1}).empty());
}

TEST(PlannerUp, LimitAppliesOnlyTheNextN) {
  Plan plan = plan_up(inputs({1, 2, 3, 4}, 1), 2);
  EXPECT_EQ(describe(plan), "u2>2 u3>3");
  EXPECT_EQ(plan.from, 1);
  EXPECT_EQ(plan.to, 3);
}

TEST(PlannerUp, NothingPendingIsAnEmptyPlan) {
  Plan plan = plan_up(inputs({1, 2}, 2), std::nullopt);
  EXPECT_TRUE(plan.steps.empty());
  EXPECT_EQ(plan.from, 2);
  EXPECT_EQ(plan.to, 2);
}

TEST(PlannerUp, GolangMigrateDatabaseCountsEverythingUpToItsVersionAsApplied) {
  // No history at all: the version row alone says 1..3 are applied.
  Plan plan = plan_up(inputs({1, 2, 3, 4}, 3), std::nullopt);
  EXPECT_EQ(describe(plan), "u4>4");
}

TEST(PlannerUp, RefusesALateMergedLowerVersion) {
  // History says 1 and 3 were applied; 2 arrived later.
  auto in = inputs({1, 2, 3}, 3, {entry(1, Outcome::applied), entry(3, Outcome::applied)});
  try {
    plan_up(in, std::nullopt);
    FAIL() << "expected SourceError";
  } catch (const SourceError& error) {
    EXPECT_STREQ(error.what(),
                 "pending migration 2 is lower than the current version 3 (out of order); apply with "
                 "--allow-out-of-order or renumber");
  }
}

TEST(PlannerUp, AllowOutOfOrderAppliesLowerVersionsWithoutMovingTheVersionDown) {
  auto in = inputs({1, 2, 3, 4}, 3, {entry(1, Outcome::applied), entry(3, Outcome::applied)});
  in.allow_out_of_order = true;
  EXPECT_EQ(describe(plan_up(in, std::nullopt)), "u2>3 u4>4");
}

TEST(PlannerDown, RevertsOneByDefaultAndSetsThePreviousVersion) {
  Plan plan = plan_down(inputs({1, 2, 3}, 3), 1);
  EXPECT_EQ(describe(plan), "d3>2");
  EXPECT_EQ(plan.to, 2);
}

TEST(PlannerDown, AllRevertsEverythingToNone) {
  Plan plan = plan_down(inputs({1, 2, 3}, 3), std::nullopt);
  EXPECT_EQ(describe(plan), "d3>2 d2>1 d1>none");
  EXPECT_EQ(plan.to, std::nullopt);
}

TEST(PlannerDown, CountLargerThanAppliedStopsAtNone) {
  EXPECT_EQ(describe(plan_down(inputs({1, 2}, 1), 5)), "d1>none");
}

TEST(PlannerDown, NothingAppliedIsAnEmptyPlan) {
  EXPECT_TRUE(plan_down(inputs({1, 2}, std::nullopt), 1).steps.empty());
}

TEST(PlannerDown, SkipsVersionsThatWereNeverApplied) {
  // 2 was merged late and never applied: reverting 3 goes back to 1.
  auto in = inputs({1, 2, 3}, 3, {entry(1, Outcome::applied), entry(3, Outcome::applied)});
  EXPECT_EQ(describe(plan_down(in, 1)), "d3>1");
}

TEST(PlannerDown, RefusesToRevertAVersionWhoseFileIsGone) {
  auto in = inputs({1, 2}, 3, {entry(1, Outcome::applied), entry(2, Outcome::applied), entry(3, Outcome::applied)});
  EXPECT_THROW(plan_down(in, 1), SourceError);
}

TEST(PlannerGoto, MigratesUpToTheTarget) {
  EXPECT_EQ(describe(plan_goto(inputs({1, 2, 3, 4}, 1), 3)), "u2>2 u3>3");
}

TEST(PlannerGoto, MigratesDownToTheTarget) {
  EXPECT_EQ(describe(plan_goto(inputs({1, 2, 3, 4}, 4), 2)), "d4>3 d3>2");
}

TEST(PlannerGoto, CurrentVersionIsAnEmptyPlan) {
  EXPECT_TRUE(plan_goto(inputs({1, 2, 3}, 2), 2).steps.empty());
}

TEST(PlannerGoto, UnknownTargetIsAUsageError) {
  try {
    plan_goto(inputs({1, 2, 3}, 2), 7);
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "cannot go to version 7: no migration with that version");
  }
}

TEST(PlannerRedo, RevertsAndReappliesTheCurrentVersion) {
  Plan plan = plan_redo(inputs({1, 2, 3}, 2));
  EXPECT_EQ(describe(plan), "d2>1 u2>2");
  EXPECT_EQ(plan.from, 2);
  EXPECT_EQ(plan.to, 2);
}

TEST(PlannerRedo, NothingAppliedIsAnEmptyPlan) {
  EXPECT_TRUE(plan_redo(inputs({1}, std::nullopt)).steps.empty());
}

TEST(PlannerSteps, RecordTheVersionBeforeEachStepForTheForceAdvice) {
  Plan plan = plan_up(inputs({1, 2}, std::nullopt), std::nullopt);
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].version_before, std::nullopt);
  EXPECT_EQ(plan.steps[1].version_before, 1);
}

TEST(AppliedSetReplay, ForceResetsToEverythingUpToTheForcedVersion) {
  std::vector<HistoryEntry> history = {entry(1, Outcome::applied), entry(2, Outcome::failed),
                                       entry(2, Outcome::forced)};
  AppliedSet set = AppliedSet::from(VersionState{2, false}, history, {1, 2, 3});
  EXPECT_TRUE(set.contains(1));
  EXPECT_TRUE(set.contains(2));
  EXPECT_FALSE(set.contains(3));
}

TEST(AppliedSetReplay, ForceToNoneMeansNothingApplied) {
  std::vector<HistoryEntry> history = {entry(1, Outcome::applied), entry(-1, Outcome::forced)};
  AppliedSet set = AppliedSet::from(VersionState{std::nullopt, false}, history, {1, 2});
  EXPECT_FALSE(set.contains(1));
  EXPECT_TRUE(set.list({1, 2}).empty());
}

TEST(AppliedSetReplay, VersionRowMovedByAnotherToolWinsAsANewBaseline) {
  // strata applied 1 and 2, then golang-migrate applied 3 and 4 (no history rows).
  std::vector<HistoryEntry> history = {entry(1, Outcome::applied), entry(2, Outcome::applied)};
  AppliedSet set = AppliedSet::from(VersionState{4, false}, history, {1, 2, 3, 4, 5});
  EXPECT_EQ(set.list({1, 2, 3, 4, 5}), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(AppliedSetReplay, RevertBelowTheBaselineIsRemembered) {
  std::vector<HistoryEntry> history = {entry(3, Outcome::baseline), entry(3, Outcome::reverted)};
  AppliedSet set = AppliedSet::from(VersionState{2, false}, history, {1, 2, 3});
  EXPECT_EQ(set.list({1, 2, 3}), (std::vector<int64_t>{1, 2}));
}

}  // namespace
}  // namespace strata::planner
