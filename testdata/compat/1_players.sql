-- +goose Up
-- +goose StatementBegin
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL);
CREATE TABLE games (id INTEGER PRIMARY KEY);
-- +goose StatementEnd

-- +goose Down
DROP TABLE games;
DROP TABLE players;
