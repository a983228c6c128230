-- SQLite's table rebuild: foreign keys off outside the transaction, the rebuild inside one.
PRAGMA foreign_keys = off;
BEGIN TRANSACTION;
CREATE TABLE members_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL DEFAULT '');
INSERT INTO members_new (id, email) SELECT id, email FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;
COMMIT;
PRAGMA foreign_keys = on;
