#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace strata::runner {

// What the runner reads at its safe points: which signal asked it to stop (0: none), and
// whether a statement that may be cancelled (inside a transaction) is running right now.
struct RunControl {
  std::atomic<int> signal{0};   // the first stop request's signal
  std::atomic<int> presses{0};  // how many SIGINT/SIGTERM have come
  std::atomic<bool> cancellable{false};
  std::atomic<bool> migrating{false};            // set once the first migration may start
  std::atomic<bool> outside_transaction{false};  // the step under way runs outside a transaction
};

// RunControl::signal of a stop asked for by a library caller (Migrator::request_stop()), not by
// a signal.
constexpr int k_stop_request = -1;

// "SIGINT", "SIGTERM", "a stop request" (k_stop_request), or "signal N".
std::string signal_name(int signal);

// Turns SIGINT and SIGTERM into stop requests while a migration runs. The signals are blocked
// in the calling thread (and in the threads it starts afterwards) and received by a watcher
// thread, which counts them in `control` and calls `on_signal(signal, presses)` there:
// - the first records the signal: a transactional step is rolled back at once (on_signal may
//   cancel its statement), a step outside a transaction runs to its end, and no further step
//   starts (Kubernetes sends SIGTERM and waits its grace period before SIGKILL);
// - a second, while a step outside a transaction runs, makes it stop after its current
//   statement (left dirty, recorded);
// - any other ends the process at once with the default action, for an operator who means it.
// The destructor stops the watcher and restores the signal mask; it never throws.
class InterruptWatcher {
 public:
  InterruptWatcher(RunControl& control, std::function<void(int signal, int presses)> on_signal);
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

 private:
  RunControl& m_control;
  std::function<void(int, int)> m_on_signal;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace strata::runner
