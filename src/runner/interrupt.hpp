#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace strata::runner {

// What the runner reads at its safe points: which signal asked it to stop (0: none), and
// whether a statement that may be cancelled (inside a transaction) is running right now.
struct RunControl {
  std::atomic<int> signal{0};
  std::atomic<bool> cancellable{false};
  std::atomic<bool> migrating{false};  // set once the first migration may start
};

// "SIGINT", "SIGTERM", or "signal N".
std::string signal_name(int signal);

// Turns SIGINT and SIGTERM into a stop request while a migration runs. The signals are
// blocked in the calling thread (and in the threads it starts afterwards) and received by a
// watcher thread, which records the first one in `control` and calls `on_first` there (e.g. to
// cancel a running transactional statement). A second signal ends the process at once with
// the default action, for an operator who really means it. The destructor stops the watcher
// and restores the signal mask; it never throws.
class InterruptWatcher {
 public:
  InterruptWatcher(RunControl& control, std::function<void(int signal)> on_first);
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

 private:
  RunControl& m_control;
  std::function<void(int)> m_on_first;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace strata::runner
