CREATE TABLE team_count (n INTEGER);
CREATE PROCEDURE count_teams()
BEGIN
  DECLARE c INT;
  SELECT COUNT(*) INTO c FROM teams;
  IF c >= 0 THEN
    INSERT INTO team_count (n) VALUES (c);
  END IF;
END;
CALL count_teams();
