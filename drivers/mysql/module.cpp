// The MySQL/MariaDB driver as the strata binary loads it (drivers/module.hpp).
#include "core/build_info.hpp"
#include "drivers/module_abi.hpp"
#include "drivers/module.hpp"
#include "drivers/mysql/mysql_driver.hpp"

extern "C" __attribute__((visibility("default"))) const strata::drivers::ModuleEntry* strata_driver_module() {
  static const strata::drivers::ModuleEntry entry{strata::k_version, strata::drivers::k_driver_abi,
                                                  strata::Dialect::mysql, &strata::drivers::mysql::open};
  return &entry;
}
