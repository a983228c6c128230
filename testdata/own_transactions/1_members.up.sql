-- Wrapped in BEGIN/COMMIT, as files written for golang-migrate often are.
BEGIN;
CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO members (id, email) VALUES (1, 'first@example.org');
COMMIT;
