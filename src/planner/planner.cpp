#include "planner/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace strata::planner {

using tracker::Outcome;

AppliedSet AppliedSet::from(const tracker::VersionState& state, const std::vector<tracker::HistoryEntry>& history,
                            const std::vector<int64_t>& known) {
  AppliedSet set;
  for (const tracker::HistoryEntry& entry : history) {
    switch (entry.outcome) {
      case Outcome::baseline:
      case Outcome::forced: set.reset(entry.version >= 0 ? std::optional<int64_t>(entry.version) : std::nullopt); break;
      case Outcome::applied: set.insert(entry.version); break;
      case Outcome::reverted: set.erase(entry.version); break;
      case Outcome::imported:
        set.reset(std::nullopt);
        for (int64_t version : tracker::imported_versions(entry)) set.insert(version);
        break;
      case Outcome::failed:
      case Outcome::running:
      case Outcome::accepted: break;
    }
  }
  std::vector<int64_t> applied = set.list(known);
  std::optional<int64_t> highest = applied.empty() ? std::nullopt : std::optional<int64_t>(applied.back());
  if (highest != state.version) set.reset(state.version);
  return set;
}

bool AppliedSet::contains(int64_t version) const {
  if (version <= m_baseline) return m_removed.count(version) == 0;
  return m_added.count(version) != 0;
}

std::vector<int64_t> AppliedSet::list(const std::vector<int64_t>& known) const {
  std::set<int64_t> all(m_added.begin(), m_added.end());
  if (m_baseline != k_nothing && m_removed.count(m_baseline) == 0) all.insert(m_baseline);
  for (int64_t version : known) {
    if (contains(version)) all.insert(version);
  }
  return {all.begin(), all.end()};
}

void AppliedSet::insert(int64_t version) {
  if (version <= m_baseline) {
    m_removed.erase(version);
  } else {
    m_added.insert(version);
  }
}

void AppliedSet::erase(int64_t version) {
  if (version <= m_baseline) {
    m_removed.insert(version);
  } else {
    m_added.erase(version);
  }
}

void AppliedSet::reset(std::optional<int64_t> baseline) {
  m_baseline = baseline.value_or(k_nothing);
  m_added.clear();
  m_removed.clear();
}

namespace {

bool in_source(const Inputs& in, int64_t version) {
  return std::binary_search(in.source_versions.begin(), in.source_versions.end(), version);
}

// Appends down steps for `versions` (descending), tracking the version row as they go.
void add_downs(Plan& plan, const Inputs& in, AppliedSet& applied, const std::vector<int64_t>& versions) {
  for (int64_t version : versions) {
    if (!in_source(in, version)) {
      throw SourceError(fmt::format("cannot revert version {}: it is applied but has no migration file", version));
    }
    Step step;
    step.version = version;
    step.direction = Direction::down;
    step.version_before = plan.to;
    applied.erase(version);
    std::vector<int64_t> remaining = applied.list(in.source_versions);
    step.version_after = remaining.empty() ? std::nullopt : std::optional<int64_t>(remaining.back());
    plan.to = step.version_after;
    plan.steps.push_back(step);
  }
}

void add_ups(Plan& plan, const Inputs& in, AppliedSet& applied, const std::vector<int64_t>& versions) {
  if (!in.allow_out_of_order && plan.to) {
    std::vector<int64_t> late;
    for (int64_t version : versions) {
      if (version < *plan.to) late.push_back(version);
    }
    if (!late.empty()) {
      throw SourceError(
          fmt::format("pending migration{} {} {} lower than the current version {} (out of order); "
                      "apply with --allow-out-of-order or renumber",
                      late.size() > 1 ? "s" : "", fmt::join(late, ", "), late.size() > 1 ? "are" : "is", *plan.to));
    }
  }
  for (int64_t version : versions) {
    Step step;
    step.version = version;
    step.direction = Direction::up;
    step.version_before = plan.to;
    applied.insert(version);
    step.version_after = plan.to ? std::max(*plan.to, version) : version;
    plan.to = step.version_after;
    plan.steps.push_back(step);
  }
}

std::vector<int64_t> pending(const Inputs& in, const AppliedSet& applied, std::optional<int64_t> up_to) {
  std::vector<int64_t> versions;
  // value_or rather than `up_to && version > *up_to`: GCC -O2 may branch on the (unset) value
  // first, which valgrind reports as a jump on uninitialised memory.
  const int64_t last = up_to.value_or(std::numeric_limits<int64_t>::max());
  for (int64_t version : in.source_versions) {
    if (version > last) break;
    if (!applied.contains(version)) versions.push_back(version);
  }
  return versions;
}

Plan start(const Inputs& in) {
  Plan plan;
  plan.from = in.current;
  plan.to = in.current;
  return plan;
}

}  // namespace

Plan plan_up(const Inputs& in, std::optional<int64_t> limit) {
  Plan plan = start(in);
  AppliedSet applied = in.applied;
  std::vector<int64_t> versions = pending(in, applied, std::nullopt);
  if (limit && static_cast<size_t>(*limit) < versions.size()) versions.resize(static_cast<size_t>(*limit));
  add_ups(plan, in, applied, versions);
  return plan;
}

Plan plan_down(const Inputs& in, std::optional<int64_t> count) {
  Plan plan = start(in);
  AppliedSet applied = in.applied;
  std::vector<int64_t> versions = applied.list(in.source_versions);
  std::reverse(versions.begin(), versions.end());
  if (count && static_cast<size_t>(*count) < versions.size()) versions.resize(static_cast<size_t>(*count));
  add_downs(plan, in, applied, versions);
  return plan;
}

Plan plan_goto(const Inputs& in, int64_t target) {
  if (!in_source(in, target)) {
    throw UsageError(fmt::format("cannot go to version {}: no migration with that version", target));
  }
  Plan plan = start(in);
  AppliedSet applied = in.applied;
  std::vector<int64_t> above;
  for (int64_t version : applied.list(in.source_versions)) {
    if (version > target) above.push_back(version);
  }
  std::reverse(above.begin(), above.end());
  add_downs(plan, in, applied, above);
  add_ups(plan, in, applied, pending(in, applied, target));
  return plan;
}

Plan plan_redo(const Inputs& in) {
  Plan plan = start(in);
  if (!in.current) return plan;
  AppliedSet applied = in.applied;
  add_downs(plan, in, applied, {*in.current});
  add_ups(plan, in, applied, {*in.current});
  return plan;
}

}  // namespace strata::planner
