#include "runner/pause_point.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace strata::runner {

namespace {

struct PauseConfig {
  std::string at;
  std::string file;
};

const PauseConfig& pause_config() {
  static const PauseConfig config = [] {
    PauseConfig c;
    if (const char* at = std::getenv("STRATA_TEST_PAUSE_AT")) c.at = at;
    if (const char* file = std::getenv("STRATA_TEST_PAUSE_FILE")) c.file = file;
    if (c.file.empty()) c.at.clear();
    return c;
  }();
  return config;
}

}  // namespace

void pause_point(const std::string& name) {
  const PauseConfig& config = pause_config();
  if (config.at.empty() || config.at != name) return;
  { std::ofstream(config.file) << getpid() << '\n'; }
  std::error_code ec;
  while (std::filesystem::exists(config.file, ec)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

namespace {

std::string point_name(const char* kind, long long version, long long n) {
  std::string name = std::string(kind) + ":" + std::to_string(version);
  if (n > 0) name += ":" + std::to_string(n);
  return name;
}

}  // namespace

void pause_point(const char* kind, long long version, long long n) {
  if (pause_config().at.empty()) return;
  pause_point(point_name(kind, version, n));
}

bool pause_point_configured(const char* kind, long long version, long long n) {
  if (pause_config().at.empty()) return false;
  return pause_config().at == point_name(kind, version, n);
}

}  // namespace strata::runner
