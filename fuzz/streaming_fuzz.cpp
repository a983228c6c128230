// MigrationSplitter fed in chunks of fuzzer-chosen sizes must hand over exactly what it hands
// over when fed the whole text at once: the same statements in the same order, the same
// transaction flags, and the same error (message included) at the same point.
//
// Input layout: byte 0 picks dialect and layout, bytes 1-4 seed the chunk sizes, the rest is
// the file.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "source/parser.hpp"

namespace {

using strata::source::MigrationSplitter;

struct Outcome {
  std::vector<std::string> statements;  // "u|d <line> <sql>"
  std::string error;                    // SourceError::what(), empty when none
  bool up_transaction = true;
  bool down_transaction = true;
  bool has_down = false;
};

// Chunk sizes from a small xorshift generator: mostly short chunks, sometimes long ones, so
// lines get split at every kind of position.
class ChunkSizes {
 public:
  explicit ChunkSizes(uint32_t seed) : m_state(seed | 1u) {}
  std::size_t next() {
    m_state ^= m_state << 13;
    m_state ^= m_state >> 17;
    m_state ^= m_state << 5;
    return (m_state & 0x100u) ? 1 + (m_state >> 24) % 64 : 1 + (m_state >> 24) % 4;
  }

 private:
  uint32_t m_state;
};

Outcome run(MigrationSplitter::Layout layout, strata::Dialect dialect, std::string_view text, uint32_t seed,
            bool whole) {
  Outcome outcome;
  MigrationSplitter splitter(
      layout, "fuzz.sql", dialect, [&](MigrationSplitter::Direction direction, strata::source::Statement&& statement) {
        outcome.statements.push_back(std::string(direction == MigrationSplitter::Direction::up ? "u " : "d ") +
                                     std::to_string(statement.line) + " " + statement.sql);
      });
  try {
    if (whole) {
      splitter.feed(text);
    } else {
      ChunkSizes sizes(seed);
      while (!text.empty()) {
        const std::size_t n = std::min(sizes.next(), text.size());
        splitter.feed(text.substr(0, n));
        text.remove_prefix(n);
      }
    }
    splitter.finish();
  } catch (const strata::SourceError& error) {
    outcome.error = error.what();
    return outcome;
  }
  outcome.up_transaction = splitter.transaction(MigrationSplitter::Direction::up);
  outcome.down_transaction = splitter.transaction(MigrationSplitter::Direction::down);
  outcome.has_down = splitter.has_down();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const strata::Dialect dialect = strata::fuzz::dialect_from(data[0]);
  const auto layout =
      (data[0] / 3) % 2 == 0 ? MigrationSplitter::Layout::pair_file : MigrationSplitter::Layout::single_file;
  const uint32_t seed = uint32_t(data[1]) | uint32_t(data[2]) << 8 | uint32_t(data[3]) << 16 | uint32_t(data[4]) << 24;
  const std::string_view text(reinterpret_cast<const char*>(data) + 5, size - 5);

  const Outcome whole = run(layout, dialect, text, seed, true);
  const Outcome chunked = run(layout, dialect, text, seed, false);

  if (whole.statements.size() != chunked.statements.size()) {
    strata::fuzz::fail("chunked feed gave " + std::to_string(chunked.statements.size()) + " statements, whole text " +
                       std::to_string(whole.statements.size()));
  }
  for (std::size_t i = 0; i < whole.statements.size(); ++i) {
    if (whole.statements[i] != chunked.statements[i]) {
      strata::fuzz::fail("statement " + std::to_string(i) + " differs:\n  whole:   " + whole.statements[i] +
                         "\n  chunked: " + chunked.statements[i]);
    }
  }
  if (whole.error != chunked.error) {
    strata::fuzz::fail("errors differ:\n  whole:   " + whole.error + "\n  chunked: " + chunked.error);
  }
  if (whole.up_transaction != chunked.up_transaction || whole.down_transaction != chunked.down_transaction ||
      whole.has_down != chunked.has_down) {
    strata::fuzz::fail("transaction / has_down flags differ");
  }
  return 0;
}
