// Golden-file tests: each directory under testdata/parser/ is one case.
//
//   input.sql   a pair file (`V_name.up.sql`), or
//   single.sql  a single file with Up/Down annotations;
//   expected.txt, or expected.<dialect>.txt where the dialects disagree, holds the rendering
//   of the result for every dialect (see render below), or `error: <what()>`.
//
// STRATA_UPDATE_GOLDENS=1 rewrites the expected files from the current output; read the diff.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "core/dialect.hpp"
#include "core/error.hpp"
#include "source/parser.hpp"
#include "support/parse_text.hpp"

namespace strata::source {
namespace {

using strata::testing::parse_pair_file;
using strata::testing::parse_single_file;
using strata::testing::SingleFileSections;

namespace fs = std::filesystem;

const fs::path k_cases = fs::path(STRATA_TESTDATA) / "parser";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

void render_statements(std::string& out, const Section& section) {
  for (const Statement& statement : section.statements) {
    out += "--- line " + std::to_string(statement.line) + "\n" + statement.sql + "\n";
  }
}

// "transaction", "no-transaction", or "no-transaction: VACUUM at line 3[, mixed]" when a
// statement (not an annotation) took the section out of a transaction.
std::string mode(const Section& section) {
  if (section.transaction) return "transaction";
  if (!section.blocker) return "no-transaction";
  return "no-transaction: " + section.blocker->statement + " at line " + std::to_string(section.blocker->line) +
         (section.blocker->mixed ? ", mixed" : "");
}

// [transaction] / [no-transaction…], then per statement `--- line N` and its text.
std::string render(const Section& section) {
  std::string out = "[" + mode(section) + "]\n";
  render_statements(out, section);
  return out;
}

// [up transaction] … [down no-transaction] …, or [down absent] without a Down annotation.
std::string render(const SingleFileSections& sections) {
  std::string out = "[up " + mode(sections.up) + "]\n";
  render_statements(out, sections.up);
  if (!sections.has_down) {
    out += "[down absent]\n";
  } else {
    out += "[down " + mode(sections.down) + "]\n";
  }
  render_statements(out, sections.down);
  return out;
}

std::string run_case(const fs::path& dir, Dialect dialect) {
  try {
    if (fs::exists(dir / "single.sql")) {
      return render(parse_single_file(read_file(dir / "single.sql"), "single.sql", dialect));
    }
    return render(parse_pair_file(read_file(dir / "input.sql"), "input.sql", dialect));
  } catch (const SourceError& error) {
    return std::string("error: ") + error.what() + "\n";
  }
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  std::error_code error;
  if (!fs::is_directory(k_cases, error)) return names;
  for (const fs::directory_entry& entry : fs::directory_iterator(k_cases)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void update_goldens(const fs::path& dir) {
  std::vector<std::string> outputs;
  for (Dialect dialect : k_all_dialects) outputs.push_back(run_case(dir, dialect));
  const bool all_agree =
      std::all_of(outputs.begin(), outputs.end(), [&](const std::string& o) { return o == outputs[0]; });
  fs::remove(dir / "expected.txt");
  for (Dialect dialect : k_all_dialects) {
    fs::remove(dir / ("expected." + std::string(dialect_name(dialect)) + ".txt"));
  }
  if (all_agree) {
    write_file(dir / "expected.txt", outputs[0]);
    return;
  }
  std::size_t i = 0;
  for (Dialect dialect : k_all_dialects) {
    write_file(dir / ("expected." + std::string(dialect_name(dialect)) + ".txt"), outputs[i++]);
  }
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpectedOutputForEveryDialect) {
  const fs::path dir = k_cases / GetParam();
  ASSERT_NE(fs::exists(dir / "single.sql"), fs::exists(dir / "input.sql"))
      << "a case has exactly one of input.sql and single.sql";
  const char* update = std::getenv("STRATA_UPDATE_GOLDENS");
  if (update != nullptr && std::string(update) == "1") update_goldens(dir);

  for (Dialect dialect : k_all_dialects) {
    SCOPED_TRACE(std::string(dialect_name(dialect)));
    fs::path expected = dir / ("expected." + std::string(dialect_name(dialect)) + ".txt");
    if (!fs::exists(expected)) expected = dir / "expected.txt";
    ASSERT_TRUE(fs::exists(expected)) << "missing " << expected;
    EXPECT_EQ(read_file(expected), run_case(dir, dialect));
  }
}

INSTANTIATE_TEST_SUITE_P(Parser, GoldenTest, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

TEST(GoldenCases, AreAllPresent) {
  // Guards against the directory going missing, which would leave nothing to run.
  EXPECT_GE(case_names().size(), 40U);
}

}  // namespace
}  // namespace strata::source
