#pragma once

#include <optional>
#include <string_view>

// The type is public (the library's Event, StepResult, Runbook, … carry it).
#include "strata/direction.hpp"

namespace strata {

// "up" or "down".
constexpr std::string_view direction_name(Direction direction) noexcept {
  return direction == Direction::up ? "up" : "down";
}

// "up" → up, "down" → down; nullopt for anything else (a forced or baseline history row has none).
constexpr std::optional<Direction> parse_direction(std::string_view text) noexcept {
  if (text == "up") return Direction::up;
  if (text == "down") return Direction::down;
  return std::nullopt;
}

}  // namespace strata
