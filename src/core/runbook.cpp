#include "core/runbook.hpp"

namespace strata {

std::string_view cause_name(Runbook::Cause cause) {
  switch (cause) {
    case Runbook::Cause::failed: return "failed";
    case Runbook::Cause::interrupted: return "interrupted";
    case Runbook::Cause::unfinished: return "unfinished";
    case Runbook::Cause::running: return "running";
    case Runbook::Cause::unknown: break;
  }
  return "unknown";
}

}  // namespace strata
