#pragma once

// Runbook is public: include/strata/error.hpp.
#include "strata/error.hpp"
