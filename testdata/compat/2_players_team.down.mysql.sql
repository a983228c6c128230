DROP INDEX players_team ON players;
