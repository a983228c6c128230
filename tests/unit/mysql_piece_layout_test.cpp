// How the MySQL driver finds the statements inside one piece of a migration (a StatementBegin
// block sent whole): semicolons in quotes and comments do not count, and stored programs or
// CALLs make the layout inexact.

#include "drivers/mysql/piece_layout.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace strata::drivers::mysql {
namespace {

using ::testing::ElementsAre;

TEST(MysqlPieceLayout, OneStatementWithOrWithoutItsSemicolon) {
  EXPECT_THAT(piece_layout("CREATE TABLE a (id INT)").starts, ElementsAre(0u));
  const PieceLayout layout = piece_layout("  CREATE TABLE a (id INT);\n-- done\n");
  EXPECT_THAT(layout.starts, ElementsAre(2u));
  EXPECT_FALSE(layout.several());
  EXPECT_TRUE(layout.exact);
  EXPECT_EQ(piece_statement("  CREATE TABLE a (id INT);\n-- done\n", layout, 0), "CREATE TABLE a (id INT)");
}

TEST(MysqlPieceLayout, SemicolonsInQuotesAndCommentsDoNotSplit) {
  const std::string sql =
      "INSERT INTO t VALUES ('a;b', \"c;\\\"d\", 'it''s;');\n"
      "# hash; comment\n"
      "/* block; comment */ INSERT INTO `we;ird` VALUES (1); -- dash; comment\n"
      "--not-a-comment; SELECT 1";
  const PieceLayout layout = piece_layout(sql);
  ASSERT_EQ(layout.starts.size(), 4u);
  EXPECT_EQ(sql.substr(layout.starts[1], 11), "INSERT INTO");
  EXPECT_EQ(piece_statement(sql, layout, 1), "INSERT INTO `we;ird` VALUES (1)");
  // `--` without a space after it is an operator: "--not-a-comment" is a statement of its own.
  EXPECT_EQ(piece_statement(sql, layout, 2), "--not-a-comment");
  EXPECT_EQ(piece_statement(sql, layout, 3), "SELECT 1");
  EXPECT_TRUE(layout.exact);
}

TEST(MysqlPieceLayout, EmptyStatementsAndCommentOnlyTextHaveNoStarts) {
  EXPECT_TRUE(piece_layout("").starts.empty());
  EXPECT_TRUE(piece_layout(" ;; -- nothing\n/* here */").starts.empty());
  EXPECT_THAT(piece_layout("SELECT 1;;SELECT 2").starts, ElementsAre(0u, 10u));
}

TEST(MysqlPieceLayout, MultiLineStatementIsShownOnOneLineAndCut) {
  const std::string sql = "CREATE TABLE b (\n  id INT,\n  name TEXT\n);\nSELECT 1";
  const PieceLayout layout = piece_layout(sql);
  EXPECT_EQ(piece_statement(sql, layout, 0), "CREATE TABLE b ( id INT, name TEXT )");
  EXPECT_EQ(piece_statement(sql, layout, 0, 10), "CREATE TAB…");
}

TEST(MysqlPieceLayout, StoredProgramsCompoundStatementsAndCallsAreNotExact) {
  EXPECT_FALSE(piece_layout("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END; SELECT 3").exact);
  EXPECT_FALSE(
      piece_layout("CREATE DEFINER=`root`@`%` TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.id = 1").exact);
  EXPECT_FALSE(piece_layout("CREATE OR REPLACE FUNCTION f() RETURNS INT RETURN 1").exact);
  EXPECT_FALSE(piece_layout("BEGIN NOT ATOMIC SELECT 1; END").exact);
  EXPECT_FALSE(piece_layout("IF 1 THEN SELECT 1; END IF").exact);
  EXPECT_FALSE(piece_layout("outer_loop: LOOP LEAVE outer_loop; END LOOP").exact);
  EXPECT_FALSE(piece_layout("INSERT INTO a VALUES (1); CALL p()").exact);
  EXPECT_TRUE(piece_layout("BEGIN; INSERT INTO a VALUES (1); COMMIT").exact);
  EXPECT_TRUE(piece_layout("BEGIN WORK; INSERT INTO procedure_log VALUES ('CALL');").exact);
}

TEST(MysqlPieceLayout, UnterminatedQuoteEndsTheScan) {
  const PieceLayout layout = piece_layout("SELECT 'a; SELECT 2");
  EXPECT_THAT(layout.starts, ElementsAre(0u));
}

}  // namespace
}  // namespace strata::drivers::mysql
