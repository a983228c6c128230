#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace strata::report {

// A live "still running" line on a terminal for statements that take a while: after `delay`
// it shows `label … 12 s` on stderr, refreshed every second, and erases it when the statement
// ends. Does nothing unless enabled (stderr is a terminal and output is not quiet).
class ElapsedTicker {
 public:
  explicit ElapsedTicker(bool enabled, std::chrono::milliseconds delay = std::chrono::seconds(2));
  ~ElapsedTicker();
  ElapsedTicker(const ElapsedTicker&) = delete;
  ElapsedTicker& operator=(const ElapsedTicker&) = delete;

  void start(std::string label);
  void stop();

 private:
  void run();

  bool m_enabled;
  std::chrono::milliseconds m_delay;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::string m_label;
  std::chrono::steady_clock::time_point m_since;
  bool m_active = false;
  bool m_shown = false;
  long long m_shown_seconds = 0;
  bool m_quit = false;
  std::thread m_thread;
};

}  // namespace strata::report
