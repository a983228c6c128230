#pragma once

// Whole-text forms of source::MigrationSplitter for the parser tests and the fuzzers. strata
// itself always streams files through the splitter (source/loader.hpp), so these live here.

#include <string>
#include <string_view>
#include <utility>

#include "core/dialect.hpp"
#include "source/parser.hpp"

namespace strata::testing {

// The two sections of a single-file migration (goose, sql-migrate, dbmate, native notation).
struct SingleFileSections {
  source::Section up;
  source::Section down;
  bool has_down = false;  // a Down annotation was present (possibly with no statements)
};

// Splits a pair file (`V_name.up.sql`): the whole file is one direction. StatementBegin/End
// blocks (with optional dialect lists) and NO TRANSACTION are honoured; Up/Down annotations
// are an error. Throws SourceError{file, line} (exit 4) on malformed input.
inline source::Section parse_pair_file(std::string_view text, const std::string& file, Dialect dialect) {
  using source::MigrationSplitter;
  source::Section section;
  MigrationSplitter splitter(MigrationSplitter::Layout::pair_file, file, dialect,
                             [&](MigrationSplitter::Direction, source::Statement&& statement) {
                               section.statements.push_back(std::move(statement));
                             });
  splitter.feed(text);
  splitter.finish();
  section.transaction = splitter.transaction(MigrationSplitter::Direction::up);
  section.blocker = splitter.blocker(MigrationSplitter::Direction::up);
  return section;
}

// Splits a single file (`V_name.sql`) with Up/Down annotations in strata, goose, sql-migrate
// or dbmate notation. Throws SourceError{file, line} when there is no Up section, a Down comes
// before the Up, a statement stands before the first Up, or the text is malformed.
inline SingleFileSections parse_single_file(std::string_view text, const std::string& file, Dialect dialect) {
  using source::MigrationSplitter;
  SingleFileSections sections;
  MigrationSplitter splitter(MigrationSplitter::Layout::single_file, file, dialect,
                             [&](MigrationSplitter::Direction direction, source::Statement&& statement) {
                               source::Section& section =
                                   direction == MigrationSplitter::Direction::up ? sections.up : sections.down;
                               section.statements.push_back(std::move(statement));
                             });
  splitter.feed(text);
  splitter.finish();
  sections.up.transaction = splitter.transaction(MigrationSplitter::Direction::up);
  sections.up.blocker = splitter.blocker(MigrationSplitter::Direction::up);
  sections.down.transaction = splitter.transaction(MigrationSplitter::Direction::down);
  sections.down.blocker = splitter.blocker(MigrationSplitter::Direction::down);
  sections.has_down = splitter.has_down();
  return sections;
}

}  // namespace strata::testing
