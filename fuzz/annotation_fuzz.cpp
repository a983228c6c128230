// Single files built mostly from annotation lines: each input line whose first byte is below
// the table size is replaced by that annotation followed by the rest of the line, so the
// fuzzer combines Up/Down/StatementBegin/… in every order without having to spell them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "source/parser.hpp"
#include "support/parse_text.hpp"

namespace {

constexpr std::string_view k_annotations[] = {
    "-- +goose Up",
    "-- +goose Down",
    "-- +goose StatementBegin",
    "-- +goose StatementEnd",
    "-- +goose NO TRANSACTION",
    "-- +migrate Up notransaction",
    "-- +migrate Down",
    "-- +strata Up",
    "-- +strata Down",
    "-- +strata StatementBegin postgres",
    "-- +strata StatementBegin sqlite, mysql",
    "-- +strata notransaction",
    "-- migrate:up",
    "-- migrate:down transaction:false",
    "-- migrate:up transaction:true",
    "DELIMITER //",
    "DELIMITER ;",
    "CREATE TRIGGER t AFTER INSERT ON x BEGIN",
    "END;",
    "BEGIN ATOMIC",
    "$$",
    "/*!",
    "*/",
    "'",
};
constexpr std::size_t k_count = sizeof(k_annotations) / sizeof(k_annotations[0]);

std::string expand(std::string_view input) {
  std::string text;
  while (!input.empty()) {
    std::size_t newline = input.find('\n');
    std::string_view line = input.substr(0, newline);
    const auto first = static_cast<unsigned char>(line.empty() ? 0xff : line[0]);
    if (first < k_count) {
      text += k_annotations[first];
      line.remove_prefix(1);
    }
    text += line;
    if (newline == std::string_view::npos) break;
    text += '\n';
    input.remove_prefix(newline + 1);
  }
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const strata::Dialect dialect = strata::fuzz::dialect_from(data[0]);
  const std::string text = expand(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    strata::testing::SingleFileSections sections = strata::testing::parse_single_file(text, "fuzz.sql", dialect);
    for (const auto* section : {&sections.up, &sections.down}) {
      for (const strata::source::Statement& statement : section->statements) {
        if (statement.sql.empty()) strata::fuzz::fail("empty statement handed over");
        if (statement.line < 1) strata::fuzz::fail("statement without a line number");
      }
    }
    if (!sections.has_down && !sections.down.statements.empty()) strata::fuzz::fail("down statements without Down");
  } catch (const strata::SourceError&) {
  }
  try {
    strata::testing::parse_pair_file(text, "fuzz.up.sql", dialect);
  } catch (const strata::SourceError&) {
  }
  return 0;
}
