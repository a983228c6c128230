-- +migrate Up
INSERT INTO teams (id, name) VALUES (1, 'first');
-- +migrate Down
DELETE FROM teams;
