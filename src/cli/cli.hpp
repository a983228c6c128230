#pragma once

namespace strata::cli {

// The whole program: parses argv, runs the command, prints results and errors, and returns
// the process exit code of SPEC §4. The only place that catches strata::Error.
int run(int argc, char** argv);

}  // namespace strata::cli
