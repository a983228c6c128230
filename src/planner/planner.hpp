#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/direction.hpp"
#include "tracker/state.hpp"

namespace strata::planner {

// Which versions count as applied. History is replayed on top of golang-migrate's model
// (everything up to the version row is applied): a baseline or force resets the model to
// "everything up to V", applied/reverted rows add or remove single versions.
class AppliedSet {
 public:
  // Replays `history`; when the version row disagrees with the highest applied version among
  // `known` (the source's versions), another tool moved it: the version row wins as a fresh
  // baseline.
  static AppliedSet from(const tracker::VersionState& state, const std::vector<tracker::HistoryEntry>& history,
                         const std::vector<int64_t>& known);

  bool contains(int64_t version) const;
  // Every applied version among `known`, plus the baseline and the explicitly applied ones,
  // ascending.
  std::vector<int64_t> list(const std::vector<int64_t>& known) const;

  void insert(int64_t version);
  void erase(int64_t version);
  void reset(std::optional<int64_t> baseline);

 private:
  // Below every version (0 is one): the baseline of "nothing applied".
  static constexpr int64_t k_nothing = -1;
  int64_t m_baseline = k_nothing;  // every version <= baseline is applied unless removed
  std::set<int64_t> m_added;       // applied versions above the baseline
  std::set<int64_t> m_removed;     // reverted versions at or below the baseline
};

struct Step {
  int64_t version = 0;
  Direction direction = Direction::up;
  // The version row after this step (nullopt: nothing applied).
  std::optional<int64_t> version_after;
  // The version row before this step; with version_after, the two `force` choices after a
  // failure that leaves the database dirty.
  std::optional<int64_t> version_before;
};

struct Plan {
  std::optional<int64_t> from;
  std::optional<int64_t> to;
  std::vector<Step> steps;
};

// What the planner needs to know: the source's versions (ascending) and the database.
struct Inputs {
  std::vector<int64_t> source_versions;
  std::optional<int64_t> current;  // the version row
  AppliedSet applied;
  bool allow_out_of_order = false;
};

// Every pending migration (or the next `limit`), ascending. Pending versions below the
// current one are out of order: SourceError (exit 4) unless allow_out_of_order.
Plan plan_up(const Inputs& in, std::optional<int64_t> limit);
// The `count` highest applied migrations (all when nullopt), descending. A version with no
// file cannot be reverted: SourceError (exit 4).
Plan plan_down(const Inputs& in, std::optional<int64_t> count);
// Reverts applied versions above `target`, then applies pending ones up to it. `target`
// must be in the source: UsageError (exit 2) otherwise.
Plan plan_goto(const Inputs& in, int64_t target);
// Reverts and re-applies the current version; an empty plan when nothing is applied.
Plan plan_redo(const Inputs& in);

}  // namespace strata::planner
