#pragma once

#include <string>

namespace strata::runner {

// Fault-injection points for the crash and hostile-environment tests (docs/reliability.md).
// With STRATA_TEST_PAUSE_AT=<name> and STRATA_TEST_PAUSE_FILE=<path> in the environment, the
// run writes its pid to <path> when it reaches the point of that name and waits there until
// the file is removed (the test kills it, cuts its connection, deletes files, … meanwhile).
// Without those variables this is one cached comparison. Names:
//   plan                      the plan is made and every file read; nothing written yet
//   start:<version>           a migration is about to start (nothing of it done yet)
//   statement:<version>:<n>   statement n (1-based) of that migration is about to run
//   record:<version>          its statements ran; the version row and history are next
// (To kill mid-statement, pause before a slow statement, resume, and kill while it runs.)
void pause_point(const std::string& name);
// The same for "<kind>:<version>[:<n>]"; formats the name only when a pause is configured,
// so it costs nothing per statement otherwise.
void pause_point(const char* kind, long long version, long long n = 0);
// Whether a pause is configured at "<kind>:<version>[:<n>]" (one cached comparison when no pause
// is configured). The runner ends a batch of statements before a statement it must pause at.
bool pause_point_configured(const char* kind, long long version, long long n = 0);

}  // namespace strata::runner
