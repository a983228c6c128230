-- sql-migrate style: the runner wraps the file in a transaction, the file ends it to run a
-- statement that needs to be outside one, then opens a new one for the runner to commit.
-- +migrate Up
CREATE TABLE member_log (member_id INTEGER NOT NULL, note TEXT);
COMMIT;
-- +migrate StatementBegin postgres
CREATE INDEX CONCURRENTLY member_email ON members (email)
-- +migrate StatementEnd
-- +migrate StatementBegin sqlite
VACUUM
-- +migrate StatementEnd
BEGIN;
INSERT INTO member_log (member_id, note) VALUES (1, 'indexed');

-- +migrate Down
DROP TABLE member_log;
