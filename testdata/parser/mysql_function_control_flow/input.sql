CREATE FUNCTION classify(n INT) RETURNS VARCHAR(20) CHARSET utf8mb4 DETERMINISTIC
BEGIN
  DECLARE result VARCHAR(20) DEFAULT '';
  DECLARE i INT DEFAULT 0;
  IF n < 0 THEN
    SET result = 'negative';
  ELSEIF n = 0 THEN
    SET result = IF(n = 0, 'zero', 'other');
  ELSE
    CASE n % 2
      WHEN 0 THEN SET result = 'even';
      ELSE SET result = CASE WHEN n > 100 THEN 'big odd' ELSE 'odd' END;
    END CASE;
  END IF;
  counting: WHILE i < 3 DO
    SET i = i + 1;
    IF i = 2 THEN ITERATE counting; END IF;
  END WHILE counting;
  again: REPEAT
    SET i = i - 1;
  UNTIL i <= 0 END REPEAT again;
  outer_loop: LOOP
    SET result = CONCAT(result, REPEAT('!', 1));
    LEAVE outer_loop;
  END LOOP outer_loop;
  RETURN result;
END;
SELECT classify(3);
