DROP INDEX players_team;
