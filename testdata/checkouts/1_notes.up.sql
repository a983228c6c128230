-- Saved by an editor that adds a byte-order mark, checked out with CRLF line endings.
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO notes (id, body) VALUES (1, 'first');
