#pragma once

// A driver built as a loadable module. The strata binary opens its PostgreSQL and MySQL drivers
// this way, when a URL names one, so that a run maps only its own engine's client libraries: a
// SQLite run maps neither libpq nor the MySQL connector, and none of the ~25 libraries they bring
// (Kerberos, LDAP, GnuTLS, …), which were most of the start-up of a short command
// (docs/performance.md). The library (strata_drivers, libstrata.a) links every driver in and
// knows nothing of modules.
//
// A module is `strata-driver-<engine>.so`, installed in <libdir>/strata (for the build tree,
// strata-drivers/ beside the binary), and exports one C function that returns its entry
// (drivers/<engine>/module.cpp).

#include <memory>

#include "drivers/driver.hpp"

namespace strata::drivers {

struct ModuleEntry {
  // k_version and k_driver_abi (a digest of the headers that define Driver, DatabaseUrl and the
  // errors) of the strata the module was built with: a module of another version or build is
  // refused, since nothing else checks that its Driver is this binary's.
  const char* version;
  const char* abi;
  Dialect dialect;
  std::unique_ptr<Driver> (*open)(const DatabaseUrl& url, const OpenOptions& options);
};

// The exported function's name, and its type.
inline constexpr const char* k_module_entry_symbol = "strata_driver_module";
using ModuleEntryFunction = const ModuleEntry* (*)();

// Loads the module of `dialect` (once per process) and opens a connection with it. Throws
// UsageError (exit 2) when the module is missing, cannot be loaded or is of another build,
// naming the file and why; DriverError as open_driver() does.
std::unique_ptr<Driver> open_with_module(Dialect dialect, const DatabaseUrl& url, const OpenOptions& options);

// Whether the module of `dialect` is installed where open_with_module() looks for it.
bool module_installed(Dialect dialect);

}  // namespace strata::drivers
