#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runner/runner.hpp"

namespace strata::runner {

// One line of `status`: a version known to the source or to the database.
struct StatusRow {
  int64_t version = 0;
  std::string name;
  // applied, pending, modified, missing, out-of-order, dirty
  std::string state;
  std::optional<std::string> applied_at;
  std::optional<double> duration_ms;
  std::optional<std::string> applied_by;
  bool has_down = true;            // false: an up without a down (reverts as an empty migration)
  std::vector<std::string> parts;  // a version of several files: their names, in the order up runs them
};

struct StatusReport {
  std::optional<int64_t> version;
  bool dirty = false;
  std::optional<Runbook> runbook;  // when dirty: what the history says happened
  size_t pending = 0;              // pending + out-of-order
  std::vector<StatusRow> rows;
};

// Merges the source and the database view, drift included. `without_down`: the source's
// versions that declare no down direction (source::has_down_section).
StatusReport build_status(const source::Source& source, const DatabaseView& view, const std::vector<Drift>& drift,
                          const std::set<int64_t>& without_down);

// The source's versions that declare no down direction (reads single files to find out).
std::set<int64_t> versions_without_down(const source::Source& source);

}  // namespace strata::runner
