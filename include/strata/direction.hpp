#pragma once

// Which way a migration runs. Standard library only.

namespace strata {

// Which way a migration runs: its up script applies it, its down script reverts it. The one
// type for the concept, in the library's API and in every box inside (planner steps, runner
// results, history rows, runbooks).
enum class Direction { up, down };

}  // namespace strata
