#include "report/ticker.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace strata::report {

ElapsedTicker::ElapsedTicker(bool enabled, std::chrono::milliseconds delay) : m_enabled(enabled), m_delay(delay) {
  if (m_enabled) m_thread = std::thread([this] { run(); });
}

ElapsedTicker::~ElapsedTicker() {
  if (!m_enabled) return;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_quit = true;
  }
  m_wake.notify_all();
  m_thread.join();
}

void ElapsedTicker::start(std::string label) {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_label = std::move(label);
  m_since = std::chrono::steady_clock::now();
  m_active = true;
  m_wake.notify_all();
}

void ElapsedTicker::stop() {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_active = false;
  if (m_shown) {
    std::fputs("\r\033[K", stderr);  // erase the line the ticker drew
    std::fflush(stderr);
    m_shown = false;
  }
}

void ElapsedTicker::run() {
  std::unique_lock<std::mutex> lock(m_mutex);
  while (!m_quit) {
    m_wake.wait_for(lock, std::chrono::milliseconds(250));
    if (!m_active || m_quit) continue;
    auto elapsed = std::chrono::steady_clock::now() - m_since;
    if (elapsed < m_delay) continue;
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
    if (m_shown && seconds == m_shown_seconds) continue;
    m_shown_seconds = seconds;
    std::fputs(fmt::format("\r\033[K  {} … {} s", m_label, seconds).c_str(), stderr);
    std::fflush(stderr);
    m_shown = true;
  }
}

}  // namespace strata::report
