#include "runner/interrupt.hpp"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <string>

namespace strata::runner {

namespace {

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

InterruptWatcher::InterruptWatcher(RunControl& control, std::function<void(int)> on_first)
    : m_control(control), m_on_first(std::move(on_first)) {
  sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  m_thread = std::thread([this, set] {
    const timespec poll{0, 100 * 1000 * 1000};
    while (!m_stop.load()) {
      int signal = sigtimedwait(&set, nullptr, &poll);
      if (signal <= 0) continue;
      if (m_control.signal.load() != 0) {
        // The second signal: give the operator the default action (terminate) right now.
        ::signal(signal, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
        raise(signal);
        continue;
      }
      m_control.signal.store(signal);
      if (m_on_first) m_on_first(signal);
    }
  });
}

InterruptWatcher::~InterruptWatcher() {
  m_stop.store(true);
  if (m_thread.joinable()) m_thread.join();
  // A signal that arrived after the watcher stopped stays pending while blocked; deliver it
  // now that the run is over, with the disposition the process had.
  sigset_t set = watched_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace strata::runner
