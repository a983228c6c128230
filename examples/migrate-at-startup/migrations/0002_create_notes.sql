-- +goose Up
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES authors (id),
  body TEXT NOT NULL
);
CREATE INDEX notes_author ON notes (author_id);

-- +goose Down
DROP TABLE notes;
