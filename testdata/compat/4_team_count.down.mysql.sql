DROP PROCEDURE count_teams;
DROP TABLE team_count;
