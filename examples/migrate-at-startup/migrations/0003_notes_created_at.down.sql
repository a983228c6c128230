ALTER TABLE notes DROP COLUMN created_at;
