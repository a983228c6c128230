// MySQL stored programs written the way golang-migrate users write them, without DELIMITER:
// strata sends each CREATE PROCEDURE / FUNCTION / TRIGGER / EVENT whole, on real MariaDB.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

class MysqlProgramsTest : public EngineTest {};

TEST_P(MysqlProgramsTest, ProceduresFunctionsTriggersAndEventsApplyAndRevertWithoutDelimiter) {
  write("migrations/1_programs.up.sql",
        R"sql(CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50), size INT);
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT, note VARCHAR(50));

CREATE PROCEDURE add_item(IN item_name VARCHAR(50), OUT new_id INT)
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    RESIGNAL;
  END;
  INSERT INTO items (name, size) VALUES (item_name, CHAR_LENGTH(item_name));
  SELECT LAST_INSERT_ID() INTO new_id;
END;

CREATE FUNCTION size_class(n INT) RETURNS VARCHAR(20) DETERMINISTIC
BEGIN
  DECLARE result VARCHAR(20) DEFAULT '';
  DECLARE i INT DEFAULT 0;
  IF n IS NULL THEN RETURN 'none'; END IF;
  CASE
    WHEN n < 3 THEN SET result = 'small';
    WHEN n < 10 THEN SET result = IF(n < 6, 'medium', 'large');
    ELSE SET result = 'huge';
  END CASE;
  counting: WHILE i < n DO
    SET i = i + 1;
    IF i > 2 THEN LEAVE counting; END IF;
  END WHILE counting;
  again: REPEAT
    SET result = CONCAT(result, REPEAT('.', 1));
  UNTIL CHAR_LENGTH(result) > 0 END REPEAT again;
  RETURN CONCAT(result, ':', i, ':', CASE WHEN i > 2 THEN 'left' ELSE 'done' END);
END;

CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW
BEGIN
  IF NEW.size > 3 THEN
    INSERT INTO audit (item_id, note) VALUES (NEW.id, size_class(NEW.size));
  END IF;
END;

CREATE EVENT IF NOT EXISTS purge_audit ON SCHEDULE EVERY 1 DAY DISABLE DO
BEGIN
  DELETE FROM audit WHERE id < 0;
END;

CALL add_item('sprocket', @id);
CALL add_item('nut', @id);
)sql");
  write("migrations/1_programs.down.sql", R"sql(DROP EVENT purge_audit;
DROP TRIGGER items_audit;
DROP FUNCTION size_class;
DROP PROCEDURE add_item;
DROP TABLE audit;
DROP TABLE items;
)sql");

  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(version(), "1\n");
  EXPECT_EQ(sql("SELECT name, size FROM items ORDER BY id"), "sprocket|8\nnut|3\n");
  EXPECT_EQ(sql("SELECT item_id, note FROM audit"), "1|large.:3:left\n");
  EXPECT_EQ(sql("SELECT size_class(2)"), "small.:2:done\n");
  EXPECT_EQ(sql("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() "
                "ORDER BY ROUTINE_NAME"),
            "PROCEDURE|add_item\nFUNCTION|size_class\n");
  EXPECT_EQ(sql("SELECT EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()"),
            "purge_audit|DISABLED\n");

  Result down = run("down");
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(version(), "none\n");
  EXPECT_EQ(sql("SELECT count(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()"), "0\n");
  EXPECT_EQ(table_count("items"), "0\n");
}

TEST_P(MysqlProgramsTest, BeginNotAtomicBlockRunsAsOneStatement) {
  write("migrations/1_block.up.sql", R"sql(CREATE TABLE t (id INT);
BEGIN NOT ATOMIC
  DECLARE n INT DEFAULT 0;
  WHILE n < 3 DO
    SET n = n + 1;
    INSERT INTO t VALUES (n);
  END WHILE;
END;
)sql");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(sql("SELECT id FROM t ORDER BY id"), "1\n2\n3\n");
}

INSTANTIATE_TEST_SUITE_P(Mysql, MysqlProgramsTest, ::testing::Values("mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
