CREATE TABLE team_count (n INTEGER);
INSERT INTO team_count (n) SELECT COUNT(*) FROM teams;
