#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/dialect.hpp"
#include "core/error.hpp"
#include "source/lexer.hpp"
#include "source/parser.hpp"
#include "support/parse_text.hpp"

namespace strata::source {
namespace {

using strata::testing::parse_pair_file;
using strata::testing::parse_single_file;
using strata::testing::SingleFileSections;

std::vector<std::string> sqls(const Section& section) {
  std::vector<std::string> out;
  for (const Statement& statement : section.statements) out.push_back(statement.sql);
  return out;
}

std::vector<int> lines(const Section& section) {
  std::vector<int> out;
  for (const Statement& statement : section.statements) out.push_back(statement.line);
  return out;
}

TEST(PairFile, LineIsWhereTheFirstTokenStartsNotWhereTheLeadingCommentStarts) {
  const Section section = parse_pair_file(
      "\n-- about t\n/* more\n*/\n\n  CREATE TABLE t (\n id int);\nSELECT 1; SELECT 2;\n", "a.up.sql", Dialect::sqlite);
  EXPECT_EQ(lines(section), (std::vector<int>{6, 8, 8}));
  EXPECT_EQ(sqls(section), (std::vector<std::string>{"CREATE TABLE t (\n id int)", "SELECT 1", "SELECT 2"}));
}

TEST(PairFile, TrimsWhitespaceAndTrailingCommentsButKeepsInnerComments) {
  const Section section =
      parse_pair_file("  SELECT /* inner */ 1 -- tail\n  /* tail */ ;", "a.up.sql", Dialect::postgres);
  EXPECT_EQ(sqls(section), (std::vector<std::string>{"SELECT /* inner */ 1"}));
}

TEST(PairFile, LastStatementWithoutDelimiterIsKept) {
  const Section section = parse_pair_file("SELECT 1;\nSELECT 2\n", "a.up.sql", Dialect::mysql);
  EXPECT_EQ(sqls(section), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(lines(section), (std::vector<int>{1, 2}));
}

TEST(PairFile, EmptyInputHasNoStatementsAndRunsInATransaction) {
  const Section section = parse_pair_file("", "a.up.sql", Dialect::postgres);
  EXPECT_TRUE(section.statements.empty());
  EXPECT_TRUE(section.transaction);
}

TEST(PairFile, ErrorCarriesFileAndLineOfTheOpeningQuote) {
  try {
    parse_pair_file("SELECT 1;\n\nSELECT 'x;\n", "0004_add.up.sql", Dialect::sqlite);
    FAIL() << "expected a SourceError";
  } catch (const SourceError& error) {
    EXPECT_EQ(error.file(), "0004_add.up.sql");
    EXPECT_EQ(error.line(), 3);
    EXPECT_STREQ(error.what(), "0004_add.up.sql:3: unterminated string started here");
  }
}

TEST(PairFile, DollarQuoteErrorNamesTheTag) {
  EXPECT_THROW(
      {
        try {
          parse_pair_file("SELECT 1;\nDO $x$ BEGIN\n", "0004_add.up.sql", Dialect::postgres);
        } catch (const SourceError& error) {
          EXPECT_STREQ(error.what(), "0004_add.up.sql:2: unterminated dollar-quoted string $x$ started here");
          throw;
        }
      },
      SourceError);
}

TEST(SingleFile, NoUpAnnotationIsReportedForTheWholeFile) {
  try {
    parse_single_file("SELECT 1;\n", "0002_x.sql", Dialect::sqlite);
    FAIL() << "expected a SourceError";
  } catch (const SourceError& error) {
    EXPECT_EQ(error.line(), 0);
    EXPECT_STREQ(error.what(), "0002_x.sql: no Up annotation");
  }
}

TEST(SingleFile, SectionsEndTheirLastStatementWithoutDelimiter) {
  const SingleFileSections sections =
      parse_single_file("-- +goose Up\nSELECT 1\n-- +goose Down\nSELECT 2", "x.sql", Dialect::postgres);
  EXPECT_EQ(sqls(sections.up), (std::vector<std::string>{"SELECT 1"}));
  EXPECT_EQ(sqls(sections.down), (std::vector<std::string>{"SELECT 2"}));
  EXPECT_EQ(lines(sections.down), (std::vector<int>{4}));
  EXPECT_TRUE(sections.has_down);
}

TEST(SingleFile, DelimiterResetsAtTheDownAnnotation) {
  const SingleFileSections sections =
      parse_single_file("-- +goose Up\nDELIMITER //\nSELECT 1; SELECT 2//\n-- +goose Down\nSELECT 3; SELECT 4;\n",
                        "x.sql", Dialect::mysql);
  EXPECT_EQ(sqls(sections.up), (std::vector<std::string>{"SELECT 1; SELECT 2"}));
  EXPECT_EQ(sqls(sections.down), (std::vector<std::string>{"SELECT 3", "SELECT 4"}));
}

// Feeding the text in pieces of any size, even one byte (splitting CRLF and the BOM), must
// give exactly what parsing it whole gives.
TEST(MigrationSplitter, ChunkBoundariesDoNotChangeTheResult) {
  const std::string text =
      "\xEF\xBB\xBF-- +goose Up\r\nCREATE TABLE t (id int);\r\n-- +goose StatementBegin\r\n"
      "SELECT 'a;b';\r\n-- +goose StatementEnd\r\n-- +goose Down\r\nDROP TABLE t";
  const SingleFileSections whole = parse_single_file(text, "x.sql", Dialect::sqlite);
  for (std::size_t chunk : {1U, 2U, 3U, 7U}) {
    std::vector<std::pair<MigrationSplitter::Direction, Statement>> got;
    MigrationSplitter splitter(
        MigrationSplitter::Layout::single_file, "x.sql", Dialect::sqlite,
        [&](MigrationSplitter::Direction direction, Statement&& s) { got.emplace_back(direction, std::move(s)); });
    for (std::size_t i = 0; i < text.size(); i += chunk) {
      splitter.feed(std::string_view(text).substr(i, chunk));
    }
    splitter.finish();
    ASSERT_EQ(got.size(), 3U) << "chunk " << chunk;
    EXPECT_EQ(got[0].second.sql, whole.up.statements[0].sql);
    EXPECT_EQ(got[1].second.sql, whole.up.statements[1].sql);
    EXPECT_EQ(got[1].second.line, 4);
    EXPECT_EQ(got[2].first, MigrationSplitter::Direction::down);
    EXPECT_EQ(got[2].second.sql, "DROP TABLE t");
    EXPECT_TRUE(splitter.has_down());
  }
}

TEST(MigrationSplitter, StatementsReachTheSinkBeforeTheInputEnds) {
  int seen = 0;
  MigrationSplitter splitter(MigrationSplitter::Layout::pair_file, "a.up.sql", Dialect::postgres,
                             [&](MigrationSplitter::Direction, Statement&&) { ++seen; });
  splitter.feed("SELECT 1; SELECT 2;\nSELECT");
  EXPECT_EQ(seen, 2);
  splitter.feed(" 3");
  EXPECT_EQ(seen, 2);
  splitter.finish();
  EXPECT_EQ(seen, 3);
}

TEST(StatementSplitter, BetweenTokensIsFalseInsideOpenConstructs) {
  StatementSplitter splitter(Dialect::postgres, "f.sql", [](Statement&&) {});
  EXPECT_TRUE(splitter.between_tokens());
  splitter.feed_line("SELECT $$ a", 1);
  EXPECT_FALSE(splitter.between_tokens());
  splitter.feed_line("$$, /* x", 2);
  EXPECT_FALSE(splitter.between_tokens());
  splitter.feed_line("*/ 'y", 3);
  EXPECT_FALSE(splitter.between_tokens());
  splitter.feed_line("'", 4);
  EXPECT_TRUE(splitter.between_tokens());
}

TEST(StatementSplitter, KeywordsMustBeWholeWords) {
  std::vector<std::string> got;
  StatementSplitter splitter(Dialect::sqlite, "f.sql", [&](Statement&& s) { got.push_back(std::move(s.sql)); });
  // `begin_at` and `backend` contain BEGIN and END but are not those keywords.
  splitter.feed_line("CREATE TRIGGER tr AFTER UPDATE OF begin_at ON t BEGIN SELECT backend; END;", 1);
  splitter.feed_line("SELECT 1;", 2);
  splitter.finish();
  EXPECT_EQ(got, (std::vector<std::string>{"CREATE TRIGGER tr AFTER UPDATE OF begin_at ON t BEGIN SELECT backend; END",
                                           "SELECT 1"}));
}

TEST(StatementSplitter, CreateTableIsNotATrigger) {
  std::vector<std::string> got;
  StatementSplitter splitter(Dialect::sqlite, "f.sql", [&](Statement&& s) { got.push_back(std::move(s.sql)); });
  splitter.feed_line("CREATE TABLE begin (x); SELECT 1;", 1);
  splitter.finish();
  EXPECT_EQ(got, (std::vector<std::string>{"CREATE TABLE begin (x)", "SELECT 1"}));
}

std::vector<std::string> split_mysql(const std::string& text) {
  return sqls(parse_pair_file(text, "a.up.sql", Dialect::mysql));
}

TEST(MysqlStoredPrograms, ProcedureBodyWithoutDelimiterIsOneStatementAndTheCallAnother) {
  EXPECT_EQ(split_mysql("CREATE PROCEDURE p() BEGIN DECLARE x INT; SELECT 1 INTO x; END;\nCALL p();\n"),
            (std::vector<std::string>{"CREATE PROCEDURE p() BEGIN DECLARE x INT; SELECT 1 INTO x; END", "CALL p()"}));
}

TEST(MysqlStoredPrograms, EndIfAndEndCaseCloseTheirOwnBlocksOnly) {
  EXPECT_EQ(split_mysql("CREATE PROCEDURE p(n INT) BEGIN IF n THEN SELECT 1; END IF; CASE n WHEN 1 THEN SELECT 2; "
                        "END CASE; SELECT 3; END; SELECT 4;"),
            (std::vector<std::string>{"CREATE PROCEDURE p(n INT) BEGIN IF n THEN SELECT 1; END IF; CASE n WHEN 1 "
                                      "THEN SELECT 2; END CASE; SELECT 3; END",
                                      "SELECT 4"}));
}

TEST(MysqlStoredPrograms, IfAndRepeatFunctionsDoNotOpenBlocks) {
  EXPECT_EQ(split_mysql("CREATE PROCEDURE p() BEGIN SET @a = IF(1, 2, 3); SELECT REPEAT('x', 2); IF (@a) THEN "
                        "SELECT 1; END IF; END; SELECT 5;"),
            (std::vector<std::string>{"CREATE PROCEDURE p() BEGIN SET @a = IF(1, 2, 3); SELECT REPEAT('x', 2); IF "
                                      "(@a) THEN SELECT 1; END IF; END",
                                      "SELECT 5"}));
}

TEST(MysqlStoredPrograms, IfNotExistsInTheHeadIsNotABlock) {
  EXPECT_EQ(split_mysql("CREATE PROCEDURE IF NOT EXISTS p() SELECT 1; CREATE TRIGGER IF NOT EXISTS t BEFORE INSERT "
                        "ON x FOR EACH ROW SET NEW.a = 1; SELECT 2;"),
            (std::vector<std::string>{"CREATE PROCEDURE IF NOT EXISTS p() SELECT 1",
                                      "CREATE TRIGGER IF NOT EXISTS t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1",
                                      "SELECT 2"}));
}

TEST(MysqlStoredPrograms, CaseExpressionEndsWithPlainEnd) {
  EXPECT_EQ(split_mysql("CREATE FUNCTION f(n INT) RETURNS INT BEGIN RETURN CASE WHEN n > 0 THEN 1 ELSE 0 END; END; "
                        "SELECT CASE WHEN 1 THEN 2 END;"),
            (std::vector<std::string>{
                "CREATE FUNCTION f(n INT) RETURNS INT BEGIN RETURN CASE WHEN n > 0 THEN 1 ELSE 0 END; END",
                "SELECT CASE WHEN 1 THEN 2 END"}));
}

TEST(MysqlStoredPrograms, PlainBeginIsTransactionControlAndBeginNotAtomicABlock) {
  EXPECT_EQ(split_mysql("BEGIN; SELECT 1; COMMIT; BEGIN WORK; BEGIN NOT ATOMIC SELECT 2; SELECT 3; END; SELECT 4;"),
            (std::vector<std::string>{"BEGIN", "SELECT 1", "COMMIT", "BEGIN WORK",
                                      "BEGIN NOT ATOMIC SELECT 2; SELECT 3; END", "SELECT 4"}));
}

TEST(MysqlStoredPrograms, LabelsAndNestedLoopsBalance) {
  EXPECT_EQ(
      split_mysql("CREATE PROCEDURE p() outer_block: BEGIN inner_loop: LOOP LEAVE inner_loop; END LOOP "
                  "inner_loop; lbl: REPEAT SELECT 1; UNTIL 1 END REPEAT lbl; w: WHILE 0 DO SELECT 2; END WHILE w; "
                  "END outer_block; SELECT 9;"),
      (std::vector<std::string>{"CREATE PROCEDURE p() outer_block: BEGIN inner_loop: LOOP LEAVE inner_loop; "
                                "END LOOP inner_loop; lbl: REPEAT SELECT 1; UNTIL 1 END REPEAT lbl; w: WHILE 0 "
                                "DO SELECT 2; END WHILE w; END outer_block",
                                "SELECT 9"}));
}

TEST(MysqlStoredPrograms, MariadbForLoopEndsWithEndFor) {
  EXPECT_EQ(split_mysql("CREATE PROCEDURE p() BEGIN DECLARE c CURSOR FOR SELECT 1; FOR i IN 1 .. 3 DO SELECT i; "
                        "END FOR; SELECT 1 FOR UPDATE; END; SELECT 2;"),
            (std::vector<std::string>{"CREATE PROCEDURE p() BEGIN DECLARE c CURSOR FOR SELECT 1; FOR i IN 1 .. 3 DO "
                                      "SELECT i; END FOR; SELECT 1 FOR UPDATE; END",
                                      "SELECT 2"}));
}

TEST(MysqlStoredPrograms, ProgramsAreNotTrackedOnOtherDialects) {
  const Section section = parse_pair_file("CREATE PROCEDURE p() BEGIN SELECT 1; END;", "a.up.sql", Dialect::sqlite);
  EXPECT_EQ(sqls(section), (std::vector<std::string>{"CREATE PROCEDURE p() BEGIN SELECT 1", "END"}));
}

TEST(MysqlStoredPrograms, ExplicitDelimiterStillEndsTheStatement) {
  EXPECT_EQ(split_mysql("DELIMITER //\nCREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; END //\n"
                        "CREATE PROCEDURE q() IF 1 THEN SELECT 2; //\nDELIMITER ;\nSELECT 3;\n"),
            (std::vector<std::string>{"CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; END",
                                      "CREATE PROCEDURE q() IF 1 THEN SELECT 2;", "SELECT 3"}));
}

TEST(MysqlStoredPrograms, UnterminatedBodyNamesTheOutermostBlock) {
  try {
    split_mysql("SELECT 1;\nCREATE PROCEDURE p()\nlbl: WHILE 1 DO\n  BEGIN\n  END;\n");
    FAIL() << "expected a SourceError";
  } catch (const SourceError& error) {
    EXPECT_STREQ(error.what(), "a.up.sql:3: unterminated WHILE … END WHILE block started here");
  }
}

// 200,000 INSERTs, about 15 MB. A quadratic rescan would take minutes; the bound is loose
// enough for a sanitizer build on a busy machine.
// 200,000 statements in one 15 MB file, on every dialect. Its speed is guarded by the bench
// (the `inserts` workload: 200,000 INSERTs against sqlite3, psql and mariadb; docs/performance.md),
// not by a time limit here, which the machine's load would decide.
TEST(Splitter, SplitsFifteenMegabytesOfStatements) {
  std::string text;
  const std::string row = "INSERT INTO items (id, name, note) VALUES (12345, 'semi;colon', 'a note');\n";
  text.reserve(row.size() * 200000);
  for (int i = 0; i < 200000; ++i) text += row;
  ASSERT_GT(text.size(), 15U * 1000 * 1000 * 0.9);
  for (Dialect dialect : k_all_dialects) {
    const Section section = parse_pair_file(text, "big.up.sql", dialect);
    ASSERT_EQ(section.statements.size(), 200000U) << dialect_name(dialect);
    EXPECT_EQ(section.statements.back().line, 200000) << dialect_name(dialect);
    EXPECT_EQ(section.statements[123456].sql, row.substr(0, row.size() - 2)) << dialect_name(dialect);
  }
}

}  // namespace
}  // namespace strata::source
