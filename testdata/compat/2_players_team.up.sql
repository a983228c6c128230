CREATE INDEX players_team ON players (team_id);
