#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/direction.hpp"

namespace strata {

// What strata knows about a dirty database, from the history row its last step left: the facts
// behind the operator's runbook message, carried as data so that JSON can show them as fields.
struct Runbook {
  enum class Cause {
    failed,       // a statement failed (`error` says why)
    interrupted,  // stopped by a signal between statements (`signal`)
    unfinished,   // the process died or lost its connection while statements ran
    unknown,      // no failing statement recorded (killed before it could, or another tool)
    running,      // not a failure: the step is under way now, its process holds the migration lock
  };
  Cause cause = Cause::unknown;
  std::optional<int64_t> dirty_version;  // the version row
  std::optional<int64_t> migration;      // the migration that left it dirty (unknown: dirty_version)
  Direction direction = Direction::up;
  std::string file;
  int line = 0;                  // where the statement (or range) starts
  int through_line = 0;          // unfinished: the last line of the range under way
  int64_t statement = 0;         // 1-based: the failing one, the next one (interrupted), the first under way
  int64_t through = 0;           // unfinished: the last statement under way
  int64_t statements = 0;        // how many the step has (0: unknown)
  std::string sql;               // the first line of that statement
  std::string error;             // failed: the database's message
  std::string signal;            // interrupted: "SIGINT" or "SIGTERM"
  int64_t rolled_back_from = 0;  // failed/interrupted: a transaction of the file's own, open since
                                 // this statement, was rolled back (0: none)
  std::string own_transaction;   // unfinished inside a transaction: "file" or "strata" opened it
  std::string holder;            // running: who holds the migration lock (Driver::LockHolder)
  std::string since;             // running: when the step started (UTC), from its history row
  // The repair: `strata force <if_applied>` when the migration's changes are all in place,
  // `strata force <if_not_applied>` when none are, then `strata <retry>`.
  std::optional<int64_t> if_applied;
  std::optional<int64_t> if_not_applied;
  Direction retry = Direction::up;
};

std::string_view cause_name(Runbook::Cause cause);

}  // namespace strata
