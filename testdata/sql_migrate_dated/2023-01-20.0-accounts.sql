-- sql-migrate names by date and number: each file is a migration of its own (version 20230120000).
-- +migrate Up
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);

-- +migrate Down
DROP TABLE accounts;
