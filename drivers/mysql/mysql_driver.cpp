#include "drivers/mysql/mysql_driver.hpp"

#include "core/error.hpp"

namespace strata::drivers::mysql {

std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions&) {
  throw UsageError("the mysql driver is not implemented yet: " + url.redacted);
}

}  // namespace strata::drivers::mysql
