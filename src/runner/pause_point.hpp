#pragma once

#include <string>

namespace strata::runner {

// Named points where a test can stop a run (the crash and hostile-environment tests,
// docs/reliability.md). A test-only executable (tests/support/strata_hooked_main.cpp) installs a
// hook before it runs the CLI; the shipped strata installs none, so each point is one null
// check and nothing about the run changes (not even how statements are batched). Names:
//   plan                      the plan is made and every file read; nothing written yet
//   start:<version>           a migration is about to start (nothing of it done yet)
//   statement:<version>:<n>   statement n (1-based) of that migration is about to run
//   record:<version>          its statements ran; the version row and history are next
class PauseHook {
 public:
  virtual ~PauseHook() = default;
  // Whether the run is to stop at the point `name`; the runner then ends its batch of
  // statements before that point.
  virtual bool wants(const std::string& name) const = 0;
  // Called at the point `name` when wants(name); returns when the run may go on.
  virtual void pause(const std::string& name) = 0;
};

// Installs `hook` for the rest of the process (nullptr: none). Call before the run starts; the
// hook must outlive it.
void install_pause_hook(PauseHook* hook) noexcept;

// Stops at `name` if the installed hook wants to.
void pause_point(const std::string& name);
// The same for "<kind>:<version>[:<n>]"; formats the name only when a hook is installed, so it
// costs nothing per statement otherwise.
void pause_point(const char* kind, long long version, long long n = 0);
// Whether the installed hook wants to stop at "<kind>:<version>[:<n>]"; false without a hook.
bool pause_point_configured(const char* kind, long long version, long long n = 0);

}  // namespace strata::runner
