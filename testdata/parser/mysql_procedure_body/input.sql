-- A procedure with a body, called in the same file (golang-migrate sends such files whole).
CREATE PROCEDURE add_item(IN item_name VARCHAR(50), OUT new_id INT)
BEGIN
  DECLARE done INT DEFAULT 0;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
  INSERT INTO items (name) VALUES (item_name);
  SELECT LAST_INSERT_ID() INTO new_id;
  -- a comment with ; and END inside
  SELECT 'END; BEGIN' INTO @ignored;
END;
CALL add_item('first', @id);

CREATE PROCEDURE p() BEGIN DECLARE x INT; SELECT 1 INTO x; END; CALL p();
