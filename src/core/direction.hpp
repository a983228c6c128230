#pragma once

#include <optional>
#include <string_view>

namespace strata {

// Which way a migration runs: its up script applies it, its down script reverts it. The one
// type for the concept in every box (planner steps, runner results, history rows, runbooks).
enum class Direction { up, down };

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
