DROP TABLE team_count;
