-- A date without a number (version 20230127000).
-- +migrate Up
CREATE TABLE audit (account_id INTEGER NOT NULL, note VARCHAR(200));
-- +migrate Down
DROP TABLE audit;
