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
  if (signal == k_stop_request) return "a stop request";
  return "signal " + std::to_string(signal);
}

InterruptWatcher::InterruptWatcher(RunControl& control, std::function<void(int, int)> on_signal)
    : m_control(control), m_on_signal(std::move(on_signal)) {
  // SIGRTMIN is sent to the watcher by the destructor to wake it at once; it is blocked here so
  // it can only ever be received by sigtimedwait.
  sigset_t blocked = watched_signals();
  sigaddset(&blocked, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  m_thread = std::thread([this, blocked] {
    const timespec poll{1, 0};
    while (!m_stop.load()) {
      int signal = sigtimedwait(&blocked, nullptr, &poll);
      if (signal <= 0 || signal == SIGRTMIN || m_stop.load()) continue;
      const int presses = m_control.presses.fetch_add(1) + 1;
      const bool graceful =
          presses == 1 || (presses == 2 && m_control.migrating.load() && m_control.outside_transaction.load());
      if (!graceful) {
        // Nothing gentler is left: give the operator the default action (terminate) right now.
        sigset_t set = watched_signals();
        ::signal(signal, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
        raise(signal);
        continue;
      }
      if (presses == 1) m_control.signal.store(signal);
      if (m_on_signal) m_on_signal(signal, presses);
    }
  });
}

InterruptWatcher::~InterruptWatcher() {
  m_stop.store(true);
  if (m_thread.joinable()) {
    pthread_kill(m_thread.native_handle(), SIGRTMIN);  // wake it now rather than at its next poll
    m_thread.join();
  }
  // A signal that arrived after the watcher stopped stays pending while blocked; deliver it
  // now that the run is over, with the disposition the process had.
  sigset_t set = watched_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace strata::runner
