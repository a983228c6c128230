#include "runner/pause_point.hpp"

namespace strata::runner {
namespace {

PauseHook* g_hook = nullptr;

std::string point_name(const char* kind, long long version, long long n) {
  std::string name = std::string(kind) + ":" + std::to_string(version);
  if (n > 0) name += ":" + std::to_string(n);
  return name;
}

}  // namespace

void install_pause_hook(PauseHook* hook) noexcept {
  g_hook = hook;
}

void pause_point(const std::string& name) {
  if (g_hook != nullptr && g_hook->wants(name)) g_hook->pause(name);
}

void pause_point(const char* kind, long long version, long long n) {
  if (g_hook == nullptr) return;
  pause_point(point_name(kind, version, n));
}

bool pause_point_configured(const char* kind, long long version, long long n) {
  return g_hook != nullptr && g_hook->wants(point_name(kind, version, n));
}

}  // namespace strata::runner
