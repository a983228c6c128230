-- The same day, the next number (version 20230120001). sql-migrate runs the file in a
-- transaction; this one ends it for the index and opens a new one for sql-migrate to commit.
-- +migrate Up
INSERT INTO accounts (id, email) VALUES (1, 'owner@example.org');
COMMIT;
-- +migrate StatementBegin postgres
CREATE INDEX CONCURRENTLY accounts_email ON accounts (email)
-- +migrate StatementEnd
-- +migrate StatementBegin sqlite, mysql
CREATE INDEX accounts_email ON accounts (email)
-- +migrate StatementEnd
BEGIN;
INSERT INTO accounts (id, email) VALUES (2, 'second@example.org');

-- +migrate Down
DELETE FROM accounts;
