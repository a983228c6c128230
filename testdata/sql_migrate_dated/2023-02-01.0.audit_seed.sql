-- A dot before the name, as some sets have it (version 20230201000).
-- +migrate Up
INSERT INTO audit (account_id, note) VALUES (1, 'seeded');
-- +migrate Down
DELETE FROM audit;
