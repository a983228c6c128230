CREATE INDEX CONCURRENTLY players_team ON players (team_id);
