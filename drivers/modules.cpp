// Loading the driver modules (drivers/module.hpp): the strata binary's PostgreSQL and MySQL
// drivers.
#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "drivers/module.hpp"
#include "drivers/module_abi.hpp"

namespace strata::drivers {

namespace {

// The directory of the running binary, from /proc/self/exe (symbolic links resolved).
std::string binary_directory() {
  std::vector<char> path(PATH_MAX + 1);
  const ssize_t length = ::readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (length <= 0) return ".";
  std::string text(path.data(), static_cast<size_t>(length));
  const size_t slash = text.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : text.substr(0, slash);
}

std::string module_file(Dialect dialect) { return fmt::format("strata-driver-{}.so", dialect_name(dialect)); }

// Where the module of `dialect` is looked for, in order: installed (<libdir>/strata, reached
// from <bindir>), then the build tree (strata-drivers/ beside the binary).
std::vector<std::string> candidates(Dialect dialect) {
  const std::string directory = binary_directory();
  return {fmt::format("{}/{}/{}", directory, STRATA_DRIVER_MODULE_DIR, module_file(dialect)),
          fmt::format("{}/strata-drivers/{}", directory, module_file(dialect))};
}

std::string engine_name(Dialect dialect) { return dialect == Dialect::postgres ? "PostgreSQL" : "MySQL/MariaDB"; }

// The first of `places` that exists.
const std::string* first_present(const std::vector<std::string>& places) {
  for (const std::string& place : places) {
    if (::access(place.c_str(), F_OK) == 0) return &place;
  }
  return nullptr;
}

const ModuleEntry& load(Dialect dialect) {
  static std::mutex mutex;
  static std::map<Dialect, const ModuleEntry*> loaded;  // modules stay loaded for the process
  const std::lock_guard<std::mutex> guard(mutex);
  if (auto found = loaded.find(dialect); found != loaded.end()) return *found->second;

  const std::vector<std::string> places = candidates(dialect);
  const std::string* path = first_present(places);
  if (path == nullptr) {
    throw UsageError(fmt::format("the {} driver of this strata is not installed: neither {} nor {} exists (a strata "
                                 "binary copied on its own has no PostgreSQL or MySQL driver: install it with `make "
                                 "install` or its package, or run it from the build tree)",
                                 engine_name(dialect), places[0], places[1]));
  }
  void* handle = ::dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw UsageError(fmt::format("cannot load the {} driver {}: {}", engine_name(dialect), *path,
                                 why != nullptr ? why : "unknown error"));
  }
  auto entry_function = reinterpret_cast<ModuleEntryFunction>(::dlsym(handle, k_module_entry_symbol));
  const ModuleEntry* entry = entry_function != nullptr ? entry_function() : nullptr;
  if (entry == nullptr || entry->dialect != dialect || std::strcmp(entry->version, k_version) != 0 ||
      std::strcmp(entry->abi, k_driver_abi) != 0) {
    ::dlclose(handle);
    throw UsageError(fmt::format(
        "cannot use the {} driver {}: it is not the one this strata {} was built with (reinstall strata, or rebuild "
        "the tree)",
        engine_name(dialect), *path, k_version));
  }
  loaded.emplace(dialect, entry);
  return *entry;
}

}  // namespace

std::unique_ptr<Driver> open_with_module(Dialect dialect, const DatabaseUrl& url, const OpenOptions& options) {
  return load(dialect).open(url, options);
}

bool module_installed(Dialect dialect) { return first_present(candidates(dialect)) != nullptr; }

}  // namespace strata::drivers
