DROP TRIGGER posts_touch ON posts;
DROP FUNCTION posts_touch();
ALTER TABLE posts DROP COLUMN updated_at;
