-- A leading comment is not part of the first statement.
CREATE TABLE users (
  id INTEGER PRIMARY KEY, -- comment inside stays
  name TEXT NOT NULL
);

/* block comment before the second statement */ INSERT INTO users (id, name) VALUES (1, 'a');
;;
-- a comment-only piece
;
   INSERT INTO users VALUES (2, 'b') /* trailing comment */ ;  SELECT 1;
SELECT 2 -- trailing line comment
;
SELECT 3
